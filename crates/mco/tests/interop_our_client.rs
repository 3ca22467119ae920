//! Interoperability: our `mco` client commands → our `mco broker` → three REAL MCollective
//! 2.12 `mcollectived` daemons (the lab of `tests/interop_mcollective.rs`, shared through
//! `peers/mcollective_lab.rs`).
//!
//! Each command's combined stdout and stderr is compared with the output the real `mco`
//! printed against ActiveMQ (`testdata/mcollective/outputs`), after the same normalization
//! the real-client test uses. One difference is expected and removed first: the real
//! client draws its progress bar (`\r0 / 3\r1 / 3…`) even into a pipe, ours only on a
//! terminal, so the recorded progress line is dropped.
//!
//! Missing MCollective skips the test unless `MARIONETTE_REQUIRE_INTEROP=1`.

#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/mcollective_lab.rs"]
mod mcollective_lab;

use mcollective_lab::{Lab, find_peers, first_difference, normalize, recorded, without_progress};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

/// What a command's output is compared with.
enum Want {
    /// A recorded output file (its exit status too).
    Recorded(&'static str),
    /// Exact text (after normalization) and exit status.
    Text(&'static str, i32),
    /// The recorded `--json` output of that file, compared as JSON with the node order
    /// sorted and `pong` times masked.
    Json(&'static str),
    /// Only the layout of a recorded daemon_stats output: the same labels in the same
    /// order, the same summaries, exit status 0 (the values are per-process).
    Labels(&'static str),
}

struct Case {
    args: &'static [&'static str],
    want: Want,
}

const WAVE_SLOW: &[Case] = &[
    Case {
        args: &["ping"],
        want: Want::Recorded("01-ping.txt"),
    },
    Case {
        args: &["ping", "-F", "role=web"],
        want: Want::Recorded("08-ping-fact-filter.txt"),
    },
    Case {
        args: &["rpc", "rpcutil", "ping", "--batch", "1"],
        want: Want::Recorded("14-rpc-ping-batch1.txt"),
    },
    Case {
        args: &["rpc", "rpcutil", "ping"],
        want: Want::Recorded("02-rpc-ping.txt"),
    },
    Case {
        args: &["rpc", "rpcutil", "inventory"],
        want: Want::Recorded("03-rpc-inventory.txt"),
    },
];

const WAVE_FAST: &[Case] = &[
    Case {
        args: &["rpc", "rpcutil", "get_fact", "fact=role"],
        want: Want::Recorded("04-rpc-get_fact.txt"),
    },
    Case {
        args: &["rpc", "rpcutil", "ping", "-I", "node1"],
        want: Want::Recorded("12-rpc-ping-direct-node1.txt"),
    },
    Case {
        args: &["rpc", "rpcutil", "daemon_stats", "-I", "node1"],
        want: Want::Labels("25-rpc-daemon_stats.txt"),
    },
    Case {
        args: &["rpc", "rpcutil", "ping", "--json"],
        want: Want::Json("13-rpc-ping-json.txt"),
    },
    Case {
        args: &["find"],
        want: Want::Recorded("05-find.txt"),
    },
    Case {
        args: &["inventory", "node1"],
        want: Want::Labels("07-inventory-node1.txt"),
    },
    Case {
        args: &["facts", "role"],
        want: Want::Recorded("06-facts-role.txt"),
    },
    Case {
        args: &["find", "-F", "role=/^w/"],
        want: Want::Recorded("23-find-fact-regex.txt"),
    },
    Case {
        args: &["find", "-C", "roles::web"],
        want: Want::Text("node1\nnode3\n", 0),
    },
    Case {
        args: &["find", "-I", "node2"],
        want: Want::Text("node2\n", 0),
    },
    Case {
        args: &["find", "-W", "osfamily=Debian roles::web"],
        want: Want::Text("node1\n", 0),
    },
    Case {
        args: &["find", "-S", "role=web and country=uk"],
        want: Want::Recorded("15-find-compound.txt"),
    },
];

fn ours() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_mco"))
}

fn json_normalized(text: &str) -> Result<Vec<serde_json::Value>, String> {
    let mut v: Vec<serde_json::Value> =
        serde_json::from_str(text.trim()).map_err(|e| format!("not JSON ({e}): {text:?}"))?;
    for item in &mut v {
        if let Some(pong) = item.pointer_mut("/data/pong") {
            *pong = serde_json::Value::from(0);
        }
    }
    v.sort_by_key(|i| i["sender"].as_str().unwrap_or_default().to_string());
    Ok(v)
}

fn labels(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let t = l.trim_start();
            let (label, _) = t.split_once(':')?;
            (l.starts_with(' ') && !label.is_empty() && !label.contains('"'))
                .then(|| label.to_string())
        })
        .chain(
            text.lines()
                .filter(|l| l.starts_with("Summary of") || l.starts_with("Finished"))
                .map(|l| l.split(" in ").next().unwrap_or(l).to_string()),
        )
        .collect()
}

fn check(case: &Case, out: &harness::Output) -> Result<(), String> {
    let cmd = case.args.join(" ");
    let context = || format!("---- our mco {cmd} ----\n{}", out.describe());
    if out.timed_out {
        return Err(format!("`mco {cmd}` timed out\n{}", context()));
    }
    let (want, exit) = match &case.want {
        Want::Recorded(file) => {
            let rec = recorded(file);
            (normalize(&without_progress(&rec.text)), rec.exit)
        }
        Want::Text(text, exit) => (normalize(text), *exit),
        Want::Json(file) => {
            let rec = recorded(file);
            let (w, g) = (json_normalized(&rec.text)?, json_normalized(&out.stdout)?);
            if w != g || out.code() != Some(rec.exit) {
                return Err(format!(
                    "`mco {cmd}`: JSON differs from {file}: want {w:?}, got {g:?}\n{}",
                    context()
                ));
            }
            return Ok(());
        }
        Want::Labels(file) => {
            let rec = recorded(file);
            let (w, g) = (labels(&rec.text), labels(&out.stdout));
            if w != g || out.code() != Some(rec.exit) {
                return Err(format!(
                    "`mco {cmd}`: layout differs from {file}: want {w:?}, got {g:?}\n{}",
                    context()
                ));
            }
            return Ok(());
        }
    };
    if out.code() != Some(exit) {
        return Err(format!(
            "`mco {cmd}` exit status {:?}, want {exit}\n{}",
            out.code(),
            context()
        ));
    }
    let got = normalize(&out.stdout);
    if want != got {
        return Err(format!(
            "`mco {cmd}` output differs after normalization: {}\n---- want ----\n{want}---- got ----\n{got}{}",
            first_difference(&want, &got),
            context()
        ));
    }
    Ok(())
}

fn run_wave(lab: &Lab, wave: &[Case], failures: &mut Vec<String>) {
    let outs: Vec<harness::Output> = thread::scope(|s| {
        let handles: Vec<_> = wave
            .iter()
            .enumerate()
            .map(|(i, case)| {
                s.spawn(move || lab.client(ours(), &[], &format!("ours-{i}"), case.args))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("runner"))
            .collect()
    });
    for (case, out) in wave.iter().zip(&outs) {
        if let Err(e) = check(case, out) {
            failures.push(e);
        }
    }
}

#[test]
fn our_client_against_real_mcollectived() {
    let Some(peers) = find_peers() else {
        return;
    };
    let mut lab = Lab::start(&peers);
    lab.wait_for_nodes(Duration::from_secs(30));

    let mut failures = Vec::new();
    run_wave(&lab, WAVE_SLOW, &mut failures);
    run_wave(&lab, WAVE_FAST, &mut failures);

    // --expect 3 stops as soon as the three nodes answered.
    let start = Instant::now();
    let out = lab.client(ours(), &[], "ours-expect", &["ping", "--expect", "3"]);
    let took = start.elapsed();
    let case = Case {
        args: &["ping", "--expect", "3"],
        want: Want::Recorded("01-ping.txt"),
    };
    if let Err(e) = check(&case, &out) {
        failures.push(e);
    }
    if took >= Duration::from_secs(2) {
        failures.push(format!(
            "`mco ping --expect 3` took {took:?}, want far below the 5 s window"
        ));
    }
    // Plain identities are the expected set too.
    let start = Instant::now();
    let out = lab.client(ours(), &[], "ours-ping-I", &["ping", "-I", "node2"]);
    let took = start.elapsed();
    let case = Case {
        args: &["ping", "-I", "node2"],
        want: Want::Recorded("10-ping-identity-filter.txt"),
    };
    if let Err(e) = check(&case, &out) {
        failures.push(e);
    }
    if took >= Duration::from_secs(2) {
        failures.push(format!("`mco ping -I node2` took {took:?}"));
    }

    lab.assert_alive();
    if !failures.is_empty() {
        panic!(
            "{} checks failed:\n\n{}\n\n{}",
            failures.len(),
            failures.join("\n\n"),
            lab.logs()
        );
    }
}

#[test]
fn removing_the_progress_line_keeps_the_rest() {
    let rec = recorded("02-rpc-ping.txt");
    let stripped = without_progress(&rec.text);
    assert!(!stripped.contains('\r'));
    assert_eq!(
        stripped.lines().count() + 1,
        rec.text.lines().count(),
        "exactly one line goes"
    );
    assert!(
        stripped.starts_with(
            "Discovering hosts using the mc method for 2 second(s) .... 3\n\n\n\nnode1"
        )
    );
}
