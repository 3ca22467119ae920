//! Feeds arbitrary bytes to `mco analyze` as a capture file. The analysis may report a
//! damaged file but must never panic, and its report must render as text and JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use marionette_analyze::{Options, analyze_reader};

fuzz_target!(|data: &[u8]| {
    let opts = Options {
        psk: Some(b"some-secret".to_vec()),
        ..Options::default()
    };
    let report = analyze_reader(data, opts);
    assert_eq!(report.capture.complete, report.capture.error.is_none());
    let _ = report.to_text();
    let _ = serde_json::to_string(&report).expect("the report serialises");
});
