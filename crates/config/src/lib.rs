//! MCollective 2.12 configuration, read the way `mcollectived` and `mco` read it.
//!
//! # Layout
//! - [`config`]: [`Config`], every top-level key with MCollective's defaults, and
//!   [`Config::load`] (file, then `plugin.d/`, then the identity check).
//! - `syntax`: the `key = value` line rules; `plugin_dir`: `plugin.d/*.cfg`; `read`:
//!   bounded whole-file reads;
//!   `ruby`: Ruby's `Integer()`, `Float()`, `to_i` and `Util.str_to_bool`.
//! - [`plugins`]: typed reads of `plugin.*` settings and `activate_agent`.
//! - [`connector`]: [`ConnectorSettings`] for the `activemq` and `rabbitmq` connectors;
//!   [`keepalive`]: [`Keepalive`], their TCP keepalive (and the broker's).
//! - [`security`]: [`PskSettings`] for the `psk` security plugin.
//! - [`mod@env`]: [`Config::apply_env`], the environment overrides of those settings.
//! - [`client_path`]: which file `mco` loads, and `MCOLLECTIVE_EXTRA_OPTS`.
//! - [`localhost`]: the embedded default of `mco up` and of `mco` without a config file.
//! - [`facts`]: the `yaml` fact source; [`classes`]: the classes file.
//! - [`error`]: [`ConfigError`] and [`Origin`].

pub mod classes;
pub mod client_path;
pub mod config;
pub mod connector;
pub mod env;
pub mod error;
pub mod facts;
mod hostname;
pub use marionette_net::keepalive;
pub mod localhost;
mod plugin_dir;
pub mod plugins;
mod read;
mod ruby;
mod secrets;
pub mod security;
mod shellwords;
mod syntax;

pub use classes::{load_classes, parse_classes};
pub use client_path::{client_config_path, extra_opts};
pub use config::{Config, LimitMethod, MAX_CONFIG_BYTES, Setting};
pub use connector::{ConnectorSettings, Dialect, PoolHost, PoolSsl, dialect_of};
pub use error::{ConfigError, Expected, Origin};
pub use facts::{FactValue, Facts, FactsError, fact_files, load_yaml_facts, parse_yaml_facts};
pub use keepalive::Keepalive;
pub use security::{CallerType, PskSettings};
pub use shellwords::{UnmatchedQuote, shellwords};
