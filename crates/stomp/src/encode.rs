//! STOMP encoder. (Implementation in progress.)

use crate::frame::{Frame, Version};
use bytes::BytesMut;

/// Appends `frame` to `out`, escaping headers as `version` requires.
pub fn encode(_frame: &Frame, _version: Version, _out: &mut BytesMut) {
    todo!()
}
