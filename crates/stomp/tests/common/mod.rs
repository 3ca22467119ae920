//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test binary uses its own subset

use bytes::BytesMut;
use marionette_stomp::{DecodeError, Decoder, Frame, Item, Limits, Version};

/// Feeds `chunks` one after the other, decoding every item as soon as it is complete.
/// Returns the items and the bytes left undecoded, or the first error.
pub fn decode_chunks<'a>(
    version: Version,
    limits: Limits,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(Vec<Item>, Vec<u8>), DecodeError> {
    let mut decoder = Decoder::new(limits);
    decoder.set_version(version);
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(item) = decoder.decode(&mut buf)? {
            items.push(item);
        }
    }
    Ok((items, buf.to_vec()))
}

/// Decodes `bytes` fed at once with default limits; fails the test on leftover bytes.
pub fn decode_all(version: Version, bytes: &[u8]) -> Result<Vec<Item>, DecodeError> {
    let (items, rest) = decode_chunks(version, Limits::default(), [bytes])?;
    assert!(rest.is_empty(), "undecoded bytes left: {rest:?}");
    Ok(items)
}

/// Decodes `bytes`, which must hold exactly one frame.
pub fn decode_one(version: Version, bytes: &[u8]) -> Result<Frame, DecodeError> {
    let mut items = decode_all(version, bytes)?;
    assert_eq!(items.len(), 1, "expected one item, got {items:?}");
    match items.pop() {
        Some(Item::Frame(frame)) => Ok(frame),
        other => panic!("expected a frame, got {other:?}"),
    }
}

/// The first error met while decoding `bytes` fed at once, or `None` if they are either
/// valid or incomplete.
pub fn decode_error(version: Version, limits: Limits, bytes: &[u8]) -> Option<DecodeError> {
    decode_chunks(version, limits, [bytes]).err()
}

/// A frame's headers as owned pairs, in wire order.
pub fn header_pairs(frame: &Frame) -> Vec<(String, String)> {
    frame
        .headers
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Owned pairs from borrowed ones, for comparison with [`header_pairs`].
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
