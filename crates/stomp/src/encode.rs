//! STOMP encoder: writes a [`Frame`] as the wire bytes of a given [`Version`].

use crate::escape::{Escaping, escape};
use crate::frame::{Command, Frame, Version};
use bytes::BytesMut;

/// Appends `frame` to `out`, escaping headers as `version` requires.
///
/// Writes the command line, every header exactly as given and in order (escaped, except
/// for CONNECT, STOMP and CONNECTED frames), a blank line, the body and a NUL, with LF line
/// endings. It adds no header itself: a body that contains NUL needs the `content-length`
/// that [`Frame::with_body`] sets. In STOMP 1.0 (and in CONNECT-like frames) nothing is
/// escaped, so a name holding `:` or an LF, or a value holding an LF, cannot be written
/// faithfully; in STOMP 1.1 a CR is written raw, and one that ends a value is read back as
/// part of a CRLF line ending.
pub fn encode(frame: &Frame, version: Version, out: &mut BytesMut) {
    let escaping = Escaping::for_frame(version, frame.command);
    let command = frame.command.as_str().as_bytes();
    let headers_len: usize = frame
        .headers
        .iter()
        .map(|(k, v)| k.len() + v.len() + 2)
        .sum();
    out.reserve(command.len() + headers_len + frame.body.len() + 3);
    out.extend_from_slice(command);
    out.extend_from_slice(b"\n");
    for (name, value) in frame.headers.iter() {
        write_header(name, value, escaping, out);
    }
    out.extend_from_slice(b"\n");
    out.extend_from_slice(&frame.body);
    out.extend_from_slice(b"\0");
}

/// Appends one `name:value` line as it would appear in a `command` frame of `version`.
/// With [`encode`], this lets a sender splice per-receiver headers into a frame encoded
/// once (a broker delivering one message to many subscriptions).
pub fn encode_header(
    name: &str,
    value: &str,
    command: Command,
    version: Version,
    out: &mut BytesMut,
) {
    write_header(name, value, Escaping::for_frame(version, command), out);
}

fn write_header(name: &str, value: &str, escaping: Escaping, out: &mut BytesMut) {
    escape(name, escaping, out);
    out.extend_from_slice(b":");
    escape(value, escaping, out);
    out.extend_from_slice(b"\n");
}
