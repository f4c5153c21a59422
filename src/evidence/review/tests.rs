//! Validation of dispositions, their payload, and the decision lookup in a real log.
use super::*;
use crate::evidence::proto::DecisionRecord;
use crate::evidence::tests::rt;
use crate::evidence::{load_or_create_key, EvidenceLog, LogConfig};

fn ok(id: &str, d: &str, by: &str, note: &str) -> Review {
    Review::new(id, d, by, note).unwrap()
}

fn err(id: &str, d: &str, by: &str, note: &str) -> String {
    Review::new(id, d, by, note).unwrap_err().0
}

#[test]
fn a_valid_review_is_kept_as_given() {
    let r = ok(
        "0193a000-0000-7000-8000-000000000001",
        "rejected",
        "Ana Lima",
        "PII to a shadow tool.\nTicket SEC-12",
    );
    assert_eq!(r.disposition, Disposition::Rejected);
    assert_eq!(r.reviewer, "Ana Lima");
    assert!(r.note.contains('\n'));
    for (s, d) in [
        ("accepted", Disposition::Accepted),
        ("rejected", Disposition::Rejected),
        ("escalated", Disposition::Escalated),
    ] {
        assert_eq!(parse_disposition(s), Some(d));
        assert_eq!(disposition_name(d), s);
    }
    assert_eq!(parse_disposition("ACCEPTED"), None);
    assert_eq!(parse_disposition("unspecified"), None);
}

#[test]
fn bad_input_is_refused_with_the_reason() {
    assert!(err("", "accepted", "a", "n").contains("decision id must not be empty"));
    assert!(err("d\n1", "accepted", "a", "n").contains("control character"));
    assert!(err(&"d".repeat(201), "accepted", "a", "n").contains("at most 200"));
    assert!(err("d", "maybe", "a", "n").contains("not one of accepted, rejected, escalated"));
    assert!(err("d", "accepted", "", "n").contains("--by"));
    assert!(err("d", "accepted", "   ", "n").contains("must not be empty"));
    assert!(err("d", "accepted", "a\u{1b}[2J", "n").contains("control character"));
    assert!(err("d", "accepted", "a\tb", "n").contains("control character"));
    let long = "é".repeat(201);
    assert!(err("d", "accepted", &long, "n").contains("201 characters"));
    assert!(Review::new("d", "accepted", &"é".repeat(200), "n").is_ok());
    assert!(err("d", "accepted", "a", "").contains("--note"));
    assert!(err("d", "accepted", "a", "x\u{7}").contains("control character"));
    assert!(err("d", "accepted", "a", &"n".repeat(2001)).contains("at most 2000"));
    assert!(Review::new("d", "accepted", "a", &"n".repeat(2000)).is_ok());
}

#[test]
fn the_payload_names_the_decision() {
    let r = ok("d-1", "escalated", "Bo", "needs legal");
    let d = DecisionRef {
        seq: 7,
        time_unix_nanos: 42,
        flagged: true,
    };
    let Kind::Event(EventRecord {
        event: Some(event_record::Event::ReviewDisposition(p)),
    }) = r.payload(&d)
    else {
        panic!("not a review disposition");
    };
    assert_eq!(
        p,
        ReviewDisposition {
            decision_id: "d-1".into(),
            disposition: Disposition::Escalated as i32,
            reviewer: "Bo".into(),
            note: "needs legal".into(),
            decision_time_unix_nanos: 42,
            decision_seq: 7,
        }
    );
}

fn decision(id: &str, effect: Effect, flagged: bool) -> Payload {
    Kind::Decision(DecisionRecord {
        decision_id: id.into(),
        effect: effect as i32,
        review_flagged: flagged,
        ..Default::default()
    })
}

#[test]
fn decisions_are_found_with_their_seq_time_and_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = load_or_create_key(dir.path()).unwrap();
    let (log, _) = EvidenceLog::open(LogConfig::new(dir.path()), key).unwrap();
    let seqs = rt().block_on(async {
        let mut seqs = Vec::new();
        for p in [
            decision("clean", Effect::Allow, false),
            decision("review", Effect::Review, true),
            decision("redacted-but-flagged", Effect::Redact, true),
            Kind::Outcome(crate::evidence::proto::OutcomeRecord {
                decision_id: "only-an-outcome".into(),
                ..Default::default()
            }),
        ] {
            seqs.push(log.append(p).await.unwrap().seq);
        }
        seqs
    });
    // Found beside a running writer, and after it closed.
    let clean = find_decision(dir.path(), "clean").unwrap().unwrap();
    log.close().unwrap();
    assert_eq!(clean.seq, seqs[0]);
    assert!(!clean.flagged);
    assert!(clean.time_unix_nanos > 0);
    let review = find_decision(dir.path(), "review").unwrap().unwrap();
    assert_eq!(review.seq, seqs[1]);
    assert!(review.flagged);
    assert!(review.time_unix_nanos >= clean.time_unix_nanos);
    let redacted = find_decision(dir.path(), "redacted-but-flagged")
        .unwrap()
        .unwrap();
    assert!(redacted.flagged);
    assert_eq!(find_decision(dir.path(), "only-an-outcome").unwrap(), None);
    assert_eq!(find_decision(dir.path(), "nope").unwrap(), None);
}

#[test]
fn an_empty_data_dir_has_no_decisions() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(find_decision(dir.path(), "x").unwrap(), None);
}
