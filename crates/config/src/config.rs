//! [`Config`]: every top-level key of `server.cfg`/`client.cfg`, typed and defaulted as
//! MCollective 2.12's `Config#set_config_defaults` and `Config#loadconfig` do, and the
//! loading sequence: the file, then `plugin.d/*.cfg`, then the identity check.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{ConfigError, Expected, Origin};
use crate::plugin_dir;
use crate::read::read_config;
use crate::ruby;
use crate::syntax::{self, Entry};

pub use crate::read::MAX_CONFIG_BYTES;
pub use crate::syntax::Setting;

/// `rpclimitmethod`: which nodes `--limit-nodes` keeps. MCollective compares the
/// symbol with `:first` and picks random nodes for anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitMethod {
    First,
    Random,
}

/// A loaded `server.cfg` or `client.cfg`. Plugin names (`connector`, `securityprovider`,
/// `factsource`, `registration`, `rpcauditprovider`, `rpcauthprovider`) are stored in
/// lower case: MCollective capitalizes them, which loses the case of every letter but
/// the first.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file this was loaded from (`configfile`).
    pub path: PathBuf,
    /// Its directory (`configdir`), where `plugin.d/` is looked for.
    pub configdir: PathBuf,
    pub identity: String,
    pub collectives: Vec<String>,
    pub main_collective: String,
    /// Every `libdir` path in the order listed (a line may list several, `:`-separated,
    /// and repeated lines add more). MCollective puts each at the front of the Ruby load
    /// path in turn, so the last listed is searched first.
    pub libdir: Vec<PathBuf>,
    pub logfile: Option<PathBuf>,
    pub loglevel: String,
    pub logger_type: String,
    pub logfacility: String,
    pub keeplogs: i64,
    pub max_log_size: i64,
    pub daemonize: bool,
    pub securityprovider: String,
    pub connector: String,
    pub factsource: String,
    pub classesfile: PathBuf,
    pub registration: String,
    pub registerinterval: i64,
    pub registration_collective: Option<String>,
    pub registration_splay: bool,
    pub direct_addressing: bool,
    pub direct_addressing_threshold: i64,
    pub ttl: i64,
    pub rpclimitmethod: LimitMethod,
    pub default_discovery_method: String,
    /// Every `default_discovery_options` line, in order (repeated lines add).
    pub default_discovery_options: Vec<String>,
    pub discovery_timeout: Option<i64>,
    pub publish_timeout: i64,
    pub connection_timeout: Option<i64>,
    pub threaded: bool,
    pub color: bool,
    pub rpcaudit: bool,
    pub rpcauditprovider: String,
    pub rpcauthorization: bool,
    pub rpcauthprovider: String,
    pub fact_cache_time: i64,
    pub ssl_cipher: String,
    pub soft_shutdown: bool,
    pub soft_shutdown_timeout: Option<i64>,
    pub activate_agents: bool,
    /// `security.max_clock_skew`: how far in the future (seconds) a request's msgtime may
    /// lie before the node refuses it.
    pub max_clock_skew: i64,
    /// `security.replay_cache_size`: how many request ids the node remembers while their
    /// TTL runs (the oldest are dropped first beyond it).
    pub replay_cache_size: i64,
    pub default_batch_size: i64,
    pub default_batch_sleep_time: f64,
    /// `plugin.*` settings, from the file and then `plugin.d/`, later ones winning.
    pub plugins: BTreeMap<String, Setting>,
    /// Deprecated keys MCollective warns about and ignores (`topicprefix`, `topicsep`,
    /// `queueprefix`, `rpchelptemplate`, `helptemplatedir`).
    pub deprecated: Vec<(String, Origin)>,
}

impl Config {
    /// MCollective's defaults (`set_config_defaults`) for a config file at `path`, with
    /// `hostname` as the default identity.
    pub fn defaults(path: &Path, hostname: &str) -> Config {
        let configdir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Config {
            path: path.to_path_buf(),
            configdir,
            identity: hostname.to_owned(),
            collectives: vec!["mcollective".to_owned()],
            main_collective: "mcollective".to_owned(),
            libdir: Vec::new(),
            logfile: None,
            loglevel: "info".to_owned(),
            logger_type: "file".to_owned(),
            logfacility: "user".to_owned(),
            keeplogs: 5,
            max_log_size: 2_097_152,
            daemonize: false,
            securityprovider: "psk".to_owned(),
            connector: "activemq".to_owned(),
            factsource: "yaml".to_owned(),
            classesfile: PathBuf::from("/var/lib/puppet/state/classes.txt"),
            registration: "agentlist".to_owned(),
            registerinterval: 0,
            registration_collective: None,
            registration_splay: false,
            direct_addressing: true,
            direct_addressing_threshold: 10,
            ttl: 60,
            rpclimitmethod: LimitMethod::First,
            default_discovery_method: "mc".to_owned(),
            default_discovery_options: Vec::new(),
            discovery_timeout: None,
            publish_timeout: 2,
            connection_timeout: None,
            threaded: false,
            color: !cfg!(windows),
            rpcaudit: false,
            rpcauditprovider: String::new(),
            rpcauthorization: false,
            rpcauthprovider: String::new(),
            fact_cache_time: 300,
            ssl_cipher: "aes-256-cbc".to_owned(),
            soft_shutdown: false,
            soft_shutdown_timeout: None,
            activate_agents: true,
            max_clock_skew: 60,
            replay_cache_size: 600_000,
            default_batch_size: 0,
            default_batch_sleep_time: 1.0,
            plugins: BTreeMap::new(),
            deprecated: Vec::new(),
        }
    }

    /// Loads `path` with this machine's host name as the default identity.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        Config::load_with_hostname(path, &crate::hostname::hostname())
    }

    /// Loads `path` as `mcollectived`/`mco` do: defaults, then each line of the file,
    /// then `plugin.d/*.cfg` beside it, then the identity check.
    pub fn load_with_hostname(
        path: impl AsRef<Path>,
        hostname: &str,
    ) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let mut config = Config::from_text(path, &read_config(path)?, hostname)?;
        plugin_dir::read(&config.configdir.join("plugin.d"), &mut config.plugins)?;
        config.check_identity()?;
        config.warn_exposed_secrets();
        Ok(config)
    }

    /// Parses a configuration body as if it were the file `path`, without reading
    /// `plugin.d/`.
    pub fn parse(path: &Path, text: &[u8], hostname: &str) -> Result<Config, ConfigError> {
        let config = Config::from_text(path, text, hostname)?;
        config.check_identity()?;
        Ok(config)
    }

    /// The defaults, then every line of `text`.
    fn from_text(path: &Path, text: &[u8], hostname: &str) -> Result<Config, ConfigError> {
        let mut config = Config::defaults(path, hostname);
        for entry in syntax::entries(path, text)? {
            config.apply(path, &entry)?;
        }
        Ok(config)
    }

    /// `raise 'Identities can only match /\w\.\-/' unless @identity.match(/^[\w\.\-]+$/)`.
    fn check_identity(&self) -> Result<(), ConfigError> {
        let valid = !self.identity.is_empty()
            && self
                .identity
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if valid {
            Ok(())
        } else {
            Err(ConfigError::InvalidIdentity {
                identity: self.identity.clone(),
            })
        }
    }

    /// One `key = value` line: the `case key` of `loadconfig`. Repeated keys overwrite,
    /// except `libdir` and `default_discovery_options`, which accumulate.
    fn apply(&mut self, path: &Path, entry: &Entry<'_>) -> Result<(), ConfigError> {
        let at = || Origin::file(path, entry.line);
        let val = entry.value;
        let int = || parse(entry, at(), Expected::Integer, ruby::integer);
        let boolean = || parse(entry, at(), Expected::Boolean, ruby::str_to_bool);
        match entry.key {
            "registration" => self.registration = val.to_lowercase(),
            "registration_collective" => self.registration_collective = Some(val.to_owned()),
            "registerinterval" => self.registerinterval = int()?,
            "registration_splay" => self.registration_splay = boolean()?,
            "collectives" => {
                self.collectives = ruby::split(val, ',')
                    .into_iter()
                    .map(|c| ruby::strip(c).to_owned())
                    .collect();
            }
            "main_collective" => self.main_collective = val.to_owned(),
            "logfile" => self.logfile = Some(PathBuf::from(val)),
            "keeplogs" => self.keeplogs = int()?,
            "max_log_size" => self.max_log_size = int()?,
            "loglevel" => self.loglevel = val.to_owned(),
            "logfacility" => self.logfacility = val.to_owned(),
            "libdir" => {
                for dir in ruby::split(val, ':') {
                    if !dir.starts_with('/') {
                        return Err(ConfigError::RelativeLibdir {
                            path: dir.to_owned(),
                            at: at(),
                        });
                    }
                    self.libdir.push(PathBuf::from(dir));
                }
            }
            "identity" => self.identity = val.to_owned(),
            "direct_addressing" => self.direct_addressing = boolean()?,
            "direct_addressing_threshold" => self.direct_addressing_threshold = int()?,
            "color" => self.color = boolean()?,
            "daemonize" => self.daemonize = boolean()?,
            "securityprovider" => self.securityprovider = val.to_lowercase(),
            "factsource" => self.factsource = val.to_lowercase(),
            "connector" => self.connector = val.to_lowercase(),
            "classesfile" => self.classesfile = PathBuf::from(val),
            "discovery_timeout" => self.discovery_timeout = Some(int()?),
            "publish_timeout" => self.publish_timeout = int()?,
            "connection_timeout" => self.connection_timeout = Some(int()?),
            "rpcaudit" => self.rpcaudit = boolean()?,
            "rpcauditprovider" => self.rpcauditprovider = val.to_lowercase(),
            "rpcauthorization" => self.rpcauthorization = boolean()?,
            "rpcauthprovider" => self.rpcauthprovider = val.to_lowercase(),
            "rpclimitmethod" => {
                self.rpclimitmethod = match val {
                    "first" => LimitMethod::First,
                    _ => LimitMethod::Random,
                }
            }
            "logger_type" => self.logger_type = val.to_owned(),
            "fact_cache_time" => self.fact_cache_time = int()?,
            "ssl_cipher" => self.ssl_cipher = val.to_owned(),
            "threaded" => self.threaded = boolean()?,
            "ttl" => self.ttl = int()?,
            "default_discovery_options" => self.default_discovery_options.push(val.to_owned()),
            "default_discovery_method" => self.default_discovery_method = val.to_owned(),
            "soft_shutdown" => self.soft_shutdown = boolean()?,
            "soft_shutdown_timeout" => self.soft_shutdown_timeout = Some(int()?),
            "activate_agents" => self.activate_agents = boolean()?,
            "security.max_clock_skew" => self.max_clock_skew = int()?.max(0),
            "security.replay_cache_size" => self.replay_cache_size = int()?.max(1),
            "default_batch_size" => self.default_batch_size = int()?,
            "default_batch_sleep_time" => {
                self.default_batch_sleep_time = parse(entry, at(), Expected::Float, ruby::float)?;
            }
            "topicprefix" | "topicsep" | "queueprefix" | "rpchelptemplate" | "helptemplatedir" => {
                self.deprecated.push((entry.key.to_owned(), at()));
            }
            key => match plugin_key(key) {
                Some(name) => {
                    let setting = Setting {
                        value: val.to_owned(),
                        origin: at(),
                    };
                    self.plugins.insert(name.to_owned(), setting);
                }
                None => {
                    return Err(ConfigError::UnknownKey {
                        key: key.to_owned(),
                        at: at(),
                    });
                }
            },
        }
        Ok(())
    }
}

/// MCollective matches plugin keys with `/^plugin.(.+)$/`, an unescaped `.`: any one
/// character after `plugin`, then the plugin key.
fn plugin_key(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("plugin")?;
    let sep = rest.chars().next()?;
    Some(&rest[sep.len_utf8()..]).filter(|name| !name.is_empty())
}

/// Converts an entry's value, or reports the key, value and line.
fn parse<T>(
    entry: &Entry<'_>,
    at: Origin,
    expected: Expected,
    convert: impl Fn(&str) -> Option<T>,
) -> Result<T, ConfigError> {
    convert(entry.value).ok_or_else(|| ConfigError::InvalidValue {
        key: entry.key.to_owned(),
        value: entry.value.to_owned(),
        expected,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::plugin_key;

    #[test]
    fn plugin_keys_follow_the_unescaped_dot() {
        assert_eq!(plugin_key("plugin.psk"), Some("psk"));
        assert_eq!(
            plugin_key("plugin.activemq.pool.1.host"),
            Some("activemq.pool.1.host")
        );
        assert_eq!(plugin_key("plugin_psk"), Some("psk"));
        assert_eq!(plugin_key("pluginé.x"), Some(".x"));
        assert_eq!(plugin_key("plugin."), None);
        assert_eq!(plugin_key("plugin"), None);
        assert_eq!(plugin_key("plugins"), None);
    }
}
