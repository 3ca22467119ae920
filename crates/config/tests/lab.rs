//! The lab's configurations (server.cfg.in per node, client.cfg.in, the variant options),
//! rendered as lab.sh renders them, loaded and checked setting by setting.

mod common;

use std::path::{Path, PathBuf};

use common::{scratch, write};
use marionette_config::{CallerType, Config, Dialect, LimitMethod, Origin, PoolHost};

/// The text of a file of `tests/data/`.
fn data_text(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    std::fs::read_to_string(path).unwrap()
}

const RUN_DIR: &str = "/srv/mcollective-lab";

/// `server.cfg.in` for `identity` with the node's `extra.cfg` as `@EXTRA@`.
fn render_server(identity: &str, extra: &str) -> String {
    data_text("server.cfg.in")
        .replace("@IDENTITY@", identity)
        .replace("@RUN_DIR@", RUN_DIR)
        .replace("@EXTRA@", extra)
}

/// What `lab.sh start-variant` writes: the template without the keys options.cfg
/// replaces, then `identity = ID` and options.cfg.
fn render_variant(template: &str, identity: &str) -> String {
    let replaced = [
        "main_collective",
        "collectives",
        "plugin.activemq.pool.1.user",
        "plugin.activemq.pool.1.password",
        "identity",
        "@EXTRA@",
    ];
    let mut out: String = data_text(template)
        .lines()
        .filter(|line| !replaced.iter().any(|k| line.starts_with(k)))
        .map(|line| {
            let line = line.replace("@IDENTITY@", identity);
            format!("{}\n", line.replace("@RUN_DIR@", RUN_DIR))
        })
        .collect();
    out.push_str(&format!("identity = {identity}\n"));
    out.push_str(&data_text("variant/options.cfg"));
    out
}

fn load(dir: &Path, name: &str, text: &str) -> Config {
    let path = write(dir, name, text);
    Config::load_with_hostname(path, "unused-host").unwrap()
}

fn at(path: &Path, line: usize) -> Origin {
    Origin::File {
        path: path.to_path_buf(),
        line,
    }
}

#[test]
fn node2_server_cfg() {
    let dir = scratch("lab-node2");
    let cfg = load(
        &dir,
        "server.cfg",
        &render_server("node2", &data_text("nodes/node2/extra.cfg")),
    );
    assert_eq!(cfg.identity, "node2");
    assert_eq!(cfg.main_collective, "mcollective");
    assert_eq!(cfg.collectives, ["mcollective"]);
    assert_eq!(cfg.libdir, [PathBuf::from(format!("{RUN_DIR}/plugins"))]);
    assert_eq!(
        cfg.logfile,
        Some(PathBuf::from(format!("{RUN_DIR}/logs/node2.log")))
    );
    assert_eq!(cfg.loglevel, "debug");
    assert!(!cfg.daemonize);
    assert_eq!(cfg.securityprovider, "psk");
    assert_eq!(cfg.connector, "activemq");
    assert_eq!(cfg.factsource, "yaml");
    assert_eq!(
        cfg.plugin("yaml"),
        Some(format!("{RUN_DIR}/nodes/node2/facts.yaml").as_str())
    );
    assert_eq!(
        cfg.classesfile,
        PathBuf::from(format!("{RUN_DIR}/nodes/node2/classes.txt"))
    );
    assert_eq!(cfg.registerinterval, 0);
    // Line 13 of the rendered file.
    assert_eq!(cfg.plugins["psk"].origin, at(&dir.join("server.cfg"), 13));

    let psk = cfg.psk_settings();
    assert_eq!(psk.psk.as_deref(), Some("some-secret"));
    assert_eq!(psk.callertype, CallerType::Uid);

    let conn = cfg.connector_settings().unwrap();
    assert_eq!(conn.dialect, Dialect::ActiveMq);
    assert_eq!(
        conn.pool,
        [PoolHost {
            host: "127.0.0.1".into(),
            port: 61613,
            user: "mcollective".into(),
            password: "marionette".into(),
            ssl: None,
        }]
    );
    assert_eq!(conn.heartbeat_interval, 0);
    assert_eq!(conn.accept_version(), "1.0");
    assert_eq!(conn.heart_beat_ms(), None);
    assert_eq!(conn.vhost, "mcollective");
    assert!(!conn.base64);
    assert!(!conn.agents_multiplex);
}

#[test]
fn node1_heartbeat() {
    let dir = scratch("lab-node1");
    let cfg = load(
        &dir,
        "server.cfg",
        &render_server("node1", &data_text("nodes/node1/extra.cfg")),
    );
    assert_eq!(cfg.identity, "node1");
    let conn = cfg.connector_settings().unwrap();
    assert_eq!(conn.heartbeat_interval, 30);
    assert!(conn.stomp_1_0_fallback);
    assert_eq!(conn.accept_version(), "1.1,1.0");
    // PROTOCOL.md §3.2: heart-beat:30500,29500.
    assert_eq!(conn.heart_beat_ms(), Some((30_500, 29_500)));
}

#[test]
fn node3_registration() {
    let dir = scratch("lab-node3");
    let cfg = load(
        &dir,
        "server.cfg",
        &render_server("node3", &data_text("nodes/node3/extra.cfg")),
    );
    assert_eq!(cfg.identity, "node3");
    assert_eq!(cfg.registerinterval, 60);
    assert_eq!(cfg.registration, "agentlist");
    assert_eq!(cfg.registration_collective, None);
    assert!(!cfg.registration_splay);
    assert_eq!(cfg.connector_settings().unwrap().heartbeat_interval, 0);
}

#[test]
fn client_cfg() {
    let dir = scratch("lab-client");
    let text = data_text("client.cfg.in").replace("@RUN_DIR@", RUN_DIR);
    let cfg = load(&dir, "client.cfg", &text);
    assert_eq!(cfg.identity, "mcoclient");
    assert_eq!(cfg.logger_type, "file");
    assert!(!cfg.color);
    assert_eq!(cfg.rpclimitmethod, LimitMethod::First);
    assert_eq!(
        cfg.plugin("yaml"),
        Some(format!("{RUN_DIR}/client-facts.yaml").as_str())
    );
    let pool = cfg.connector_settings().unwrap().pool;
    assert_eq!(
        (pool[0].user.as_str(), pool[0].password.as_str()),
        ("admin", "secret")
    );
}

#[test]
fn variant_server_and_client() {
    let dir = scratch("lab-variant");
    for (template, identity) in [("server.cfg.in", "nodev"), ("client.cfg.in", "mcoclientv")] {
        let cfg = load(&dir, "variant.cfg", &render_variant(template, identity));
        assert_eq!(cfg.identity, identity);
        assert_eq!(cfg.main_collective, "altco");
        assert_eq!(cfg.collectives, ["altco"]);
        assert_eq!(cfg.psk_settings().callertype, CallerType::Identity);
        let conn = cfg.connector_settings().unwrap();
        assert_eq!(conn.pool.len(), 1);
        assert_eq!(conn.pool[0].user, "admin");
        assert_eq!(conn.pool[0].password, "secret");
        assert!(conn.base64);
        assert_eq!(conn.priority, 7);
        assert!(conn.agents_multiplex);
        assert_eq!(conn.heartbeat_interval, 30);
        assert!(!conn.stomp_1_0_fallback);
        assert_eq!(conn.accept_version(), "1.1");
        assert_eq!(conn.vhost, "labvhost");
    }
}

#[test]
fn variant_options_appended_override_earlier_lines() {
    // Appending options.cfg to an unfiltered server.cfg gives the same settings:
    // repeated keys keep their last value.
    let dir = scratch("lab-variant-appended");
    let text = render_server("node1", "") + &data_text("variant/options.cfg");
    let cfg = load(&dir, "server.cfg", &text);
    assert_eq!(cfg.main_collective, "altco");
    assert_eq!(cfg.collectives, ["altco"]);
    let conn = cfg.connector_settings().unwrap();
    assert_eq!(conn.pool[0].user, "admin");
    assert_eq!(conn.priority, 7);
}

#[test]
fn env_overrides_on_the_lab_server() {
    let dir = scratch("lab-env");
    let mut cfg = load(&dir, "server.cfg", &render_server("node2", ""));
    cfg.apply_env(|name| match name {
        "MCOLLECTIVE_PSK" => Some("wrong-secret".into()),
        "STOMP_USER" => Some("envuser".into()),
        "STOMP_PASSWORD" => Some(String::new()),
        "MCOLLECTIVE_ACTIVEMQ_POOL1_SSL_KEY" => Some("/k.pem".into()),
        _ => None,
    });
    assert_eq!(cfg.psk_settings().psk.as_deref(), Some("wrong-secret"));
    assert_eq!(
        cfg.plugins["psk"].origin,
        Origin::Env("MCOLLECTIVE_PSK".into())
    );
    let host = &cfg.connector_settings().unwrap().pool[0];
    assert_eq!(host.user, "envuser");
    // Set but empty still overrides, as `ENV.include?` does.
    assert_eq!(host.password, "");
    // The key only matters once pool.1.ssl is on.
    assert_eq!(host.ssl, None);
    assert_eq!(cfg.plugin("activemq.pool.1.ssl.key"), Some("/k.pem"));
}
