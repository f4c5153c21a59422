//! Fuzzes the JSONL export line parser: any text gives a typed line or a field error, and a
//! parsed line's fields hold what the format allows.
#![no_main]
use aimsgate::evidence::{parse_export_line, ExportLine};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match parse_export_line(s) {
        Ok(ExportLine::Omitted { count, hashes, .. }) => {
            assert!(count > 0 && !hashes.is_empty());
        }
        Ok(ExportLine::Entry { record, .. }) => assert!(record.is_object()),
        Ok(_) => {}
        Err(e) => assert!(!e.field.is_empty()),
    }
});
