//! Refusals: bad input turned into an ERROR frame, a counter and a log line.

use crate::stats::BadInput;
use marionette_stomp::{Command, DecodeError, Frame};

/// Why the broker refuses a frame or a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: BadInput,
    pub message: String,
    /// The `receipt` header of the offending frame, echoed as `receipt-id`.
    pub receipt: Option<String>,
}

impl Refusal {
    pub fn new(kind: BadInput, message: impl Into<String>) -> Refusal {
        Refusal {
            kind,
            message: message.into(),
            receipt: None,
        }
    }

    /// Attaches the offending frame's receipt id.
    pub fn for_frame(mut self, frame: &Frame) -> Refusal {
        self.receipt = frame.get("receipt").map(str::to_string);
        self
    }

    /// The ERROR frame sent before closing.
    pub fn to_frame(&self) -> Frame {
        let mut f = Frame::new(Command::Error)
            .header("message", self.message.as_str())
            .header("content-type", "text/plain");
        if let Some(r) = &self.receipt {
            f.headers.push("receipt-id", r.as_str());
        }
        if self.kind == BadInput::UnsupportedVersion {
            f.headers.push("version", "1.0,1.1,1.2");
        }
        f.with_body(format!("{}\n", self.message))
    }

    /// A required header is absent.
    pub fn missing(frame: &Frame, header: &str) -> Refusal {
        Refusal::new(
            BadInput::MissingHeader,
            format!("{} frame without a {header} header", frame.command),
        )
        .for_frame(frame)
    }
}

impl From<DecodeError> for Refusal {
    fn from(e: DecodeError) -> Refusal {
        let kind = match &e {
            DecodeError::UnknownCommand(_) => BadInput::UnknownCommand,
            DecodeError::FrameTooLarge { .. }
            | DecodeError::TooManyHeaders { .. }
            | DecodeError::HeaderLineTooLong { .. } => BadInput::Oversized,
            _ => BadInput::Malformed,
        };
        Refusal::new(kind, e.to_string())
    }
}
