//! Fuzzes the control socket's `POST /v1/review` body: the JSON request and the disposition's
//! validation. Neither may panic, and whatever validates keeps the documented bounds.
#![no_main]
use aimsgate::evidence::review::Review;
use aimsgate::proxy::control::ReviewRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(r) = serde_json::from_slice::<ReviewRequest>(data) else {
        return;
    };
    if let Ok(v) = Review::new(&r.decision_id, &r.disposition, &r.by, &r.note) {
        assert!(!v.decision_id.is_empty() && v.decision_id.chars().count() <= 200);
        assert!(!v.reviewer.is_empty() && v.reviewer.chars().count() <= 200);
        assert!(!v.note.is_empty() && v.note.chars().count() <= 2000);
        assert!(!v.reviewer.chars().any(char::is_control));
    }
});
