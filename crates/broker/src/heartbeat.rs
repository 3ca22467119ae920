//! Heart-beat negotiation as STOMP 1.1 specifies it.

use crate::config::HeartbeatPolicy;
use std::time::Duration;

/// The outcome of a negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Heartbeat {
    /// What the broker put in CONNECTED: `heart-beat:offer_send,offer_recv`.
    pub offer_send_ms: u64,
    pub offer_recv_ms: u64,
    /// The client's CONNECT values.
    pub client_send_ms: u64,
    pub client_recv_ms: u64,
}

impl Heartbeat {
    /// Parses a `heart-beat` header: `cx,cy`, two non-negative integers.
    pub fn parse_header(value: &str) -> Option<(u64, u64)> {
        let (a, b) = value.split_once(',')?;
        Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
    }

    /// Negotiates with a client that sent `heart-beat:cx,cy`.
    pub fn negotiate(policy: HeartbeatPolicy, cx: u64, cy: u64) -> Heartbeat {
        let (offer_send_ms, offer_recv_ms) = match policy {
            HeartbeatPolicy::Fixed { send_ms, recv_ms } => (send_ms, recv_ms),
            HeartbeatPolicy::Mirror { min_ms, max_ms } => {
                let clamp = |v: u64| if v == 0 { 0 } else { v.clamp(min_ms, max_ms) };
                (clamp(cy), clamp(cx))
            }
        };
        Heartbeat {
            offer_send_ms,
            offer_recv_ms,
            client_send_ms: cx,
            client_recv_ms: cy,
        }
    }

    /// How often the broker must send something; `None` when it need not.
    pub fn send_every(&self) -> Option<Duration> {
        agreed(self.offer_send_ms, self.client_recv_ms)
    }

    /// How often the client promised to send something; `None` when it did not.
    pub fn expect_every(&self) -> Option<Duration> {
        agreed(self.client_send_ms, self.offer_recv_ms)
    }

    /// The CONNECTED header value.
    pub fn header(&self) -> String {
        format!("{},{}", self.offer_send_ms, self.offer_recv_ms)
    }
}

fn agreed(sender_can: u64, receiver_wants: u64) -> Option<Duration> {
    (sender_can != 0 && receiver_wants != 0)
        .then(|| Duration::from_millis(sender_can.max(receiver_wants)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIRROR: HeartbeatPolicy = HeartbeatPolicy::Mirror {
        min_ms: 1000,
        max_ms: 3_600_000,
    };

    #[test]
    fn mcollective_daemon_like_activemq() {
        // mcollectived with heartbeat_interval = 30 sends 30500,29500; ActiveMQ answered
        // 29500,30500 and the two sides beat every 30.5 s (client) and 29.5 s (broker).
        let hb = Heartbeat::negotiate(MIRROR, 30500, 29500);
        assert_eq!(hb.header(), "29500,30500");
        assert_eq!(hb.expect_every(), Some(Duration::from_millis(30500)));
        assert_eq!(hb.send_every(), Some(Duration::from_millis(29500)));
    }

    #[test]
    fn zero_means_none() {
        let hb = Heartbeat::negotiate(MIRROR, 0, 0);
        assert_eq!(hb.header(), "0,0");
        assert_eq!(hb.send_every(), None);
        assert_eq!(hb.expect_every(), None);
        let hb = Heartbeat::negotiate(MIRROR, 5000, 0);
        assert_eq!(hb.send_every(), None);
        assert_eq!(hb.expect_every(), Some(Duration::from_millis(5000)));
    }

    #[test]
    fn mirror_clamps_to_minimum() {
        let hb = Heartbeat::negotiate(MIRROR, 10, 20);
        assert_eq!(hb.header(), "1000,1000");
        assert_eq!(hb.send_every(), Some(Duration::from_millis(1000)));
        assert_eq!(hb.expect_every(), Some(Duration::from_millis(1000)));
    }

    #[test]
    fn fixed_uses_spec_maximum() {
        let policy = HeartbeatPolicy::Fixed {
            send_ms: 4000,
            recv_ms: 0,
        };
        let hb = Heartbeat::negotiate(policy, 1000, 1000);
        assert_eq!(hb.header(), "4000,0");
        assert_eq!(hb.send_every(), Some(Duration::from_millis(4000)));
        assert_eq!(hb.expect_every(), None);
    }

    #[test]
    fn parses_header() {
        assert_eq!(Heartbeat::parse_header("30500,29500"), Some((30500, 29500)));
        assert_eq!(Heartbeat::parse_header(" 0 , 0"), Some((0, 0)));
        assert_eq!(Heartbeat::parse_header("1"), None);
        assert_eq!(Heartbeat::parse_header("a,1"), None);
        assert_eq!(Heartbeat::parse_header("-1,1"), None);
    }
}
