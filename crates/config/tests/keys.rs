//! Top-level keys: MCollective's defaults one by one, every key's conversion, repeated
//! keys, plugin.d/, connector and PSK defaults, and every error kind.

mod common;

use std::path::{Path, PathBuf};

use common::{scratch, write};
use marionette_config::{
    CallerType, Config, ConfigError, Dialect, Expected, Keepalive, LimitMethod, Origin, PoolSsl,
};

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("server.cfg"), text.as_bytes(), "myhost")
}

fn at(line: usize) -> Origin {
    Origin::File {
        path: PathBuf::from("server.cfg"),
        line,
    }
}

const POOL: &str = "plugin.activemq.pool.size = 1\nplugin.activemq.pool.1.host = broker\n";

#[test]
fn defaults_are_mcollectives() {
    // config.rb set_config_defaults, on a non-Windows host.
    let cfg = parse("").unwrap();
    assert_eq!(cfg.path, PathBuf::from("server.cfg"));
    assert_eq!(cfg.configdir, PathBuf::from("."));
    assert_eq!(cfg.identity, "myhost");
    assert_eq!(cfg.collectives, ["mcollective"]);
    assert_eq!(cfg.main_collective, "mcollective");
    assert!(cfg.libdir.is_empty());
    assert_eq!(cfg.logfile, None);
    assert_eq!(cfg.loglevel, "info");
    assert_eq!(cfg.logger_type, "file");
    assert_eq!(cfg.logfacility, "user");
    assert_eq!(cfg.keeplogs, 5);
    assert_eq!(cfg.max_log_size, 2_097_152);
    assert!(!cfg.daemonize);
    assert_eq!(cfg.securityprovider, "psk");
    assert_eq!(cfg.connector, "activemq");
    assert_eq!(cfg.factsource, "yaml");
    assert_eq!(
        cfg.classesfile,
        PathBuf::from("/var/lib/puppet/state/classes.txt")
    );
    assert_eq!(cfg.registration, "agentlist");
    assert_eq!(cfg.registerinterval, 0);
    assert_eq!(cfg.registration_collective, None);
    assert!(!cfg.registration_splay);
    assert!(cfg.direct_addressing);
    assert_eq!(cfg.direct_addressing_threshold, 10);
    assert_eq!(cfg.ttl, 60);
    assert_eq!(cfg.rpclimitmethod, LimitMethod::First);
    assert_eq!(cfg.default_discovery_method, "mc");
    assert!(cfg.default_discovery_options.is_empty());
    assert_eq!(cfg.discovery_timeout, None);
    assert_eq!(cfg.publish_timeout, 2);
    assert_eq!(cfg.connection_timeout, None);
    assert!(!cfg.threaded);
    assert!(cfg.color);
    assert!(!cfg.rpcaudit);
    assert_eq!(cfg.rpcauditprovider, "");
    assert!(!cfg.rpcauthorization);
    assert_eq!(cfg.rpcauthprovider, "");
    assert_eq!(cfg.fact_cache_time, 300);
    assert_eq!(cfg.ssl_cipher, "aes-256-cbc");
    assert!(!cfg.soft_shutdown);
    assert_eq!(cfg.soft_shutdown_timeout, None);
    assert!(cfg.activate_agents);
    assert_eq!(cfg.default_batch_size, 0);
    assert_eq!(cfg.default_batch_sleep_time, 1.0);
    assert!(cfg.plugins.is_empty());
    assert!(cfg.deprecated.is_empty());

    let psk = cfg.psk_settings();
    assert_eq!(psk.psk, None);
    assert_eq!(psk.callertype, CallerType::Uid);
    assert!(cfg.agent_activated("rpcutil").unwrap());
}

#[test]
fn connector_defaults_are_the_plugins() {
    // connector/activemq.rb get_option / get_bool_option defaults.
    let conn = parse(POOL).unwrap().connector_settings().unwrap();
    assert_eq!(conn.dialect, Dialect::ActiveMq);
    let host = &conn.pool[0];
    assert_eq!(host.host, "broker");
    assert_eq!(host.port, 61613);
    assert_eq!(host.user, "");
    assert_eq!(host.password, "");
    assert_eq!(host.ssl, None);
    assert!(!conn.prompt_user);
    assert!(!conn.prompt_password);
    assert!(!conn.base64);
    assert_eq!(conn.priority, 0);
    assert_eq!(conn.heartbeat_interval, 0);
    assert_eq!(conn.heartbeat_interval_ms, None);
    assert_eq!(conn.tcp_keepalive, Some(Keepalive::DEFAULT));
    assert!(conn.stomp_1_0_fallback);
    assert_eq!(conn.max_hbread_fails, 2);
    assert_eq!(conn.max_hbrlck_fails, 0);
    assert!(conn.use_exponential_back_off);
    assert_eq!(conn.initial_reconnect_delay, 0.01);
    assert_eq!(conn.back_off_multiplier, 2);
    assert_eq!(conn.max_reconnect_delay, 30.0);
    assert_eq!(conn.max_reconnect_attempts, 0);
    assert!(!conn.randomize);
    assert!(!conn.backup);
    assert_eq!(conn.timeout, -1);
    assert_eq!(conn.connect_timeout, 30);
    assert!(!conn.agents_multiplex);
    assert_eq!(conn.vhost, "mcollective");
    assert!(!conn.use_reply_exchange);

    // connector/rabbitmq.rb: vhost "/", use_reply_exchange read, no priority.
    let text = "connector = RabbitMQ\nplugin.rabbitmq.pool.size = 1\n\
                plugin.rabbitmq.pool.1.host = rmq\nplugin.rabbitmq.priority = 9\n\
                plugin.rabbitmq.use_reply_exchange = yes\n";
    let conn = parse(text).unwrap().connector_settings().unwrap();
    assert_eq!(conn.dialect, Dialect::RabbitMq);
    assert_eq!(conn.vhost, "/");
    assert_eq!(conn.priority, 0);
    assert!(conn.use_reply_exchange);
    assert_eq!(conn.pool[0].host, "rmq");
}

#[test]
fn every_key_is_typed() {
    let text = "\
identity = web-01.example_com
collectives = mcollective, eu ,,us
main_collective = eu
libdir = /a:/b
libdir = /c
logfile = /var/log/m.log
loglevel = warn
logger_type = syslog
logfacility = daemon
keeplogs = 0x10
max_log_size = 1_000
daemonize = YES
securityprovider = SSL
connector = ActiveMQ
factsource = Facter
classesfile = /tmp/classes.txt
registration = Meta
registerinterval = 010
registration_collective = reg
registration_splay = t
direct_addressing = n
direct_addressing_threshold = -1
ttl = 5
rpclimitmethod = random
default_discovery_method = flatfile
default_discovery_options = a=1
default_discovery_options = b
discovery_timeout = 4
publish_timeout = 3
connection_timeout = 7
threaded = true
color = false
rpcaudit = 1
rpcauditprovider = logfile
rpcauthorization = 1
rpcauthprovider = action_policy
fact_cache_time = 0
ssl_cipher = aes-128-cbc
soft_shutdown = true
soft_shutdown_timeout = 9
activate_agents = false
default_batch_size = 2
default_batch_sleep_time = .5
topicprefix = /topic/
plugin.rpcutil.activate_agent = true
";
    let cfg = parse(text).unwrap();
    assert_eq!(cfg.identity, "web-01.example_com");
    assert_eq!(cfg.collectives, ["mcollective", "eu", "", "us"]);
    assert_eq!(cfg.main_collective, "eu");
    assert_eq!(
        cfg.libdir,
        [Path::new("/a"), Path::new("/b"), Path::new("/c")]
    );
    assert_eq!(cfg.logfile, Some(PathBuf::from("/var/log/m.log")));
    assert_eq!(cfg.loglevel, "warn");
    assert_eq!(cfg.logger_type, "syslog");
    assert_eq!(cfg.logfacility, "daemon");
    assert_eq!(cfg.keeplogs, 16);
    assert_eq!(cfg.max_log_size, 1000);
    assert!(cfg.daemonize);
    assert_eq!(cfg.securityprovider, "ssl");
    assert_eq!(cfg.connector, "activemq");
    assert_eq!(cfg.factsource, "facter");
    assert_eq!(cfg.classesfile, PathBuf::from("/tmp/classes.txt"));
    assert_eq!(cfg.registration, "meta");
    assert_eq!(cfg.registerinterval, 8);
    assert_eq!(cfg.registration_collective.as_deref(), Some("reg"));
    assert!(cfg.registration_splay);
    assert!(!cfg.direct_addressing);
    assert_eq!(cfg.direct_addressing_threshold, -1);
    assert_eq!(cfg.ttl, 5);
    assert_eq!(cfg.rpclimitmethod, LimitMethod::Random);
    assert_eq!(cfg.default_discovery_method, "flatfile");
    assert_eq!(cfg.default_discovery_options, ["a=1", "b"]);
    assert_eq!(cfg.discovery_timeout, Some(4));
    assert_eq!(cfg.publish_timeout, 3);
    assert_eq!(cfg.connection_timeout, Some(7));
    assert!(cfg.threaded);
    assert!(!cfg.color);
    assert!(cfg.rpcaudit);
    assert_eq!(cfg.rpcauditprovider, "logfile");
    assert!(cfg.rpcauthorization);
    assert_eq!(cfg.rpcauthprovider, "action_policy");
    assert_eq!(cfg.fact_cache_time, 0);
    assert_eq!(cfg.ssl_cipher, "aes-128-cbc");
    assert!(cfg.soft_shutdown);
    assert_eq!(cfg.soft_shutdown_timeout, Some(9));
    assert!(!cfg.activate_agents);
    assert_eq!(cfg.default_batch_size, 2);
    assert_eq!(cfg.default_batch_sleep_time, 0.5);
    assert_eq!(cfg.deprecated, [("topicprefix".to_owned(), at(44))]);
    assert!(cfg.agent_activated("rpcutil").unwrap());
    assert!(!cfg.agent_activated("discovery").unwrap());
}

#[test]
fn line_syntax() {
    let text = "\
# comment
   # indented hash without equals is ignored
\t
no equals here is ignored
identity=first\r
identity   =   second   \t
plugin.psk = a = b==c
plugin_x.y = odd but MCollective accepts it
";
    let cfg = parse(text).unwrap();
    assert_eq!(cfg.identity, "second");
    assert_eq!(cfg.plugin("psk"), Some("a = b==c"));
    assert_eq!(cfg.plugin("x.y"), Some("odd but MCollective accepts it"));
    assert_eq!(cfg.plugins["psk"].origin, at(7));
    // The main collective is not derived from `collectives` once loaded.
    let cfg = parse("collectives = a,b").unwrap();
    assert_eq!(cfg.main_collective, "mcollective");
}

#[test]
fn plugin_settings_and_ssl() {
    let text = format!(
        "{POOL}plugin.activemq.pool.size = 2\n\
         plugin.activemq.pool.1.port = 6163x\n\
         plugin.activemq.pool.1.ssl = 1\n\
         plugin.activemq.pool.1.ssl.ca = /ca.pem\n\
         plugin.activemq.pool.2.host = b2\n\
         plugin.activemq.heartbeat_interval = 10\n\
         plugin.activemq.initial_reconnect_delay = 1e-1\n\
         plugin.activemq.priority = 4 high\n\
         plugin.psk.callertype = group\n"
    );
    let cfg = parse(&text).unwrap();
    let conn = cfg.connector_settings().unwrap();
    assert_eq!(conn.pool.len(), 2);
    assert_eq!(conn.pool[0].port, 6163, "port is read with to_i");
    assert_eq!(
        conn.pool[0].ssl,
        Some(PoolSsl {
            fallback: false,
            ca: Some("/ca.pem".into()),
            ciphers: None,
            key: None,
            cert: None,
            verify_name: true,
        })
    );
    assert_eq!(conn.pool[1].host, "b2");
    assert_eq!(conn.heartbeat_interval, 30, "raised to the 30 s minimum");
    assert_eq!(conn.heart_beat_ms(), Some((30_500, 29_500)));
    assert_eq!(conn.initial_reconnect_delay, 0.1);
    assert_eq!(conn.priority, 4, "priority is read with to_i");
    assert_eq!(cfg.psk_settings().callertype, CallerType::Group);
    for (value, want) in [
        ("gid", CallerType::Gid),
        ("user", CallerType::User),
        ("identity", CallerType::Identity),
        ("uid", CallerType::Uid),
        ("Identity", CallerType::Uid),
        ("bogus", CallerType::Uid),
    ] {
        assert_eq!(CallerType::from_value(value), want, "{value}");
    }
    let off = parse(&format!("{POOL}plugin.activemq.heartbeat_interval = -5\n")).unwrap();
    assert_eq!(off.connector_settings().unwrap().heartbeat_interval, 0);
}

#[test]
fn ssl_verify_name_is_marionettes_own_key() {
    let member = |extra: &str| {
        let text = format!("{POOL}plugin.activemq.pool.1.ssl = 1\n{extra}");
        parse(&text)?
            .connector_settings()
            .map(|c| c.pool[0].ssl.clone())
    };
    let on = member("").unwrap().unwrap();
    assert!(on.verify_name, "names are verified unless turned off");
    let off = member("plugin.activemq.pool.1.ssl.verify_name = 0\n").unwrap();
    assert!(!off.unwrap().verify_name);
    assert!(member("plugin.activemq.pool.1.ssl.verify_name = maybe\n").is_err());
}

#[test]
fn heartbeat_interval_ms_goes_below_the_30s_floor() {
    let text = format!(
        "{POOL}plugin.activemq.heartbeat_interval = 10\n\
         plugin.activemq.heartbeat_interval_ms = 1500\n"
    );
    let conn = parse(&text).unwrap().connector_settings().unwrap();
    assert_eq!(
        conn.heartbeat_interval, 30,
        "the standard key keeps its floor"
    );
    assert_eq!(conn.heartbeat_interval_ms, Some(1500));
    assert_eq!(conn.heartbeat_ms(), 1500, "the marionette key wins");
    assert_eq!(conn.heart_beat_ms(), Some((2000, 1000)));
    assert_eq!(conn.accept_version(), "1.1,1.0");

    // Alone, it turns heart-beats on as the standard key does.
    let alone = format!("{POOL}plugin.activemq.heartbeat_interval_ms = 0x3e8\n");
    let conn = parse(&alone).unwrap().connector_settings().unwrap();
    assert_eq!(conn.heartbeat_interval, 0);
    assert_eq!(conn.heartbeat_ms(), 1000);
    assert_eq!(conn.accept_version(), "1.1,1.0");

    for bad in ["999", "0", "-1", "2s"] {
        let text = format!("# x\n{POOL}plugin.activemq.heartbeat_interval_ms = {bad}\n");
        let err = parse(&text).unwrap().connector_settings().unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "invalid value \"{bad}\" for config key \"plugin.activemq.heartbeat_interval_ms\" \
                 at server.cfg:4: expected an integer of at least 1000"
            )
        );
    }
}

#[test]
fn tcp_keepalive_is_three_numbers_or_off() {
    let conn = |v: &str| {
        parse(&format!("{POOL}plugin.activemq.tcp_keepalive = {v}\n"))
            .unwrap()
            .connector_settings()
    };
    let short = conn("5, 2, 3").unwrap().tcp_keepalive.unwrap();
    assert_eq!(short.limit(), std::time::Duration::from_secs(11));
    assert_eq!(conn("off").unwrap().tcp_keepalive, None);
    let err = conn("5,2").unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid value \"5,2\" for config key \"plugin.activemq.tcp_keepalive\" at server.cfg:3: \
         expected IDLE,INTERVAL,COUNT (seconds 1-32767, seconds 1-32767, probes 1-127) or off"
    );
}

#[test]
fn plugin_d_files_override_the_main_file() {
    let dir = scratch("plugin-d");
    let main = write(
        &dir,
        "server.cfg",
        "identity = n1\nplugin.activemq.pool.size = 1\nplugin.activemq.pool.1.host = main\n\
         plugin.rpcutil.activate_agent = 1\n",
    );
    let plugin_d = dir.join("plugin.d");
    std::fs::create_dir(&plugin_d).unwrap();
    let activemq = write(
        &plugin_d,
        "activemq.cfg",
        "# comment\npool.1.host = from-plugin-d\nheartbeat_interval=45\n",
    );
    write(&plugin_d, "rpcutil.cfg", "activate_agent = no\n");
    write(&plugin_d, "ignored.cfg.bak", "x = 1\n");
    write(&plugin_d, "not-a-word.cfg", "x = 1\n");
    let cfg = Config::load(&main).unwrap();
    assert_eq!(cfg.configdir, dir);
    assert_eq!(cfg.plugin("activemq.pool.1.host"), Some("from-plugin-d"));
    assert_eq!(
        cfg.plugins["activemq.pool.1.host"].origin,
        Origin::File {
            path: activemq,
            line: 2
        }
    );
    assert_eq!(cfg.connector_settings().unwrap().heartbeat_interval, 45);
    assert!(!cfg.agent_activated("rpcutil").unwrap());
    assert_eq!(cfg.plugin("ignored.x"), None);
    assert_eq!(cfg.plugin("not-a-word.x"), None);
}

#[test]
fn load_uses_the_host_name_by_default() {
    let dir = scratch("hostname");
    let path = write(&dir, "client.cfg", "");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    match Config::load(&path) {
        Ok(cfg) => assert_eq!(cfg.identity, host),
        Err(ConfigError::InvalidIdentity { identity }) => assert_eq!(identity, host),
        Err(e) => panic!("{e}"),
    }
}

fn invalid(text: &str) -> (String, String, Expected, Origin) {
    match parse(text) {
        Err(ConfigError::InvalidValue {
            key,
            value,
            expected,
            at,
        }) => (key, value, expected, at),
        other => panic!("{text:?}: {other:?}"),
    }
}

#[test]
fn bad_values_name_key_and_line() {
    let cases = [
        ("ttl = sixty", "ttl", "sixty", Expected::Integer),
        ("ttl = 6O", "ttl", "6O", Expected::Integer),
        (
            "registerinterval = 08",
            "registerinterval",
            "08",
            Expected::Integer,
        ),
        ("keeplogs = 1.5", "keeplogs", "1.5", Expected::Integer),
        ("daemonize = on", "daemonize", "on", Expected::Boolean),
        (
            "direct_addressing = maybe",
            "direct_addressing",
            "maybe",
            Expected::Boolean,
        ),
        (
            "default_batch_sleep_time = 1.",
            "default_batch_sleep_time",
            "1.",
            Expected::Float,
        ),
    ];
    for (line, key, value, expected) in cases {
        let text = format!("# header\n\n{line}\n");
        let got = invalid(&text);
        assert_eq!(got, (key.into(), value.into(), expected, at(3)), "{line}");
    }
    let err = parse("identity = x\nttl = sixty\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value \"sixty\" for config key \"ttl\" at server.cfg:2: expected an integer"
    );
}

#[test]
fn unknown_key_is_an_error() {
    let text = "identity = n1\n".repeat(11) + "listen_typo = 1\n";
    let err = parse(&text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown config key \"listen_typo\" at server.cfg:12"
    );
    assert!(matches!(
        parse("  # indented = comment").unwrap_err(),
        ConfigError::UnknownKey { key, .. } if key == "# indented"
    ));
    assert!(matches!(
        parse("plugin. = x").unwrap_err(),
        ConfigError::UnknownKey { key, .. } if key == "plugin."
    ));
}

#[test]
fn structural_errors() {
    assert!(matches!(
        parse("libdir = /ok:relative/dir").unwrap_err(),
        ConfigError::RelativeLibdir { path, at: a } if path == "relative/dir" && a == at(1)
    ));
    assert!(matches!(
        parse("libdir = /a::/b").unwrap_err(),
        ConfigError::RelativeLibdir { path, .. } if path.is_empty()
    ));
    for bad in ["node 1", "node/1", "nöde"] {
        assert!(matches!(
            parse(&format!("identity = {bad}")).unwrap_err(),
            ConfigError::InvalidIdentity { identity } if identity == bad
        ));
    }
    let bytes = b"identity = a\nloglevel = \xff\n";
    assert!(matches!(
        Config::parse(Path::new("server.cfg"), bytes, "h").unwrap_err(),
        ConfigError::NotUtf8 { at: a } if a == at(2)
    ));
    assert!(matches!(
        Config::load("/nonexistent/server.cfg").unwrap_err(),
        ConfigError::NotFound { .. }
    ));
    let dir = scratch("errors");
    assert!(matches!(
        Config::load(&dir).unwrap_err(),
        ConfigError::Io { .. }
    ));
    let big = write(&dir, "big.cfg", "");
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(marionette_config::MAX_CONFIG_BYTES + 1)
        .unwrap();
    assert!(matches!(
        Config::load(&big).unwrap_err(),
        ConfigError::TooLarge { .. }
    ));
}

#[test]
fn connector_errors() {
    let err = |text: &str| parse(text).unwrap().connector_settings().unwrap_err();
    assert!(matches!(err(""), ConfigError::MissingOption { key } if key == "activemq.pool.size"));
    assert!(matches!(
        err("plugin.activemq.pool.size = 0"),
        ConfigError::EmptyPool { size: 0, .. }
    ));
    assert!(matches!(
        err("plugin.activemq.pool.size = 2\nplugin.activemq.pool.1.host = a"),
        ConfigError::MissingOption { key } if key == "activemq.pool.2.host"
    ));
    assert!(matches!(
        err("plugin.activemq.pool.size = 999999999999\nplugin.activemq.pool.1.host = a"),
        ConfigError::MissingOption { key } if key == "activemq.pool.2.host"
    ));
    assert!(matches!(
        err("connector = stomp"),
        ConfigError::UnsupportedConnector { name } if name == "stomp"
    ));
    let bad_port = format!("{POOL}plugin.activemq.pool.1.port = x");
    assert!(matches!(
        err(&bad_port),
        ConfigError::InvalidValue {
            expected: Expected::Port,
            ..
        }
    ));
    let bad_bool = format!("{POOL}plugin.activemq.base64 = sure");
    match err(&bad_bool) {
        ConfigError::InvalidValue {
            key,
            value,
            expected,
            at: a,
        } => {
            assert_eq!(key, "plugin.activemq.base64");
            assert_eq!(value, "sure");
            assert_eq!(expected, Expected::Boolean);
            assert_eq!(a, at(3));
        }
        other => panic!("{other:?}"),
    }
    let bad_int = format!("{POOL}plugin.activemq.heartbeat_interval = 30s");
    assert!(matches!(
        err(&bad_int),
        ConfigError::InvalidValue {
            expected: Expected::Integer,
            ..
        }
    ));
    let bad_float = format!("{POOL}plugin.activemq.max_reconnect_delay = soon");
    assert!(matches!(
        err(&bad_float),
        ConfigError::InvalidValue {
            expected: Expected::Float,
            ..
        }
    ));
    let bad_agent = parse("plugin.rpcutil.activate_agent = perhaps").unwrap();
    assert!(matches!(
        bad_agent.agent_activated("rpcutil").unwrap_err(),
        ConfigError::InvalidValue {
            expected: Expected::Boolean,
            ..
        }
    ));
}
