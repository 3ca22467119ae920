//! `rpcutil get_config_item`: the value of a configuration attribute by name, as Ruby's
//! `Config.instance.send(item)` gives it.

use marionette_config::Config;
use marionette_wire::Value;

fn path(p: &std::path::Path) -> Value {
    Value::str(p.display().to_string())
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| Value::str(s.as_str())).collect())
}

fn opt_int(v: Option<i64>) -> Value {
    v.map_or(Value::Nil, Value::Int)
}

/// The attribute `item`, or `None` when MCollective's Config has no such attribute.
pub fn config_item(c: &Config, item: &str) -> Option<Value> {
    Some(match item {
        "identity" => Value::str(c.identity.as_str()),
        "collectives" => strings(&c.collectives),
        "main_collective" => Value::str(c.main_collective.as_str()),
        "libdir" => Value::Array(c.libdir.iter().map(|p| path(p)).collect()),
        "logfile" => c.logfile.as_deref().map_or(Value::Nil, path),
        "loglevel" => Value::str(c.loglevel.as_str()),
        "logger_type" => Value::str(c.logger_type.as_str()),
        "logfacility" => Value::str(c.logfacility.as_str()),
        "keeplogs" => Value::Int(c.keeplogs),
        "max_log_size" => Value::Int(c.max_log_size),
        "daemonize" => Value::Bool(c.daemonize),
        "securityprovider" => Value::str(capitalize(&c.securityprovider)),
        "connector" => Value::str(capitalize(&c.connector)),
        "factsource" => Value::str(capitalize(&c.factsource)),
        "classesfile" => path(&c.classesfile),
        "registration" => Value::str(capitalize(&c.registration)),
        "registerinterval" => Value::Int(c.registerinterval),
        "registration_collective" => c
            .registration_collective
            .as_deref()
            .map_or(Value::Nil, Value::str),
        "registration_splay" => Value::Bool(c.registration_splay),
        "direct_addressing" => Value::Bool(c.direct_addressing),
        "direct_addressing_threshold" => Value::Int(c.direct_addressing_threshold),
        "ttl" => Value::Int(c.ttl),
        "default_discovery_method" => Value::str(c.default_discovery_method.as_str()),
        "default_discovery_options" => strings(&c.default_discovery_options),
        "discovery_timeout" => opt_int(c.discovery_timeout),
        "publish_timeout" => Value::Int(c.publish_timeout),
        "connection_timeout" => opt_int(c.connection_timeout),
        "threaded" => Value::Bool(c.threaded),
        "color" => Value::Bool(c.color),
        "rpcaudit" => Value::Bool(c.rpcaudit),
        "rpcauditprovider" => Value::str(capitalize(&c.rpcauditprovider)),
        "rpcauthorization" => Value::Bool(c.rpcauthorization),
        "rpcauthprovider" => Value::str(capitalize(&c.rpcauthprovider)),
        "fact_cache_time" => Value::Int(c.fact_cache_time),
        "ssl_cipher" => Value::str(c.ssl_cipher.as_str()),
        "soft_shutdown" => Value::Bool(c.soft_shutdown),
        "soft_shutdown_timeout" => opt_int(c.soft_shutdown_timeout),
        "activate_agents" => Value::Bool(c.activate_agents),
        "default_batch_size" => Value::Int(c.default_batch_size),
        "default_batch_sleep_time" => Value::Float(c.default_batch_sleep_time),
        "configfile" => path(&c.path),
        "configdir" => path(&c.configdir),
        _ => return None,
    })
}

/// Ruby's `String#capitalize`, which MCollective applies to plugin names.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_items() {
        let c = Config::defaults(std::path::Path::new("/etc/mcollective/server.cfg"), "host1");
        assert_eq!(config_item(&c, "identity"), Some(Value::str("host1")));
        assert_eq!(config_item(&c, "ttl"), Some(Value::Int(60)));
        assert_eq!(config_item(&c, "securityprovider"), Some(Value::str("Psk")));
        assert_eq!(config_item(&c, "no_such_item"), None);
    }
}
