//! Reads arbitrary bytes as an audit log. The chain may be refused but checking it must
//! never panic, and an intact file's summary counts its lines.

#![no_main]

use libfuzzer_sys::fuzz_target;
use marionette_security::audit::verify::verify_reader;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(summary) = verify_reader(data, Path::new("audit.log")) {
        let newlines = data.iter().filter(|b| **b == b'\n').count() as u64;
        let unterminated = u64::from(data.last().is_some_and(|b| *b != b'\n'));
        let lines = newlines + unterminated;
        assert_eq!(summary.lines, lines);
    }
});
