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
    /// Password checks from this address under way now: each may still fail, so they
    /// count against the limit until they are settled.
    pending: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

/// Why a CONNECT from an address is refused without a password check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// It failed too often: refused for this much longer.
    Blocked(Duration),
    /// Failures plus checks under way reach the limit: refused until one settles.
    Busy,
}

/// Failed logins per source address (an IPv6 address counts by its /64).
#[derive(Debug)]
pub struct LoginThrottle {
    settings: ThrottleSettings,
    table: Mutex<HashMap<IpAddr, Failures>>,
}

/// One password check under way; settle it with [`Attempt::failed`] or
/// [`Attempt::succeeded`] (dropping it counts as neither).
#[derive(Debug)]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    key: IpAddr,
}

/// The throttle's key for an address: IPv6 by its /64 (one host's share of a network).
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
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

    /// Starts a password check for a CONNECT from `ip`, unless the address failed too
    /// often or has as many checks under way as it may still fail.
    pub fn begin(&self, ip: IpAddr) -> Result<Attempt<'_>, Refused> {
        let s = self.settings;
        let now = Instant::now();
        let key = key(ip);
        let mut table = self.lock();
        if table.len() >= MAX_ADDRESSES && !table.contains_key(&key) {
            table.retain(|_, f| f.pending > 0 || now.duration_since(f.last) < s.forget_after);
            if table.len() >= MAX_ADDRESSES
                && let Some(oldest) = table
                    .iter()
                    .filter(|(_, f)| f.pending == 0)
                    .min_by_key(|(_, f)| f.last)
                    .map(|(k, _)| *k)
            {
                table.remove(&oldest);
            }
        }
        let f = table.entry(key).or_insert(Failures {
            count: 0,
            pending: 0,
            last: now,
            blocked_until: None,
        });
        if f.pending == 0 && now.duration_since(f.last) >= s.forget_after {
            f.count = 0;
            f.blocked_until = None;
        }
        match f.blocked_until {
            Some(until) if until > now => return Err(Refused::Blocked(until - now)),
            // A block served starts the address afresh.
            Some(_) => {
                f.count = 0;
                f.blocked_until = None;
            }
            None => {}
        }
        if f.count.saturating_add(f.pending) >= s.max_failures {
            return Err(Refused::Busy);
        }
        f.pending += 1;
        f.last = now;
        Ok(Attempt {
            throttle: self,
            key,
        })
    }

    fn settle(&self, key: IpAddr, failed: bool) -> Duration {
        let s = self.settings;
        let now = Instant::now();
        let mut table = self.lock();
        let Some(f) = table.get_mut(&key) else {
            return Duration::ZERO;
        };
        f.pending = f.pending.saturating_sub(1);
        if !failed {
            return Duration::ZERO;
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
}

impl Attempt<'_> {
    /// A wrong password: counted; returns how long to wait before answering it.
    pub fn failed(self) -> Duration {
        let delay = self.throttle.settle(self.key, true);
        std::mem::forget(self);
        delay
    }

    /// A right password. The address's earlier failures stay until they age out, so a
    /// valid login cannot be used to reset the count between guesses at another.
    pub fn succeeded(self) {
        self.throttle.settle(self.key, false);
        std::mem::forget(self);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.throttle.settle(self.key, false);
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
        let delays: Vec<_> = (0..9)
            .map(|_| t.begin(ip).unwrap().failed().as_millis())
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000]);
        // A success does not wipe the count.
        t.begin(ip).unwrap().succeeded();
        t.begin(ip).unwrap().failed();
        assert_eq!(
            t.begin(ip).unwrap_err(),
            Refused::Blocked(Duration::from_secs(60))
        );
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        assert!(t.begin(other).is_ok());
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(t.begin(ip).is_ok());
        tokio::time::advance(Duration::from_secs(600)).await;
        assert_eq!(t.begin(ip).unwrap().failed(), Duration::from_millis(100));
    }

    #[test]
    fn checks_under_way_count_against_the_limit() {
        let t = LoginThrottle::new(ThrottleSettings {
            max_failures: 3,
            ..ThrottleSettings::default()
        });
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8::ffff:1".parse().unwrap();
        let a = t.begin(ip).unwrap();
        let b = t.begin(same_64).unwrap();
        let c = t.begin(ip).unwrap();
        assert_eq!(t.begin(ip).unwrap_err(), Refused::Busy);
        c.succeeded();
        drop(b);
        let d = t.begin(ip).unwrap();
        a.failed();
        d.failed();
        assert!(t.begin(ip).is_ok());
        assert!(t.begin("2001:db8:0:1::1".parse().unwrap()).is_ok());
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
