//! Lowercase hex, as Ruby's `hexdigest` writes it.

/// Lowercase hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lowercase_pairs() {
        assert_eq!(super::encode(&[0x00, 0x7f, 0xab, 0xff]), "007fabff");
    }
}
