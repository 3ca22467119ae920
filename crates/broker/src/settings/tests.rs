//! Flags, the settings file, and their errors.

use super::*;
use crate::auth::{GROUP_CLIENTS, GROUP_NODES};

fn dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mco-broker-cfg-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn flags_and_file() {
    let dir = dir("flags");
    let path = dir.join("broker.toml");
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:7000\"\nadmin = \"off\"\nheartbeat = \"5000,6000\"\n\
         [[user]]\nlogin = \"a\"\npasscode = \"b\"\n[limits]\nprefetch = 7\n\
         [admission]\naccept_rate = 300\naccept_burst = 30\nconnect_rate = 100\n",
    )
    .unwrap();
    let o = BrokerFlags {
        config: Some(path.clone()),
        users: vec!["admin:se:cret".into()],
        connect_rate: Some(0),
        connect_burst: Some(9),
        ..Default::default()
    };
    let c = build(&o).unwrap();
    assert_eq!(c.listen, "127.0.0.1:7000".parse().unwrap());
    assert!(c.plain);
    assert_eq!(c.admin, None);
    assert!(c.users.check("a", "b"));
    assert!(c.users.check("admin", "se:cret"));
    assert_eq!(c.prefetch, 7);
    let rate = |per_second, burst| Rate { per_second, burst };
    assert_eq!(c.accept_rate, rate(300, 30));
    assert_eq!(c.connect_rate, rate(0, 9), "flags win over the file");
    let defaults = build(&BrokerFlags::default()).unwrap();
    assert_eq!(defaults.accept_rate, rate(1_500, 200));
    assert_eq!(defaults.connect_rate, rate(1_500, 200));
    assert_eq!(
        c.heartbeat,
        HeartbeatPolicy::Fixed {
            send_ms: 5000,
            recv_ms: 6000
        }
    );
    let default = Keepalive::DEFAULT.to_socket2();
    assert_eq!(
        format!("{:?}", c.tcp_keepalive),
        format!("{:?}", Some(default))
    );
    std::fs::write(&path, "tcp_keepalive = \"off\"\n").unwrap();
    assert!(build(&o).unwrap().tcp_keepalive.is_none());
    let flag = BrokerFlags {
        tcp_keepalive: Some("1,2,3".into()),
        ..o
    };
    let short = Keepalive::parse("1,2,3").unwrap().unwrap().to_socket2();
    let c = build(&flag).unwrap();
    assert_eq!(
        format!("{:?}", c.tcp_keepalive),
        format!("{:?}", Some(short))
    );
    let o = flag;
    std::fs::write(&path, "listen = \"127.0.0.1:7000\"\nlisten_typo = 1\n").unwrap();
    let err = build(&o).unwrap_err().to_string();
    assert!(
        err.contains("listen_typo") && err.contains("line 2"),
        "{err}"
    );
    std::fs::write(&path, "[[user]]\nlogin = \"x\"\npascode = \"hunter2\"\n").unwrap();
    let err = build(&o).unwrap_err().to_string();
    assert!(err.contains("pascode") && !err.contains("hunter2"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_flags_are_explained() {
    let o = BrokerFlags {
        users: vec![":hunter2".into()],
        ..Default::default()
    };
    let err = build(&o).unwrap_err().to_string();
    assert!(
        err.contains("NAME:PASSWORD") && !err.contains("hunter2"),
        "{err}"
    );
    let o = BrokerFlags {
        tcp_keepalive: Some("1,2".into()),
        ..Default::default()
    };
    let err = build(&o).unwrap_err().to_string();
    assert!(err.contains("IDLE,INTERVAL,COUNT"), "{err}");
    assert!(parse_heartbeat("fast").is_err());
    assert!(parse_addr("nowhere", SettingsError::Admin).is_err());
    assert_eq!(parse_addr("off", SettingsError::Admin).unwrap(), None);
    let o = BrokerFlags {
        tls_cert: Some("/x.pem".into()),
        ..Default::default()
    };
    let err = build(&o).unwrap_err().to_string();
    assert!(err.contains("--tls-key"), "{err}");
}

#[test]
fn users_groups_and_password_sources() {
    let dir = dir("users");
    let pw = dir.join("node2.pw");
    std::fs::write(&pw, "from-file\nignored\n").unwrap();
    let hash = crate::auth::hash_password("hashed").unwrap();
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("MARIONETTE_TEST_NODE3_PW", "from-env") };
    let path = dir.join("broker.toml");
    std::fs::write(
        &path,
        format!(
            "listen = \"off\"\n[tls]\nlisten = \"127.0.0.1:0\"\ncert = \"c.pem\"\nkey = \"k.pem\"\n\
             [[user]]\nlogin = \"node1\"\npassword_hash = \"{hash}\"\n\
             [[user]]\nlogin = \"node2\"\npassword_file = \"{}\"\ngroups = [\"nodes\"]\n\
             [[user]]\nlogin = \"node3\"\npassword_env = \"MARIONETTE_TEST_NODE3_PW\"\n\
             [[certificate]]\nname = \"*.ops\"\ngroups = [\"admins\"]\n\
             [[acl]]\ndestination = \"/queue/x.>\"\nread = [\"nodes\"]\n",
            pw.display()
        ),
    )
    .unwrap();
    let c = build(&BrokerFlags {
        config: Some(path.clone()),
        users: vec!["mcollective:m".into(), "admin:s".into(), "ops:o".into()],
        groups: vec!["ops=admins,clients".into()],
        ..Default::default()
    })
    .unwrap();
    assert!(!c.plain);
    assert!(c.tls.is_some());
    assert!(c.users.check("node1", "hashed"));
    assert!(!c.users.check("node1", "wrong"));
    assert!(c.users.check("node2", "from-file"));
    assert!(c.users.check("node3", "from-env"));
    let groups = |l: &str| c.users.get(l).unwrap().groups.clone();
    assert_eq!(groups("node1"), vec![GROUP_CLIENTS], "no groups: a client");
    assert_eq!(groups("node2"), vec![GROUP_NODES]);
    assert_eq!(groups("mcollective"), vec![GROUP_NODES]);
    assert_eq!(groups("admin"), vec![GROUP_CLIENTS]);
    assert_eq!(c.users.get("admin").unwrap().identities, vec!["*"]);
    assert_eq!(groups("ops"), vec!["admins", "clients"]);
    assert!(c.users.certificate("me.ops").in_group("admins"));
    assert_eq!(c.acl.rules.len(), 1);
    let refused = |settings: &str, says: &str| {
        std::fs::write(&path, settings).unwrap();
        let flags = BrokerFlags {
            config: Some(path.clone()),
            ..Default::default()
        };
        let err = build(&flags).unwrap_err().to_string();
        assert!(err.contains(says), "{err}");
    };
    refused(
        "[[user]]\nlogin = \"x\"\npasscode = \"a\"\npassword_env = \"B\"\n",
        "exactly one",
    );
    refused(
        "[[user]]\nlogin = \"x\"\npassword_hash = \"nothash\"\n",
        "hash-password",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
