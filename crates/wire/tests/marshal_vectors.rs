//! Envelopes recorded from MCollective 2.12.5 (`vectors/*.body`) and their inner bodies
//! (`:body`, and the extracted `vectors/*.inner`): each loads, and dumps back to the very
//! same bytes.

use std::path::PathBuf;
use std::sync::Arc;

use marionette_wire::marshal::{dump, load};
use marionette_wire::{Encoding, Value};

fn vector_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(vector_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Loads `bytes`, asserts that dumping gives them back, and returns the value.
fn round_trip(name: &str, bytes: &[u8]) -> Value {
    let value = load(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        dump(&value),
        bytes,
        "{name} does not dump back to its bytes"
    );
    value
}

fn inner(name: &str, envelope: &Value) -> Value {
    let body = envelope
        .get_sym("body")
        .unwrap_or_else(|| panic!("{name}: no :body"));
    let Value::Str(body) = body else {
        panic!("{name}: :body is {body:?}")
    };
    assert_eq!(body.encoding, Encoding::Binary, "{name}: :body encoding");
    round_trip(&format!("{name} :body"), &body.bytes)
}

fn envelope(name: &str) -> (Value, Value) {
    let envelope = round_trip(name, &read(name));
    let body = inner(name, &envelope);
    (envelope, body)
}

#[test]
fn every_body_and_inner_body_dumps_back_to_its_bytes() {
    let mut names: Vec<String> = std::fs::read_dir(vector_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let (mut bodies, mut inners) = (0, 0);
    for name in &names {
        if name.ends_with(".body") {
            envelope(name);
            bodies += 1;
        } else if name.ends_with(".inner") {
            round_trip(name, &read(name));
            inners += 1;
        }
    }
    assert_eq!((bodies, inners), (24, 2));
}

#[test]
fn extracted_inner_bodies_are_the_envelopes_body() {
    for stem in ["23-request-direct-rpcutil-ping", "25-reply-rpcutil-ping"] {
        let envelope = load(&read(&format!("{stem}.body"))).unwrap();
        let body = envelope.get_sym("body").and_then(Value::as_bytes).unwrap();
        assert_eq!(body, read(&format!("{stem}.inner")), "{stem}");
    }
}

fn string(value: Option<&Value>) -> (&str, &Encoding) {
    match value {
        Some(Value::Str(s)) => (s.as_str().unwrap(), &s.encoding),
        other => panic!("not a String: {other:?}"),
    }
}

#[test]
fn reply_envelope_25() {
    let (env, body) = envelope("25-reply-rpcutil-ping.body");
    let keys: Vec<&str> = env
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "senderid",
            "requestid",
            "senderagent",
            "msgtime",
            "body",
            "hash"
        ]
    );
    assert_eq!(string(env.get_sym("senderid")), ("node1", &Encoding::Utf8));
    assert_eq!(
        string(env.get_sym("requestid")),
        ("2b604491541256b2963b39d9b2dcce77", &Encoding::UsAscii)
    );
    assert_eq!(
        string(env.get_sym("senderagent")),
        ("rpcutil", &Encoding::Utf8)
    );
    assert_eq!(env.get_sym("msgtime"), Some(&Value::Int(1795794190)));
    assert_eq!(
        string(env.get_sym("hash")),
        ("b5513c3fc23270f146db6f4d2a912695", &Encoding::UsAscii)
    );
    assert_eq!(body.get_sym("statuscode"), Some(&Value::Int(0)));
    assert_eq!(string(body.get_sym("statusmsg")), ("OK", &Encoding::Utf8));
    let data = body.get_sym("data").unwrap();
    assert_eq!(data.get_sym("pong"), Some(&Value::Int(1795794190)));
}

#[test]
fn daemon_stats_31_floats_and_their_link() {
    let bytes = read("31-reply-rpcutil-daemon_stats.body");
    let env = load(&bytes).unwrap();
    let body = inner("31", &env);
    let data = body.get_sym("data").unwrap();
    let times = data.get_sym("times").unwrap();
    assert_eq!(
        times,
        &Value::Hash(vec![
            (Value::sym("utime"), Value::Float(0.164961)),
            (Value::sym("stime"), Value::Float(0.062417)),
            (Value::sym("cutime"), Value::Float(0.0)),
            (Value::sym("cstime"), Value::Float(0.0)),
        ])
    );
    // On the wire :cstime is a link to the Float of :cutime.
    let inner_bytes = env.get_sym("body").and_then(Value::as_bytes).unwrap();
    let at = find(inner_bytes, b":\x0bcutimef\x060").expect(":cutime 0.0");
    assert_eq!(&inner_bytes[at + 11..at + 20], b":\x0bcstime@");
    assert_eq!(data.get_sym("starttime"), Some(&Value::Int(1795796194)));
    assert_eq!(data.get_sym("pid"), Some(&Value::Int(30566)));
    assert_eq!(string(data.get_sym("version")), ("2.12.5", &Encoding::Utf8));
}

#[test]
fn request_23_shares_the_agent_string_with_its_filter() {
    let (env, body) = envelope("23-request-direct-rpcutil-ping.body");
    let Some(Value::Str(agent)) = env.get_sym("agent") else {
        panic!(":agent")
    };
    let filter_agent = env.get_sym("filter").unwrap().get_str("agent").unwrap();
    let Some(Value::Str(first)) = filter_agent.as_array().and_then(|a| a.first()) else {
        panic!("filter agent")
    };
    assert!(Arc::ptr_eq(agent, first));
    assert_eq!(string(env.get_sym("callerid")), ("uid=0", &Encoding::Utf8));
    assert_eq!(env.get_sym("ttl"), Some(&Value::Int(60)));

    // Unshared, the same value dumps without the link, one object more.
    let mut unshared = env.clone();
    if let Value::Hash(pairs) = &mut unshared {
        for (k, v) in pairs.iter_mut() {
            if k.as_str() == Some("agent") {
                *v = Value::str("rpcutil");
            }
        }
    }
    assert_eq!(unshared, env);
    assert_ne!(dump(&unshared), read("23-request-direct-rpcutil-ping.body"));

    assert_eq!(string(body.get_sym("action")), ("ping", &Encoding::UsAscii));
    assert_eq!(
        body.get_sym("data"),
        Some(&Value::Hash(vec![(
            Value::sym("process_results"),
            Value::Bool(true)
        )]))
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
