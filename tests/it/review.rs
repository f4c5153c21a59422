//! `aimsgate review`: a reviewer's disposition of a flagged call lands in the log as a signed
//! ReviewDisposition event, through the running gateway's control socket or, when it is
//! stopped, by the CLI itself; bad input and unknown decisions append nothing.

use std::path::Path;
use std::process::Output;

use crate::support::*;

const SHADOW: (&str, &str) = ("x-aimsgate-ai-system", "shadow-notetaker");
const REGISTERED: (&str, &str) = ("x-aimsgate-ai-system", "general-assistant");

fn review(data: &Path, id: &str, disposition: &str, by: &str, note: &str) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .arg("review")
        .arg("--data-dir")
        .arg(data)
        .args(["--decision-id", id, "--disposition", disposition])
        .args(["--by", by, "--note", note])
        .current_dir(data.parent().unwrap())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The ReviewDisposition events of the log, with their record seq.
fn dispositions(records: &[serde_json::Value]) -> Vec<(u64, serde_json::Value)> {
    records
        .iter()
        .filter_map(|r| {
            let d = r["kind"]["Event"]["event"].get("ReviewDisposition")?;
            Some((r["seq"].as_u64().unwrap_or(0), d.clone()))
        })
        .collect()
}

/// The record (seq, time) of decision `id`.
fn decision_at(records: &[serde_json::Value], id: &str) -> (u64, i64) {
    let r = records
        .iter()
        .find(|r| r["kind"]["Decision"]["decision_id"] == id)
        .unwrap_or_else(|| panic!("no decision {id}"));
    (
        r["seq"].as_u64().unwrap_or(0),
        r["time_unix_nanos"].as_i64().unwrap(),
    )
}

/// The output says `review recorded: decision ID -> D (record seq N)`; returns N.
fn recorded_seq(out: &Output, id: &str, disposition: &str) -> u64 {
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let prefix = format!("review recorded: decision {id} -> {disposition} (record seq ");
    let rest = stdout
        .trim_end()
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{stdout:?}"));
    rest.strip_suffix(')').unwrap().parse().unwrap()
}

fn assert_disposition(
    records: &[serde_json::Value],
    seq: u64,
    id: &str,
    disposition: &str,
    by: &str,
    note: &str,
) {
    let (decision_seq, decision_time) = decision_at(records, id);
    let found = dispositions(records);
    let (_, d) = found
        .iter()
        .find(|(s, _)| *s == seq)
        .unwrap_or_else(|| panic!("no disposition at seq {seq}: {found:?}"));
    assert_eq!(d["decision_id"], id);
    assert_eq!(d["disposition"], disposition);
    assert_eq!(d["reviewer"], by);
    assert_eq!(d["note"], note);
    assert_eq!(d["decision_seq"].as_u64(), Some(decision_seq));
    assert_eq!(d["decision_time_unix_nanos"].as_i64(), Some(decision_time));
}

#[tokio::test]
async fn offline_a_stopped_log_records_the_disposition_itself() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, SHADOW],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.decision_id().to_owned();
    let data = gw.data_dir();
    let _dir = gw.stop().await;
    let before = export_records(&data).len();

    // Bad input: exit 2, nothing written.
    let bad = review(&data, &id, "maybe", "Ana Lima", "why");
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(
        text(&bad.stderr).contains("accepted"),
        "{}",
        text(&bad.stderr)
    );
    let bad = review(&data, &id, "accepted", "", "why");
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("--by"), "{}", text(&bad.stderr));
    let bad = review(&data, &id, "accepted", "Ana", &"n".repeat(2001));
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    // Unknown decision: exit 1, nothing written.
    let unknown = review(&data, "0000-no-such-decision", "accepted", "Ana", "why");
    assert_eq!(unknown.status.code(), Some(1), "{}", text(&unknown.stderr));
    assert!(
        text(&unknown.stderr).contains(&format!(
            "decision 0000-no-such-decision not found in {}",
            data.display()
        )),
        "{}",
        text(&unknown.stderr)
    );
    assert_eq!(export_records(&data).len(), before, "nothing appended");

    let note = "Shadow note-taker: not in the inventory.\nTicket AIMS-7";
    let out = review(&data, &id, "rejected", "Ana Lima", note);
    let seq = recorded_seq(&out, &id, "rejected");
    assert!(
        !text(&out.stderr).contains("not flagged"),
        "{}",
        text(&out.stderr)
    );
    let v = verify(&data);
    assert!(v.status.success(), "{}{}", text(&v.stdout), text(&v.stderr));
    let records = export_records(&data);
    assert_disposition(&records, seq, &id, "DISPOSITION_REJECTED", "Ana Lima", note);
    assert_eq!(dispositions(&records).len(), 1);
}

#[tokio::test]
async fn online_the_running_gateway_records_it_through_its_control_socket() {
    use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
    let mock = mock().await;
    // A stale socket file from a crash is replaced at start.
    let gw = Gateway::start_with_dirs(
        &config(&mock, ""),
        &["data"],
        &[("data/control.sock".into(), b"stale".to_vec())],
    )
    .await;
    let data = gw.data_dir();
    let sock = data.join("control.sock");
    let meta = std::fs::metadata(&sock).unwrap();
    assert!(meta.file_type().is_socket(), "{meta:?}");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, SHADOW],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let flagged = r.decision_id().to_owned();
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, REGISTERED],
        CHAT,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let clean = r.decision_id().to_owned();

    let out = review(&data, &flagged, "escalated", "Bo Chen", "Needs the DPO.");
    let seq1 = recorded_seq(&out, &flagged, "escalated");
    // Not flagged: recorded, with a warning.
    let out = review(&data, &clean, "accepted", "Bo Chen", "Spot check.");
    let seq2 = recorded_seq(&out, &clean, "accepted");
    assert!(
        text(&out.stderr).contains("was not flagged for review"),
        "{}",
        text(&out.stderr)
    );
    let unknown = review(&data, "0000-no-such-decision", "accepted", "Bo", "why");
    assert_eq!(unknown.status.code(), Some(1), "{}", text(&unknown.stderr));
    assert!(
        text(&unknown.stderr).contains("not found in"),
        "{}",
        text(&unknown.stderr)
    );
    assert!(
        gw.logs().contains("review disposition recorded"),
        "went through the server: {}",
        gw.logs()
    );

    let _dir = gw.stop().await;
    assert!(!sock.exists(), "removed at clean shutdown");
    let v = verify(&data);
    assert!(v.status.success(), "{}{}", text(&v.stdout), text(&v.stderr));
    let records = export_records(&data);
    assert_disposition(
        &records,
        seq1,
        &flagged,
        "DISPOSITION_ESCALATED",
        "Bo Chen",
        "Needs the DPO.",
    );
    assert_disposition(
        &records,
        seq2,
        &clean,
        "DISPOSITION_ACCEPTED",
        "Bo Chen",
        "Spot check.",
    );
    assert_eq!(dispositions(&records).len(), 2, "not the unknown one");
}
