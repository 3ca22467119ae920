//! Envelopes and the PSK plugin against every recorded body: each opens with the lab's
//! key (the wrong-PSK one does not), and re-sealing its fields gives back Ruby's bytes.

use marionette_security::psk::{BodyEncoding, Psk, Rejection, RequestFields, hash, valid_callerid};
use marionette_wire::envelope::{Reply, Request};
use marionette_wire::marshal;
use marionette_wire::value::Value;
use std::path::PathBuf;

const PSK: &str = "some-secret";

fn vectors(kind: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../wire/tests/vectors");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "body"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .filter(|(name, _)| name.contains(kind))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no {kind} vectors");
    out
}

#[test]
fn every_request_opens_and_reseals_to_the_same_bytes() {
    let psk = Psk::new(PSK);
    for (name, body) in vectors("request")
        .into_iter()
        .chain(vectors("message-discovery"))
        .chain(vectors("message-direct"))
    {
        let outer = Request::from_value(&marshal::load(&body).unwrap()).unwrap();
        let opened = psk.open_request(&body, outer.msgtime);
        if name.contains("wrong-psk") {
            assert_eq!(opened.unwrap_err(), Rejection::HashMismatch, "{name}");
            continue;
        }
        let (request, payload) = opened.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            marshal::dump(&request.to_value()),
            body,
            "{name}: envelope bytes"
        );
        // Sealing the same payload and fields again reproduces the recorded body.
        let fields = RequestFields {
            senderid: request.senderid.clone(),
            requestid: request.requestid.clone(),
            filter: request.filter.clone(),
            collective: request.collective.clone(),
            agent: request.agent.clone(),
            callerid: request.callerid.clone(),
            ttl: request.ttl,
            msgtime: request.msgtime,
            shared: request.shared,
        };
        let (_, wire) = psk.seal_request(&payload, fields);
        assert_eq!(wire, body, "{name}: sealed bytes");
    }
}

#[test]
fn every_reply_opens_and_reseals_to_the_same_bytes() {
    let psk = Psk::new(PSK);
    let replies = vectors("reply")
        .into_iter()
        .filter(|(n, _)| n[3..].starts_with("reply-") || n.contains("message-reply"));
    for (name, body) in replies {
        let (reply, payload) = psk
            .open_reply(&body)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(marshal::dump(&reply.to_value()), body, "{name}");
        assert_eq!(
            hash(&marshal::dump(&payload), PSK.as_bytes()),
            reply.hash,
            "{name}: payload re-dumps exactly"
        );
        assert_eq!(Reply::from_value(&reply.to_value()).unwrap(), reply);
    }
}

#[test]
fn the_pong_reply_reads_as_recorded() {
    let body = &vectors("17-reply-discovery-pong")[0].1;
    let (reply, payload) = Psk::new(PSK).open_reply(body).unwrap();
    assert_eq!(reply.senderagent, "discovery");
    assert_eq!(payload.as_str(), Some("pong"));
    let ping = &vectors("25-reply-rpcutil-ping")[0].1;
    let (reply, payload) = Psk::new(PSK).open_reply(ping).unwrap();
    assert_eq!(
        (reply.senderid.as_str(), reply.msgtime),
        ("node1", 1795794190)
    );
    assert_eq!(payload.get_sym("statuscode"), Some(&Value::Int(0)));
    assert_eq!(
        payload.get_sym("data").and_then(|d| d.get_sym("pong")),
        Some(&Value::Int(1795794190))
    );
}

#[test]
fn rpc_requests_share_agent_with_their_filter_and_registration_does_not() {
    let load = |prefix: &str| {
        let body = &vectors(prefix)[0].1;
        Request::from_value(&marshal::load(body).unwrap()).unwrap()
    };
    assert!(load("23-request-direct-rpcutil-ping").shared.agent);
    assert!(!load("11-registration-request").shared.agent);
}

#[test]
fn ttl_and_callerid_rules() {
    let psk = Psk::new(PSK);
    let seal = |callerid: &str, msgtime: i64| {
        psk.seal_request(
            &Value::str("ping"),
            RequestFields {
                senderid: "c".into(),
                requestid: "0".repeat(32),
                filter: Value::Hash(vec![]),
                collective: "mcollective".into(),
                agent: "discovery".into(),
                callerid: callerid.into(),
                ttl: 60,
                msgtime,
                shared: Default::default(),
            },
        )
        .1
    };
    let now = 1_800_000_000;
    assert!(psk.open_request(&seal("uid=0", now - 59), now).is_ok());
    assert!(psk.open_request(&seal("uid=0", now - 60), now).is_ok());
    assert_eq!(
        psk.open_request(&seal("uid=0", now - 61), now).unwrap_err(),
        Rejection::Expired { age: 61, ttl: 60 }
    );
    assert!(
        psk.open_request(&seal("uid=0", now + 3600), now).is_ok(),
        "a future msgtime is accepted"
    );
    assert!(matches!(
        psk.open_request(&seal("bad caller", now), now),
        Err(Rejection::BadCallerId(_))
    ));
    assert!(valid_callerid("cert=some.name-1"));
    assert!(matches!(
        Psk::new("other").open_request(&seal("uid=0", now), now),
        Err(Rejection::HashMismatch)
    ));
}

#[test]
fn bad_input_is_rejected_not_panicked() {
    let psk = Psk::new(PSK);
    assert!(matches!(
        psk.open_request(b"garbage", 0),
        Err(Rejection::Undecodable(_))
    ));
    let not_envelope = marshal::dump(&Value::Array(vec![]));
    assert!(matches!(
        psk.open_request(&not_envelope, 0),
        Err(Rejection::Envelope(_))
    ));
    let missing = marshal::dump(&Value::Hash(vec![(
        Value::sym("body"),
        Value::binary(b"x".to_vec()),
    )]));
    assert!(matches!(
        psk.open_request(&missing, 0),
        Err(Rejection::Envelope(_))
    ));
    // String keys instead of Symbols: MCollective computes the hash over nil and drops it.
    let string_keys = marshal::dump(&Value::Hash(vec![(
        Value::str("body"),
        Value::binary(b"x".to_vec()),
    )]));
    assert!(psk.open_request(&string_keys, 0).is_err());
}

#[test]
fn base64_bodies_round_trip() {
    let mut psk = Psk::new(PSK);
    psk.encoding = BodyEncoding::Base64;
    let body = &vectors("17-reply-discovery-pong")[0].1;
    let (reply, _) = Psk::new(PSK).open_reply(body).unwrap();
    let request = Request {
        body: vec![],
        senderid: "c".into(),
        requestid: reply.requestid.clone(),
        filter: Value::Hash(vec![]),
        collective: "mcollective".into(),
        agent: "discovery".into(),
        callerid: "uid=0".into(),
        ttl: 60,
        msgtime: 0,
        hash: String::new(),
        shared: Default::default(),
    };
    let wire = psk.seal_reply(&Value::str("pong"), "node1", &request, 5);
    assert!(wire.iter().all(|b| b.is_ascii()));
    let (opened, payload) = psk.open_reply(&wire).unwrap();
    assert_eq!(
        (opened.senderid.as_str(), payload.as_str()),
        ("node1", Some("pong"))
    );
}

#[test]
fn filters_rebuilt_from_their_model_dump_as_ruby_wrote_them() {
    use marionette_wire::filter::Filter;
    for (name, body) in vectors("request") {
        let request = Request::from_value(&marshal::load(&body).unwrap()).unwrap();
        let model = Filter::from_value(&request.filter).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            marshal::dump(&model.to_value()),
            marshal::dump(&request.filter),
            "{name}: filter bytes"
        );
    }
}
