//! Reply collection of a connected [`Client`]: the frames of its reply queue until the
//! caller or a deadline says stop, decoded and verified; and the accounted collection of
//! a broadcast that ends when every delivered copy is in ([`crate::accounting`]).

use super::{Client, ClientError, Collected, Flow, Reply};
use crate::accounting::Tally;
use marionette_config::Dialect;
use marionette_connector::Event;
use marionette_stomp::{Command, Frame};
use marionette_wire::accounting::ReplyKind;
use std::time::Instant;

impl Client {
    /// Receives replies to `requestid` until `on_reply` says stop or `deadline` passes;
    /// replies to other requests are ignored. See [`Client::collect_any`].
    pub async fn collect(
        &mut self,
        reply_dest: Option<&str>,
        requestid: &str,
        deadline: Instant,
        mut on_reply: impl FnMut(Reply) -> Flow,
    ) -> Result<Collected, ClientError> {
        self.collect_any(reply_dest, deadline, |id, reply| {
            if id == requestid {
                Some(on_reply(reply))
            } else {
                tracing::debug!("ignoring a reply to request {id}");
                None
            }
        })
        .await
    }

    /// Receives replies, handing each with its request id to `on_reply`, which returns
    /// `None` to ignore it, until it says stop or `deadline` passes. Messages that fail
    /// to decode or verify (or, with ActiveMQ, delivered to another reply queue) are
    /// ignored. A lost connection does not end the collection: the connector reconnects
    /// and replays the reply queue's subscription, and the loss is reported in
    /// [`Collected::interrupted`].
    pub async fn collect_any(
        &mut self,
        reply_dest: Option<&str>,
        deadline: Instant,
        mut on_reply: impl FnMut(&str, Reply) -> Option<Flow>,
    ) -> Result<Collected, ClientError> {
        let mut got = Collected::default();
        while let Some(frame) = self.next_frame(reply_dest, deadline, &mut got).await? {
            let Some((id, reply)) = self.open(&frame) else {
                continue;
            };
            match on_reply(&id, reply) {
                None => {}
                Some(Flow::Continue) => got.replies += 1,
                Some(Flow::Stop) => {
                    got.replies += 1;
                    break;
                }
            }
        }
        Ok(got)
    }

    /// [`Client::collect`] for an accounted broadcast: also ends when `tally` says every
    /// copy is accounted for or its sliding window has passed (see [`crate::accounting`]).
    pub(super) async fn collect_accounted(
        &mut self,
        reply_dest: &str,
        tally: &mut Tally,
        deadline: Instant,
        mut on_reply: impl FnMut(Reply) -> Flow,
    ) -> Result<Collected, ClientError> {
        let mut got = Collected::default();
        loop {
            if tally.complete() {
                break;
            }
            let until = tally.window_ends().map_or(deadline, |w| w.min(deadline));
            let Some(frame) = self.next_frame(Some(reply_dest), until, &mut got).await? else {
                break;
            };
            if frame.command == Command::Receipt {
                tally.receipt(&frame);
                continue;
            }
            let kind = ReplyKind::of(|h| frame.get(h));
            let sender = frame.get("mc_sender").unwrap_or_default();
            if tally.marker(kind, sender, Instant::now()) {
                continue;
            }
            let Some((id, reply)) = self.open(&frame) else {
                continue;
            };
            if id != tally.requestid() {
                tracing::debug!("ignoring a reply to request {id}");
                continue;
            }
            tally.reply(&reply.senderid, reply.received);
            got.replies += 1;
            if on_reply(reply) == Flow::Stop {
                break;
            }
        }
        Ok(got)
    }

    /// The next MESSAGE or RECEIPT for this client before `until` (`None` then, or when
    /// the connector gave up); ERROR frames are logged and a lost connection noted in
    /// `got`. With ActiveMQ, messages for other reply queues are skipped.
    async fn next_frame(
        &mut self,
        reply_dest: Option<&str>,
        until: Instant,
        got: &mut Collected,
    ) -> Result<Option<Frame>, ClientError> {
        let until = tokio::time::Instant::from_std(until);
        loop {
            let ev = tokio::select! {
                ev = self.events.recv() => ev,
                _ = tokio::time::sleep_until(until) => return Ok(None),
            };
            let Some(ev) = ev else {
                return Err(ClientError::Connection("connector stopped".into()));
            };
            let frame = match ev {
                Event::Frame(f) if matches!(f.command, Command::Message | Command::Receipt) => f,
                Event::Error(f) => {
                    tracing::warn!(
                        "ERROR frame from the broker: {}",
                        f.get("message").unwrap_or_default()
                    );
                    continue;
                }
                Event::GaveUp { reason } => {
                    got.interrupted.get_or_insert(reason);
                    return Ok(None);
                }
                Event::Disconnected { reason } => {
                    tracing::warn!("disconnected from the broker: {reason}");
                    got.interrupted.get_or_insert(reason);
                    continue;
                }
                _ => continue,
            };
            if let (Some(dest), Dialect::ActiveMq, Command::Message) =
                (reply_dest, self.opts.dialect, frame.command)
                && frame.get("destination").is_some_and(|d| d != dest)
            {
                tracing::debug!("ignoring a message for {:?}", frame.get("destination"));
                continue;
            }
            return Ok(Some(frame));
        }
    }

    /// Opens a reply MESSAGE: its request id and the reply, or `None` (logged) when it is
    /// not a reply that decodes and verifies.
    fn open(&self, frame: &Frame) -> Option<(String, Reply)> {
        if frame.command != Command::Message {
            return None;
        }
        match self.psk.open_reply(&frame.body) {
            Ok((reply, payload)) => Some((
                reply.requestid,
                Reply {
                    senderid: reply.senderid,
                    senderagent: reply.senderagent,
                    msgtime: reply.msgtime,
                    payload,
                    received: Instant::now(),
                },
            )),
            Err(e) => {
                tracing::warn!(
                    "Failed to decode a message from '{}': {e}",
                    frame.get("mc_sender").unwrap_or_default()
                );
                None
            }
        }
    }
}
