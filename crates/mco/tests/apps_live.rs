//! The application verbs end to end: our broker, two of our daemons with the standard
//! agents (`shelly` with the shell agent activated) and the verbs, on this machine's real
//! state. Each output is asserted whole, but for the time in the "Finished processing"
//! line; what depends on the machine (a service manager's message, bash's version) is
//! read from it first.

#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/node_lab.rs"]
mod node_lab;

use node_lab::NodeLab;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

/// The output with the agent time of its "Finished processing" line as `T`.
fn timeless(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once(" hosts in ") {
            Some((head, _)) if l.starts_with("Finished processing") => {
                format!("{head} hosts in T ms")
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if text.ends_with('\n') { "\n" } else { "" }
}

fn lab() -> NodeLab {
    let mut lab = NodeLab::new("apps-live");
    lab.node("plain", "");
    lab.node("shelly", "plugin.shell.activate_agent = true\n");
    lab
}

/// A node's reply to `mco rpc AGENT ACTION ARGS -I NODE --json`.
fn reply(lab: &NodeLab, node: &str, call: &[&str]) -> serde_json::Value {
    let mut args = vec!["rpc"];
    args.extend_from_slice(call);
    args.extend(["-I", node, "--json"]);
    let out = lab.mco(&args);
    let mut json: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.describe()));
    // An action with a summarize block answers an object with the replies in it.
    if let Some(replies) = json.get_mut("replies") {
        json = replies.take();
    }
    json[0].take()
}

#[test]
fn verbs_against_our_nodes() {
    let lab = lab();

    // service: a service that does not exist is the node's error, and its default
    // status is summarized.
    let missing = "marionette-no-such-service";
    let r = reply(
        &lab,
        "plain",
        &["service", "status", &format!("service={missing}")],
    );
    let why = r["statusmsg"].as_str().unwrap();
    assert!(
        why.starts_with(&format!(
            "Could not determine status of service '{missing}': "
        )),
        "{r}"
    );
    let out = lab.mco(&["service", missing, "status", "-I", "plain"]);
    assert_eq!(
        timeless(&out.stdout),
        format!(
            "\n\n   plain: {why}\n\n\
             Summary of Service Status:\n\n   unknown = 1\n\n\n\
             Finished processing 1 / 1 hosts in T ms\n\n"
        ),
        "{}",
        out.describe()
    );
    assert_eq!(out.stderr, "");
    assert_eq!(out.code(), Some(2));

    // package: bash's version and architecture as dpkg knows them.
    if Path::new("/usr/bin/dpkg-query").exists() {
        let query = |format: &str| {
            let out = Command::new("dpkg-query")
                .args(["-W", &format!("-f={format}"), "bash"])
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        let (version, arch) = (query("${Version}"), query("${Architecture}"));
        let out = lab.mco(&["package", "bash", "status", "-I", "plain"]);
        let width = arch.len().max(1);
        assert_eq!(
            timeless(&out.stdout),
            format!(
                "\n\n   plain: bash-{version}.{arch}\n\n\
                 Summary of Arch:\n\n   {arch:>width$} = 1\n\n\
                 Summary of Ensure:\n\n   {version} = 1\n\n\n\
                 Finished processing 1 / 1 hosts in T ms\n\n"
            ),
            "{}",
            out.describe()
        );
        assert_eq!(out.code(), Some(0));
    }

    // filemgr: a file of ours, one line per node, no summaries.
    let file = lab.path("motd");
    std::fs::write(&file, b"hello").unwrap();
    let file = file.display().to_string();
    let out = lab.mco(&["filemgr", "--file", &file, "status", "-I", "plain"]);
    assert_eq!(
        timeless(&out.stdout),
        format!(
            "\n\n{:<40}: present\n\nFinished processing 1 / 1 hosts in T ms\n\n",
            "plain"
        ),
        "{}",
        out.describe()
    );
    assert_eq!(out.code(), Some(0));

    // nettest: a port that listens, from both nodes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let out = lab.mco(&[
        "nettest",
        "connect",
        "127.0.0.1",
        &port,
        "-I",
        "plain",
        "-I",
        "shelly",
    ]);
    let mut lines: Vec<&str> = out.stdout.lines().collect();
    lines[2..4].sort();
    assert_eq!(
        timeless(&(lines.join("\n") + "\n")),
        format!(
            "\n\n{:<40} status = true\n{:<40} status = true\n\n\
             Summary of Connection Status:\n\n   Connected = 2\n\n\n\
             Finished processing 2 / 2 hosts in T ms\n\n",
            "plain", "shelly"
        ),
        "{}",
        out.describe()
    );
    assert_eq!(out.code(), Some(0));

    // shell: where it is activated.
    let out = lab.mco(&["shell", "run", "echo hi", "-I", "shelly"]);
    assert_eq!(
        timeless(&out.stdout),
        "\n\nshelly:\nhi\n\n\nFinished processing 1 / 1 hosts in T ms\n\n",
        "{}",
        out.describe()
    );
    assert_eq!(out.code(), Some(0));

    // puppet status without puppet: the node's message, then the summaries of the
    // status defaults (no enabled value to summarize).
    let r = reply(&lab, "plain", &["puppet", "status"]);
    let why = r["statusmsg"].as_str().unwrap();
    assert_ne!(r["statuscode"], 0, "{r}");
    let out = lab.mco(&["puppet", "status", "-I", "plain"]);
    assert_eq!(
        timeless(&out.stdout),
        format!(
            "\n\n   plain: {why}\n\n\
             Summary of Applying:\n\n   false = 1\n\n\
             Summary of Daemon Running:\n\n   stopped = 1\n\n\
             Summary of Enabled:\n\n     No aggregate summary could be computed\n\n\
             Summary of Idling:\n\n   false = 1\n\n\
             Summary of Status:\n\n   unknown = 1\n\n\n\
             Finished processing 1 / 1 hosts in T ms\n\n"
        ),
        "{}",
        out.describe()
    );
    assert_eq!(out.code(), Some(2));
}
