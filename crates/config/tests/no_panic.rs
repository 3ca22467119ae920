//! Arbitrary input never panics the config parser, the facts loader or the
//! `MCOLLECTIVE_EXTRA_OPTS` reader.

use std::path::Path;

use marionette_config::{Config, client_config_path, extra_opts, parse_yaml_facts};
use proptest::prelude::*;

/// Text built from the characters that matter to the parsers.
fn config_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "[a-z_.]{0,12} ?= ?[ -~]{0,20}",
        "plugin\\.(activemq|rabbitmq|psk)\\.[a-z_.0-9]{0,20} = [ -~]{0,12}",
        "(ttl|libdir|identity|collectives|daemonize|default_batch_sleep_time) =[ -~]{0,12}",
        "[ #=\t\r]{0,6}",
        any::<String>(),
    ];
    prop::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn config_parser_never_panics(text in config_like(), bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        for body in [text.as_bytes(), &bytes[..]] {
            if let Ok(mut cfg) = Config::parse(Path::new("server.cfg"), body, "host") {
                let _ = cfg.connector_settings();
                let _ = cfg.psk_settings();
                let _ = cfg.agent_activated("rpcutil");
                cfg.apply_env(|k| Some(k.to_owned()));
                let _ = cfg.connector_settings();
            }
        }
    }

    #[test]
    fn facts_loader_never_panics(text in "[a-z0-9:\\-\\[\\]{}&*!|>'\" ,.#~\n]{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_yaml_facts(Path::new("facts.yaml"), text.as_bytes());
        let _ = parse_yaml_facts(Path::new("facts.yaml"), &bytes);
    }

    #[test]
    fn extra_opts_never_panic(text in "[-a-z =\"'\\\\]{0,40}") {
        let env = |k: &str| (k == "MCOLLECTIVE_EXTRA_OPTS").then(|| text.clone());
        let _ = extra_opts(env);
        let _ = client_config_path(None, env, |_| false);
    }
}
