//! Properties of the audit chain: any bytes are verified or refused without a panic, and
//! in a generated log of either format the verifier names exactly the line that was
//! edited, deleted or inserted (anywhere but at the very end, which a keyless chain
//! cannot tell).

use marionette_security::audit::chain::{Break, GENESIS, sha256_hex};
use marionette_security::audit::line::render;
use marionette_security::audit::verify::{VerifyError, verify_reader};
use marionette_security::audit::{Decision, Format, Record};
use marionette_wire::Value;
use proptest::prelude::*;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

fn record(n: usize) -> Record {
    Record {
        time: UNIX_EPOCH + Duration::from_secs(1_700_000_000 + n as u64),
        requestid: format!("req{n}"),
        requesttime: 1_700_000_000,
        callerid: "uid=0".into(),
        senderid: "client".into(),
        agent: "rpcutil".into(),
        action: "ping".into(),
        data: Value::Hash(vec![(Value::sym("n"), Value::Int(n as i64))]),
        decision: Decision::Run,
        reason: None,
    }
}

/// A chained log of `n` lines.
fn log(n: usize, format: Format) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for i in 0..n {
        let prev = lines
            .last()
            .map_or(GENESIS.to_owned(), |l| sha256_hex(l.as_bytes()));
        lines.push(render(&record(i), format, i as u64 + 1, &prev));
    }
    lines
}

fn verify(lines: &[String]) -> Result<u64, Break> {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    match verify_reader(text.as_bytes(), Path::new("audit.log")) {
        Ok(summary) => Ok(summary.lines),
        Err(VerifyError::Broken { broken, .. }) => Err(broken),
        Err(other) => panic!("{other}"),
    }
}

fn format() -> impl Strategy<Value = Format> {
    prop_oneof![Just(Format::Jsonl), Just(Format::Logfile)]
}

proptest! {
    #[test]
    fn any_bytes_are_verified_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = verify_reader(bytes.as_slice(), Path::new("x"));
    }

    #[test]
    fn a_log_with_random_lines_spliced_in_never_panics(
        n in 1usize..12,
        f in format(),
        junk in prop::collection::vec((0usize..12, "[ -~]{0,40}"), 0..4),
    ) {
        let mut lines = log(n, f);
        for (at, text) in junk {
            lines.insert(at.min(lines.len()), text);
        }
        let _ = verify(&lines);
    }

    #[test]
    fn an_intact_log_verifies(n in 0usize..20, f in format()) {
        prop_assert_eq!(verify(&log(n, f)), Ok(n as u64));
    }

    #[test]
    fn an_edited_line_is_named(n in 2usize..20, pick in any::<prop::sample::Index>(), f in format()) {
        let mut lines = log(n, f);
        let i = pick.index(n - 1);
        // The chain fields kept, the content changed.
        let fields = marionette_security::audit::line::chain_fields(lines[i].as_bytes()).unwrap();
        lines[i] = render(&record(1000 + i), f, fields.seq, &fields.prev);
        prop_assert_eq!(verify(&lines), Err(Break::Edited { line: i as u64 + 1 }));
    }

    #[test]
    fn a_deleted_line_is_named(n in 3usize..20, pick in any::<prop::sample::Index>(), f in format()) {
        let mut lines = log(n, f);
        let i = 1 + pick.index(n - 2);
        lines.remove(i);
        prop_assert_eq!(
            verify(&lines),
            Err(Break::Deleted { line: i as u64 + 1, count: 1, from: i as u64, to: i as u64 + 2 })
        );
    }

    #[test]
    fn an_inserted_line_is_named(n in 2usize..20, pick in any::<prop::sample::Index>(), f in format()) {
        let mut lines = log(n, f);
        let i = 1 + pick.index(n - 1);
        let forged = render(&record(2000), f, i as u64 + 1, &sha256_hex(lines[i - 1].as_bytes()));
        lines.insert(i, forged);
        prop_assert_eq!(
            verify(&lines),
            Err(Break::Inserted { line: i as u64 + 1, seq: i as u64 + 1, last: i as u64 + 1 })
        );
    }
}
