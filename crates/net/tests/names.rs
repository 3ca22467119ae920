//! Certificate names read from real certificates, and the parser's behaviour on damaged
//! and arbitrary bytes.

use marionette_net::rustls::pki_types::CertificateDer;
use marionette_net::rustls::pki_types::pem::PemObject;
use marionette_net::tls::names::{NameError, peer_names};
use marionette_net::tls::testing::{TestCa, Validity};
use proptest::prelude::*;

fn der(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

#[test]
fn names_of_a_leaf() {
    let ca = TestCa::new("Test CA");
    let leaf = ca.issue(
        "node1.example.com",
        &["node1.example.com", "node1", "127.0.0.1"],
        Validity::Current,
    );
    let names = peer_names(&der(&leaf.cert_pem)).unwrap();
    assert_eq!(names.common_name.as_deref(), Some("node1.example.com"));
    // The IP address is an iPAddress entry, not a DNS name.
    assert_eq!(names.dns_names, vec!["node1.example.com", "node1"]);
    assert_eq!(names.identity(), Ok("node1.example.com"));
    let wild = ca.issue("*", &["node2.example.com"], Validity::Current);
    assert_eq!(
        peer_names(&der(&wild.cert_pem)).unwrap().identity(),
        Err(NameError::Wildcard("*".into()))
    );
    let ca_names = peer_names(&der(&ca.cert_pem)).unwrap();
    assert_eq!(ca_names.common_name.as_deref(), Some("Test CA"));
    assert!(ca_names.dns_names.is_empty());
}

#[test]
fn every_truncation_is_an_error() {
    let ca = TestCa::new("Test CA");
    let bytes = der(&ca
        .issue(
            "alice.mcollective",
            &["alice.mcollective"],
            Validity::Current,
        )
        .cert_pem);
    for cut in 0..bytes.len() {
        assert!(peer_names(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    assert_eq!(peer_names(&[]), Err(NameError::Malformed(0)));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = peer_names(&bytes);
    }

    #[test]
    fn flipped_bytes_never_panic(pos in 0usize..2048, value in any::<u8>()) {
        let ca = TestCa::new("Test CA");
        let mut bytes = der(&ca.cert_pem);
        let at = pos % bytes.len();
        bytes[at] = value;
        if let Ok(names) = peer_names(&bytes) {
            for n in names.common_name.iter().chain(&names.dns_names) {
                prop_assert!(!n.chars().any(char::is_control));
            }
        }
    }
}
