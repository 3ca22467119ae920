//! The replay cache: the request ids a node has seen while their TTL runs, so a second
//! copy of a request (a capture sent again) is dropped whatever the security provider.
//!
//! Memory is fixed per entry (a 16-byte key and an 8-byte expiry, in a hash set and a
//! FIFO), allocated only as requests arrive, and bounded by a capacity: when it is full
//! the oldest entry is dropped first (and counted), so a flood of valid requests cannot
//! grow the node. Entries are dropped once their request has expired.

use md5::{Digest, Md5};
use std::collections::{HashSet, VecDeque};

/// The default capacity: a minute of 10,000 requests per second.
pub const DEFAULT_CAPACITY: usize = 600_000;

/// A request id as the cache keeps it: the 16 bytes of MCollective's 32-hex-digit ids,
/// or the MD5 of any other id.
type Key = [u8; 16];

fn key(requestid: &str) -> Key {
    let b = requestid.as_bytes();
    let mut k = [0u8; 16];
    if b.len() == 32 {
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let parsed = (0..16).try_for_each(|i| {
            k[i] = nibble(b[2 * i])? << 4 | nibble(b[2 * i + 1])?;
            Some(())
        });
        if parsed.is_some() {
            return k;
        }
    }
    k.copy_from_slice(&Md5::digest(b));
    k
}

/// Whether a request may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Not seen while its TTL runs: it is now remembered.
    Fresh,
    /// A second copy.
    Replay,
}

/// The request ids seen, with when each stops mattering (Unix seconds).
#[derive(Debug)]
pub struct ReplayCache {
    capacity: usize,
    seen: HashSet<Key>,
    /// Insertion order, with each entry's expiry.
    order: VecDeque<(Key, i64)>,
    /// Entries dropped before their expiry because the cache was full.
    evicted: u64,
}

impl ReplayCache {
    pub fn new(capacity: usize) -> ReplayCache {
        ReplayCache {
            capacity: capacity.max(1),
            seen: HashSet::new(),
            order: VecDeque::new(),
            evicted: 0,
        }
    }

    /// Admits `requestid`, which expires at `expires`, at `now`.
    pub fn admit(&mut self, requestid: &str, expires: i64, now: i64) -> Admission {
        self.prune(now);
        let k = key(requestid);
        if self.seen.contains(&k) {
            return Admission::Replay;
        }
        if self.order.len() >= self.capacity
            && let Some((old, _)) = self.order.pop_front()
        {
            self.seen.remove(&old);
            self.evicted += 1;
        }
        self.seen.insert(k);
        self.order.push_back((k, expires));
        Admission::Fresh
    }

    /// Drops the expired entries at the front. Entries expire in about the order they
    /// came (a longer TTL behind a shorter one waits for it, bounded by the capacity).
    fn prune(&mut self, now: i64) {
        while let Some(&(k, expires)) = self.order.front() {
            if expires >= now {
                break;
            }
            self.order.pop_front();
            self.seen.remove(&k);
        }
        // Give memory back once a burst has passed.
        if self.order.is_empty() && self.order.capacity() > 1024 {
            self.order = VecDeque::new();
            self.seen = HashSet::new();
        }
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Entries dropped early because the cache was full.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef";
    const B: &str = "fedcba9876543210fedcba9876543210";

    #[test]
    fn a_second_copy_is_a_replay_until_it_expires() {
        let mut c = ReplayCache::new(10);
        assert_eq!(c.admit(A, 160, 100), Admission::Fresh);
        assert_eq!(c.admit(A, 160, 150), Admission::Replay);
        assert_eq!(c.admit(A, 160, 160), Admission::Replay);
        // Past its expiry the entry is gone (the request itself is refused as expired
        // by the TTL check before it gets here).
        assert_eq!(c.admit(B, 300, 161), Admission::Fresh);
        assert_eq!(c.len(), 1);
        assert_eq!(c.admit(A, 400, 161), Admission::Fresh);
    }

    #[test]
    fn ids_of_any_form_are_kept_apart() {
        let mut c = ReplayCache::new(10);
        for id in [
            A,
            B,
            "not-hex-but-32-characters-long!!",
            "a-uuid-like-id",
            "",
        ] {
            assert_eq!(c.admit(id, 100, 0), Admission::Fresh, "{id}");
        }
        for id in [
            A,
            B,
            "not-hex-but-32-characters-long!!",
            "a-uuid-like-id",
            "",
        ] {
            assert_eq!(c.admit(id, 100, 0), Admission::Replay, "{id}");
        }
        // Upper-case hex is another id than lower-case (MCollective's are lower-case).
        assert_eq!(c.admit(&A.to_uppercase(), 100, 0), Admission::Fresh);
    }

    #[test]
    fn a_full_cache_drops_its_oldest_first_and_counts_it() {
        let mut c = ReplayCache::new(3);
        for i in 0..3 {
            assert_eq!(c.admit(&format!("r{i}"), 1000, 0), Admission::Fresh);
        }
        assert_eq!(c.admit("r3", 1000, 0), Admission::Fresh);
        assert_eq!(c.len(), 3);
        assert_eq!(c.evicted(), 1);
        assert_eq!(c.admit("r0", 1000, 0), Admission::Fresh, "r0 was dropped");
        assert_eq!(c.admit("r3", 1000, 0), Admission::Replay);
    }
}
