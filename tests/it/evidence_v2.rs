//! Evidence v2 through the real binary: every response carries its log index as a receipt,
//! checkpoints are signed once per durable group commit (none while idle), and a bit flipped
//! mid-segment after a crash is damage the log refuses to cut: nothing acknowledged is dropped,
//! and `aimsgate recover` moves the damaged segment aside without losing a byte.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::*;

fn newest_segment(data: &Path) -> PathBuf {
    let mut segs: Vec<PathBuf> = std::fs::read_dir(data.join("log"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    segs.sort();
    segs.pop().expect("a segment")
}

/// Offset of frame number `n` (0-based) in a segment's bytes.
fn frame_offset(bytes: &[u8], n: usize) -> usize {
    let mut off = 8; // segment magic
    for _ in 0..n {
        let len = u32::from_be_bytes(bytes[off..off + 4].try_into().unwrap()) as usize;
        off += 8 + len;
    }
    off
}

async fn metric(gw: &Gateway, name: &str) -> f64 {
    let r = send(
        http::Method::GET,
        &format!("http://{}/metrics", gw.admin),
        &[],
        "",
    )
    .await;
    let text = String::from_utf8_lossy(&r.body).into_owned();
    text.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("metric {name} in {text}"))
}

#[tokio::test]
async fn every_response_carries_its_log_index_and_idle_logs_sign_nothing() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
        assert_eq!(r.status, 200);
        let idx: u64 = r.headers["x-aimsgate-log-index"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        seen.push((idx, r.decision_id().to_owned()));
    }
    let refused = post(&gw.url("/v1/chat/completions"), &[], CHAT).await;
    assert_eq!(refused.status, 401);
    let refused_idx: u64 = refused.headers["x-aimsgate-log-index"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    seen.push((refused_idx, refused.decision_id().to_owned()));
    // Sync mode, sequential calls: each waited for one durable group (its decision), and its
    // outcome was made durable with the next group or one deferred fsync: at most one
    // signature per fsync, so at most 1 (start-up) + 2 per call.
    let signed = metric(&gw, "aimsgate_evidence_checkpoint_signatures").await;
    assert!(
        (1.0..=13.0).contains(&signed),
        "signatures so far: {signed}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await; // outcomes' deferred fsync
    let settled = metric(&gw, "aimsgate_evidence_checkpoint_signatures").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let idle = metric(&gw, "aimsgate_evidence_checkpoint_signatures").await;
    assert_eq!(settled, idle, "an idle log signs nothing");
    let data = gw.data_dir();
    let _dir = gw.stop().await;
    let v = verify(&data);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    let records = export_records(&data);
    for (idx, id) in &seen {
        let r = records
            .iter()
            .find(|r| r["seq"].as_u64() == Some(*idx))
            .unwrap_or_else(|| panic!("no record at log index {idx}"));
        assert_eq!(
            r["kind"]["Decision"]["decision_id"], *id,
            "the receipt's index holds that call's decision"
        );
    }
}

#[tokio::test]
async fn a_bit_flipped_mid_segment_after_a_crash_drops_nothing_and_recover_keeps_every_byte() {
    let mock = mock().await;
    let shared = tempfile::tempdir().unwrap();
    let data = shared.path().join("data");
    let cfg = config(&mock, "").replace(
        "data_dir = \"data\"",
        &format!("data_dir = \"{}\"", data.display()),
    );
    let mut gw = Gateway::start(&cfg).await;
    let mut acked = Vec::new();
    for _ in 0..12 {
        let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
        assert_eq!(r.status, 200);
        acked.push(r.decision_id().to_owned());
    }
    gw.signal("KILL");
    let _ = gw.child.wait().await;
    // One flipped bit inside an early frame, with many valid frames after it.
    let seg = newest_segment(&data);
    let mut bytes = std::fs::read(&seg).unwrap();
    let at = frame_offset(&bytes, 3) + 8 + 5;
    bytes[at] ^= 0x10;
    std::fs::write(&seg, &bytes).unwrap();
    // Opening refuses, names the damage and the way out, and cuts nothing.
    let cfg_path = shared.path().join("aimsgate.toml");
    std::fs::write(&cfg_path, &cfg).unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
            .args(["serve", "--config"])
            .arg(&cfg_path)
            .env("TEST_UPSTREAM_OPENAI_KEY", "sk-upstream-openai-0000")
            .env("TEST_UPSTREAM_ANTHROPIC_KEY", "sk-ant-upstream-0000")
            .output(),
    )
    .await
    .expect("serve exits")
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a damaged log must not open");
    assert!(
        err.contains("damage, not a torn write") && err.contains("aimsgate recover"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&seg).unwrap(),
        bytes,
        "nothing acknowledged was cut"
    );
    // `aimsgate recover` keeps the valid prefix in place and the whole segment aside.
    let rec = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["recover", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        rec.status.success(),
        "{}",
        String::from_utf8_lossy(&rec.stderr)
    );
    let moved: Vec<PathBuf> = std::fs::read_dir(data.join("damaged"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".seg."))
        .collect();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(
        std::fs::read(&moved[0]).unwrap(),
        bytes,
        "every acknowledged byte is kept in the moved segment"
    );
    assert_eq!(
        std::fs::read(&seg).unwrap(),
        bytes[..frame_offset(&bytes, 3)],
        "the log keeps everything before the damage"
    );
    // The log opens again, records what happened, and verifies.
    let gw = Gateway::start(&cfg).await;
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 200);
    let _ = gw.stop().await;
    let v = verify(&data);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    let records = export_records(&data);
    let recovery = records
        .iter()
        .filter_map(|r| r["kind"]["Event"]["event"]["Recovery"].as_object())
        .find(|r| r["damaged_segment"].as_str().is_some_and(|s| !s.is_empty()))
        .expect("a Recovery record naming the moved segment");
    assert!(
        recovery["damaged_segment"]
            .as_str()
            .unwrap()
            .starts_with("damaged/"),
        "{recovery:?}"
    );
    assert!(recovery["frames_after_damage"].as_u64().unwrap() > 3);
}
