//! Tests of the `package` agent against this machine's real package database (read
//! only: nothing is installed or removed).

use super::*;
use crate::testing::{call, data, get, request};
use std::process::Command;

const STATUS: [&str; 8] = [
    "output", "epoch", "arch", "ensure", "version", "provider", "name", "release",
];

fn agent() -> Arc<dyn Standard> {
    Arc::new(Package {
        provider: Provider::Auto,
        lock_timeout: Duration::from_secs(5),
        yum_clean_mode: "all".into(),
    })
}

fn debian() -> bool {
    let yes = tools::detect() == Some(Family::Debian);
    if !yes {
        eprintln!("not a Debian-family machine: the dpkg checks are skipped");
    }
    yes
}

fn sh(script: &str) -> String {
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn pkg(name: &str) -> [(&'static str, Value); 1] {
    [("package", Value::str(name))]
}

#[tokio::test]
async fn status_of_installed_and_missing_packages() {
    if !debian() {
        return;
    }
    let r = call(agent(), request("status", &pkg("bash")), data(&STATUS)).await;
    assert_eq!(r.outcome, Ok(()));
    let version = sh("dpkg-query -W -f='${Version}' bash");
    let arch = sh("dpkg-query -W -f='${Architecture}' bash");
    assert!(!version.is_empty());
    assert_eq!(get(&r.data, "ensure"), &Value::str(version.as_str()));
    assert_eq!(get(&r.data, "name"), &Value::str("bash"));
    assert_eq!(get(&r.data, "arch"), &Value::str(arch.as_str()));
    assert_eq!(get(&r.data, "provider"), &Value::str("apt"));
    let upstream = version.split_once(':').map_or(version.as_str(), |(_, v)| v);
    let (up, rel) = upstream.rsplit_once('-').unwrap_or((upstream, ""));
    assert_eq!(get(&r.data, "version"), &Value::str(up));
    assert_eq!(get(&r.data, "release"), &Value::str(rel));
    assert_eq!(get(&r.data, "output"), &Value::Nil);

    let r = call(
        agent(),
        request("status", &pkg("no-such-package-marionette")),
        data(&STATUS),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    assert_eq!(get(&r.data, "ensure"), &Value::str("absent"));
    assert_eq!(
        get(&r.data, "name"),
        &Value::str("no-such-package-marionette")
    );
    assert_eq!(get(&r.data, "version"), &Value::Nil);
}

#[tokio::test]
async fn changes_refused_before_anything_runs() {
    if !debian() {
        return;
    }
    let r = call(agent(), request("install", &pkg("bash")), data(&STATUS)).await;
    assert_eq!(
        r.outcome,
        Err(RpcError::Unknown("Package is already installed".into()))
    );
    let version = sh("dpkg-query -W -f='${Version}' bash");
    assert_eq!(get(&r.data, "ensure"), &Value::str(version.as_str()));
    for action in ["update", "uninstall", "purge"] {
        let r = call(
            agent(),
            request(action, &pkg("no-such-package-marionette")),
            data(&STATUS),
        )
        .await;
        assert_eq!(
            r.outcome,
            Err(RpcError::Unknown(
                "Package is not present on the system".into()
            )),
            "{action}"
        );
        assert_eq!(get(&r.data, "ensure"), &Value::str("absent"));
    }
}

#[tokio::test]
async fn invalid_names_are_refused() {
    for bad in ["-y", "bash*", "a b", "x;rm -rf /"] {
        let r = call(agent(), request("status", &pkg(bad)), data(&STATUS)).await;
        assert_eq!(
            r.outcome,
            Err(RpcError::InvalidData(format!(
                "{bad} is not a valid package name or version"
            )))
        );
        assert_eq!(r.data, data(&STATUS));
    }
    let r = call(
        agent(),
        request(
            "install",
            &[
                ("package", Value::str("bash")),
                ("version", Value::str("--force")),
            ],
        ),
        data(&STATUS),
    )
    .await;
    assert_eq!(
        r.outcome,
        Err(RpcError::InvalidData(
            "--force is not a valid package name or version".into()
        ))
    );
    let r = call(agent(), request("status", &[]), data(&STATUS)).await;
    assert_eq!(
        r.outcome,
        Err(RpcError::MissingData("missing input package".into()))
    );
}

#[tokio::test]
async fn count_and_md5_of_the_installed_set() {
    if !debian() {
        return;
    }
    let r = call(
        agent(),
        request("count", &[]),
        data(&["output", "exitcode"]),
    )
    .await;
    assert_eq!(r.outcome, Ok(()));
    let expected = sh("dpkg --list | grep -c '^ii'");
    assert_eq!(get(&r.data, "output"), &Value::str(expected.trim()));
    assert_eq!(get(&r.data, "exitcode"), &Value::Int(0));

    let r = call(agent(), request("md5", &[]), data(&["output", "exitcode"])).await;
    assert_eq!(r.outcome, Ok(()));
    let expected = sh("dpkg --list | grep '^ii' | head -c -1 | md5sum | cut -d' ' -f1");
    assert_eq!(get(&r.data, "output"), &Value::str(expected.trim()));
}

#[tokio::test]
async fn yum_actions_on_a_machine_without_yum() {
    if std::path::Path::new(tools::YUM).exists() {
        eprintln!("yum is installed: the missing-yum checks are skipped");
        return;
    }
    for action in ["yum_clean", "yum_checkupdates"] {
        let r = call(agent(), request(action, &[]), data(&["output", "exitcode"])).await;
        assert_eq!(
            r.outcome,
            Err(RpcError::Unknown("Cannot find yum at /usr/bin/yum".into()))
        );
    }
}

#[test]
fn yum_clean_modes_come_from_the_ddl() {
    for mode in ["all", "metadata", "expire-cache"] {
        assert!(yum_clean_mode(mode), "{mode}");
    }
    assert!(!yum_clean_mode("everything"));
}

#[test]
fn settings() {
    let cfg =
        |t: &str| Config::parse(std::path::Path::new("/dev/null"), t.as_bytes(), "n").unwrap();
    let p = Package::from_config(&cfg("")).unwrap();
    assert_eq!(
        (p.provider, p.lock_timeout, p.yum_clean_mode.as_str()),
        (Provider::Auto, Duration::from_secs(60), "all")
    );
    let p = Package::from_config(&cfg(
        "plugin.package.provider = yum\nplugin.package.lock_timeout = 5\n",
    ))
    .unwrap();
    assert_eq!(
        (p.provider, p.lock_timeout),
        (Provider::RedHat, Duration::from_secs(5))
    );
    let bad = Package::from_config(&cfg("plugin.package.provider = zypper\n"))
        .err()
        .unwrap();
    assert_eq!(
        bad.to_string(),
        "agent package: plugin.package.provider = \"zypper\" is not one of apt, yum, dnf, puppet"
    );
    assert!(Package::from_config(&cfg("plugin.package.lock_timeout = -1\n")).is_err());
}
