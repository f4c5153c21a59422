//! Fuzzes the C2SP vkey and Go-note skey parsers; whatever parses re-encodes canonically.
#![no_main]
use aimsgate::evidence::note::vkey::{parse_skey, to_skey, Verifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(v) = Verifier::parse(s) {
        assert_eq!(Verifier::parse(&v.to_vkey()), Ok(v.clone()));
    }
    if let Ok((name, key)) = parse_skey(s) {
        let again = parse_skey(&to_skey(&name, &key)).map(|(n, k)| (n, k.public_bytes()));
        assert_eq!(again, Ok((name, key.public_bytes())));
    }
});
