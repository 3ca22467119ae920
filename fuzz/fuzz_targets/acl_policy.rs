//! Reads arbitrary text as the broker's settings file and each line as an ACL
//! destination pattern. Either may be refused but must never panic; a pattern that parses
//! keeps its text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use marionette_broker::acl::Pattern;
use marionette_broker::settings::file::FileSettings;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = toml::from_str::<FileSettings>(&text);
    for line in text.lines() {
        if let Ok(p) = Pattern::parse(line) {
            assert_eq!(p.text(), line);
        }
    }
});
