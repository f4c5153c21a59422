//! Fuzzes the JSONL export verifier with arbitrary input and a fixed public key.
#![no_main]
use libfuzzer_sys::fuzz_target;

const KEY: &str = "aimsgate-evidence-public-key v1\nkey-id: 8898d6fe60d40640\nalgorithm: ed25519\npublic-key: 7ZAtCBkUuu+mWB3BQwXdyPdJ6qekCeRVZg5TaOS+xVc=\n";

fuzz_target!(|data: &[u8]| {
    let _ = aimsgate::evidence::verify_export(data, KEY);
});
