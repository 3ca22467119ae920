//! Abuse limits: failed logins throttled per source address (each failure answered a
//! little later than the last, and an address that keeps failing refused outright for a
//! while), and connection caps per login and per source address.
//!
//! Both tables are bounded: the throttle forgets addresses quiet for a while and, when
//! full, the oldest ones; the caps only count connections that exist.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Settings of the failed-login throttle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleSettings {
    /// Failures from one address before it is refused outright.
    pub max_failures: u32,
    /// How long such an address is refused.
    pub block_for: Duration,
    /// The delay before answering the first failure; it doubles with each next one.
    pub first_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// An address with no failure for this long starts afresh.
    pub forget_after: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> ThrottleSettings {
        ThrottleSettings {
            max_failures: 10,
            block_for: Duration::from_secs(60),
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            forget_after: Duration::from_secs(600),
        }
    }
}

/// Most addresses the throttle remembers.
const MAX_ADDRESSES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

/// What the throttle says about a CONNECT from an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Refused without a password check until this much time has passed.
    Blocked(Duration),
}

/// Failed logins per source address.
#[derive(Debug)]
pub struct LoginThrottle {
    settings: ThrottleSettings,
    table: Mutex<HashMap<IpAddr, Failures>>,
}

impl LoginThrottle {
    pub fn new(settings: ThrottleSettings) -> LoginThrottle {
        LoginThrottle {
            settings,
            table: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Failures>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a CONNECT from `ip` may be checked now.
    pub fn gate(&self, ip: IpAddr) -> Gate {
        let now = Instant::now();
        match self.lock().get(&ip).and_then(|f| f.blocked_until) {
            Some(until) if until > now => Gate::Blocked(until - now),
            _ => Gate::Open,
        }
    }

    /// Records a failed login from `ip`; returns how long to wait before answering it.
    pub fn failed(&self, ip: IpAddr) -> Duration {
        let s = self.settings;
        let now = Instant::now();
        let mut table = self.lock();
        if table.len() >= MAX_ADDRESSES && !table.contains_key(&ip) {
            table.retain(|_, f| now.duration_since(f.last) < s.forget_after);
            if table.len() >= MAX_ADDRESSES
                && let Some(oldest) = table.iter().min_by_key(|(_, f)| f.last).map(|(k, _)| *k)
            {
                table.remove(&oldest);
            }
        }
        let f = table.entry(ip).or_insert(Failures {
            count: 0,
            last: now,
            blocked_until: None,
        });
        if now.duration_since(f.last) >= s.forget_after {
            *f = Failures {
                count: 0,
                last: now,
                blocked_until: None,
            };
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
        if f.count >= s.max_failures {
            f.blocked_until = Some(now + s.block_for);
        }
        let doublings = f.count.saturating_sub(1).min(16);
        s.first_delay
            .saturating_mul(1u32 << doublings)
            .min(s.max_delay)
    }

    /// Forgets the failures of `ip` after a successful login.
    pub fn succeeded(&self, ip: IpAddr) {
        self.lock().remove(&ip);
    }
}

/// Connection caps per login and per source address (0: no cap).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Caps {
    pub per_login: usize,
    pub per_address: usize,
}

/// Which cap a connection passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverCap {
    Login(String, usize),
    Address(IpAddr, usize),
}

impl std::fmt::Display for OverCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OverCap::Login(l, n) => write!(f, "login {l} already has {n} connections, its cap"),
            OverCap::Address(a, n) => {
                write!(f, "address {a} already has {n} connections, its cap")
            }
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    logins: HashMap<String, usize>,
    addresses: HashMap<IpAddr, usize>,
}

/// Live connection counts, for the caps.
#[derive(Debug, Default)]
pub struct ConnCounts {
    caps: Caps,
    counts: Arc<Mutex<Counts>>,
}

/// One counted connection; dropping it uncounts it.
#[derive(Debug)]
pub struct Counted {
    counts: Arc<Mutex<Counts>>,
    login: Option<String>,
    address: Option<IpAddr>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = self.login.take()
            && let Some(n) = c.logins.get_mut(&l)
        {
            *n -= 1;
            if *n == 0 {
                c.logins.remove(&l);
            }
        }
        if let Some(a) = self.address.take()
            && let Some(n) = c.addresses.get_mut(&a)
        {
            *n -= 1;
            if *n == 0 {
                c.addresses.remove(&a);
            }
        }
    }
}

impl ConnCounts {
    pub fn new(caps: Caps) -> ConnCounts {
        ConnCounts {
            caps,
            counts: Arc::default(),
        }
    }

    /// Counts a connection of `login` from `ip`, unless that passes a cap. Only capped
    /// dimensions are counted.
    pub fn admit(&self, login: &str, ip: IpAddr) -> Result<Counted, OverCap> {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let caps = self.caps;
        if caps.per_login > 0 && c.logins.get(login).copied().unwrap_or(0) >= caps.per_login {
            return Err(OverCap::Login(login.to_string(), caps.per_login));
        }
        if caps.per_address > 0 && c.addresses.get(&ip).copied().unwrap_or(0) >= caps.per_address {
            return Err(OverCap::Address(ip, caps.per_address));
        }
        let login = (caps.per_login > 0).then(|| login.to_string());
        let address = (caps.per_address > 0).then_some(ip);
        if let Some(l) = &login {
            *c.logins.entry(l.clone()).or_default() += 1;
        }
        if let Some(a) = address {
            *c.addresses.entry(a).or_default() += 1;
        }
        Ok(Counted {
            counts: self.counts.clone(),
            login,
            address,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_then_block_then_expire() {
        let t = LoginThrottle::new(ThrottleSettings::default());
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let delays: Vec<_> = (0..9).map(|_| t.failed(ip).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000]);
        assert_eq!(t.gate(ip), Gate::Open);
        t.failed(ip);
        assert_eq!(t.gate(ip), Gate::Blocked(Duration::from_secs(60)));
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        assert_eq!(t.gate(other), Gate::Open);
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(t.gate(ip), Gate::Open);
        t.succeeded(ip);
        assert_eq!(t.failed(ip), Duration::from_millis(100));
    }

    #[test]
    fn caps_count_and_release() {
        let c = ConnCounts::new(Caps {
            per_login: 2,
            per_address: 3,
        });
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let a = c.admit("n", ip).unwrap();
        let _b = c.admit("n", ip).unwrap();
        assert_eq!(c.admit("n", ip).unwrap_err(), OverCap::Login("n".into(), 2));
        let _x = c.admit("m", ip).unwrap();
        assert_eq!(c.admit("o", ip).unwrap_err(), OverCap::Address(ip, 3));
        drop(a);
        assert!(c.admit("n", "127.0.0.2".parse().unwrap()).is_ok());
    }
}
