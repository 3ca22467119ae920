//! The broker's TOML settings file: every key, with serde's `deny_unknown_fields` so a
//! typo is an error that names the key.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The whole file.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// Plain STOMP address, or `"off"`.
    pub listen: Option<String>,
    pub admin: Option<String>,
    #[serde(default)]
    pub anonymous: bool,
    pub heartbeat: Option<String>,
    pub heartbeat_grace: Option<f64>,
    pub tcp_keepalive: Option<String>,
    pub connect_timeout_ms: Option<u64>,
    /// Held messages without `expires` are dropped after this long.
    pub held_max_age_ms: Option<u64>,
    pub tls: Option<FileTls>,
    #[serde(default)]
    pub user: Vec<FileUser>,
    #[serde(default)]
    pub certificate: Vec<FileCertRule>,
    /// When present, replaces the default (MCollective) ACL.
    pub acl: Option<Vec<FileAclRule>>,
    #[serde(default)]
    pub limits: FileLimits,
    #[serde(default)]
    pub admission: FileAdmission,
    #[serde(default)]
    pub abuse: FileAbuse,
    #[serde(default)]
    pub admin_auth: FileAdminAuth,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct FileTls {
    pub listen: Option<SocketAddr>,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: Option<PathBuf>,
    #[serde(default)]
    pub verify_clients: bool,
}

/// A login. Exactly one of the password keys.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct FileUser {
    pub login: String,
    /// An argon2 PHC string (`mco broker hash-password` makes one).
    pub password_hash: Option<String>,
    /// A file whose first line is the password (or an argon2 hash).
    pub password_file: Option<PathBuf>,
    /// An environment variable holding the password.
    pub password_env: Option<String>,
    /// The password in clear: discouraged (the file then holds a secret).
    pub passcode: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub identities: Vec<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct FileCertRule {
    pub name: String,
    pub groups: Vec<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct FileAclRule {
    pub destination: String,
    #[serde(default)]
    pub read: Vec<String>,
    #[serde(default)]
    pub write: Vec<String>,
    #[serde(default)]
    pub admin: Vec<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileLimits {
    pub max_frame_bytes: Option<usize>,
    pub max_headers: Option<usize>,
    pub max_header_line: Option<usize>,
    pub outbound_messages: Option<usize>,
    pub outbound_bytes: Option<usize>,
    pub queue_messages: Option<usize>,
    pub held_bytes: Option<usize>,
    pub inbox_bytes: Option<usize>,
    pub transaction_bytes: Option<usize>,
    pub prefetch: Option<usize>,
    pub max_subscriptions: Option<usize>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileAdmission {
    pub accept_rate: Option<u32>,
    pub accept_burst: Option<u32>,
    pub connect_rate: Option<u32>,
    pub connect_burst: Option<u32>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileAbuse {
    pub max_failed_logins: Option<u32>,
    pub block_seconds: Option<u64>,
    pub max_connections_per_login: Option<usize>,
    pub max_connections_per_address: Option<usize>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileAdminAuth {
    pub token_file: Option<PathBuf>,
    pub token_env: Option<String>,
}
