//! [`Keepalive`]: TCP keepalive settings, marionette's own, written `IDLE,INTERVAL,COUNT`
//! or `off` (`plugin.<connector>.tcp_keepalive` for a daemon or client, `mco broker
//! --tcp-keepalive` for the broker).

use std::time::Duration;

/// TCP keepalive: the kernel probes a connection that has carried nothing for `idle`,
/// every `interval`, and resets it after `count` unanswered probes, so a peer behind a
/// firewall that silently dropped the flow is found within `idle + interval × count` of
/// the last packet even without STOMP heart-beats. (Linux applies keepalive only to
/// sockets that ask for it, and its defaults, 7200 s, 75 s and 9, take over two hours.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    pub idle: Duration,
    pub interval: Duration,
    pub count: u32,
}

impl Keepalive {
    /// The default: probes after 60 s of silence, 6 of them 10 s apart (dead after 2
    /// minutes). A connection that heart-beats more often than every 60 s never sends one.
    pub const DEFAULT: Keepalive = Keepalive {
        idle: Duration::from_secs(60),
        interval: Duration::from_secs(10),
        count: 6,
    };

    /// Parses `IDLE,INTERVAL,COUNT` (seconds, seconds, probes; within Linux's bounds of
    /// 1–32767, 1–32767 and 1–127) as `Some(Some(_))`, or `off` as `Some(None)`.
    pub fn parse(text: &str) -> Option<Option<Keepalive>> {
        let text = text.trim();
        if text == "off" {
            return Some(None);
        }
        let numbers: Vec<u32> = text
            .split(',')
            .map(|p| p.trim().parse().ok())
            .collect::<Option<_>>()?;
        let [idle, interval, count] = numbers[..] else {
            return None;
        };
        let seconds = 1..=32767;
        (seconds.contains(&idle) && seconds.contains(&interval) && (1..=127).contains(&count)).then(
            || {
                Some(Keepalive {
                    idle: Duration::from_secs(idle.into()),
                    interval: Duration::from_secs(interval.into()),
                    count,
                })
            },
        )
    }

    /// The socket option value, for `socket2::SockRef::set_tcp_keepalive`.
    pub fn to_socket2(&self) -> socket2::TcpKeepalive {
        socket2::TcpKeepalive::new()
            .with_time(self.idle)
            .with_interval(self.interval)
            .with_retries(self.count)
    }

    /// The longest time from a connection's last packet to its reset.
    pub fn limit(&self) -> Duration {
        self.idle + self.interval * self.count
    }
}

#[cfg(test)]
mod tests {
    use super::Keepalive;
    use std::time::Duration;

    #[test]
    fn parses_three_numbers_or_off() {
        let k = Keepalive::parse(" 1, 2 ,3 ").unwrap().unwrap();
        assert_eq!(
            (k.idle, k.interval, k.count),
            (Duration::from_secs(1), Duration::from_secs(2), 3)
        );
        assert_eq!(k.limit(), Duration::from_secs(7));
        assert_eq!(Keepalive::parse("off"), Some(None));
        assert_eq!(Keepalive::DEFAULT.limit(), Duration::from_secs(120));
        for bad in [
            "",
            "1,2",
            "1,2,3,4",
            "0,1,1",
            "1,0,1",
            "1,1,0",
            "1,1,128",
            "32768,1,1",
            "a,1,1",
            "-1,1,1",
        ] {
            assert_eq!(Keepalive::parse(bad), None, "{bad:?}");
        }
    }
}
