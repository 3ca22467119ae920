//! The broker's settings from its command-line flags ([`BrokerFlags`]) and its TOML file
//! ([`file::FileSettings`]): flags win over the file, the file over the defaults.
//!
//! Secrets are read here: passwords from a file or an environment variable (preferred to
//! the command line, which every local user can read in `/proc`), the admin token the
//! same way. A file that holds a secret and is readable by its group or by everyone is
//! named in a warning.

pub mod file;
mod flags;

pub use flags::BrokerFlags;

use crate::abuse::{Caps, ThrottleSettings};
use crate::acl::{Acl, Pattern, PatternError, Rule};
use crate::admission::Rate;
use crate::auth::{CertRule, Secret, SecretString, User, Users, is_argon2_hash};
use crate::config::{BrokerConfig, DEFAULT_PORT, HeartbeatPolicy, TlsListener};
use file::{FileSettings, FileUser};
use marionette_net::Keepalive;
use marionette_net::read::{ReadFailure, read_bounded};
use marionette_net::secret_file::warn_if_exposed;
use marionette_net::tls::ServerFiles;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The admin endpoint's default address.
pub const DEFAULT_ADMIN: &str = "127.0.0.1:61680";
/// Largest settings, password or token file read.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Why the settings are unusable. Each names the flag, key or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("invalid settings in {path}: {detail}")]
    Parse { path: PathBuf, detail: String },
    #[error("listen address {0:?} is neither ADDR:PORT nor \"off\"")]
    Listen(String),
    #[error("admin address {0:?} is neither ADDR:PORT nor \"off\"")]
    Admin(String),
    #[error("heart-beat {0:?} is neither \"auto\" nor SEND_MS,RECV_MS")]
    Heartbeat(String),
    #[error("heart-beat grace {0} must be between 1 and 10")]
    Grace(f64),
    #[error("TCP keepalive {0:?} is neither IDLE,INTERVAL,COUNT nor \"off\"")]
    Keepalive(String),
    /// Holds only what comes before the first colon: the rest may be a password.
    #[error("--user {0:?}:… is not NAME:PASSWORD")]
    UserPair(String),
    #[error("--groups {0:?} is not NAME=GROUP[,GROUP] for a --user NAME")]
    Groups(String),
    #[error("user {login}: {detail}")]
    User { login: String, detail: String },
    #[error("environment variable {0} is not set")]
    MissingEnv(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("admin endpoint: {0}")]
    AdminToken(String),
    #[error(transparent)]
    Acl(#[from] PatternError),
}

/// Reads at most [`MAX_FILE_BYTES`] of a file as text.
fn read_text(path: &Path) -> Result<String, SettingsError> {
    let read = |source| SettingsError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = read_bounded(path, MAX_FILE_BYTES).map_err(|failure| match failure {
        ReadFailure::NotFound(e) | ReadFailure::Io(e) => read(e),
        ReadFailure::TooLarge => SettingsError::TooLarge {
            path: path.to_path_buf(),
        },
    })?;
    String::from_utf8(bytes)
        .map_err(|e| read(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// The first line of a secret file (a password or token), trimmed; warns when the file
/// is readable by others than its owner.
fn read_secret_file(path: &Path, what: &str) -> Result<String, SettingsError> {
    warn_if_exposed(path, what);
    Ok(read_text(path)?
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string())
}

fn env_secret(name: &str) -> Result<String, SettingsError> {
    std::env::var(name).map_err(|_| SettingsError::MissingEnv(name.to_string()))
}

/// Loads the settings file.
pub fn load_file(path: &Path) -> Result<FileSettings, SettingsError> {
    let text = read_text(path)?;
    // The parser's own message, with its line, but not the offending line itself: that
    // line may hold a password (a misspelt key beside it, say).
    let settings: FileSettings = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        SettingsError::Parse {
            path: path.to_path_buf(),
            detail: match line {
                Some(n) => format!("line {n}: {}", e.message()),
                None => e.message().to_string(),
            },
        }
    })?;
    let holds_secret = settings.user.iter().any(|u| u.passcode.is_some());
    if holds_secret {
        warn_if_exposed(path, "password");
    }
    Ok(settings)
}

fn parse_heartbeat(text: &str) -> Result<HeartbeatPolicy, SettingsError> {
    if text == "auto" {
        return Ok(BrokerConfig::new(([127, 0, 0, 1], 0).into()).heartbeat);
    }
    let bad = || SettingsError::Heartbeat(text.to_string());
    let (a, b) = text.split_once(',').ok_or_else(bad)?;
    Ok(HeartbeatPolicy::Fixed {
        send_ms: a.trim().parse().map_err(|_| bad())?,
        recv_ms: b.trim().parse().map_err(|_| bad())?,
    })
}

/// `ADDR:PORT` or `off`.
fn parse_addr(
    text: &str,
    err: fn(String) -> SettingsError,
) -> Result<Option<SocketAddr>, SettingsError> {
    if text == "off" {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| err(text.to_string()))
}

/// The secret of a `[[user]]`: exactly one of its password keys.
fn user_secret(u: &FileUser) -> Result<Secret, SettingsError> {
    let bad = |detail: &str| SettingsError::User {
        login: u.login.clone(),
        detail: detail.to_string(),
    };
    let given = [
        u.password_hash.is_some(),
        u.password_file.is_some(),
        u.password_env.is_some(),
        u.passcode.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(bad(
            "give exactly one of password_hash, password_file, password_env, passcode",
        ));
    }
    let text = if let Some(h) = &u.password_hash {
        if !is_argon2_hash(h) {
            return Err(bad(
                "password_hash is not an argon2 PHC string (make one with mco broker hash-password)",
            ));
        }
        return Ok(Secret::Argon2(h.clone()));
    } else if let Some(path) = &u.password_file {
        read_secret_file(path, "password")?
    } else if let Some(var) = &u.password_env {
        env_secret(var)?
    } else {
        u.passcode.clone().unwrap_or_default()
    };
    // A password file or variable may hold a hash as well.
    Ok(if is_argon2_hash(&text) {
        Secret::Argon2(text)
    } else {
        Secret::Plain(text)
    })
}

fn users(flags: &BrokerFlags, file: &FileSettings) -> Result<Users, SettingsError> {
    let mut users = Users::default();
    for u in &file.user {
        let groups = if u.groups.is_empty() {
            Users::stock_groups(&u.login)
        } else {
            u.groups.clone()
        };
        users.add(User {
            login: u.login.clone(),
            secret: user_secret(u)?,
            groups,
            identities: u.identities.clone(),
        });
    }
    let mut groups = std::collections::HashMap::new();
    for g in &flags.groups {
        let (login, list) = g
            .split_once('=')
            .filter(|(l, list)| !l.is_empty() && !list.is_empty())
            .ok_or_else(|| SettingsError::Groups(g.clone()))?;
        if !flags
            .users
            .iter()
            .any(|u| u.split(':').next() == Some(login))
        {
            return Err(SettingsError::Groups(g.clone()));
        }
        groups.insert(
            login,
            list.split(',').map(str::to_string).collect::<Vec<_>>(),
        );
    }
    for pair in &flags.users {
        let (login, pass) = Users::parse_pair(pair).ok_or_else(|| {
            SettingsError::UserPair(pair.split(':').next().unwrap_or_default().to_string())
        })?;
        users.add(User {
            groups: groups
                .get(login.as_str())
                .cloned()
                .unwrap_or_else(|| Users::stock_groups(&login)),
            identities: vec!["*".into()],
            secret: Secret::Plain(pass),
            login,
        });
    }
    for c in &file.certificate {
        users.add_cert_rule(CertRule {
            pattern: c.name.clone(),
            groups: c.groups.clone(),
        });
    }
    Ok(users)
}

fn acl(file: &FileSettings) -> Result<Acl, SettingsError> {
    let Some(rules) = &file.acl else {
        return Ok(Acl::mcollective());
    };
    let rules = rules
        .iter()
        .map(|r| {
            Ok(Rule {
                destination: Pattern::parse(&r.destination)?,
                read: r.read.clone(),
                write: r.write.clone(),
                admin: r.admin.clone(),
            })
        })
        .collect::<Result<Vec<_>, PatternError>>()?;
    Ok(Acl { rules })
}

fn tls(flags: &BrokerFlags, file: &FileSettings) -> Result<Option<TlsListener>, SettingsError> {
    let f = file.tls.as_ref();
    let cert = flags.tls_cert.clone().or(f.map(|t| t.cert.clone()));
    let key = flags.tls_key.clone().or(f.map(|t| t.key.clone()));
    let listen = flags.tls_listen.or(f.and_then(|t| t.listen));
    if cert.is_none() && key.is_none() && listen.is_none() {
        return Ok(None);
    }
    let (Some(cert), Some(key)) = (cert, key) else {
        return Err(SettingsError::Tls(
            "a TLS listener needs both a certificate (--tls-cert) and a key (--tls-key)".into(),
        ));
    };
    Ok(Some(TlsListener {
        listen: listen.unwrap_or_else(|| ([127, 0, 0, 1], crate::DEFAULT_TLS_PORT).into()),
        files: ServerFiles {
            cert,
            key,
            ca: flags.tls_ca.clone().or(f.and_then(|t| t.ca.clone())),
            verify_clients: flags.tls_verify_clients || f.is_some_and(|t| t.verify_clients),
        },
    }))
}

/// The admin token from `[admin_auth]`, if any.
fn admin_token(file: &FileSettings) -> Result<Option<SecretString>, SettingsError> {
    let a = &file.admin_auth;
    let token = match (&a.token_file, &a.token_env) {
        (Some(path), _) => read_secret_file(path, "admin token")?,
        (None, Some(var)) => env_secret(var)?,
        (None, None) => return Ok(None),
    };
    if token.len() < 16 {
        return Err(SettingsError::AdminToken(
            "the token must be at least 16 characters".into(),
        ));
    }
    Ok(Some(SecretString::new(token)))
}

/// Builds the broker's settings from flags and the file they name.
pub fn build(flags: &BrokerFlags) -> Result<BrokerConfig, SettingsError> {
    let file = match &flags.config {
        Some(path) => load_file(path)?,
        None => FileSettings::default(),
    };
    let listen_text = flags.listen.as_deref().or(file.listen.as_deref());
    let listen = match listen_text {
        Some(text) => parse_addr(text, SettingsError::Listen)?,
        None => Some(([127, 0, 0, 1], DEFAULT_PORT).into()),
    };
    let mut c = BrokerConfig::new(listen.unwrap_or_else(|| ([127, 0, 0, 1], DEFAULT_PORT).into()));
    c.plain = listen.is_some();
    c.tls = tls(flags, &file)?;
    let admin = flags
        .admin
        .as_deref()
        .or(file.admin.as_deref())
        .unwrap_or(DEFAULT_ADMIN);
    c.admin = parse_addr(admin, SettingsError::Admin)?;
    c.admin_token = admin_token(&file)?;
    c.anonymous = flags.anonymous || file.anonymous;
    if let Some(hb) = flags.heartbeat.as_deref().or(file.heartbeat.as_deref()) {
        c.heartbeat = parse_heartbeat(hb)?;
    }
    if let Some(g) = flags.heartbeat_grace.or(file.heartbeat_grace) {
        if !(1.0..=10.0).contains(&g) {
            return Err(SettingsError::Grace(g));
        }
        c.heartbeat_grace = g;
    }
    let keepalive = match flags
        .tcp_keepalive
        .as_deref()
        .or(file.tcp_keepalive.as_deref())
    {
        Some(text) => {
            Keepalive::parse(text).ok_or_else(|| SettingsError::Keepalive(text.to_string()))?
        }
        None => Some(Keepalive::DEFAULT),
    };
    c.tcp_keepalive = keepalive.map(|k| k.to_socket2());
    if let Some(ms) = file.connect_timeout_ms {
        c.connect_timeout = Duration::from_millis(ms);
    }
    if let Some(ms) = file.held_max_age_ms {
        c.held_max_age = Duration::from_millis(ms);
    }
    c.users = users(flags, &file)?;
    c.acl = acl(&file)?;
    limits(&mut c, flags, &file);
    Ok(c)
}

/// The `[limits]`, `[admission]` and `[abuse]` keys and their flags.
fn limits(c: &mut BrokerConfig, o: &BrokerFlags, file: &FileSettings) {
    let l = &file.limits;
    let set = |slot: &mut usize, v: Option<usize>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    set(
        &mut c.frame_limits.max_frame_bytes,
        o.max_frame_bytes.or(l.max_frame_bytes),
    );
    set(&mut c.frame_limits.max_headers, l.max_headers);
    set(&mut c.frame_limits.max_header_line, l.max_header_line);
    set(&mut c.outbound_messages, l.outbound_messages);
    set(
        &mut c.outbound_bytes,
        o.max_outbound_bytes.or(l.outbound_bytes),
    );
    set(&mut c.queue_messages, l.queue_messages);
    set(&mut c.held_bytes, l.held_bytes);
    set(&mut c.inbox_bytes, l.inbox_bytes);
    set(&mut c.transaction_bytes, l.transaction_bytes);
    set(&mut c.prefetch, l.prefetch);
    set(&mut c.max_subscriptions, l.max_subscriptions);
    let a = &file.admission;
    let pick = |flag: Option<u32>, key: Option<u32>, default: u32| flag.or(key).unwrap_or(default);
    c.accept_rate = Rate {
        per_second: pick(o.accept_rate, a.accept_rate, c.accept_rate.per_second),
        burst: pick(o.accept_burst, a.accept_burst, c.accept_rate.burst),
    };
    c.connect_rate = Rate {
        per_second: pick(o.connect_rate, a.connect_rate, c.connect_rate.per_second),
        burst: pick(o.connect_burst, a.connect_burst, c.connect_rate.burst),
    };
    let b = &file.abuse;
    let defaults = ThrottleSettings::default();
    c.login_throttle = ThrottleSettings {
        max_failures: b.max_failed_logins.unwrap_or(defaults.max_failures),
        block_for: b
            .block_seconds
            .map_or(defaults.block_for, Duration::from_secs),
        ..defaults
    };
    c.caps = Caps {
        per_login: o
            .max_connections_per_login
            .or(b.max_connections_per_login)
            .unwrap_or(0),
        per_address: o
            .max_connections_per_address
            .or(b.max_connections_per_address)
            .unwrap_or(0),
    };
}

#[cfg(test)]
mod tests;
