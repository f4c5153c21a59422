//! Fuzzes the signed-note parser and everything that reads a parsed note: re-encoding, log
//! signature checks, cosignature checks, checkpoint text.
#![no_main]
use aimsgate::evidence::keys::KeyPair;
use aimsgate::evidence::note::{self, cosig, vkey::Verifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let key = KeyPair::from_secret([7; 32]);
    if let Ok(n) = note::parse_note(s) {
        // A parsed note re-encodes to exactly its input.
        assert_eq!(n.to_text(), s);
        let origin = n.origin().to_owned();
        let _ = n.check_sig(&Verifier::note_key(&origin, &key.public()));
        for sig in &n.sigs {
            let _ = cosig::cosig_timestamp(sig);
            let v = Verifier::cosigner(&sig.name, &key.public());
            let _ = cosig::verify_cosignature(&n, &v);
        }
        let _ = note::Checkpoint::parse(&n.text);
        let mut m = n.clone();
        let _ = m.add_sig_line(s);
    }
    let _ = note::open_note(s, &[key.public()]);
    let _ = note::open_with(s, &[]);
});
