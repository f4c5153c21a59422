//! Fuzzes the trust policy (C2SP tlog-policy) parser and a checkpoint check under whatever
//! policy parses.
#![no_main]
use aimsgate::evidence::trust::TrustPolicy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = TrustPolicy::parse(s) {
        let _ = p.check_checkpoint("fuzz.example/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u{2014} fuzz.example/log AAAAAAA=\n");
    }
});
