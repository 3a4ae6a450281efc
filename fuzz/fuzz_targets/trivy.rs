#![no_main]
//! The TrivyJson parser on arbitrary bytes: it may refuse them, never panic or run away.

#[path = "../../src/collector/scan_reports/formats/mod.rs"]
#[allow(dead_code)]
mod formats;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = formats::parse(formats::Format::TrivyJson, &mut &data[..]);
});
