//! A published message as the router holds it, and how it becomes a MESSAGE frame.

use bytes::{Bytes, BytesMut};
use marionette_stomp::{Command, Frame, Headers, Version, encode, encode_header};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Headers of a SEND that belong to the transport, not to the message; they are not
/// passed on to subscribers.
const TRANSPORT_HEADERS: [&str; 7] = [
    "destination",
    "receipt",
    "transaction",
    "content-length",
    "message-id",
    "subscription",
    "ack",
];

/// Bodies at least this large are copied out of the read buffer they were decoded in.
/// A body is a slice of that buffer, and a held message would otherwise keep the whole
/// buffer alive, which can be twice the body or more once it grew for large frames:
/// under a flood of 4 MB messages from eight connections at once, that put broker RSS
/// 130 MB above the held bytes. One copy of a large message costs far less than its
/// trip through the socket.
const COPY_BODY_FROM: usize = 64 * 1024;

/// One message, shared by every subscription it is delivered to.
#[derive(Debug)]
pub struct Message {
    /// `message-id` header value.
    pub id: String,
    /// The destination as it was sent.
    pub destination: String,
    /// The sender's own headers, in order (transport headers removed).
    pub headers: Headers,
    pub body: Bytes,
    /// Absolute expiry, in milliseconds since the epoch.
    pub expires_ms: Option<u64>,
    /// The MESSAGE frame without per-subscription headers, encoded once per version
    /// (1.0, 1.1, 1.2) by the first writer that needs it.
    encoded: [OnceLock<Bytes>; 3],
}

impl Message {
    /// Builds a message from a SEND frame; `now_ms` resolves RabbitMQ's relative
    /// `expiration` header.
    pub fn from_send(id: String, destination: String, frame: Frame, now_ms: u64) -> Message {
        let mut headers = Headers::new();
        for (k, v) in frame.headers.iter() {
            if !TRANSPORT_HEADERS.contains(&k) && headers.get(k).is_none() {
                headers.push(k, v);
            }
        }
        let absolute = headers
            .get("expires")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&ms| ms > 0);
        let relative = headers
            .get("expiration")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|ms| now_ms.saturating_add(ms));
        Message {
            id,
            destination,
            headers,
            body: if frame.body.len() >= COPY_BODY_FROM {
                Bytes::copy_from_slice(&frame.body)
            } else {
                frame.body
            },
            expires_ms: absolute.or(relative),
            encoded: Default::default(),
        }
    }

    /// Whether the message has expired at `now_ms`.
    pub fn expired(&self, now_ms: u64) -> bool {
        self.expires_ms.is_some_and(|e| e <= now_ms)
    }

    /// Bytes this message holds, for memory accounting.
    pub fn size(&self) -> usize {
        frame_bytes(&self.body, &self.headers) + self.id.len() + self.destination.len()
    }

    /// Appends the MESSAGE frame for one subscription to `out`: the per-subscription
    /// headers, then the rest of the frame, encoded once per version and shared by every
    /// subscription. `subscription` is `None` for STOMP 1.0; `ack` is the 1.2 `ack` header.
    pub fn encode_for(
        &self,
        version: Version,
        subscription: Option<&str>,
        ack: Option<&str>,
        out: &mut BytesMut,
    ) {
        const COMMAND_LINE: &[u8] = b"MESSAGE\n";
        let shared = self.encoded[version as usize].get_or_init(|| {
            let mut buf = BytesMut::new();
            encode(&self.to_frame(), version, &mut buf);
            buf.freeze()
        });
        out.reserve(shared.len() + 64);
        out.extend_from_slice(COMMAND_LINE);
        if let Some(sub) = subscription {
            encode_header("subscription", sub, Command::Message, version, out);
        }
        if let Some(ack) = ack {
            encode_header("ack", ack, Command::Message, version, out);
        }
        out.extend_from_slice(&shared[COMMAND_LINE.len()..]);
    }

    /// The MESSAGE frame without per-subscription headers.
    pub fn to_frame(&self) -> Frame {
        let mut frame = Frame::new(Command::Message)
            .header("destination", self.destination.as_str())
            .header("message-id", self.id.as_str());
        for (k, v) in self.headers.iter() {
            frame.headers.push(k, v);
        }
        frame.body = self.body.clone();
        frame.set_content_length();
        frame
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Bytes of a frame's body and headers, for memory accounting.
pub fn frame_bytes(body: &[u8], headers: &Headers) -> usize {
    body.len()
        + headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(headers: &[(&str, &str)], body: &'static [u8]) -> Frame {
        let mut f = Frame::new(Command::Send);
        for (k, v) in headers {
            f.headers.push(*k, *v);
        }
        f.body = Bytes::from_static(body);
        f
    }

    #[test]
    fn keeps_sender_headers_and_drops_transport_ones() {
        let f = send(
            &[
                ("destination", "/queue/a"),
                ("receipt", "r1"),
                ("mc_identity", "node1"),
                ("reply-to", "/queue/r"),
                ("content-length", "3"),
                ("mc_identity", "second"),
            ],
            b"a\0b",
        );
        let m = Message::from_send("ID:1".into(), "/queue/a".into(), f, 0);
        let got: Vec<_> = m.headers.iter().collect();
        assert_eq!(
            got,
            vec![("mc_identity", "node1"), ("reply-to", "/queue/r")]
        );
        let out = m.to_frame();
        let got: Vec<_> = out.headers.iter().collect();
        assert_eq!(
            got,
            vec![
                ("destination", "/queue/a"),
                ("message-id", "ID:1"),
                ("mc_identity", "node1"),
                ("reply-to", "/queue/r"),
                ("content-length", "3"),
            ]
        );
        assert_eq!(&out.body[..], b"a\0b");
    }

    #[test]
    fn shared_encoding_matches_the_whole_frame() {
        let f = send(&[("destination", "/topic/t"), ("k", "a:b")], b"x\0y");
        let m = Message::from_send("ID:1".into(), "/topic/t".into(), f, 0);
        for v in [Version::V1_0, Version::V1_1, Version::V1_2] {
            for (sub, ack) in [(None, None), (Some("s:1"), None), (Some("s"), Some("ID:1"))] {
                let mut spliced = BytesMut::new();
                m.encode_for(v, sub, ack, &mut spliced);
                spliced.clear();
                m.encode_for(v, sub, ack, &mut spliced);
                let mut frame = Frame::new(Command::Message);
                if let Some(s) = sub {
                    frame.headers.push("subscription", s);
                }
                if let Some(a) = ack {
                    frame.headers.push("ack", a);
                }
                for (k, val) in m.to_frame().headers.iter() {
                    frame.headers.push(k, val);
                }
                frame.body = m.body.clone();
                let mut whole = BytesMut::new();
                encode(&frame, v, &mut whole);
                assert_eq!(spliced, whole, "{v:?} {sub:?} {ack:?}");
            }
        }
    }

    #[test]
    fn expiry_from_expires_or_expiration() {
        let m = Message::from_send("i".into(), "d".into(), send(&[("expires", "5000")], b""), 0);
        assert_eq!(m.expires_ms, Some(5000));
        assert!(!m.expired(4999));
        assert!(m.expired(5000));
        let m = Message::from_send(
            "i".into(),
            "d".into(),
            send(&[("expiration", "70000")], b""),
            1000,
        );
        assert_eq!(m.expires_ms, Some(71000));
        let m = Message::from_send("i".into(), "d".into(), send(&[("expires", "0")], b""), 9);
        assert_eq!(m.expires_ms, None);
    }
}
