//! Environment overrides MCollective 2.12 honours for settings that live in the config:
//! `MCOLLECTIVE_PSK` (psk plugin, daemon and client), `STOMP_USER`/`STOMP_PASSWORD`
//! (every pool member's user and password) and `MCOLLECTIVE_<CONNECTOR>_POOLn_SSL_KEY` /
//! `_SSL_CERT` (pool member n's TLS key and certificate). Set-but-empty variables
//! override too, as in Ruby.

use crate::config::{Config, Setting};
use crate::connector::dialect_of;
use crate::error::Origin;

impl Config {
    /// Applies the environment overrides, reading variables through `env` (use
    /// `|k| std::env::var(k).ok()` for the process environment). Overridden values
    /// become `plugins` entries whose origin names the variable.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        self.override_from(&env, "psk".to_owned(), "MCOLLECTIVE_PSK".to_owned());
        let Ok(dialect) = dialect_of(&self.connector) else {
            return;
        };
        let p = dialect.name();
        let size = self.plugin_int(&format!("{p}.pool.size"), 0).unwrap_or(0);
        // Members stop at the first one without a host (the connector fails there).
        let members: Vec<i64> = (1..=size)
            .take_while(|n| self.plugins.contains_key(&format!("{p}.pool.{n}.host")))
            .collect();
        let upper = p.to_ascii_uppercase();
        for n in members {
            let key = |k: &str| format!("{p}.pool.{n}.{k}");
            self.override_from(&env, key("user"), "STOMP_USER".to_owned());
            self.override_from(&env, key("password"), "STOMP_PASSWORD".to_owned());
            let var = |what: &str| format!("MCOLLECTIVE_{upper}_POOL{n}_SSL_{what}");
            self.override_from(&env, key("ssl.key"), var("KEY"));
            self.override_from(&env, key("ssl.cert"), var("CERT"));
        }
    }

    /// Sets plugin `key` from variable `var` when it is set.
    fn override_from(&mut self, env: &impl Fn(&str) -> Option<String>, key: String, var: String) {
        if let Some(value) = env(&var) {
            let origin = Origin::Env(var);
            self.plugins.insert(key, Setting { value, origin });
        }
    }
}
