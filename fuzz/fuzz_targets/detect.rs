#![no_main]
//! Detection then the detected format's parser, as the importer runs them on a dropped file.

#[path = "../../src/collector/scan_reports/formats/mod.rs"]
#[allow(dead_code)]
mod formats;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(format) = formats::detect(&data[..data.len().min(formats::HEAD_BYTES)]) {
        let _ = formats::parse(format, &mut &data[..]);
    }
});
