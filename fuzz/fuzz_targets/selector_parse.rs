//! Parses arbitrary text as a JMS message selector. Parsing may fail but must never
//! panic; a selector that parses is evaluated over headers taken from the rest of the
//! input, and must agree with its equality key and never match together with its
//! negation.
//!
//! Input layout: selector text, then optionally a NUL byte and `name:value` lines.

#![no_main]

use libfuzzer_sys::fuzz_target;
use marionette_broker::selector::Selector;
use marionette_stomp::Headers;

fuzz_target!(|data: &[u8]| {
    let (text, rest) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(text);
    let Ok(selector) = Selector::parse(&text) else {
        return;
    };
    let headers: Headers = String::from_utf8_lossy(rest)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .collect();
    let matched = selector.matches(&headers);
    if let Some((name, value)) = selector.equality_key() {
        assert_eq!(matched, headers.get(name) == Some(value));
    }
    // The negation may exceed the length or depth bound; when it parses it must not
    // match too.
    if let Ok(negation) = Selector::parse(&format!("NOT ({text})")) {
        assert!(!(matched && negation.matches(&headers)));
    }
});
