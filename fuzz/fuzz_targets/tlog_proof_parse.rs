//! Fuzzes the C2SP tlog-proof parser and the proof check; a parsed proof re-encodes to its
//! input.
#![no_main]
use aimsgate::evidence::keys::KeyPair;
use aimsgate::evidence::note::vkey::Verifier;
use aimsgate::evidence::tlog_proof::TlogProof;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = TlogProof::parse(s) {
        assert_eq!(p.to_text(), s);
        let key = KeyPair::from_secret([7; 32]);
        let v = Verifier::note_key("fuzz.example/log", &key.public());
        let _ = p.check(&[0; 32], &v);
    }
});
