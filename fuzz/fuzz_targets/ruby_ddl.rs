//! Arbitrary bytes through the Ruby DDL reader (lexer, parser, builder): it may refuse them
//! but must never panic. A DDL that reads must also read back equal after `to_ruby`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use marionette_ddl::Ddl;

fuzz_target!(|data: &[u8]| {
    if let Ok(ddl) = Ddl::from_ruby("fuzz", data) {
        let text = ddl.to_ruby();
        match Ddl::from_ruby("fuzz", text.as_bytes()) {
            Ok(again) => assert_eq!(again, ddl, "{text}"),
            Err(e) => panic!("to_ruby wrote a DDL that does not read back: {e}\n{text}"),
        }
    }
});
