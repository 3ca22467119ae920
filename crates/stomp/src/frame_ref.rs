//! Frames that borrow the decoder's buffer, from [`Decoder::decode_ref`](crate::Decoder::decode_ref):
//! the header lines stay as they were on the wire and are unescaped only when asked for,
//! the body is a slice. Reading a frame this way allocates nothing.

use crate::escape::{Escaping, unescape};
use crate::frame::{Command, Version};
use crate::header::split_line;
use memchr::memchr;
use std::borrow::Cow;

/// What [`Decoder::decode_ref`](crate::Decoder::decode_ref) yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemRef<'a> {
    /// A complete frame.
    Frame(FrameRef<'a>),
    /// A heart-beat: a lone EOL between frames.
    Heartbeat,
}

/// A decoded frame borrowing the bytes it was read from. Its header lines were checked
/// while decoding (colon, UTF-8, escapes of the version in force).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef<'a> {
    pub command: Command,
    escaping: Escaping,
    /// The command line with its EOL.
    command_line: &'a [u8],
    /// The header lines with their EOLs, and the blank line.
    header_lines: &'a [u8],
    pub body: &'a [u8],
}

impl<'a> FrameRef<'a> {
    pub(crate) fn new(
        command: Command,
        escaping: Escaping,
        command_line: &'a [u8],
        header_lines: &'a [u8],
        body: &'a [u8],
    ) -> FrameRef<'a> {
        FrameRef {
            command,
            escaping,
            command_line,
            header_lines,
            body,
        }
    }

    /// The same frame with its headers read under `version` (the decoder read them under
    /// the version in force when the frame began).
    pub fn with_version(self, version: Version) -> FrameRef<'a> {
        FrameRef {
            escaping: Escaping::for_frame(version, self.command),
            ..self
        }
    }

    /// The header lines as they are on the wire, split at their first colon, in order.
    pub fn raw_headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a> {
        self.lines().filter_map(|line| split_line(line).ok())
    }

    /// The headers, unescaped, in order. A name or value holding an escape that the
    /// version does not define (possible only after [`FrameRef::with_version`]) is given
    /// as it is on the wire.
    pub fn headers(&self) -> impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)> + use<'a> {
        let escaping = self.escaping;
        self.raw_headers()
            .map(move |(name, value)| (read(name, escaping), read(value, escaping)))
    }

    /// The value of the first header named `name`, unescaped.
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        let escaping = self.escaping;
        if name.contains(['\\', ':', '\n', '\r']) {
            return self
                .raw_headers()
                .find(|(raw, _)| read(raw, escaping) == name)
                .map(|(_, value)| read(value, escaping));
        }
        // A name without those characters is written as it is in every version: only the
        // line that starts with it and a colon can be it.
        let prefix = name.as_bytes();
        self.lines()
            .find(|line| line.starts_with(prefix) && line.get(prefix.len()) == Some(&b':'))
            .and_then(|line| split_line(line).ok())
            .map(|(_, value)| read(value, escaping))
    }

    /// The header lines without their EOLs.
    fn lines(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        self.header_lines
            .split(|&b| b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .take_while(|line| !line.is_empty())
    }

    /// Whether a line of the frame ends in CRLF (allowed from STOMP 1.2 on).
    pub fn has_crlf(&self) -> bool {
        [self.command_line, self.header_lines].iter().any(|part| {
            let mut from = 0;
            while let Some(cr) = memchr(b'\r', &part[from..]).map(|i| from + i) {
                if part.get(cr + 1) == Some(&b'\n') {
                    return true;
                }
                from = cr + 1;
            }
            false
        })
    }
}

/// `text` unescaped, or as it is when that fails.
fn read(text: &str, escaping: Escaping) -> Cow<'_, str> {
    unescape(text, escaping).unwrap_or(Cow::Borrowed(text))
}
