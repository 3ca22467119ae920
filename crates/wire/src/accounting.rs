//! Reply accounting: the STOMP headers with which a marionette client learns when every
//! node that received a request has answered, so it can stop waiting at once instead of
//! waiting out a fixed window.
//!
//! - The broker answers a SEND's `receipt` with [`DELIVERED_HEADER`]: how many
//!   subscriptions the request was delivered to.
//! - The client sets [`ACCOUNT_HEADER`] on a request. Real `mcollectived` ignores it (it
//!   reads only the body); a marionette node answers every copy it cannot serve with an
//!   empty-bodied *miss* ([`MISS_HEADER`]: the filter does not match, or it has no such
//!   agent), and a copy whose action is still running after [`ACCEPT_AFTER_MS`] with an
//!   *accepted* frame ([`ACCEPTED_HEADER`]) before its reply.
//! - Both carry the request id as their value and go to the request's `reply-to`, with
//!   `mc_sender` naming the node, and no Marshal body: no envelope is opened for them and
//!   no agent runs.

/// On the broker's RECEIPT for a SEND: the number of subscriptions it was delivered to.
pub const DELIVERED_HEADER: &str = "marionette-delivered";

/// On a request: the sender accounts for every delivered copy (value `1`).
pub const ACCOUNT_HEADER: &str = "marionette-account";

/// On a node's frame to a reply queue: this copy of the request will not be answered.
pub const MISS_HEADER: &str = "marionette-miss";

/// On a node's frame to a reply queue: this copy is being run; its reply follows.
pub const ACCEPTED_HEADER: &str = "marionette-accepted";

/// How long a node lets an action run before it tells an accounting client that the
/// request was accepted (a reply sent sooner needs no such frame).
pub const ACCEPT_AFTER_MS: u64 = 50;

/// What a frame on a reply queue is, judged by its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind<'a> {
    /// An MCollective reply (a Marshal body).
    Reply,
    /// A miss for the request with this id.
    Miss(&'a str),
    /// The request with this id is running on the sender.
    Accepted(&'a str),
}

impl<'a> ReplyKind<'a> {
    /// Classifies a frame by looking up its headers with `get`.
    pub fn of(get: impl Fn(&str) -> Option<&'a str>) -> ReplyKind<'a> {
        if let Some(id) = get(MISS_HEADER) {
            ReplyKind::Miss(id)
        } else if let Some(id) = get(ACCEPTED_HEADER) {
            ReplyKind::Accepted(id)
        } else {
            ReplyKind::Reply
        }
    }
}
