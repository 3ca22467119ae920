//! Feeds arbitrary bytes to the MCollective config parser (as a server.cfg body) and to
//! the YAML facts loader. Either may fail but must never panic; a config that parses
//! must also yield its connector and PSK settings, or a typed error, without panicking.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use marionette_config::{Config, parse_yaml_facts};

fuzz_target!(|data: &[u8]| {
    if let Ok(mut config) = Config::parse(Path::new("server.cfg"), data, "fuzzhost") {
        let _ = config.connector_settings();
        let _ = config.psk_settings();
        config.apply_env(|name| Some(name.to_owned()));
        let _ = config.connector_settings();
    }
    let _ = parse_yaml_facts(Path::new("facts.yaml"), data);
});
