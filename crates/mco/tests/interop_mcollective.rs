//! Interoperability: the real MCollective 2.12 (`mcollectived` daemons and the `mco`
//! client, Debian packages `mcollective`, `mcollective-client`) talking through
//! `mco broker`.
//!
//! The test renders the lab configuration from `testdata/mcollective/` into a temporary
//! run directory (three nodes: node1 on STOMP 1.1 with heart-beats, node2 and node3 on
//! STOMP 1.0, node3 with registration), starts `mco broker` and three `mcollectived`,
//! waits until discovery finds all three, then runs real client commands and compares
//! their output with the output recorded against ActiveMQ (`testdata/mcollective/outputs`).
//!
//! Normalization before comparing (applied to both sides; everything else must match
//! byte for byte, including the exit status):
//! * `time=12.34 ms` -> `time=<T> ms`, `in 12.34 ms` -> `in <T> ms`;
//! * the ping statistics numbers after `max:`, `min:`, `avg:` (the reply count stays);
//! * `Timestamp: <epoch seconds>`;
//! * the progress-bar line (`\r0 / 3\r1 / 3...`) is reduced to its last state (`3 / 3`);
//! * the order of per-node lines and blocks, which follows reply order and is not
//!   deterministic, is sorted (a block is a line starting with a node name plus its
//!   indented continuation lines and the blank line after them).
//!
//! Missing MCollective skips the test (`skipped: ...` on stderr) unless
//! `MARIONETTE_REQUIRE_INTEROP=1`, which makes it fail.  `MARIONETTE_INTEROP_BROKER=HOST:PORT`
//! runs everything against another broker (e.g. ActiveMQ with the lab configuration).

#[path = "peers/harness.rs"]
mod harness;
#[path = "peers/mcollective_lab.rs"]
mod mcollective_lab;

use mcollective_lab::{Daemon, Lab, find_peers, first_difference, normalize, recorded};
use std::thread;
use std::time::Duration;

/// One client command and what to compare it with.
struct Case {
    /// The arguments after `mco`.
    args: &'static [&'static str],
    /// The recorded output file under testdata/mcollective/outputs.
    recorded: &'static str,
    /// Whether the recorded file is for exactly this command (otherwise it is the
    /// recording of an equivalent command with the same expected output).
    same_command: bool,
}

const CASES: &[Case] = &[
    Case {
        args: &["ping"],
        recorded: "01-ping.txt",
        same_command: true,
    },
    Case {
        args: &["ping", "-F", "role=web"],
        recorded: "08-ping-fact-filter.txt",
        same_command: true,
    },
    Case {
        args: &["rpc", "rpcutil", "ping", "--batch", "1"],
        recorded: "14-rpc-ping-batch1.txt",
        same_command: true,
    },
    Case {
        args: &["rpc", "rpcutil", "ping"],
        recorded: "02-rpc-ping.txt",
        same_command: true,
    },
    Case {
        args: &["rpc", "rpcutil", "inventory"],
        recorded: "03-rpc-inventory.txt",
        same_command: true,
    },
    Case {
        args: &["rpc", "rpcutil", "get_fact", "fact=role"],
        recorded: "04-rpc-get_fact.txt",
        same_command: true,
    },
    Case {
        args: &["rpc", "rpcutil", "ping", "-I", "node1"],
        recorded: "12-rpc-ping-direct-node1.txt",
        same_command: true,
    },
    Case {
        args: &["find"],
        recorded: "05-find.txt",
        same_command: true,
    },
    Case {
        args: &["find", "-F", "role=/^w/"],
        recorded: "23-find-fact-regex.txt",
        same_command: true,
    },
    // Not recorded as such: `role=web` selects the same nodes as `role=/^w/` (node1, node3).
    Case {
        args: &["find", "-F", "role=web"],
        recorded: "23-find-fact-regex.txt",
        same_command: false,
    },
    Case {
        args: &["ping", "-C", "roles::web"],
        recorded: "11-ping-class-filter.txt",
        same_command: true,
    },
    Case {
        args: &["ping", "-I", "node2"],
        recorded: "10-ping-identity-filter.txt",
        same_command: true,
    },
    Case {
        args: &["ping", "-W", "osfamily=Debian roles::web"],
        recorded: "26-ping-with-filter-combo.txt",
        same_command: true,
    },
    Case {
        args: &["ping", "-A", "rpcutil"],
        recorded: "24-ping-agent-filter.txt",
        same_command: true,
    },
    Case {
        args: &["find", "-S", "role=web and country=uk"],
        recorded: "15-find-compound.txt",
        same_command: true,
    },
    Case {
        args: &["find", "-S", "fact('role').value=web"],
        recorded: "35-find-compound-functions.txt",
        same_command: false, // recorded with shell quotes around the expression
    },
    Case {
        args: &["rpc", "rpcutil", "ping", "-I", "/node[12]/"],
        recorded: "16-rpc-ping-identity-regex.txt",
        same_command: true,
    },
    Case {
        args: &[
            "rpc",
            "rpcutil",
            "get_config_item",
            "item=no_such_item",
            "-I",
            "node3",
        ],
        recorded: "19-rpc-get_config_item-fail.txt",
        same_command: true,
    },
];

fn check_case(lab: &Lab, case: &Case, out: &harness::Output) -> Result<(), String> {
    let rec = recorded(case.recorded);
    let cmd = case.args.join(" ");
    if case.same_command && rec.command != cmd {
        return Err(format!(
            "{}: recorded command is `mco {}`, not `mco {cmd}`",
            case.recorded, rec.command
        ));
    }
    let context = || {
        format!(
            "---- mco {cmd} ----\n{}\n---- recorded ({}) ----\n{}",
            out.describe(),
            case.recorded,
            rec.text
        )
    };
    if out.timed_out {
        return Err(format!("`mco {cmd}` timed out\n{}", context()));
    }
    if out.code() != Some(rec.exit) {
        return Err(format!(
            "`mco {cmd}` exit status {:?}, recorded {}\n{}",
            out.code(),
            rec.exit,
            context()
        ));
    }
    if out.stdout.contains("No response from") {
        return Err(format!(
            "`mco {cmd}`: some node did not answer\n{}",
            context()
        ));
    }
    let (want, got) = (normalize(&rec.text), normalize(&out.stdout));
    if want != got {
        let _ = lab;
        return Err(format!(
            "`mco {cmd}` output differs from {} after normalization: {}\n---- normalized want ----\n{want}---- normalized got ----\n{got}{}",
            case.recorded,
            first_difference(&want, &got),
            context()
        ));
    }
    Ok(())
}

/// Runs every case against `lab` (in two concurrent waves, to bound the load) and
/// returns the failures.
fn run_cases(lab: &Lab) -> Vec<String> {
    let mut failures = Vec::new();
    let (first, second) = CASES.split_at(CASES.len() / 2);
    for wave in [first, second] {
        let results: Vec<(usize, harness::Output)> = thread::scope(|s| {
            let handles: Vec<_> = wave
                .iter()
                .enumerate()
                .map(|(i, case)| {
                    s.spawn(move || {
                        (
                            i,
                            lab.mco(
                                &format!("{}-{i}", case.recorded.trim_end_matches(".txt")),
                                case.args,
                            ),
                        )
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("mco runner"))
                .collect()
        });
        for (i, out) in results {
            if let Err(e) = check_case(lab, &wave[i], &out) {
                failures.push(e);
            }
        }
    }
    failures
}

/// The real `mco` commands against a lab of `daemons`, compared with the recordings.
fn recorded_answers_from(daemons: &[Daemon]) -> Option<Lab> {
    let peers = find_peers()?;
    let mut lab = Lab::start_with(&peers, daemons);
    lab.wait_for_nodes(Duration::from_secs(30));
    let failures = run_cases(&lab);
    lab.assert_alive();
    if !failures.is_empty() {
        panic!(
            "{} of {} commands failed against {daemons:?} daemons:\n\n{}\n\n{}",
            failures.len(),
            CASES.len(),
            failures.join("\n\n"),
            lab.logs()
        );
    }
    Some(lab)
}

#[test]
fn real_mcollective_through_mco_broker() {
    let Some(mut lab) = recorded_answers_from(&[Daemon::Real; 3]) else {
        return;
    };
    if !lab.broker.is_external() {
        // Stop the daemons first, then the broker must exit cleanly on SIGTERM.
        for g in &mut lab.nodes {
            g.stop();
        }
        let status = lab.broker.stop();
        assert!(
            status.is_some_and(|s| s.success()),
            "mco broker did not exit cleanly on SIGTERM: {status:?}"
        );
    }
}

/// Real `mco` drives three of our daemons (with the lab nodes' configs, facts and
/// classes) and gets the answers the real daemons gave.
#[test]
fn real_mco_through_our_daemons() {
    recorded_answers_from(&[Daemon::Ours; 3]);
}

/// A mixed fleet: node1-3 real, node4-6 ours (with node1-3's facts). The real `mco` and
/// ours both see all six, in discovery and in an RPC call.
#[test]
fn mixed_fleet_answers_as_one() {
    let Some(peers) = find_peers() else {
        return;
    };
    let daemons = [
        Daemon::Real,
        Daemon::Real,
        Daemon::Real,
        Daemon::Ours,
        Daemon::Ours,
        Daemon::Ours,
    ];
    let mut lab = Lab::start_with(&peers, &daemons);
    lab.wait_for_nodes(Duration::from_secs(30));
    let ours = std::path::PathBuf::from(env!("CARGO_BIN_EXE_mco"));
    for (client, out) in [
        (
            "real",
            lab.mco(
                "mixed-real-rpc",
                &["rpc", "rpcutil", "ping", "-F", "osfamily=/./"],
            ),
        ),
        (
            "ours",
            lab.client(
                &ours,
                &[],
                "mixed-ours-rpc",
                &["rpc", "rpcutil", "ping", "-F", "osfamily=/./"],
            ),
        ),
    ] {
        assert!(
            out.success(),
            "{client} mco rpc: {}\n{}",
            out.describe(),
            lab.logs()
        );
        assert!(
            out.stdout.contains("Finished processing 6 / 6 hosts"),
            "{client} mco rpc did not hear all six:\n{}\n{}",
            out.describe(),
            lab.logs()
        );
        assert!(
            !out.stdout.contains("No response from"),
            "{client}: {}",
            out.describe()
        );
    }
    for (client, out) in [
        ("real", lab.mco("mixed-real-find", &["find"])),
        ("ours", lab.client(&ours, &[], "mixed-ours-find", &["find"])),
    ] {
        let mut found: Vec<&str> = out
            .stdout
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("node"))
            .collect();
        found.sort();
        assert_eq!(
            found,
            ["node1", "node2", "node3", "node4", "node5", "node6"],
            "{client} mco find: {}",
            out.describe()
        );
    }
    lab.assert_alive();
}

/// The comparison is strict: the normalization must not hide missing nodes, wrong
/// facts or a wrong count.
#[test]
fn normalization_keeps_what_matters() {
    let rec = recorded("02-rpc-ping.txt");
    let mut shuffled = rec.text.replace("1795794190", "1800000000");
    shuffled = shuffled.replace("32.49 ms", "1.00 ms");
    // swap node1 and node3 blocks
    shuffled = shuffled
        .replace("node1 ", "nodeX ")
        .replace("node3 ", "node1 ")
        .replace("nodeX ", "node3 ");
    assert_eq!(normalize(&rec.text), normalize(&shuffled));

    let missing = rec.text.replace(
        "node3                                    \n   Timestamp: 1795794190\n\n",
        "",
    );
    assert_ne!(normalize(&rec.text), normalize(&missing));
    assert_ne!(
        normalize(&rec.text),
        normalize(&rec.text.replace("3 / 3 hosts", "2 / 3 hosts"))
    );

    let ping = recorded("01-ping.txt");
    assert_ne!(
        normalize(&ping.text),
        normalize(&ping.text.replace("3 replies", "2 replies"))
    );
    assert_eq!(
        normalize(&ping.text),
        normalize(&ping.text.replace("time=32.46", "time=1.5"))
    );

    let inv = recorded("03-rpc-inventory.txt");
    assert_ne!(
        normalize(&inv.text),
        normalize(
            &inv.text
                .replace("\"country\"=>\"uk\"", "\"country\"=>\"de\"")
        )
    );
    assert_ne!(
        normalize(&inv.text),
        normalize(&inv.text.replace("roles::db", "roles::web"))
    );

    let find = recorded("05-find.txt");
    assert_eq!(normalize(&find.text), "node1\nnode2\nnode3\n");
    assert_eq!(recorded("14-rpc-ping-batch1.txt").exit, 0);
}
