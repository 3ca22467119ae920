//! Configuration errors, and [`Origin`], where a setting came from (file and line, or an
//! environment variable), so that every error can point at its source.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of a configuration file (1-based).
    File { path: PathBuf, line: usize },
    /// An environment variable, e.g. `STOMP_USER`.
    Env(String),
}

impl Origin {
    pub(crate) fn file(path: &Path, line: usize) -> Self {
        Origin::File {
            path: path.to_path_buf(),
            line,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Env(name) => write!(f, "environment variable {name}"),
        }
    }
}

/// The kind of value a setting needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Ruby `Integer()`: decimal, `0x`/`0b`/`0o` prefixes, leading-`0` octal.
    Integer,
    /// Ruby `Float()`.
    Float,
    /// `Util.str_to_bool`: `1 yes true y t` / `0 no false n f`, any case.
    Boolean,
    /// A TCP port, 1 to 65535 (read with Ruby's lenient `to_i`).
    Port,
    /// Ruby `Integer()`, no smaller than the bound.
    IntegerAtLeast(i64),
    /// [`crate::Keepalive::parse`]: `IDLE,INTERVAL,COUNT` or `off`.
    Keepalive,
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expected::Integer => "an integer",
            Expected::Float => "a number",
            Expected::Boolean => "a boolean (1/yes/true/y/t or 0/no/false/n/f)",
            Expected::Port => "a port number (1-65535)",
            Expected::IntegerAtLeast(min) => return write!(f, "an integer of at least {min}"),
            Expected::Keepalive => {
                "IDLE,INTERVAL,COUNT (seconds 1-32767, seconds 1-32767, probes 1-127) or off"
            }
        })
    }
}

/// Why a configuration could not be loaded or a setting could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot find config file '{}'", path.display())]
    NotFound { path: PathBuf },
    /// The message names the I/O error, which is therefore not also its `source()`.
    #[error("cannot read {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{} is larger than {limit} bytes", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("line {at} is not valid UTF-8")]
    NotUtf8 { at: Origin },
    #[error("unknown config key \"{key}\" at {at}")]
    UnknownKey { key: String, at: Origin },
    #[error("invalid value \"{value}\" for config key \"{key}\" at {at}: expected {expected}")]
    InvalidValue {
        key: String,
        value: String,
        expected: Expected,
        at: Origin,
    },
    #[error("libdir paths should be absolute paths but '{path}' is relative at {at}")]
    RelativeLibdir { path: String, at: Origin },
    #[error(
        "identity \"{identity}\" is invalid: identities can only contain letters, digits, '_', '.' and '-'"
    )]
    InvalidIdentity { identity: String },
    #[error("no plugin.{key} configuration option given")]
    MissingOption { key: String },
    #[error(
        "no hosts found for the {connector} connection pool (plugin.{connector}.pool.size is {size})"
    )]
    EmptyPool { connector: String, size: i64 },
    #[error("connector \"{name}\" is not supported (activemq or rabbitmq)")]
    UnsupportedConnector { name: String },
}
