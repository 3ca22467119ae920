//! The embedded default: the settings `mco up` runs its broker and daemon with, and that
//! `mco` falls back to when no client configuration exists, so a single machine works
//! with no file at all. They are MCollective's stock lab values on loopback (logins
//! `mcollective`/`marionette` for nodes and `admin`/`secret` for clients); anything
//! beyond one machine needs real configuration files.

use crate::config::Config;
use crate::error::ConfigError;
use std::path::Path;

/// The broker port of the embedded default.
pub const LOCALHOST_PORT: u16 = 61613;
/// The pre-shared key of the embedded default.
pub const LOCALHOST_PSK: &str = "marionette-localhost";
/// The node login of the embedded default.
pub const LOCALHOST_NODE_LOGIN: (&str, &str) = ("mcollective", "marionette");
/// The client login of the embedded default.
pub const LOCALHOST_CLIENT_LOGIN: (&str, &str) = ("admin", "secret");

/// Which side of the embedded default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A node daemon.
    Server,
    /// The `mco` client.
    Client,
}

/// The embedded default configuration for `role`, as if read from a file named
/// `<embedded localhost default>`.
pub fn localhost(role: Role) -> Result<Config, ConfigError> {
    Config::parse(
        Path::new("<embedded localhost default>"),
        localhost_text(role).as_bytes(),
        &crate::hostname::hostname(),
    )
}

/// The embedded default for `role` as the text of a configuration file.
pub fn localhost_text(role: Role) -> String {
    let (user, password) = match role {
        Role::Server => LOCALHOST_NODE_LOGIN,
        Role::Client => LOCALHOST_CLIENT_LOGIN,
    };
    format!(
        "main_collective = mcollective\n\
         collectives = mcollective\n\
         securityprovider = psk\n\
         plugin.psk = {LOCALHOST_PSK}\n\
         connector = activemq\n\
         plugin.activemq.pool.size = 1\n\
         plugin.activemq.pool.1.host = 127.0.0.1\n\
         plugin.activemq.pool.1.port = {LOCALHOST_PORT}\n\
         plugin.activemq.pool.1.user = {user}\n\
         plugin.activemq.pool.1.password = {password}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_roles_meet_on_loopback() {
        let server = localhost(Role::Server).unwrap();
        let client = localhost(Role::Client).unwrap();
        for c in [&server, &client] {
            let s = c.connector_settings().unwrap();
            assert_eq!(
                (s.pool[0].host.as_str(), s.pool[0].port),
                ("127.0.0.1", LOCALHOST_PORT)
            );
            assert_eq!(c.psk_settings().psk.as_deref(), Some(LOCALHOST_PSK));
        }
        assert_eq!(
            server.connector_settings().unwrap().pool[0].user,
            "mcollective"
        );
        assert_eq!(client.connector_settings().unwrap().pool[0].user, "admin");
    }
}
