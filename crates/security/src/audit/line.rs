//! The two line formats of the audit log and the chain fields each line ends with.
//!
//! `jsonl`, one JSON object a line, keys in this order:
//! `{"time":"2024-05-01T10:00:00.123456Z","seq":7,"requestid":"…","requesttime":1714557600,
//! "callerid":"uid=0","senderid":"client1","agent":"rpcutil","action":"ping",
//! "data_sha256":"…","decision":"run","prev":"…"}` (`"reason"` before `"prev"` for a
//! request that did not run).
//!
//! `logfile`, MCollective's `audit/logfile.rb` line, with three fields added at its end:
//! `[2024-05-01 10:00:00 UTC] reqid=…: reqtime=1714557600 caller=uid=0@client1
//! agent=rpcutil action=ping data={:process_results=>true} decision=run seq=7 prev=…`.
//! Control characters in the text fields are written `\xHH` so that a line stays one line;
//! request data longer than [`MAX_DATA_TEXT`] is cut and says how much was left out.
//!
//! `prev` is the SHA-256 (hex) of the line before, without its newline, and `seq` counts
//! lines from 1; see `chain` for how they are checked.

use super::{Decision, Format, Record};
use marionette_wire::Value;
use marionette_wire::inspect::pretty_print_inspect;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// The most request data text a logfile line carries, in bytes.
pub const MAX_DATA_TEXT: usize = 32 * 1024;

/// A JSON line as written.
#[derive(Serialize)]
struct JsonLine<'a> {
    time: String,
    seq: u64,
    requestid: &'a str,
    requesttime: i64,
    callerid: &'a str,
    senderid: &'a str,
    agent: &'a str,
    action: &'a str,
    data_sha256: String,
    decision: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    prev: &'a str,
}

/// The fields of a JSON line the chain needs.
#[derive(Deserialize)]
struct JsonChain {
    seq: u64,
    prev: String,
}

/// A line's place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainFields {
    pub seq: u64,
    pub prev: String,
}

/// `record` as one line of `format` (no newline), numbered `seq` after a line hashing to
/// `prev`.
pub fn render(record: &Record, format: Format, seq: u64, prev: &str) -> String {
    match format {
        Format::Jsonl => {
            let line = JsonLine {
                time: rfc3339(record.time),
                seq,
                requestid: &record.requestid,
                requesttime: record.requesttime,
                callerid: &record.callerid,
                senderid: &record.senderid,
                agent: &record.agent,
                action: &record.action,
                data_sha256: data_digest(&record.data),
                decision: record.decision.as_str(),
                reason: record.reason.as_deref(),
                prev,
            };
            serde_json::to_string(&line).unwrap_or_default()
        }
        Format::Logfile => format!(
            "[{}] reqid={}: reqtime={} caller={}@{} agent={} action={} data={} decision={} seq={seq} prev={prev}",
            logfile_time(record.time),
            escape(&record.requestid),
            record.requesttime,
            escape(&record.callerid),
            escape(&record.senderid),
            escape(&record.agent),
            escape(&record.action),
            data_text(&record.data),
            record.decision.as_str(),
        ),
    }
}

/// The chain fields of a line of either format, `None` when it has none.
pub fn chain_fields(line: &[u8]) -> Option<ChainFields> {
    if line.first() == Some(&b'{') {
        let parsed: JsonChain = serde_json::from_slice(line).ok()?;
        return Some(ChainFields {
            seq: parsed.seq,
            prev: parsed.prev,
        });
    }
    let text = std::str::from_utf8(line).ok()?;
    let mut tail = text.rsplitn(3, ' ');
    let prev = tail.next()?.strip_prefix("prev=")?;
    let seq = tail.next()?.strip_prefix("seq=")?.parse().ok()?;
    Some(ChainFields {
        seq,
        prev: prev.to_owned(),
    })
}

/// SHA-256 (hex) of `Marshal.dump` of the request data, the bytes Ruby would dump.
pub fn data_digest(data: &Value) -> String {
    super::chain::sha256_hex(&marionette_wire::marshal::dump(data))
}

/// The data as MCollective writes it (`pretty_print_inspect`), cut at
/// [`MAX_DATA_TEXT`] bytes.
fn data_text(data: &Value) -> String {
    let mut text = escape(&pretty_print_inspect(data));
    if text.len() > MAX_DATA_TEXT {
        let mut cut = MAX_DATA_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let left_out = text.len() - cut;
        text.truncate(cut);
        text.push_str(&format!("...({left_out} more bytes)"));
    }
    text
}

/// Control characters as `\xHH`, so that a field cannot break its line.
fn escape(s: &str) -> String {
    if !s.chars().any(|c| c.is_control()) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() && (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02X}", c as u32));
        } else if c.is_control() {
            out.push_str(&format!("\\u{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// UTC date and time of `t`, and its microseconds.
fn utc(t: SystemTime) -> (time::OffsetDateTime, u32) {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(0);
    let at =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    (at, since.subsec_micros())
}

/// `2024-05-01{sep}10:00:00` in UTC, and the microseconds.
fn date_time(t: SystemTime, sep: char) -> (String, u32) {
    let (at, micros) = utc(t);
    let (month, day) = (u8::from(at.month()), at.day());
    let (hour, minute, second) = (at.hour(), at.minute(), at.second());
    let text = format!(
        "{:04}-{month:02}-{day:02}{sep}{hour:02}:{minute:02}:{second:02}",
        at.year()
    );
    (text, micros)
}

/// `2024-05-01 10:00:00 UTC`, as `logfile.rb` writes the time.
pub fn logfile_time(t: SystemTime) -> String {
    format!("{} UTC", date_time(t, ' ').0)
}

/// `2024-05-01T10:00:00.123456Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let (text, micros) = date_time(t, 'T');
    format!("{text}.{micros:06}Z")
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Run => "run",
            Decision::Denied => "denied",
            Decision::Invalid => "invalid",
        }
    }
}
