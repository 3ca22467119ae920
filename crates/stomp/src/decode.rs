//! Incremental, bounded STOMP decoder. (Implementation in progress.)

use crate::frame::{Frame, Version};
use bytes::BytesMut;

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

/// Why a byte stream is not valid STOMP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
}

/// Decodes frames from a buffer that grows as bytes arrive.
#[derive(Debug, Clone)]
pub struct Decoder {
    version: Version,
    limits: Limits,
}

impl Decoder {
    /// A decoder for a fresh connection (STOMP 1.0 until [`Decoder::set_version`]).
    pub fn new(limits: Limits) -> Decoder {
        Decoder { version: Version::V1_0, limits }
    }

    /// Sets the negotiated version, which selects header unescaping.
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
    pub fn decode(&mut self, _buf: &mut BytesMut) -> Result<Option<Item>, DecodeError> {
        todo!()
    }
}
