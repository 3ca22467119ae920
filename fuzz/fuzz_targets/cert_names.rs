//! Reads arbitrary bytes as a DER certificate's names (the identity a verified client
//! certificate gives a broker connection). Reading may fail but must never panic, and
//! whatever names come out are bounded and printable.

#![no_main]

use libfuzzer_sys::fuzz_target;
use marionette_net::tls::names::{MAX_NAME_LEN, MAX_NAMES, peer_names};

fuzz_target!(|data: &[u8]| {
    let Ok(names) = peer_names(data) else {
        return;
    };
    assert!(names.dns_names.len() <= MAX_NAMES);
    for name in names.common_name.iter().chain(&names.dns_names) {
        assert!(!name.is_empty() && name.len() <= MAX_NAME_LEN);
        assert!(!name.chars().any(char::is_control));
    }
});
