//! Incremental, bounded STOMP decoder.
//!
//! The [`Decoder`] reads a frame in three steps, each resumable when the buffer runs dry:
//! the command line, the header lines (checked one by one as their LF arrives) and the
//! body. Between calls it remembers how far into the frame it has read and how far the
//! buffer has already been searched for the next LF or NUL, so a large body arriving in
//! many small reads is scanned once, not once per read. The frame stays in the buffer
//! until its NUL: [`Decoder::decode`] then splits it off with its body uncopied,
//! [`Decoder::decode_ref`] hands it out borrowed, headers unescaped only on demand.
//!
//! Every [`StompLimits`] bound is enforced as soon as the buffered bytes prove it broken, before
//! the rest of the frame arrives.

use crate::escape::{Escaping, unescape};
use crate::frame::{Command, Frame, Headers, Version};
use crate::frame_ref::{FrameRef, ItemRef};
use crate::header::{check_line, parse_content_length, split_line};
use crate::limits::{DecodeError, StompLimits};
use bytes::{Buf, BytesMut};
use memchr::memchr;
use std::ops::Range;

/// The longest command line, `UNSUBSCRIBE` plus an optional CR, before its LF.
const MAX_COMMAND_LINE: usize = 12;

/// What the decoder yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A complete frame.
    Frame(Frame),
    /// A heart-beat: a lone EOL (`\n` or `\r\n`) between frames.
    Heartbeat,
}

/// Decodes frames from a buffer that grows as bytes arrive.
///
/// One decoder serves one byte stream: between calls it remembers how far into the frame
/// at the front of the buffer it has read, so every call must pass the same buffer, with
/// new bytes appended. The frame's bytes stay in the buffer until the frame is complete.
/// [`Decoder::decode`] yields owned frames and takes them off a `BytesMut`;
/// [`Decoder::decode_ref`] yields frames that borrow the buffer, whose bytes the caller
/// then drops. A stream is read with one of the two.
#[derive(Debug, Clone)]
pub struct Decoder {
    version: Version,
    limits: StompLimits,
    /// The frame being read, once its command line is in.
    partial: Option<Partial>,
}

/// A frame whose command line has been read, but not yet its NUL. Offsets are from the
/// start of the buffer, where the frame starts.
#[derive(Debug, Clone)]
struct Partial {
    command: Command,
    escaping: Escaping,
    /// The header lines read so far, unescaped, when they are collected ([`Decoder::decode`]).
    headers: Headers,
    /// Whether `headers` holds every header line read so far.
    collected: bool,
    /// Header lines read so far.
    header_count: usize,
    /// The value of the first `content-length` header.
    content_length: Option<usize>,
    /// Where the header lines start (just after the command line).
    headers_start: usize,
    /// Where the next header line starts, or, once the blank line has been read, the body.
    pos: usize,
    /// Whether the blank line that ends the headers has been read.
    in_body: bool,
    /// Length of the buffer's prefix already searched, in vain, for the next LF (while
    /// reading headers) or NUL (while reading a body without `content-length`).
    scanned: usize,
}

/// A complete item at the front of the buffer.
enum Step {
    /// A heart-beat EOL of that many bytes.
    Heartbeat(usize),
    /// A frame: what was read of it, where its body is, and its length with the NUL.
    Frame(Partial, Range<usize>, usize),
}

impl Decoder {
    /// A decoder for a fresh connection (STOMP 1.0 until [`Decoder::set_version`]).
    pub fn new(limits: StompLimits) -> Decoder {
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
    pub fn limits(&self) -> StompLimits {
        self.limits
    }

    /// Takes one item off the front of `buf`; `Ok(None)` means more bytes are needed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Item>, DecodeError> {
        Ok(match self.step(buf, true)? {
            None => None,
            Some(Step::Heartbeat(len)) => {
                buf.advance(len);
                Some(Item::Heartbeat)
            }
            Some(Step::Frame(partial, body, len)) => {
                let bytes = buf.split_to(len).freeze();
                let headers = if partial.collected {
                    partial.headers
                } else {
                    partial.frame_ref(&bytes, body.clone()).headers().collect()
                };
                Some(Item::Frame(Frame {
                    command: partial.command,
                    headers,
                    body: bytes.slice(body),
                }))
            }
        })
    }

    /// Reads one item at the front of `buf` without copying it: the item borrows `buf`,
    /// and the length returned is how many bytes of `buf` it spans, which the caller drops
    /// before the next call. `Ok(None)` means more bytes are needed (keep them all). Header
    /// lines are checked as [`Decoder::decode`] checks them, but not unescaped until asked.
    pub fn decode_ref<'b>(
        &mut self,
        buf: &'b [u8],
    ) -> Result<Option<(ItemRef<'b>, usize)>, DecodeError> {
        Ok(match self.step(buf, false)? {
            None => None,
            Some(Step::Heartbeat(len)) => Some((ItemRef::Heartbeat, len)),
            Some(Step::Frame(partial, body, len)) => {
                Some((ItemRef::Frame(partial.frame_ref(buf, body)), len))
            }
        })
    }

    /// Reads as far as `buf` allows; `collect` unescapes header lines into owned strings.
    fn step(&mut self, buf: &[u8], collect: bool) -> Result<Option<Step>, DecodeError> {
        let limits = self.limits;
        let partial = match &mut self.partial {
            Some(partial) => partial,
            None => match read_command_line(buf, &limits)? {
                None => return Ok(None),
                Some(CommandLine::Heartbeat(len)) => return Ok(Some(Step::Heartbeat(len))),
                Some(CommandLine::Command(command, len)) => {
                    self.partial
                        .insert(Partial::new(command, self.version, len))
                }
            },
        };
        partial.collected &= collect;
        if !partial.in_body && !partial.read_headers(buf, &limits)? {
            return Ok(None);
        }
        let Some(body) = partial.read_body(buf, &limits)? else {
            return Ok(None);
        };
        let len = body.end + 1;
        Ok(self
            .partial
            .take()
            .map(|partial| Step::Frame(partial, body, len)))
    }
}

/// What starts at the front of the buffer between frames.
enum CommandLine {
    /// A lone EOL of that many bytes.
    Heartbeat(usize),
    /// A command line of that many bytes (EOL included).
    Command(Command, usize),
}

/// Reads a heart-beat EOL or a command line; `Ok(None)` if its LF has not arrived yet.
/// A lone CR may still become a heart-beat, so it does not count towards the frame size.
fn read_command_line(buf: &[u8], limits: &StompLimits) -> Result<Option<CommandLine>, DecodeError> {
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
        return Ok(Some(CommandLine::Heartbeat(lf + 1)));
    }
    if lf + 1 > limits.max_frame_bytes {
        return Err(frame_too_large(limits));
    }
    let command = Command::parse(line).ok_or_else(|| unknown_command(line))?;
    Ok(Some(CommandLine::Command(command, lf + 1)))
}

impl Partial {
    fn new(command: Command, version: Version, command_line: usize) -> Partial {
        Partial {
            command,
            escaping: Escaping::for_frame(version, command),
            headers: Headers::new(),
            collected: true,
            header_count: 0,
            content_length: None,
            headers_start: command_line,
            pos: command_line,
            in_body: false,
            scanned: command_line,
        }
    }

    /// The complete frame in `buf`, borrowed.
    fn frame_ref<'b>(&self, buf: &'b [u8], body: Range<usize>) -> FrameRef<'b> {
        FrameRef::new(
            self.command,
            self.escaping,
            &buf[..self.headers_start],
            &buf[self.headers_start..self.pos],
            &buf[body],
        )
    }

    /// Reads the complete header lines of `buf` up to and including the blank line;
    /// returns whether that blank line has been read.
    fn read_headers(&mut self, buf: &[u8], limits: &StompLimits) -> Result<bool, DecodeError> {
        loop {
            let unscanned = buf.get(self.scanned..).unwrap_or_default();
            let Some(lf) = memchr(b'\n', unscanned).map(|i| self.scanned + i) else {
                self.scanned = self.scanned.max(buf.len());
                self.check_size(buf.len(), limits)?;
                check_open_line(buf.get(self.pos..).unwrap_or_default(), limits)?;
                return Ok(false);
            };
            self.check_size(lf + 1, limits)?;
            let line = strip_cr(&buf[self.pos..lf]);
            self.scanned = lf + 1;
            if line.is_empty() {
                self.pos = lf + 1;
                self.in_body = true;
                if let Some(length) = self.content_length {
                    self.check_size(length.saturating_add(self.pos + 1), limits)?;
                }
                return Ok(true);
            }
            if line.len() > limits.max_header_line {
                return Err(DecodeError::HeaderLineTooLong {
                    limit: limits.max_header_line,
                });
            }
            if self.header_count >= limits.max_headers {
                return Err(DecodeError::TooManyHeaders {
                    limit: limits.max_headers,
                });
            }
            if self.collected {
                let (name, value) = split_line(line)?;
                let (name, value) = (
                    unescape(name, self.escaping)?,
                    unescape(value, self.escaping)?,
                );
                self.content_length_line(&name, &value, lf, limits)?;
                self.headers.push(name, value);
            } else {
                // Checked alike, but unescaped (and only for its errors) when it holds a
                // backslash.
                let colon = check_line(line)?;
                if self.escaping != Escaping::Raw && memchr(b'\\', line).is_some() {
                    let (name, value) = split_line(line)?;
                    unescape(name, self.escaping)?;
                    unescape(value, self.escaping)?;
                }
                if &line[..colon] == b"content-length" {
                    let value = std::str::from_utf8(&line[colon + 1..])
                        .map_err(|_| DecodeError::InvalidUtf8)?;
                    let value = unescape(value, self.escaping)?;
                    self.content_length_line("content-length", &value, lf, limits)?;
                }
            }
            self.header_count += 1;
            self.pos = lf + 1;
        }
    }

    /// Takes the first `content-length` header, `name: value` unescaped, ending at `lf`.
    fn content_length_line(
        &mut self,
        name: &str,
        value: &str,
        lf: usize,
        limits: &StompLimits,
    ) -> Result<(), DecodeError> {
        if name == "content-length" && self.content_length.is_none() {
            let length = parse_content_length(value)?;
            // Rejected now, before the body arrives: this line, at least a blank line, the
            // body and its NUL.
            self.check_size(length.saturating_add(lf + 3), limits)?;
            self.content_length = Some(length);
        }
        Ok(())
    }

    /// Finds the body and its NUL in `buf`, once they have all arrived.
    fn read_body(
        &mut self,
        buf: &[u8],
        limits: &StompLimits,
    ) -> Result<Option<Range<usize>>, DecodeError> {
        let start = self.pos;
        let end = match self.content_length {
            Some(length) => {
                let end = start.saturating_add(length);
                match buf.get(end) {
                    None => return Ok(None),
                    Some(0) => end,
                    Some(_) => {
                        return Err(DecodeError::MissingNul {
                            content_length: length,
                        });
                    }
                }
            }
            None => {
                let from = self.scanned.max(start);
                let unscanned = buf.get(from..).unwrap_or_default();
                let Some(nul) = memchr(0, unscanned).map(|i| from + i) else {
                    self.scanned = from.max(buf.len());
                    self.check_size(buf.len(), limits)?;
                    return Ok(None);
                };
                self.check_size(nul + 1, limits)?;
                nul
            }
        };
        Ok(Some(start..end))
    }

    /// Fails if this frame, `len` bytes from its start, exceeds the frame-size limit.
    fn check_size(&self, len: usize, limits: &StompLimits) -> Result<(), DecodeError> {
        if len > limits.max_frame_bytes {
            return Err(frame_too_large(limits));
        }
        Ok(())
    }
}

/// Fails if `buf`, a header line whose LF has not arrived, is already longer than allowed.
/// One byte more is tolerated when it is a CR, which may be the start of a CRLF.
fn check_open_line(buf: &[u8], limits: &StompLimits) -> Result<(), DecodeError> {
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

fn frame_too_large(limits: &StompLimits) -> DecodeError {
    DecodeError::FrameTooLarge {
        limit: limits.max_frame_bytes,
    }
}

fn unknown_command(line: &[u8]) -> DecodeError {
    DecodeError::UnknownCommand(String::from_utf8_lossy(line).into_owned())
}
