//! The role of each endpoint of each connection: what its frames show, or else what can
//! honestly be inferred, with the reason.
//!
//! The broker is the side that accepted the connection (got the SYN), that is the broker
//! of another connection, or that listens on a STOMP port. For the other side, without
//! frames: heart-beats it sends on a connection that carries nothing else are a daemon's
//! idle link (an `mco` client sends its request right after connecting); failing that,
//! other connections from the same IP whose roles are known, if they all agree.

use crate::report::RoleBasis;
use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};

/// Ports on which a side is taken for the broker when frames do not tell.
pub const STOMP_PORTS: [u16; 4] = [61613, 61614, 6163, 61612];

/// What one connection shows about its endpoints.
pub struct Facts {
    pub addr: [SocketAddr; 2],
    /// The role each side's frames show.
    pub shown: [Option<&'static str>; 2],
    /// The side that sent the SYN, or that did not send the SYN-ACK.
    pub opener: Option<usize>,
    /// STOMP frames, both ways.
    pub frames: u64,
    /// Mean interval of the heart-beats each side sent, when it sent any after another
    /// transmission.
    pub heartbeat_ms: [Option<u64>; 2],
}

/// The outcome for one connection.
pub struct Roles {
    /// Index of the client side (the other is the server: the broker, or the side that
    /// looks most like it).
    pub client: usize,
    pub roles: [&'static str; 2],
    pub basis: [RoleBasis; 2],
}

fn basis(from: &'static str, detail: String) -> RoleBasis {
    RoleBasis {
        from,
        detail: Some(detail),
    }
}

/// Shown by the endpoint's own frames.
const FRAMES: RoleBasis = RoleBasis {
    from: "frames",
    detail: None,
};

/// Roles for every connection.
pub fn infer(conns: &[Facts]) -> Vec<Roles> {
    let mut brokers: HashMap<SocketAddr, usize> = HashMap::new();
    // Per IP, the connections on which it shows itself as a node, as a client.
    let mut by_ip: HashMap<IpAddr, [BTreeSet<usize>; 2]> = HashMap::new();
    for (id, c) in conns.iter().enumerate() {
        for s in 0..2 {
            match c.shown[s] {
                Some("broker") => {
                    brokers.entry(c.addr[s]).or_insert(id);
                }
                Some(role) => {
                    let i = usize::from(role != "node");
                    by_ip.entry(c.addr[s].ip()).or_default()[i].insert(id);
                }
                _ => {}
            }
        }
    }
    conns
        .iter()
        .enumerate()
        .map(|(id, c)| roles(id, c, &brokers, &by_ip))
        .collect()
}

fn roles(
    id: usize,
    c: &Facts,
    brokers: &HashMap<SocketAddr, usize>,
    by_ip: &HashMap<IpAddr, [BTreeSet<usize>; 2]>,
) -> Roles {
    let elsewhere = |s: usize| brokers.get(&c.addr[s]).copied().filter(|&b| b != id);
    let on_port = |s: usize| STOMP_PORTS.contains(&c.addr[s].port());
    let shown_broker =
        (0..2).find(|&s| c.shown[s] == Some("broker") && c.shown[1 - s] != Some("broker"));
    let client = shown_broker
        .map(|b| 1 - b)
        .or(c.opener)
        .or_else(|| (0..2).find(|&s| elsewhere(1 - s).is_some() && elsewhere(s).is_none()))
        .or_else(|| (0..2).find(|&s| on_port(1 - s) && !on_port(s)))
        .unwrap_or(usize::from(c.addr[0].port() < c.addr[1].port()));
    let server = 1 - client;
    let mut roles = ["unknown"; 2];
    let mut bases = [FRAMES, FRAMES];
    for s in 0..2 {
        if let Some(role) = c.shown[s] {
            roles[s] = role;
            continue;
        }
        let (role, why) = if s == server {
            server_role(c, s, elsewhere(s), on_port(s))
        } else {
            client_role(id, c, s, by_ip)
        };
        roles[s] = role;
        bases[s] = why;
    }
    Roles {
        client,
        roles,
        basis: bases,
    }
}

fn server_role(
    c: &Facts,
    s: usize,
    elsewhere: Option<usize>,
    on_port: bool,
) -> (&'static str, RoleBasis) {
    let port = c.addr[s].port();
    if c.opener == Some(1 - s) {
        (
            "broker",
            basis("accepted", "accepted the connection (got the SYN)".into()),
        )
    } else if let Some(other) = elsewhere {
        (
            "broker",
            basis(
                "broker_elsewhere",
                format!("the broker of connection #{other}"),
            ),
        )
    } else if on_port {
        (
            "broker",
            basis("stomp_port", format!("listens on STOMP port {port}")),
        )
    } else {
        (
            "unknown",
            basis(
                "none",
                format!(
                    "no frames, the connection was opened before the capture, and port {port} is not a STOMP port"
                ),
            ),
        )
    }
}

fn client_role(
    id: usize,
    c: &Facts,
    s: usize,
    by_ip: &HashMap<IpAddr, [BTreeSet<usize>; 2]>,
) -> (&'static str, RoleBasis) {
    if let (0, Some(ms)) = (c.frames, c.heartbeat_ms[s]) {
        return (
            "node",
            basis(
                "heartbeats",
                format!(
                    "only heart-beats, every {ms} ms from this side: a daemon's idle connection (an mco client sends its request as soon as it connects)"
                ),
            ),
        );
    }
    let ip = c.addr[s].ip();
    let list = |set: &BTreeSet<usize>| {
        set.iter()
            .filter(|&&o| o != id)
            .map(|o| format!("#{o}"))
            .collect::<Vec<_>>()
    };
    let [nodes, clients] = by_ip
        .get(&ip)
        .map(|[n, c]| [list(n), list(c)])
        .unwrap_or_default();
    let what = if c.frames == 0 {
        "no frames from it"
    } else {
        "no frame that tells its role"
    };
    match (nodes.is_empty(), clients.is_empty()) {
        (false, true) => (
            "node",
            basis(
                "same_ip",
                format!(
                    "{what}; the other connections from {ip} that show a role are nodes ({})",
                    nodes.join(", ")
                ),
            ),
        ),
        (true, false) => (
            "client",
            basis(
                "same_ip",
                format!(
                    "{what}; the other connections from {ip} that show a role are clients ({})",
                    clients.join(", ")
                ),
            ),
        ),
        (false, false) => (
            "unknown",
            basis(
                "none",
                format!(
                    "{what}, no heart-beats from it, and {ip} has both nodes ({}) and clients ({})",
                    nodes.join(", "),
                    clients.join(", ")
                ),
            ),
        ),
        (true, true) => (
            "unknown",
            basis(
                "none",
                format!(
                    "{what}, no heart-beats from it, and no other connection from {ip} shows a role"
                ),
            ),
        ),
    }
}
