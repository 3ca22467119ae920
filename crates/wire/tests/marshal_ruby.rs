//! Differential tests against the real Ruby (`ruby` on the PATH):
//! * values we dump, Ruby loads and dumps again to the very same bytes;
//! * values Ruby dumps, we load and dump again to the very same bytes.
//!
//! Without Ruby the tests are skipped, unless `MARIONETTE_REQUIRE_INTEROP=1` makes that a
//! failure.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use marionette_wire::marshal::{dump, load};
use marionette_wire::{Encoding, RString, Value};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// Reads length-prefixed Marshal blobs (u32 little-endian) on stdin, and writes each one
/// back, loaded and dumped again, in the same framing.
const REDUMP: &str = r#"
STDIN.binmode; STDOUT.binmode
while (head = STDIN.read(4))
  blob = STDIN.read(head.unpack1("V"))
  out = Marshal.dump(Marshal.load(blob))
  STDOUT.write([out.bytesize].pack("V"), out)
end
"#;

/// Dumps values that exercise every rule, in the same framing.
const TRICKY: &str = r#"
STDOUT.binmode
def out(v) = (d = Marshal.dump(v); STDOUT.write([d.bytesize].pack("V"), d))
ints = [0, 1, -1, 122, 123, -123, -124, 255, 256, -256, -257, 65535, 65536,
        2**30 - 1, 2**30, -(2**30), -(2**30) - 1, 2**31, -(2**31), 2**32, 2**48,
        2**62, -(2**62), 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**64, 3**90, -(7**77)]
ints.each { |i| out(i) }
out(ints)
floats = [0.0, -0.0, 1.5, -1.5, 0.1, 1.0 / 0, -1.0 / 0, 0.0 / 0, 1e1, 1.2e2, 125.0, 0.05, 1e-4,
          1e-5, 1e15, 1e16, 1e22, 1e23, 1e100, 1e300, 5e-324, 2.2250738585072014e-308,
          Float::MAX, Float::EPSILON, 2.0**255, 2.0**256, 2.0**257, 2.0**-255, -(2.0**-255),
          2.0**-256, 0.164961, 0.062417, 123456789.123, 1 / 3.0, 2 / 3.0, 100.0 / 7]
floats.each { |f| out(f) }
# Loaded copies: equal flonums are one object, other Floats separate ones. (The same
# heap Float object twice would be linked, which a Value cannot express.)
out(floats + Marshal.load(Marshal.dump(floats)))
r = Random.new(7)
out(Array.new(3000) { [r.bytes(8)].pack("a8").unpack1("E") })
out(Array.new(3000) { r.rand * 10.0**r.rand(-30..30) })
# Few significant bits at 16 to 17 digits: where two shortest texts can tie.
out(Array.new(3000) { r.rand(2**50...2**56) * 2.0**r.rand(-8..8) })
s = "shared"
sj = "\x82\xa0".force_encoding("Shift_JIS")
out(["héllo", "abc".encode("US-ASCII"), "\xff\x00".b, sj, "".b, ""])
out([s, s, "shared", sj, "b".force_encoding("Shift_JIS"), "c".force_encoding("EUC-JP"), sj,
     "é".encode("ISO-8859-1"), "x".encode("UTF-16LE")])
out([:a, :a, :E, :encoding, :"héllo", :"héllo", "x", :"日本"])
out({ "fact" => [], "cf_class" => [], "agent" => [s], "identity" => [], "compound" => [],
      :collective => s, :agent => s })
out([{ "a" => 1 }, { "a" => 2 }, { "a" => "a" }, "a"])
out({ [1, 2] => { 3 => [4.5, 4.5, nil, true, false] }, 1.5 => 1.5, nil => {} })
out([[[[[[[[]]]]]]]])
out(Array.new(300) { |i| "s#{i}" }.then { |a| a + a.reverse })
out(Array.new(200) { |i| :"sym#{i}" }.then { |a| a + a })
"#;

fn ruby() -> Option<&'static str> {
    let found = Command::new("ruby")
        .arg("-v")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some("ruby");
    }
    assert!(
        std::env::var("MARIONETTE_REQUIRE_INTEROP").as_deref() != Ok("1"),
        "ruby not installed and MARIONETTE_REQUIRE_INTEROP=1"
    );
    eprintln!("skipped: ruby not installed");
    None
}

fn run_ruby(ruby: &str, script: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(ruby)
        .args(["-e", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn ruby");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("ruby output");
    writer.join().unwrap().expect("write to ruby");
    assert!(out.status.success(), "ruby failed: {}", out.status);
    out.stdout
}

/// Where two dumps part, shown as text.
fn difference(ours: &[u8], theirs: &[u8]) -> String {
    let at = ours.iter().zip(theirs).take_while(|(a, b)| a == b).count();
    let show = |b: &[u8]| b.escape_ascii().to_string();
    let from = at.saturating_sub(30);
    format!(
        "at byte {at}: ours ...{} | theirs ...{}",
        show(&ours[from..ours.len().min(at + 30)]),
        show(&theirs[from..theirs.len().min(at + 30)])
    )
}

fn frame(blobs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for blob in blobs {
        out.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        out.extend_from_slice(blob);
    }
    out
}

fn unframe(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut blobs = Vec::new();
    while !bytes.is_empty() {
        let (head, rest) = bytes.split_at(4);
        let len = u32::from_le_bytes(head.try_into().unwrap()) as usize;
        blobs.push(rest[..len].to_vec());
        bytes = &rest[len..];
    }
    blobs
}

// Values as Ruby would hold them after `Marshal.load`, so that its dump is ours:
// * Hash keys are unique within a Hash (Ruby keeps one of equal keys), and String keys
//   are unique in the whole value and never shared, because Ruby interns String keys,
//   which makes equal ones one object and a key never the same object as a value;
// * encodings are real ones, under their canonical names.

fn encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![
        Just(Encoding::Binary),
        Just(Encoding::Utf8),
        Just(Encoding::UsAscii),
        prop::sample::select(vec!["Shift_JIS", "EUC-JP", "ISO-8859-1", "Windows-1252"])
            .prop_map(|n| Encoding::Other(n.into())),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (-(1i64 << 31)..1 << 31).prop_map(Value::Int),
        (
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 8..20),
            1u8..
        )
            .prop_map(|(negative, mut magnitude, top)| {
                magnitude.push(top);
                if magnitude.len() % 2 == 1 {
                    magnitude.push(0);
                }
                Value::BigInt {
                    negative,
                    magnitude,
                }
            }),
        any::<u64>().prop_map(|b| Value::Float(f64::from_bits(b))),
        prop::sample::select(vec![0.0, -0.0, 0.5, 1.5, 1e300, f64::NAN]).prop_map(Value::Float),
        (prop::collection::vec(any::<u8>(), 0..10), encoding())
            .prop_map(|(bytes, encoding)| Value::Str(Arc::new(RString { bytes, encoding }))),
        "[a-z]{1,2}|\\PC{1,3}".prop_map(|s| Value::sym(&s)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((inner.clone(), inner), 0..5).prop_map(Value::Hash),
        ]
    })
}

/// Makes a generated value one Ruby holds the same way (see above), and shares some
/// non-key Strings between places as `picks` say.
struct Rubify {
    next_key: usize,
    shared: Vec<Value>,
    picks: Vec<u8>,
}

impl Rubify {
    fn value(&mut self, v: Value) -> Value {
        match v {
            Value::Str(_) => {
                let pick = usize::from(self.picks.pop().unwrap_or(0));
                if pick % 3 == 0 && !self.shared.is_empty() {
                    self.shared[pick % self.shared.len()].clone()
                } else {
                    self.shared.push(v.clone());
                    v
                }
            }
            Value::Array(items) => Value::Array(items.into_iter().map(|i| self.value(i)).collect()),
            Value::Hash(pairs) => {
                let mut out: Vec<(Value, Value)> = Vec::new();
                for (k, v) in pairs {
                    let k = match k {
                        Value::Str(s) => {
                            self.next_key += 1;
                            let mut bytes = format!("k{}:", self.next_key).into_bytes();
                            bytes.extend_from_slice(&s.bytes);
                            let encoding = s.encoding.clone();
                            Value::Str(Arc::new(RString { bytes, encoding }))
                        }
                        // Keys that Ruby compares by value may collide; a Symbol does not.
                        Value::Array(_) | Value::Hash(_) | Value::Float(_) => {
                            self.next_key += 1;
                            Value::sym(&format!("key{}", self.next_key))
                        }
                        other => self.value(other),
                    };
                    if out.iter().all(|(seen, _)| seen != &k) {
                        let v = self.value(v);
                        out.push((k, v));
                    }
                }
                Value::Hash(out)
            }
            other => other,
        }
    }
}

fn generated(count: usize) -> Vec<Value> {
    let mut runner = TestRunner::deterministic();
    let strategy = (value(), prop::collection::vec(any::<u8>(), 0..40));
    let mut rubify = Rubify {
        next_key: 0,
        shared: Vec::new(),
        picks: Vec::new(),
    };
    (0..count)
        .map(|_| {
            let (v, picks) = strategy.new_tree(&mut runner).unwrap().current();
            rubify.shared.clear();
            rubify.picks = picks;
            rubify.value(v)
        })
        .collect()
}

#[test]
fn ruby_dumps_what_we_dump_to_the_same_bytes() {
    let Some(ruby) = ruby() else { return };
    let values = generated(400);
    let mut blobs: Vec<Vec<u8>> = values.iter().map(dump).collect();
    // All of them in one value too: links across cases, indices beyond one byte.
    blobs.push(dump(&Value::Array(values.clone())));
    let floats: Vec<Value> = {
        let mut runner = TestRunner::deterministic();
        (0..5000)
            .map(|_| {
                Value::Float(f64::from_bits(
                    any::<u64>().new_tree(&mut runner).unwrap().current(),
                ))
            })
            .collect()
    };
    blobs.push(dump(&Value::Array(floats)));
    let few_bits: Vec<Value> = {
        let mut runner = TestRunner::deterministic();
        let strategy = ((1u64 << 50)..1 << 56, -8i32..8);
        (0..5000)
            .map(|_| {
                let (m, e) = strategy.new_tree(&mut runner).unwrap().current();
                Value::Float(m as f64 * 2f64.powi(e))
            })
            .collect()
    };
    blobs.push(dump(&Value::Array(few_bits)));
    let back = unframe(&run_ruby(ruby, REDUMP, &frame(&blobs)));
    assert_eq!(back.len(), blobs.len());
    for (i, (ours, theirs)) in blobs.iter().zip(&back).enumerate() {
        let what = values
            .get(i)
            .map_or_else(|| format!("batch {i}"), |v| format!("{v:?}"));
        assert!(
            ours == theirs,
            "Ruby dumps {what} differently: {}",
            difference(ours, theirs)
        );
    }
}

#[test]
fn we_dump_what_ruby_dumps_to_the_same_bytes() {
    let Some(ruby) = ruby() else { return };
    let blobs = unframe(&run_ruby(ruby, TRICKY, b""));
    assert_eq!(blobs.len(), 30 + 1 + 36 + 1 + 3 + 9);
    for blob in &blobs {
        let value = load(blob).unwrap_or_else(|e| panic!("{e} in {blob:02x?}"));
        let ours = dump(&value);
        assert!(&ours == blob, "{value:?}: {}", difference(&ours, blob));
    }
}
