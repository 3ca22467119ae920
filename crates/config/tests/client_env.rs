//! The client's environment: which config file `mco` loads (command line,
//! `MCOLLECTIVE_EXTRA_OPTS`, standard locations) and the words of
//! `MCOLLECTIVE_EXTRA_OPTS`; plus the connector and PSK overrides of `apply_env`.

use std::path::{Path, PathBuf};

use marionette_config::{Config, Origin, client_config_path, extra_opts};

fn env_with(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

#[test]
fn config_file_from_extra_opts() {
    // Expected values from MCollective 2.12's filter_extra_options and Ruby's
    // OptionParser.
    let cases = [
        ("--dt 3 -c /tmp/x.cfg", Some("/tmp/x.cfg")),
        ("--config=/a", Some("/a")),
        ("--conf=/a", None),
        ("-c=/a", Some("=/a")),
        ("--c=/a", Some("/a")),
        ("-c", Some("")),
        ("-c '/a b'", Some("/a")),
        ("-c 'oops", None),
        ("x-c=/a -c /b", None),
        ("--verbose --config /v", Some("/v")),
    ];
    for (opts, want) in cases {
        let env = env_with(&[("MCOLLECTIVE_EXTRA_OPTS", opts), ("HOME", "/home/u")]);
        let got = client_config_path(None, &env, |_| false);
        assert_eq!(got, want.map(PathBuf::from), "{opts:?}");
    }
}

#[test]
fn command_line_wins_then_standard_locations() {
    let env = env_with(&[("MCOLLECTIVE_EXTRA_OPTS", "-c /env.cfg"), ("HOME", "/h")]);
    assert_eq!(
        client_config_path(Some("/cli.cfg"), &env, |_| true).as_deref(),
        Some(Path::new("/cli.cfg"))
    );
    let home = env_with(&[("HOME", "/h")]);
    assert_eq!(
        client_config_path(None, &home, |_| true).as_deref(),
        Some(Path::new("/h/.mcollective"))
    );
    assert_eq!(
        client_config_path(None, &home, |p| p
            == Path::new("/etc/mcollective/client.cfg"))
        .as_deref(),
        Some(Path::new("/etc/mcollective/client.cfg"))
    );
    assert_eq!(
        client_config_path(None, &home, |p| p.starts_with("/etc/puppetlabs")).as_deref(),
        Some(Path::new("/etc/puppetlabs/mcollective/client.cfg"))
    );
    assert_eq!(
        client_config_path(None, &home, |_| false),
        None,
        "none readable: the embedded default applies"
    );
    assert_eq!(client_config_path(None, env_with(&[]), |_| false), None);
}

#[test]
fn extra_opts_words() {
    let env = env_with(&[("MCOLLECTIVE_EXTRA_OPTS", "--dt 3 -T 'alt co' --nr")]);
    assert_eq!(
        extra_opts(env).unwrap(),
        ["--dt", "3", "-T", "alt co", "--nr"]
    );
    assert!(extra_opts(env_with(&[])).unwrap().is_empty());
    assert!(extra_opts(env_with(&[("MCOLLECTIVE_EXTRA_OPTS", "\"open")])).is_err());
}

#[test]
fn apply_env_overrides_every_pool_member() {
    let text = "connector = rabbitmq\nplugin.rabbitmq.pool.size = 3\n\
                plugin.rabbitmq.pool.1.host = a\nplugin.rabbitmq.pool.1.user = file-user\n\
                plugin.rabbitmq.pool.2.host = b\nplugin.rabbitmq.pool.2.ssl = 1\n\
                plugin.rabbitmq.pool.3.host = c\nplugin.psk = file-psk\n";
    let mut cfg = Config::parse(Path::new("client.cfg"), text.as_bytes(), "h").unwrap();
    cfg.apply_env(env_with(&[
        ("STOMP_USER", "u"),
        ("STOMP_PASSWORD", "p"),
        ("MCOLLECTIVE_RABBITMQ_POOL2_SSL_KEY", "/key.pem"),
        ("MCOLLECTIVE_RABBITMQ_POOL2_SSL_CERT", "/cert.pem"),
        ("MCOLLECTIVE_ACTIVEMQ_POOL1_SSL_KEY", "/not-used.pem"),
    ]));
    let conn = cfg.connector_settings().unwrap();
    for host in &conn.pool {
        assert_eq!((host.user.as_str(), host.password.as_str()), ("u", "p"));
    }
    let ssl = conn.pool[1].ssl.as_ref().unwrap();
    assert_eq!(ssl.key.as_deref(), Some("/key.pem"));
    assert_eq!(ssl.cert.as_deref(), Some("/cert.pem"));
    assert_eq!(cfg.plugin("rabbitmq.pool.1.ssl.key"), None);
    assert_eq!(cfg.plugin("activemq.pool.1.ssl.key"), None);
    assert_eq!(
        cfg.plugins["rabbitmq.pool.3.user"].origin,
        Origin::Env("STOMP_USER".into())
    );
    // No MCOLLECTIVE_PSK: the file's key stays.
    assert_eq!(cfg.psk_settings().psk.as_deref(), Some("file-psk"));
}

#[test]
fn apply_env_without_a_usable_pool_only_sets_the_psk() {
    let mut cfg =
        Config::parse(Path::new("c.cfg"), b"plugin.activemq.pool.size = x\n", "h").unwrap();
    cfg.apply_env(env_with(&[("MCOLLECTIVE_PSK", "k"), ("STOMP_USER", "u")]));
    assert_eq!(cfg.psk_settings().psk.as_deref(), Some("k"));
    assert_eq!(cfg.plugins.len(), 2);
}
