//! Fuzzes the witness's add-checkpoint path on arbitrary bodies: the request parser (which
//! must round-trip whatever it accepts), the checkpoint text parser, and the whole decision of
//! a witness that knows one log. None may panic.
#![no_main]
use std::sync::OnceLock;

use aimsgate::evidence::keys::KeyPair;
use aimsgate::evidence::note::vkey::Verifier;
use aimsgate::witness::request::{encode_request, parse_checkpoint_text, parse_request};
use aimsgate::witness::server::Witness;
use libfuzzer_sys::fuzz_target;

fn witness() -> &'static Witness {
    static W: OnceLock<Witness> = OnceLock::new();
    W.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("aimsgate-fuzz-witness-{}", std::process::id()));
        let log = Verifier::note_key("example.com/log", &KeyPair::from_secret([7; 32]).public());
        Witness::open("w.example/w", KeyPair::from_secret([8; 32]), vec![log], &dir)
            .unwrap_or_else(|e| panic!("witness: {e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = parse_request(data) {
        assert!(r.proof.len() <= 63);
        assert_eq!(encode_request(r.old, &r.proof, r.checkpoint).as_bytes(), data);
        let _ = parse_checkpoint_text(r.checkpoint);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_checkpoint_text(s);
    }
    let _ = witness().add_checkpoint(data, 1_700_000_000);
});
