//! Requests built with the recorded ids and times must reproduce the frames the real
//! `mco` sent, byte for byte (vectors cut from the lab captures).

use bytes::BytesMut;
use marionette_client::ClientOptions;
use marionette_client::request::{self, Outgoing, Targets};
use marionette_config::Config;
use marionette_stomp::Version;
use marionette_wire::Value;
use marionette_wire::envelope::Shared;
use marionette_wire::filter::Filter;
use std::path::Path;

const CLIENT_CFG: &str = "identity = mcoclient
main_collective = mcollective
collectives = mcollective
securityprovider = psk
plugin.psk = some-secret
connector = activemq
plugin.activemq.pool.size = 1
plugin.activemq.pool.1.host = 127.0.0.1
plugin.activemq.pool.1.port = 61613
plugin.activemq.pool.1.user = admin
plugin.activemq.pool.1.password = secret
";

fn opts() -> ClientOptions {
    let cfg = Config::parse(Path::new("client.cfg"), CLIENT_CFG.as_bytes(), "host")
        .expect("config parses");
    let mut o = ClientOptions::from_config(&cfg).expect("client options");
    // The recordings were made as root.
    o.callerid = "uid=0".into();
    o
}

fn vector(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn encode(out: &Outgoing) -> Vec<Vec<u8>> {
    request::frames(&opts(), out)
        .iter()
        .map(|f| {
            let mut buf = BytesMut::new();
            marionette_stomp::encode(f, Version::V1_0, &mut buf);
            buf.to_vec()
        })
        .collect()
}

fn ping(requestid: &str, msgtime: i64, reply_to: &str, filter: Value, shared: Shared) -> Outgoing {
    Outgoing {
        agent: "discovery".into(),
        collective: "mcollective".into(),
        payload: request::discovery_payload(),
        filter,
        shared,
        requestid: requestid.into(),
        ttl: 60,
        msgtime,
        reply_to: reply_to.into(),
        targets: Targets::Broadcast,
    }
}

fn rpc(
    requestid: &str,
    msgtime: i64,
    reply_to: &str,
    action: &str,
    data: Vec<(Value, Value)>,
    targets: Targets,
) -> Outgoing {
    let mut f = Filter::new();
    f.add_agent_option("rpcutil");
    Outgoing {
        agent: "rpcutil".into(),
        collective: "mcollective".into(),
        payload: request::rpc_payload("rpcutil", action, "uid=0", data),
        filter: f.to_value(),
        shared: Shared {
            agent: true,
            collective: false,
        },
        requestid: requestid.into(),
        ttl: 60,
        msgtime,
        reply_to: reply_to.into(),
        targets,
    }
}

fn assert_frames(out: &Outgoing, files: &[&str]) {
    let got = encode(out);
    assert_eq!(got.len(), files.len());
    for (g, f) in got.iter().zip(files) {
        let want = vector(f);
        assert!(
            *g == want,
            "{f} differs:\nwant {:?}\ngot  {:?}",
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(g)
        );
    }
}

fn pr(v: bool) -> Vec<(Value, Value)> {
    vec![(Value::sym("process_results"), Value::Bool(v))]
}

#[test]
fn v14_mco_ping_broadcast() {
    let out = ping(
        "1eefc965e89c5bd9afdab93de393c8a3",
        1795794182,
        "/queue/mcollective.reply.mcoclient_16907.1",
        Filter::new().to_value(),
        Shared::default(),
    );
    assert_frames(&out, &["14-request-broadcast-discovery-ping.frame"]);
}

#[test]
fn v19_ping_with_fact_filter() {
    let mut f = Filter::new();
    f.add_fact_option("role=web").unwrap();
    let out = ping(
        "19ee6c66a957582b8c73d87f13b43cd1",
        1795794206,
        "/queue/mcollective.reply.mcoclient_18963.1",
        f.to_value(),
        Shared::default(),
    );
    assert_frames(&out, &["19-request-discovery-fact-filter.frame"]);
}

#[test]
fn v21_find_discovery_with_compound_filter_and_collective() {
    let mut f = Filter::new();
    f.add_select_option("role=web and country=uk").unwrap();
    f.add_agent_option("rpcutil");
    let out = ping(
        "c0728041e06b5587bad267cf2aa1b0dd",
        1795794237,
        "/queue/mcollective.reply.mcoclient_20940.1",
        request::with_collective(&f.to_value(), "mcollective"),
        Shared {
            agent: false,
            collective: true,
        },
    );
    // Ruby writes the second `"statement"` key of the compound filter as a link to the
    // first (hash keys are interned); the filter codec writes it again. Both decode to the
    // same value, so this vector is compared decoded, headers aside from content-length
    // exactly.
    let got = encode(&out).remove(0);
    let want = vector("21-request-discovery-compound-filter.frame");
    let split = |b: &[u8]| {
        let at = b.windows(2).position(|w| w == b"\n\n").expect("header end");
        (b[..at].to_vec(), b[at + 2..b.len() - 1].to_vec())
    };
    let ((gh, gb), (wh, wb)) = (split(&got), split(&want));
    let strip_len = |h: &[u8]| {
        String::from_utf8_lossy(h)
            .lines()
            .filter(|l| !l.starts_with("content-length:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip_len(&gh), strip_len(&wh));
    assert_eq!(
        marionette_wire::marshal::load(&gb).unwrap(),
        marionette_wire::marshal::load(&wb).unwrap()
    );
}

#[test]
fn v22_ping_with_identity_filter() {
    let mut f = Filter::new();
    f.add_identity_option("node2");
    let out = ping(
        "fb93b72612be528db8d6c07a1c5699a5",
        1795794215,
        "/queue/mcollective.reply.mcoclient_19530.1",
        f.to_value(),
        Shared::default(),
    );
    assert_frames(&out, &["22-request-discovery-identity-filter.frame"]);
}

#[test]
fn v23_directed_rpcutil_ping() {
    let out = rpc(
        "2b604491541256b2963b39d9b2dcce77",
        1795794190,
        "/queue/mcollective.reply.mcoclient_17213.2",
        "ping",
        pr(true),
        Targets::Direct(vec!["node1".into()]),
    );
    assert_frames(&out, &["23-request-direct-rpcutil-ping.frame"]);
}

#[test]
fn v27_directed_get_fact_with_data() {
    let mut data = vec![(Value::sym("fact"), Value::str("role"))];
    data.extend(pr(true));
    let out = rpc(
        "99ae4c2f5b05516a94f2921628eec533",
        1795794197,
        "/queue/mcollective.reply.mcoclient_17752.2",
        "get_fact",
        data,
        Targets::Direct(vec!["node3".into()]),
    );
    assert_frames(&out, &["27-request-direct-get_fact.frame"]);
}

#[test]
fn v32_no_results_broadcast() {
    let out = rpc(
        "498fd84806d25224966cc01e97252d98",
        1795794285,
        "/queue/mcollective.reply.mcoclient_24019.1",
        "ping",
        pr(false),
        Targets::Broadcast,
    );
    assert_frames(&out, &["32-request-broadcast-no-results.frame"]);
}

#[test]
fn v33_custom_reply_to() {
    let out = rpc(
        "ab5ba6aef3ce517aa29975e21c890cc8",
        1795794286,
        "/queue/mcollective.custom_replies",
        "ping",
        pr(true),
        Targets::Broadcast,
    );
    assert_frames(&out, &["33-request-broadcast-custom-reply-to.frame"]);
}

#[test]
fn v34_batch_has_no_process_results() {
    let out = rpc(
        "376ea7778a3950a284e4113d580cdc03",
        1795794234,
        "/queue/mcollective.reply.mcoclient_20570.2",
        "ping",
        vec![],
        Targets::Direct(vec!["node1".into()]),
    );
    assert_frames(&out, &["34-request-direct-batch.frame"]);
}

#[test]
fn directed_to_three_nodes_is_three_frames() {
    let out = rpc(
        "2b604491541256b2963b39d9b2dcce77",
        1795794190,
        "/queue/mcollective.reply.mcoclient_17213.2",
        "ping",
        pr(true),
        Targets::Direct(vec!["node1".into(), "node2".into(), "node3".into()]),
    );
    let frames = request::frames(&opts(), &out);
    let ids: Vec<&str> = frames.iter().filter_map(|f| f.get("mc_identity")).collect();
    assert_eq!(ids, ["node1", "node2", "node3"]);
    assert!(
        frames
            .iter()
            .all(|f| f.get("destination") == Some("/queue/mcollective.nodes"))
    );
    assert!(frames.windows(2).all(|w| w[0].body == w[1].body));
}

#[test]
fn reply_queue_names() {
    let o = opts();
    let pid = std::process::id();
    // The request's number, then 128 random bits, new every time.
    let name = o.reply_destination("mcollective", "rpcutil", 2).unwrap();
    let prefix = format!("/queue/mcollective.reply.mcoclient_{pid}.2.");
    let random = name
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{name}"));
    assert_eq!(random.len(), 32, "{name}");
    assert!(random.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
    assert_ne!(
        o.reply_destination("mcollective", "rpcutil", 2).unwrap(),
        name
    );
    assert_eq!(
        o.broadcast_destination("mcollective", "rpcutil"),
        "/topic/mcollective.rpcutil.agent"
    );
    assert_eq!(
        o.check_collective("nosuchcollective")
            .unwrap_err()
            .to_string(),
        "Unknown collective 'nosuchcollective' known collectives are 'mcollective'"
    );
}
