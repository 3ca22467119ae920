//! Request ids as MCollective's client makes them: a random RFC 4122 version-5 UUID
//! (SHA-1 over the DNS namespace and 32 random hex characters), written as 32 hex
//! characters without dashes. Receivers treat the id as opaque.

use sha1::{Digest, Sha1};
use std::io::Read;

/// The DNS namespace UUID `6ba7b810-9dad-11d1-80b4-00c04fd430c8`.
const DNS_NAMESPACE: [u8; 16] = [
    0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
];

/// The id for the given 16 random bytes.
pub fn from_random(random: [u8; 16]) -> String {
    let mut sha = Sha1::new();
    sha.update(DNS_NAMESPACE);
    sha.update(crate::hex::encode(&random).as_bytes());
    let digest = sha.finalize();
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(&digest[..16]);
    uuid[6] = (uuid[6] & 0x0f) | 0x50;
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    crate::hex::encode(&uuid)
}

/// A fresh id from the system's random source.
pub fn generate() -> std::io::Result<String> {
    let mut random = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut random)?;
    Ok(from_random(random))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_and_variant_bits() {
        for seed in 0u8..32 {
            let id = from_random([seed; 16]);
            assert_eq!(id.len(), 32);
            assert_eq!(&id[12..13], "5", "{id}");
            assert!(matches!(&id[16..17], "8" | "9" | "a" | "b"), "{id}");
        }
        assert_ne!(from_random([1; 16]), from_random([2; 16]));
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn matches_a_uuid_v5_computed_independently() {
        // uuid5(DNS, "00000000000000000000000000000000") per RFC 4122 (Python's uuid.uuid5).
        assert_eq!(from_random([0; 16]), "0e03e12761185b21a6744ece52dfde79");
    }
}
