//! STOMP decoding of one reassembled direction, able to start in the middle of a frame
//! (a capture that begins after the connection was opened, or after a gap): it then skips
//! to the next plausible command line and reports how many bytes it skipped.

use marionette_stomp::{Command, Decoder, FrameRef, ItemRef, StompLimits, Version};

/// What one direction yields. Frames borrow the packet (or, for a frame that spanned
/// packets, the stream's buffer).
#[derive(Debug)]
pub enum Event<'a> {
    Frame(FrameRef<'a>),
    Heartbeat,
    /// Bytes dropped to find a frame boundary.
    Skipped(u64),
    /// The stream broke the protocol; decoding restarts at the next frame boundary.
    Error(String),
}

pub struct StompStream {
    decoder: Decoder,
    /// The start of a frame whose end has not arrived yet; empty between frames, when
    /// packets are decoded where they lie.
    buf: Vec<u8>,
    /// Whether the front of `buf` is known to be a frame boundary.
    synced: bool,
    /// Whether the front of `buf` may itself be a boundary (stream start, just after a
    /// gap) as opposed to the middle of garbage.
    at_boundary: bool,
    /// Time of the last frame's end, for telling ActiveMQ's EOL after NUL from a beat.
    pub last_frame_end: Option<f64>,
    pub skipped: u64,
}

/// A stand-in while a direction's stream is being fed (default limits, not in step).
impl Default for StompStream {
    fn default() -> StompStream {
        StompStream::new(StompLimits::default(), false)
    }
}

/// Longest command line with its CRLF.
const MAX_CMD: usize = 13;

enum CmdMatch {
    Yes,
    Partial,
    No,
}

fn command_at(buf: &[u8]) -> CmdMatch {
    let window = &buf[..buf.len().min(MAX_CMD)];
    for command in Command::ALL {
        let name = command.as_str().as_bytes();
        for eol in [&b"\n"[..], b"\r\n"] {
            let line_len = name.len() + eol.len();
            if window.len() >= line_len {
                if &window[..name.len()] == name && &window[name.len()..line_len] == eol {
                    return CmdMatch::Yes;
                }
            } else if name.starts_with(&window[..window.len().min(name.len())])
                && (window.len() <= name.len() || eol.starts_with(&window[name.len()..]))
            {
                return CmdMatch::Partial;
            }
        }
    }
    CmdMatch::No
}

fn skip_eols(buf: &[u8], mut i: usize) -> usize {
    while i < buf.len() {
        if buf[i] == b'\n' {
            i += 1;
        } else if buf[i] == b'\r' && buf.get(i + 1) == Some(&b'\n') {
            i += 2;
        } else {
            break;
        }
    }
    i
}

enum Resync {
    /// Frame boundary at this offset.
    At(usize),
    /// Not decidable yet: drop this many bytes and wait for more.
    Wait(usize),
}

fn resync(buf: &[u8], at_boundary: bool) -> Resync {
    if at_boundary {
        let j = skip_eols(buf, 0);
        if j > 0 && j == buf.len() {
            // Only heart-beats so far.
            return Resync::At(0);
        }
        match command_at(&buf[j..]) {
            CmdMatch::Yes => return Resync::At(0),
            CmdMatch::Partial => return Resync::Wait(0),
            CmdMatch::No => {}
        }
    }
    let mut from = 0;
    while let Some(i) = memchr_nul(&buf[from..]).map(|i| from + i) {
        let j = skip_eols(buf, i + 1);
        if j == buf.len() || (buf[j] == b'\r' && j + 1 == buf.len()) {
            return Resync::Wait(i);
        }
        match command_at(&buf[j..]) {
            CmdMatch::Yes => return Resync::At(j),
            CmdMatch::Partial => return Resync::Wait(i),
            CmdMatch::No => from = i + 1,
        }
    }
    Resync::Wait(buf.len())
}

fn memchr_nul(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == 0)
}

impl StompStream {
    /// A direction whose first byte is known to start a frame (`synced`) or not.
    pub fn new(limits: StompLimits, synced: bool) -> StompStream {
        StompStream {
            decoder: Decoder::new(limits),
            buf: Vec::new(),
            synced,
            at_boundary: true,
            last_frame_end: None,
            skipped: 0,
        }
    }

    pub fn set_version(&mut self, version: Version) {
        self.decoder.set_version(version);
    }

    /// A fresh decoder with the same limits and version: what it had read is dropped.
    fn reset_decoder(&mut self) {
        let version = self.decoder.version();
        self.decoder = Decoder::new(self.decoder.limits());
        self.decoder.set_version(version);
    }

    /// Bytes missing before the next data: the frame in progress is lost.
    pub fn gap(&mut self) {
        self.skipped += self.buf.len() as u64;
        self.buf.clear();
        self.reset_decoder();
        self.synced = false;
        self.at_boundary = true;
    }

    /// Feeds new in-order bytes received at `time`; `on` receives the events.
    pub fn feed(&mut self, time: f64, data: &[u8], on: &mut impl FnMut(&mut Self, Event<'_>)) {
        if self.buf.is_empty() {
            let used = self.decode(time, data, on);
            self.buf.extend_from_slice(&data[used..]);
        } else {
            let mut buf = std::mem::take(&mut self.buf);
            buf.extend_from_slice(data);
            let used = self.decode(time, &buf, on);
            buf.drain(..used);
            self.buf = buf;
        }
    }

    /// Decodes what `data` holds; returns how many of its bytes were used up (decoded or
    /// skipped). The rest starts a frame still incomplete.
    fn decode(
        &mut self,
        time: f64,
        data: &[u8],
        on: &mut impl FnMut(&mut Self, Event<'_>),
    ) -> usize {
        let mut at = 0;
        loop {
            if !self.synced {
                match resync(&data[at..], self.at_boundary) {
                    Resync::At(skip) => {
                        if skip > 0 {
                            self.skipped += skip as u64;
                            on(self, Event::Skipped(skip as u64));
                            at += skip;
                        }
                        self.synced = true;
                    }
                    Resync::Wait(drop) => {
                        if drop > 0 {
                            self.skipped += drop as u64;
                            on(self, Event::Skipped(drop as u64));
                            at += drop;
                            self.at_boundary = false;
                        }
                        return at;
                    }
                }
            }
            match self.decoder.decode_ref(&data[at..]) {
                Ok(None) => return at,
                Ok(Some((ItemRef::Heartbeat, len))) => {
                    at += len;
                    // An EOL right after a frame's NUL (ActiveMQ writes NUL LF) is part
                    // of that frame, not a heart-beat.
                    match self.last_frame_end.take() {
                        Some(end) if time - end < 1.0 => {}
                        _ => on(self, Event::Heartbeat),
                    }
                }
                Ok(Some((ItemRef::Frame(frame), len))) => {
                    at += len;
                    self.last_frame_end = Some(time);
                    on(self, Event::Frame(frame));
                }
                Err(e) => {
                    on(self, Event::Error(e.to_string()));
                    self.reset_decoder();
                    self.synced = false;
                    self.at_boundary = false;
                    self.last_frame_end = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]], synced: bool) -> Vec<String> {
        let mut s = StompStream::new(StompLimits::default(), synced);
        let mut out = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            s.feed(i as f64 * 10.0, c, &mut |_, e| {
                out.push(match e {
                    Event::Frame(f) => f.command.as_str().to_string(),
                    Event::Heartbeat => "HB".into(),
                    Event::Skipped(n) => format!("skip{n}"),
                    Event::Error(_) => "ERR".into(),
                })
            });
        }
        out
    }

    #[test]
    fn frames_split_per_line_and_trailing_eol() {
        let got = run(
            &[b"MESSAGE\n", b"destination:/x\n", b"\n", b"body\0\n", b"\n"],
            true,
        );
        // The EOL right after the NUL belongs to the frame; the one 10 s later is a beat.
        assert_eq!(got, ["MESSAGE", "HB"]);
        let got = run(&[b"MESSAGE\n\nbody\0\n", b"\n"], true);
        assert_eq!(got, ["MESSAGE", "HB"]);
    }

    #[test]
    fn starts_mid_frame() {
        let got = run(
            &[b"tination:/x\n\nbo", b"dy\0\nSEND\ndestination:/y\n\n\0"],
            false,
        );
        assert_eq!(got, ["skip15", "skip4", "SEND"]);
        let got = run(&[b"SEN", b"D\n\n\0"], false);
        assert_eq!(got, ["SEND"]);
        let got = run(&[b"\n", b"SEND\n\n\0"], false);
        assert_eq!(got, ["HB", "SEND"]);
    }

    #[test]
    fn recovers_after_garbage() {
        let got = run(&[b"SEND\n\n\0GARBAGE LINE\nmore\0SEND\n\n\0"], true);
        assert_eq!(got, ["SEND", "ERR", "skip18", "SEND"]);
    }
}
