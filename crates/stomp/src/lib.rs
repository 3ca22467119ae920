//! Sans-IO STOMP 1.0, 1.1 and 1.2 codec.
//!
//! This crate owns the bytes of the wire and nothing else: no sockets, no timers, no
//! routing. A [`Decoder`] turns a growing byte buffer into [`Item`]s (frames and heart-beat
//! EOLs); [`encode()`] writes a [`Frame`] for a given [`Version`].
//!
//! # Layout
//! - [`frame`]: [`Frame`], [`Command`], [`Headers`], [`Version`].
//! - [`decode`]: the incremental, bounded [`Decoder`].
//! - [`limits`]: the decoder's bounds, [`StompLimits`], and its [`DecodeError`].
//! - [`frame_ref`]: [`FrameRef`], a decoded frame that borrows the decoder's buffer.
//! - [`mod@encode`]: [`encode()`], which writes a frame with LF line endings.
//! - `escape`: header escaping and unescaping rules shared by both directions.
//! - `header`: parsing of one header line and of `content-length`.

pub mod decode;
pub mod encode;
mod escape;
pub mod frame;
pub mod frame_ref;
mod header;
pub mod limits;

pub use decode::{Decoder, Item};
pub use encode::{encode, encode_header};
pub use frame::{Command, Frame, Headers, Version};
pub use frame_ref::{FrameRef, ItemRef};
pub use limits::{DecodeError, Limits, StompLimits};
