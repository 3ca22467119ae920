//! The audit log's lines byte for byte (the `logfile` line as MCollective 2.12's
//! `audit/logfile.rb` under Ruby 3.1 writes it for the same request, the data digests as
//! Ruby's `Digest::SHA256.hexdigest(Marshal.dump(data))`), the chain across restarts and
//! rotations, and the verifier catching edits, inserts and deletions.

use super::chain::{Break, GENESIS, sha256_hex};
use super::verify::{VerifyError, verify_files};
use super::writer::LogFile;
use super::*;
use crate::testing::TempDir;
use std::time::UNIX_EPOCH;

struct Dir(TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(TempDir::new("marionette-audit"))
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

/// 2026-12-04 18:41:35.000123 UTC.
fn at() -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(1_796_409_695_000_123)
}

fn rich_data() -> Value {
    Value::Hash(vec![
        (Value::sym("process_results"), Value::Bool(true)),
        (Value::str("str"), Value::str("a\"b\n\u{e9}")),
        (Value::sym("sym"), Value::sym("x")),
        (Value::sym("f"), Value::Float(1.5)),
        (Value::sym("n"), Value::Nil),
        (
            Value::sym("arr"),
            Value::Array(vec![Value::Int(1), Value::str("two"), Value::sym("three")]),
        ),
        (
            Value::sym("big"),
            Value::BigInt {
                negative: false,
                magnitude: vec![210, 10, 31, 235, 140, 169, 84, 171],
            },
        ),
        (
            Value::sym("h"),
            Value::Hash(vec![(
                Value::str("k"),
                Value::Hash(vec![(
                    Value::sym("deep"),
                    Value::Array(vec![Value::Bool(true), Value::Bool(false)]),
                )]),
            )]),
        ),
    ])
}

fn record(n: u64, decision: Decision) -> Record {
    Record {
        time: at(),
        requestid: format!("req{n}"),
        requesttime: 1_700_000_000,
        callerid: "uid=0".into(),
        senderid: "client.example".into(),
        agent: "rpcutil".into(),
        action: "ping".into(),
        data: Value::Hash(vec![(Value::sym("process_results"), Value::Bool(true))]),
        decision,
        reason: (decision != Decision::Run).then(|| "not for you".to_string()),
    }
}

#[test]
fn logfile_line_is_mcollectives_with_the_chain_at_its_end() {
    let r = Record {
        requestid: "0123456789abcdef0123456789abcdef".into(),
        data: rich_data(),
        ..record(0, Decision::Run)
    };
    let ruby = r#"[2026-12-04 18:41:35 UTC] reqid=0123456789abcdef0123456789abcdef: reqtime=1700000000 caller=uid=0@client.example agent=rpcutil action=ping data={:process_results=>true, "str"=>"a\"b\n" + "é", :sym=>:x, :f=>1.5, :n=>nil, :arr=>[1, "two", :three], :big=>12345678901234567890, :h=>{"k"=>{:deep=>[true, false]}}}"#;
    assert_eq!(
        line::render(&r, Format::Logfile, 1, GENESIS),
        format!("{ruby} decision=run seq=1 prev={GENESIS}")
    );
    let denied = Record {
        senderid: "evil\nline".into(),
        ..record(2, Decision::Denied)
    };
    assert_eq!(
        line::render(&denied, Format::Logfile, 8, "ab"),
        "[2026-12-04 18:41:35 UTC] reqid=req2: reqtime=1700000000 caller=uid=0@evil\\x0Aline agent=rpcutil action=ping data={:process_results=>true} decision=denied seq=8 prev=ab"
    );
}

#[test]
fn jsonl_line_and_data_digest() {
    assert_eq!(
        line::data_digest(&rich_data()),
        "2ea003c35cb2c0f7c19e0fb6f95f5269dbc8e823a9d90697a2e19cd1a4f516ec"
    );
    assert_eq!(
        line::render(&record(1, Decision::Run), Format::Jsonl, 3, "ff"),
        r#"{"time":"2026-12-04T18:41:35.000123Z","seq":3,"requestid":"req1","requesttime":1700000000,"callerid":"uid=0","senderid":"client.example","agent":"rpcutil","action":"ping","data_sha256":"63419434a6b15afa04e3efbf8f193a732fdfee4c209cf99d12296d3019d489cc","decision":"run","prev":"ff"}"#
    );
    let invalid = line::render(&record(1, Decision::Invalid), Format::Jsonl, 4, "ff");
    assert!(
        invalid.ends_with(r#""decision":"invalid","reason":"not for you","prev":"ff"}"#),
        "{invalid}"
    );
}

#[test]
fn long_data_is_cut_and_says_so() {
    let r = Record {
        data: Value::Hash(vec![(Value::sym("x"), Value::str("y".repeat(40_000)))]),
        ..record(1, Decision::Run)
    };
    let text = line::render(&r, Format::Logfile, 1, GENESIS);
    let data = text.split(" data=").nth(1).unwrap();
    let (kept, rest) = data.split_once("...(").unwrap();
    // `{:x=>"` and `"}` around 40,000 letters: 40,008 bytes.
    assert_eq!(kept.len(), line::MAX_DATA_TEXT);
    assert!(
        rest.starts_with("7240 more bytes) decision=run seq=1 "),
        "{rest}"
    );
}

fn write(path: &Path, format: Format, records: &[Record]) {
    let mut file = LogFile::open(path, format).unwrap();
    for r in records {
        file.write(std::slice::from_ref(r)).unwrap();
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn broken(path: &Path) -> Break {
    match verify_files(&[path.to_path_buf()]) {
        Err(VerifyError::Broken { broken, .. }) => broken,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_chain_survives_restarts_and_catches_edits_inserts_and_deletions() {
    for format in [Format::Logfile, Format::Jsonl] {
        let dir = Dir::new();
        let path = dir.file("audit.log");
        let records: Vec<Record> = (1..=6)
            .map(|n| record(n, [Decision::Run, Decision::Denied][n as usize % 2]))
            .collect();
        // Two runs of the writer: the second picks up the chain from the last line.
        write(&path, format, &records[..3]);
        write(&path, format, &records[3..]);
        let good = lines(&path);
        assert_eq!(good.len(), 6);
        let summary = &verify_files(std::slice::from_ref(&path)).unwrap()[0];
        assert_eq!(
            (summary.lines, summary.head.seq, summary.is_new_log()),
            (6, 6, true)
        );
        assert_eq!(summary.head.hash, sha256_hex(good[5].as_bytes()));
        assert_eq!(
            line::chain_fields(good[3].as_bytes()).unwrap().prev,
            sha256_hex(good[2].as_bytes())
        );

        let rewrite = |lines: &[String]| std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        // Edited: line 3's request id changed.
        let mut edited = good.clone();
        edited[2] = edited[2].replacen("req3", "req7", 1);
        assert_ne!(edited[2], good[2]);
        rewrite(&edited);
        assert_eq!(broken(&path), Break::Edited { line: 3 }, "{format:?}");
        // Deleted: line 4 gone.
        let mut deleted = good.clone();
        deleted.remove(3);
        rewrite(&deleted);
        assert_eq!(
            broken(&path),
            Break::Deleted {
                line: 4,
                count: 1,
                from: 3,
                to: 5
            }
        );
        // Inserted, well forged: number and hash follow line 2, so line 4 (the old 3)
        // repeats its number.
        let mut inserted = good.clone();
        let forged = line::render(
            &record(9, Decision::Run),
            format,
            3,
            &sha256_hex(good[1].as_bytes()),
        );
        inserted.insert(2, forged);
        rewrite(&inserted);
        assert_eq!(
            broken(&path),
            Break::Inserted {
                line: 3,
                seq: 3,
                last: 3
            }
        );
        // Inserted, a line copied from elsewhere.
        let mut copied = good.clone();
        copied.insert(4, good[1].clone());
        rewrite(&copied);
        assert_eq!(
            broken(&path),
            Break::Inserted {
                line: 5,
                seq: 2,
                last: 4
            }
        );
        // A plain line in the middle.
        let mut plain = good.clone();
        plain.insert(1, "hello".into());
        rewrite(&plain);
        assert_eq!(broken(&path), Break::Unchained { line: 2 });
        rewrite(&good);
        assert!(verify_files(std::slice::from_ref(&path)).is_ok());
    }
}

#[test]
fn a_rotated_file_continues_the_chain() {
    let dir = Dir::new();
    let path = dir.file("audit.log");
    let mut file = LogFile::open(&path, Format::Jsonl).unwrap();
    file.write(&[record(1, Decision::Run), record(2, Decision::Run)])
        .unwrap();
    // logrotate's default: the file is moved away, and the next write makes a new one.
    let old = dir.file("audit.log.1");
    std::fs::rename(&path, &old).unwrap();
    file.write(&[record(3, Decision::Denied)]).unwrap();
    let old_lines = lines(&old);
    let new_lines = lines(&path);
    assert_eq!((old_lines.len(), new_lines.len()), (2, 1));
    let first = line::chain_fields(new_lines[0].as_bytes()).unwrap();
    assert_eq!(
        (first.seq, first.prev.as_str()),
        (3, sha256_hex(old_lines[1].as_bytes()).as_str())
    );
    // The new file alone is intact and says where it continues from; both together
    // link up; in the wrong order they do not.
    let alone = &verify_files(std::slice::from_ref(&path)).unwrap()[0];
    assert!(!alone.is_new_log());
    assert_eq!(alone.first.as_ref().map(|f| f.0), Some(3));
    assert_eq!(verify_files(&[old.clone(), path.clone()]).unwrap().len(), 2);
    assert!(matches!(
        verify_files(&[path.clone(), old.clone()]),
        Err(VerifyError::Unlinked { .. })
    ));
    // copytruncate: the file is cut to nothing and written on.
    std::fs::write(&path, "").unwrap();
    file.write(&[record(4, Decision::Run)]).unwrap();
    let truncated = &verify_files(std::slice::from_ref(&path)).unwrap()[0];
    assert_eq!((truncated.lines, truncated.head.seq), (1, 4));
    assert_eq!(
        truncated.first.as_ref().map(|f| f.1.clone()),
        Some(sha256_hex(new_lines[0].as_bytes()))
    );
}

#[test]
fn an_older_log_without_chain_is_taken_over() {
    let dir = Dir::new();
    let path = dir.file("audit.log");
    let old = "[2024-01-01 00:00:00 UTC] reqid=a: reqtime=1 caller=uid=0@x agent=rpcutil action=ping data={}\n\
               [2024-01-01 00:00:01 UTC] reqid=b: reqtime=1 caller=uid=0@x agent=rpcutil action=ping data={}";
    // The last line was cut short (no newline): the writer ends it first.
    std::fs::write(&path, old).unwrap();
    write(&path, Format::Logfile, &[record(1, Decision::Run)]);
    let all = lines(&path);
    assert_eq!(all.len(), 3);
    let first = line::chain_fields(all[2].as_bytes()).unwrap();
    assert_eq!((first.seq, first.prev), (1, sha256_hex(all[1].as_bytes())));
    let summary = &verify_files(std::slice::from_ref(&path)).unwrap()[0];
    assert_eq!((summary.unchained, summary.head.seq), (2, 1));
    assert!(
        summary
            .to_string()
            .contains("after 2 lines written before the chain began")
    );
}

#[test]
fn a_full_queue_drops_and_counts() {
    let dir = Dir::new();
    let path = dir.file("audit.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    // Opened for reading and writing, the FIFO takes 64 KiB and then blocks the writer.
    let counters = Arc::new(Counters::default());
    let settings = Settings {
        format: Format::Logfile,
        path: path.clone(),
    };
    let auditor = Auditor::with_queue(&settings, counters.clone(), 2).unwrap();
    let big = Record {
        data: Value::Hash(vec![(Value::sym("x"), Value::str("y".repeat(40_000)))]),
        ..record(1, Decision::Run)
    };
    let mut sent = 0;
    while counters.dropped.load(Relaxed) == 0 {
        assert!(sent < 100_000, "the queue never filled");
        auditor.record(big.clone());
        sent += 1;
    }
    // Let the writer finish: read the FIFO until the writer closes it.
    let reader = std::thread::spawn(move || {
        let mut fifo = std::fs::File::open(&path).unwrap();
        std::io::copy(&mut fifo, &mut std::io::sink()).unwrap()
    });
    drop(auditor);
    let bytes = reader.join().unwrap();
    let written = counters.written.load(Relaxed);
    assert_eq!(written + counters.dropped.load(Relaxed), sent);
    assert!(
        bytes > 64 * 1024 && written >= 2,
        "{bytes} bytes, {written} lines"
    );
}

#[test]
fn settings_name_the_provider_and_file() {
    assert_eq!(
        Settings::new("logfile", None).unwrap(),
        Settings {
            format: Format::Logfile,
            path: DEFAULT_LOGFILE.into()
        }
    );
    assert_eq!(
        Settings::new("jsonl", Some("/tmp/a.jsonl")).unwrap().format,
        Format::Jsonl
    );
    assert_eq!(
        Settings::new("syslog", None).unwrap_err().to_string(),
        "rpcauditprovider \"syslog\" is not supported (logfile or jsonl)"
    );
    let dir = Dir::new();
    let missing = dir.file("no/such/dir/audit.log");
    let e = Auditor::start(
        &Settings {
            format: Format::Jsonl,
            path: missing.clone(),
        },
        Arc::default(),
    )
    .err()
    .unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "cannot open the audit log {}: No such file or directory (os error 2)",
            missing.display()
        )
    );
}
