//! Incremental, bounded STOMP decoder.
//!
//! The [`Decoder`] reads a frame in three steps, each resumable when the buffer runs dry:
//! the command line, the header lines (parsed and removed from the buffer one by one) and
//! the body. Between calls it remembers the frame being built and how far the buffer has
//! already been searched for the next LF or NUL, so a large body arriving in many small
//! reads is scanned once, not once per read. The body is split off the buffer without a
//! copy.
//!
//! Every [`Limits`] bound is enforced as soon as the buffered bytes prove it broken, before
//! the rest of the frame arrives.

use crate::escape::Escaping;
use crate::frame::{Command, Frame, Headers, Version};
use crate::header::{parse_content_length, parse_line};
use bytes::{Buf, Bytes, BytesMut};
use memchr::memchr;

/// The longest command line, `UNSUBSCRIBE` plus an optional CR, before its LF.
const MAX_COMMAND_LINE: usize = 12;

/// Bounds checked while decoding; each violation is a typed [`DecodeError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame, command line through NUL, in bytes.
    pub max_frame_bytes: usize,
    /// Most header lines in one frame.
    pub max_headers: usize,
    /// Longest header line (name, colon and value, before unescaping) in bytes.
    pub max_header_line: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_frame_bytes: 4 * 1024 * 1024,
            max_headers: 128,
            max_header_line: 8 * 1024,
        }
    }
}

/// What the decoder yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A complete frame.
    Frame(Frame),
    /// A heart-beat: a lone EOL (`\n` or `\r\n`) between frames.
    Heartbeat,
}

/// Why a byte stream is not valid STOMP. The connection should be closed after any of
/// these; the decoder does not resynchronise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The command line names no STOMP command (or is longer than any command).
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    /// The frame, command line through NUL, is longer than [`Limits::max_frame_bytes`].
    #[error("frame exceeds {limit} bytes")]
    FrameTooLarge { limit: usize },
    /// The frame has more header lines than [`Limits::max_headers`].
    #[error("frame has more than {limit} headers")]
    TooManyHeaders { limit: usize },
    /// A header line is longer than [`Limits::max_header_line`].
    #[error("header line exceeds {limit} bytes")]
    HeaderLineTooLong { limit: usize },
    /// A header line has no `:` between name and value.
    #[error("header line has no colon")]
    MissingColon,
    /// A header line starts with its colon.
    #[error("header line has an empty name")]
    EmptyHeaderName,
    /// A header name or value is not UTF-8.
    #[error("header is not valid UTF-8")]
    InvalidUtf8,
    /// A backslash followed by a character the version does not define an escape for
    /// (`\r` is one only from STOMP 1.2 on).
    #[error("undefined escape sequence \\{0} in header")]
    UndefinedEscape(char),
    /// A header name or value ends with an unfinished escape.
    #[error("header ends with a lone backslash")]
    TrailingBackslash,
    /// The first `content-length` header is not a decimal number.
    #[error("invalid content-length {0:?}")]
    InvalidContentLength(String),
    /// The byte after a `content-length` body is not NUL.
    #[error("body of content-length {content_length} is not followed by NUL")]
    MissingNul { content_length: usize },
}

/// Decodes frames from a buffer that grows as bytes arrive.
///
/// One decoder serves one byte stream: between calls it keeps the part of a frame already
/// taken off the buffer, so every call must pass the same buffer, with new bytes appended.
#[derive(Debug, Clone)]
pub struct Decoder {
    version: Version,
    limits: Limits,
    /// The frame being read, once its command line is in.
    partial: Option<Partial>,
}

/// A frame whose command line has been read, but not yet its NUL.
#[derive(Debug, Clone)]
struct Partial {
    command: Command,
    escaping: Escaping,
    headers: Headers,
    /// The value of the first `content-length` header.
    content_length: Option<usize>,
    /// Whether the blank line that ends the headers has been read.
    in_body: bool,
    /// Bytes of this frame already taken off the buffer.
    consumed: usize,
    /// Length of the buffer's prefix already searched, in vain, for the next LF (while
    /// reading headers) or NUL (while reading a body without `content-length`).
    scanned: usize,
}

impl Decoder {
    /// A decoder for a fresh connection (STOMP 1.0 until [`Decoder::set_version`]).
    pub fn new(limits: Limits) -> Decoder {
        Decoder {
            version: Version::V1_0,
            limits,
            partial: None,
        }
    }

    /// Sets the negotiated version, which selects header unescaping. It applies from the
    /// next frame whose command line has not been read yet.
    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    /// The version in force.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Takes one item off the front of `buf`; `Ok(None)` means more bytes are needed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Item>, DecodeError> {
        let limits = self.limits;
        let partial = match &mut self.partial {
            Some(partial) => partial,
            None => match read_command_line(buf, &limits)? {
                None => return Ok(None),
                Some(CommandLine::Heartbeat) => return Ok(Some(Item::Heartbeat)),
                Some(CommandLine::Command(command, consumed)) => {
                    self.partial
                        .insert(Partial::new(command, self.version, consumed))
                }
            },
        };
        if !partial.in_body && !partial.read_headers(buf, &limits)? {
            return Ok(None);
        }
        let Some(body) = partial.read_body(buf, &limits)? else {
            return Ok(None);
        };
        Ok(self.partial.take().map(|partial| {
            Item::Frame(Frame {
                command: partial.command,
                headers: partial.headers,
                body,
            })
        }))
    }
}

/// What starts at the front of the buffer between frames.
enum CommandLine {
    /// A lone EOL, already taken off the buffer.
    Heartbeat,
    /// A command line of that many bytes (EOL included), already taken off the buffer.
    Command(Command, usize),
}

/// Reads a heart-beat EOL or a command line; `Ok(None)` if its LF has not arrived yet.
/// A lone CR may still become a heart-beat, so it does not count towards the frame size.
fn read_command_line(
    buf: &mut BytesMut,
    limits: &Limits,
) -> Result<Option<CommandLine>, DecodeError> {
    let window = &buf[..buf.len().min(MAX_COMMAND_LINE + 1)];
    let Some(lf) = memchr(b'\n', window) else {
        if window.len() > limits.max_frame_bytes && window != b"\r" {
            return Err(frame_too_large(limits));
        }
        if window.len() > MAX_COMMAND_LINE {
            return Err(unknown_command(window));
        }
        return Ok(None);
    };
    let line = strip_cr(&window[..lf]);
    if line.is_empty() {
        buf.advance(lf + 1);
        return Ok(Some(CommandLine::Heartbeat));
    }
    if lf + 1 > limits.max_frame_bytes {
        return Err(frame_too_large(limits));
    }
    let command = Command::parse(line).ok_or_else(|| unknown_command(line))?;
    buf.advance(lf + 1);
    Ok(Some(CommandLine::Command(command, lf + 1)))
}

impl Partial {
    fn new(command: Command, version: Version, consumed: usize) -> Partial {
        Partial {
            command,
            escaping: Escaping::for_frame(version, command),
            headers: Headers::new(),
            content_length: None,
            in_body: false,
            consumed,
            scanned: 0,
        }
    }

    /// Takes complete header lines off `buf` up to and including the blank line; returns
    /// whether that blank line has been read.
    fn read_headers(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<bool, DecodeError> {
        loop {
            let unscanned = buf.get(self.scanned..).unwrap_or_default();
            let Some(lf) = memchr(b'\n', unscanned).map(|i| self.scanned + i) else {
                self.scanned = buf.len();
                self.check_size(buf.len(), limits)?;
                check_open_line(buf, limits)?;
                return Ok(false);
            };
            self.scanned = 0;
            self.check_size(lf + 1, limits)?;
            let line = strip_cr(&buf[..lf]);
            if line.is_empty() {
                buf.advance(lf + 1);
                self.consumed += lf + 1;
                self.in_body = true;
                if let Some(length) = self.content_length {
                    self.check_size(length.saturating_add(1), limits)?;
                }
                return Ok(true);
            }
            if line.len() > limits.max_header_line {
                return Err(DecodeError::HeaderLineTooLong {
                    limit: limits.max_header_line,
                });
            }
            if self.headers.len() >= limits.max_headers {
                return Err(DecodeError::TooManyHeaders {
                    limit: limits.max_headers,
                });
            }
            let (name, value) = parse_line(line, self.escaping)?;
            if name == "content-length" && self.content_length.is_none() {
                let length = parse_content_length(&value)?;
                // Rejected now, before the body arrives: this line, at least a blank
                // line, the body and its NUL.
                self.check_size(length.saturating_add(lf + 3), limits)?;
                self.content_length = Some(length);
            }
            self.headers.push(name, value);
            buf.advance(lf + 1);
            self.consumed += lf + 1;
        }
    }

    /// Takes the body and its NUL off `buf`, once they have all arrived.
    fn read_body(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<Bytes>, DecodeError> {
        let length = match self.content_length {
            Some(length) => match buf.get(length) {
                None => return Ok(None),
                Some(0) => length,
                Some(_) => {
                    return Err(DecodeError::MissingNul {
                        content_length: length,
                    });
                }
            },
            None => {
                let unscanned = buf.get(self.scanned..).unwrap_or_default();
                let Some(nul) = memchr(0, unscanned).map(|i| self.scanned + i) else {
                    self.scanned = buf.len();
                    self.check_size(buf.len(), limits)?;
                    return Ok(None);
                };
                self.check_size(nul + 1, limits)?;
                nul
            }
        };
        let body = buf.split_to(length + 1).freeze().slice(..length);
        Ok(Some(body))
    }

    /// Fails if this frame, with `more` bytes beyond those already consumed, exceeds the
    /// frame-size limit.
    fn check_size(&self, more: usize, limits: &Limits) -> Result<(), DecodeError> {
        if self.consumed.saturating_add(more) > limits.max_frame_bytes {
            return Err(frame_too_large(limits));
        }
        Ok(())
    }
}

/// Fails if `buf`, a header line whose LF has not arrived, is already longer than allowed.
/// One byte more is tolerated when it is a CR, which may be the start of a CRLF.
fn check_open_line(buf: &[u8], limits: &Limits) -> Result<(), DecodeError> {
    let content = match buf.split_last() {
        Some((b'\r', content)) => content,
        _ => buf,
    };
    if content.len() > limits.max_header_line {
        return Err(DecodeError::HeaderLineTooLong {
            limit: limits.max_header_line,
        });
    }
    Ok(())
}

/// A line without the CR of a CRLF ending.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn frame_too_large(limits: &Limits) -> DecodeError {
    DecodeError::FrameTooLarge {
        limit: limits.max_frame_bytes,
    }
}

fn unknown_command(line: &[u8]) -> DecodeError {
    DecodeError::UnknownCommand(String::from_utf8_lossy(line).into_owned())
}
