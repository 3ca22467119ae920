//! When a broadcast's reply collection may end before its timeout (the client side of
//! `marionette_wire::accounting`).
//!
//! The request goes out with a `receipt` and the accounting marker. A marionette broker's
//! RECEIPT says how many subscriptions got it; every copy then comes back as a reply, a
//! miss (a node the filter does not match, or without the agent) or first an *accepted*
//! frame (a node whose action takes a while). Collection ends:
//! - as soon as every delivered copy is accounted for (replies plus misses);
//! - or, when the broker counted, once no frame came for the sliding window (300 ms
//!   unless `--discovery-window` says otherwise) while no accepted node still owes its
//!   reply: the copies left are nodes that never account (real `mcollectived` that the
//!   filter does not match);
//! - against a broker that does not count (ActiveMQ, RabbitMQ), only after a sliding
//!   window the user asked for; otherwise MCollective's fixed window;
//! - in any case at the timeout, the hard cap.

use marionette_stomp::Frame;
use marionette_wire::accounting::{DELIVERED_HEADER, ReplyKind};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// The sliding window when the broker counted deliveries and the user set none.
pub const DEFAULT_WINDOW: Duration = Duration::from_millis(300);

/// The receipt id of an accounted request.
pub fn receipt_id(requestid: &str) -> String {
    format!("account-{requestid}")
}

/// What the broker said about the request's deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Count {
    /// No RECEIPT yet.
    Pending,
    /// The broker does not count (its RECEIPT has no count).
    Unknown,
    Delivered(usize),
}

/// One accounted request's tally.
#[derive(Debug)]
pub struct Tally {
    requestid: String,
    receipt: String,
    count: Count,
    /// Replies and misses so far (a node that got two copies accounts for both).
    accounted: usize,
    /// Nodes that said they run the request and have not replied yet.
    owing: HashSet<String>,
    /// The window the user asked for, if any.
    window: Option<Duration>,
    last: Instant,
}

impl Tally {
    /// A tally for `requestid`, published at `sent`.
    pub fn new(requestid: &str, window: Option<Duration>, sent: Instant) -> Tally {
        Tally {
            requestid: requestid.to_string(),
            receipt: receipt_id(requestid),
            count: Count::Pending,
            accounted: 0,
            owing: HashSet::new(),
            window,
            last: sent,
        }
    }

    /// Takes in a RECEIPT; false when it is not this request's.
    pub fn receipt(&mut self, frame: &Frame) -> bool {
        if frame.get("receipt-id") != Some(self.receipt.as_str()) {
            return false;
        }
        self.count = match frame.get(DELIVERED_HEADER).map(str::parse::<usize>) {
            Some(Ok(n)) => Count::Delivered(n),
            _ => Count::Unknown,
        };
        true
    }

    /// Takes in an accounting frame (a MESSAGE with a miss or accepted header) from
    /// `sender` at `now`; false when the frame is a reply or for another request.
    pub fn marker(&mut self, kind: ReplyKind<'_>, sender: &str, now: Instant) -> bool {
        match kind {
            ReplyKind::Miss(id) if id == self.requestid => self.accounted += 1,
            ReplyKind::Accepted(id) if id == self.requestid => {
                if self.owing.len() < crate::accounting::MAX_OWING {
                    self.owing.insert(sender.to_string());
                }
            }
            ReplyKind::Reply => return false,
            // Another request's marker: not ours, but not a reply either.
            _ => return true,
        }
        self.last = now;
        true
    }

    /// Takes in a reply to this request from `sender` at `now`.
    pub fn reply(&mut self, sender: &str, now: Instant) {
        self.accounted += 1;
        self.owing.remove(sender);
        self.last = now;
    }

    /// Every delivered copy is accounted for.
    pub fn complete(&self) -> bool {
        matches!(self.count, Count::Delivered(n) if self.accounted >= n)
    }

    /// When the sliding window ends the collection, if it can now.
    pub fn window_ends(&self) -> Option<Instant> {
        if !self.owing.is_empty() {
            return None;
        }
        let window = match self.count {
            Count::Delivered(_) => self.window.unwrap_or(DEFAULT_WINDOW),
            Count::Pending | Count::Unknown => self.window?,
        };
        Some(self.last + window)
    }

    /// The request this tally is for.
    pub fn requestid(&self) -> &str {
        &self.requestid
    }

    /// How many copies the broker delivered, if it said.
    pub fn delivered(&self) -> Option<usize> {
        match self.count {
            Count::Delivered(n) => Some(n),
            _ => None,
        }
    }
}

/// The most nodes remembered as owing a reply (beyond it, the window may end early).
pub const MAX_OWING: usize = 1_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use marionette_stomp::Command;

    fn receipt(id: &str, count: Option<&str>) -> Frame {
        let f = Frame::new(Command::Receipt).header("receipt-id", id);
        match count {
            Some(n) => f.header(DELIVERED_HEADER, n),
            None => f,
        }
    }

    #[test]
    fn ends_when_every_copy_is_accounted_for() {
        let t0 = Instant::now();
        let mut t = Tally::new("r1", None, t0);
        assert!(!t.receipt(&receipt("account-other", Some("1"))));
        assert!(t.receipt(&receipt("account-r1", Some("3"))));
        assert_eq!(t.delivered(), Some(3));
        t.reply("a", t0);
        assert!(t.marker(ReplyKind::Miss("r1"), "b", t0));
        assert!(!t.complete());
        // Another request's miss does not count.
        assert!(t.marker(ReplyKind::Miss("r0"), "c", t0));
        assert!(!t.complete());
        assert!(!t.marker(ReplyKind::Reply, "c", t0));
        t.reply("c", t0);
        assert!(t.complete());
    }

    #[test]
    fn a_node_that_accepted_holds_the_window_open_until_it_replies() {
        let t0 = Instant::now();
        let mut t = Tally::new("r1", None, t0);
        t.receipt(&receipt("account-r1", Some("3")));
        assert_eq!(t.window_ends(), Some(t0 + DEFAULT_WINDOW));
        let t1 = t0 + Duration::from_millis(50);
        t.marker(ReplyKind::Accepted("r1"), "slow", t1);
        assert_eq!(t.window_ends(), None);
        let t2 = t0 + Duration::from_secs(2);
        t.reply("slow", t2);
        assert_eq!(t.window_ends(), Some(t2 + DEFAULT_WINDOW));
        assert!(!t.complete());
    }

    #[test]
    fn without_a_count_only_a_window_the_user_set_ends_early() {
        let t0 = Instant::now();
        let mut fixed = Tally::new("r1", None, t0);
        assert_eq!(fixed.window_ends(), None);
        fixed.receipt(&receipt("account-r1", None));
        assert_eq!(fixed.window_ends(), None);
        fixed.reply("a", t0);
        assert!(!fixed.complete());
        let w = Duration::from_millis(700);
        let mut sliding = Tally::new("r1", Some(w), t0);
        sliding.receipt(&receipt("account-r1", Some("not a number")));
        assert_eq!(sliding.delivered(), None);
        let t1 = t0 + Duration::from_millis(10);
        sliding.reply("a", t1);
        assert_eq!(sliding.window_ends(), Some(t1 + w));
    }

    #[test]
    fn nothing_delivered_is_complete_at_once() {
        let mut t = Tally::new("r1", None, Instant::now());
        t.receipt(&receipt("account-r1", Some("0")));
        assert!(t.complete());
    }
}
