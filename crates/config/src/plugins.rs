//! Reading `plugin.*` settings the way MCollective plugins do (`get_option`,
//! `get_bool_option`, `Integer(...)`, `Float(...)`, `to_i`), with errors that name the
//! key, value and origin; and the per-agent `activate_agent` switch.

use crate::config::{Config, Setting};
use crate::error::{ConfigError, Expected};
use crate::keepalive::Keepalive;
use crate::ruby;

impl Config {
    /// A `plugin.*` value by its key without the `plugin.` prefix (`"psk"`,
    /// `"activemq.pool.1.host"`).
    pub fn plugin(&self, key: &str) -> Option<&str> {
        self.plugins.get(key).map(|s| s.value.as_str())
    }

    /// Whether `agent` should be activated: `plugin.AGENT.activate_agent` if set, else
    /// `activate_agents` (`RPC::Agent.activate?`).
    pub fn agent_activated(&self, agent: &str) -> Result<bool, ConfigError> {
        self.plugin_bool(&format!("{agent}.activate_agent"), self.activate_agents)
    }

    /// Converts a present setting or reports it.
    fn convert<T>(
        key: &str,
        setting: &Setting,
        expected: Expected,
        convert: impl Fn(&str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        convert(&setting.value).ok_or_else(|| ConfigError::InvalidValue {
            key: format!("plugin.{key}"),
            value: setting.value.clone(),
            expected,
            at: setting.origin.clone(),
        })
    }

    /// `get_bool_option(key, default)`.
    pub fn plugin_bool(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.plugins.get(key) {
            Some(s) => Self::convert(key, s, Expected::Boolean, ruby::str_to_bool),
            None => Ok(default),
        }
    }

    /// `Integer(get_option(key))`: required.
    pub(crate) fn plugin_int_required(&self, key: &str) -> Result<i64, ConfigError> {
        match self.plugins.get(key) {
            Some(s) => Self::convert(key, s, Expected::Integer, ruby::integer),
            None => Err(ConfigError::MissingOption {
                key: key.to_owned(),
            }),
        }
    }

    /// `Integer(get_option(key, default))`.
    pub fn plugin_int(&self, key: &str, default: i64) -> Result<i64, ConfigError> {
        match self.plugins.get(key) {
            Some(s) => Self::convert(key, s, Expected::Integer, ruby::integer),
            None => Ok(default),
        }
    }

    /// `Integer(get_option(key))` when set, and no smaller than `min`.
    pub(crate) fn plugin_int_at_least(
        &self,
        key: &str,
        min: i64,
    ) -> Result<Option<i64>, ConfigError> {
        let at_least = |v: &str| ruby::integer(v).filter(|&n| n >= min);
        self.plugins
            .get(key)
            .map(|s| Self::convert(key, s, Expected::IntegerAtLeast(min), at_least))
            .transpose()
    }

    /// A [`Keepalive`] setting (`IDLE,INTERVAL,COUNT` or `off`), [`Keepalive::DEFAULT`]
    /// when absent.
    pub(crate) fn plugin_keepalive(&self, key: &str) -> Result<Option<Keepalive>, ConfigError> {
        match self.plugins.get(key) {
            Some(s) => Self::convert(key, s, Expected::Keepalive, Keepalive::parse),
            None => Ok(Some(Keepalive::DEFAULT)),
        }
    }

    /// `Float(get_option(key, default))`.
    pub fn plugin_float(&self, key: &str, default: f64) -> Result<f64, ConfigError> {
        match self.plugins.get(key) {
            Some(s) => Self::convert(key, s, Expected::Float, ruby::float),
            None => Ok(default),
        }
    }

    /// `get_option(key, default).to_i`.
    pub(crate) fn plugin_to_i(&self, key: &str, default: i64) -> i64 {
        self.plugin(key).map_or(default, ruby::to_i)
    }

    /// `get_option(key).to_i` for a port: 1 to 65535, else an error naming the key.
    pub(crate) fn plugin_port(&self, key: &str, default: u16) -> Result<u16, ConfigError> {
        let port = |v: &str| u16::try_from(ruby::to_i(v)).ok().filter(|&p| p != 0);
        match self.plugins.get(key) {
            Some(s) => Self::convert(key, s, Expected::Port, port),
            None => Ok(default),
        }
    }

    /// `get_option(key)`: required.
    pub(crate) fn plugin_required(&self, key: &str) -> Result<&str, ConfigError> {
        self.plugin(key).ok_or_else(|| ConfigError::MissingOption {
            key: key.to_owned(),
        })
    }
}
