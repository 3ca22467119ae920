//! Interoperability: STOMP clients nobody here wrote, against `mco broker`.
//!
//! * stomp.py (Debian `python3-stomp`) via `tests/peers/stomp_py_client.py`
//! * ruby-stomp (Debian `ruby-stomp`, the gem MCollective uses) via
//!   `tests/peers/ruby_stomp_client.rb`
//!
//! Each script runs the same checks (connect, topic fan-out, queue with a NUL-bearing
//! body, UNSUBSCRIBE, held queue messages and round-robin, `mc_identity` selectors with a
//! held message for a late consumer, a compound selector, receipts, transactions, header
//! escaping, a 256 KiB body, `expires`, client-ack redelivery, heart-beats, a wrong
//! password, DISCONNECT with a receipt) for STOMP 1.0, 1.1 and 1.2, prints one line per
//! check and exits non-zero on any failure.  The three versions run concurrently against
//! one broker per library.
//!
//! Missing peers skip the test (`skipped: ...` on stderr) unless
//! `MARIONETTE_REQUIRE_INTEROP=1`, which makes them fail it.  Set
//! `MARIONETTE_INTEROP_BROKER=HOST:PORT` to aim the scripts at another broker (e.g. a real
//! ActiveMQ with the MCollective lab configuration) instead of starting `mco broker`.

#[path = "peers/harness.rs"]
mod harness;

use harness::{Broker, Output, tail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

const VERSIONS: [&str; 3] = ["1.0", "1.1", "1.2"];

/// Each script finishes in about 15 s; this bounds a hung run.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(45);

/// The first `python3` on PATH that can `import stomp` (a pyenv or venv python3 earlier
/// on PATH may not see the Debian package), or the one named by `MARIONETTE_PYTHON`.
fn python_with_stomp() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MARIONETTE_PYTHON") {
        return Some(PathBuf::from(p));
    }
    harness::find_on_path("python3")
        .into_iter()
        .find(|p| harness::probe(p, &["-c", "import stomp"]))
}

fn ruby_with_stomp() -> Option<PathBuf> {
    harness::find_on_path("ruby")
        .into_iter()
        .find(|p| harness::probe(p, &["-e", "require 'stomp'"]))
}

/// Runs `interpreter script` for every STOMP version, concurrently, and returns the
/// outputs in version order.
fn run_all_versions(
    interpreter: &Path,
    script: &str,
    broker: &Broker,
    lib: &str,
) -> Vec<(String, Output)> {
    let script = harness::peers_dir().join(script);
    assert!(script.is_file(), "missing {}", script.display());
    let handles: Vec<_> = VERSIONS
        .iter()
        .map(|v| {
            let mut cmd = Command::new(interpreter);
            let tag = format!("{lib}{}_{}", v.replace('.', ""), std::process::id());
            cmd.arg(&script)
                .arg(broker.stomp.ip().to_string())
                .arg(broker.port().to_string())
                .args(["conformance", "marionette", v, &tag])
                .env("PYTHONUNBUFFERED", "1")
                .env("STOMP_SKIP_HOSTNAME_SCAN", "1");
            let v = v.to_string();
            thread::spawn(move || {
                let out = harness::run(cmd, SCRIPT_TIMEOUT).expect("spawn the peer script");
                (v, out)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("runner thread"))
        .collect()
}

fn assert_all_passed(lib: &str, broker: &mut Broker, results: &[(String, Output)]) {
    let mut failed = Vec::new();
    for (v, out) in results {
        eprintln!("== {lib}, STOMP {v}\n{}", out.stdout);
        let ok = out.success()
            && out.stdout.lines().any(|l| l == "all checks passed")
            && !out.stdout.lines().any(|l| l.starts_with("FAIL"));
        if !ok {
            failed.push(format!("---- {lib}, STOMP {v} ----\n{}", out.describe()));
        }
    }
    broker.assert_alive();
    if !failed.is_empty() {
        panic!(
            "{} of {} {lib} runs failed:\n{}\n---- broker log (tail) ----\n{}",
            failed.len(),
            results.len(),
            failed.join("\n"),
            tail(&broker.log(), 60)
        );
    }
}

/// Runs `script` with `interpreter` for every STOMP version against a fresh broker, then
/// checks that the broker exits cleanly on SIGTERM; `missing` names the peer for the
/// skip-or-fail policy when there is no interpreter.
fn library_against_broker(
    interpreter: Option<PathBuf>,
    missing: &str,
    script: &str,
    tag: &str,
    name: &str,
) {
    let Some(interpreter) = interpreter else {
        harness::require(&[missing.into()]);
        return;
    };
    let mut broker = Broker::start(&[]);
    let results = run_all_versions(&interpreter, script, &broker, tag);
    assert_all_passed(name, &mut broker, &results);
    if !broker.is_external() {
        let status = broker.stop();
        assert!(
            status.is_some_and(|s| s.success()),
            "mco broker did not exit cleanly on SIGTERM: {status:?}"
        );
    }
}

#[test]
fn stomp_py_all_versions() {
    library_against_broker(
        python_with_stomp(),
        "python3 with stomp.py (Debian package python3-stomp)",
        "stomp_py_client.py",
        "py",
        "stomp.py",
    );
}

#[test]
fn ruby_stomp_all_versions() {
    library_against_broker(
        ruby_with_stomp(),
        "ruby with the stomp gem (Debian package ruby-stomp)",
        "ruby_stomp_client.rb",
        "rb",
        "ruby-stomp",
    );
}

/// The scripts themselves must fail when the broker misbehaves: a wrong port gives a
/// non-zero exit and a FAIL line, never "all checks passed".
#[test]
fn scripts_fail_without_a_broker() {
    let python = python_with_stomp();
    let ruby = ruby_with_stomp();
    let mut missing = Vec::new();
    if python.is_none() {
        missing.push("python3 with stomp.py".to_string());
    }
    if ruby.is_none() {
        missing.push("ruby with the stomp gem".to_string());
    }
    if !harness::require(&missing) {
        return;
    }
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port");
    for (interp, script) in [
        (python.unwrap(), "stomp_py_client.py"),
        (ruby.unwrap(), "ruby_stomp_client.rb"),
    ] {
        let mut cmd = Command::new(&interp);
        cmd.arg(harness::peers_dir().join(script))
            .args([
                "127.0.0.1",
                &port.to_string(),
                "mcollective",
                "marionette",
                "1.1",
            ])
            .env("STOMP_SKIP_HOSTNAME_SCAN", "1");
        let out = harness::run(cmd, SCRIPT_TIMEOUT).expect("spawn the peer script");
        assert!(
            !out.success() && !out.stdout.contains("all checks passed"),
            "{script} claimed success with no broker:\n{}",
            out.describe()
        );
    }
}
