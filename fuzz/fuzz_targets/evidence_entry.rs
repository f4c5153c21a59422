//! Fuzzes the decoders of stored bytes: frames, entry layout, record bodies, notes.
#![no_main]
use aimsgate::evidence::{entry, note};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let entry::Frame::Ok(e, _) = entry::read_frame(data) {
        let _ = entry::parse_entry(e);
    }
    if let Ok(e) = entry::parse_entry(data) {
        let _ = entry::decode_record(e.body);
    }
    let _ = entry::decode_record(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = note::Checkpoint::parse(s);
        let _ = note::Anchor::parse(s);
        let _ = note::open_note(s, &[]);
    }
});
