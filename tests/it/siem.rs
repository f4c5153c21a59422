//! SIEM push through the real binary: an in-process OTLP receiver (OTLP/HTTP and OTLP/gRPC)
//! gets every decision and outcome as a log record whose body equals the JSONL export's record
//! and whose `aimsgate.log.*` attributes lead back to the signed log (entry hash and the covering
//! checkpoint's root, recomputed here from the exported entries); no prompt text ever leaves;
//! and a dead receiver costs no call, only counted drops.

use std::time::{Duration, Instant};

use aimsgate::evidence::merkle::{leaf_hash, node_hash};
use aimsgate::telemetry::siem::mapping::json_of as json;
use base64::Engine as _;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use serde_json::Value;

use crate::support::*;

#[path = "siem/receiver.rs"]
mod receiver;
use receiver::*;

/// Prompt with a card number and a marker that must never reach the receiver.
const MARKED: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Refund card 4539 1488 0343 6467 for zebra-marker-7781 please"}]}"#;

fn attr(r: &LogRecord, key: &str) -> Value {
    r.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .map_or(Value::Null, json)
}

/// RFC 6962 Merkle tree hash of `leaves`.
fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => unreachable!("covering checkpoints are never empty"),
        1 => leaves[0],
        n => {
            let k = n.next_power_of_two() / 2;
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The full JSONL export of a stopped gateway's log: `(record, stored entry bytes)` by index.
fn export_entries(gw_dir: &std::path::Path) -> Vec<(Value, Vec<u8>)> {
    let out = gw_dir.join("export.jsonl");
    export_file(&gw_dir.join("data"), &["--format", "jsonl"], &out);
    let mut v = Vec::new();
    for line in std::fs::read_to_string(&out).unwrap().lines() {
        let l: Value = serde_json::from_str(line).unwrap();
        if l["type"] == "entry" {
            assert_eq!(l["seq"].as_u64().unwrap(), v.len() as u64, "no gaps");
            let entry = base64::engine::general_purpose::STANDARD
                .decode(l["entry"].as_str().unwrap())
                .unwrap();
            v.push((l["record"].clone(), entry));
        }
    }
    v
}

/// Every pushed record equals the export's record at its index, its entry hash is that entry's
/// leaf hash, and its checkpoint's root is the Merkle root of the entries it covers.
fn check_against_export(pushed: &[LogRecord], entries: &[(Value, Vec<u8>)]) {
    let leaves: Vec<[u8; 32]> = entries.iter().map(|(_, e)| leaf_hash(e)).collect();
    for r in pushed {
        let seq = attr(r, "aimsgate.log.index").as_u64().unwrap() as usize;
        let (record, _) = &entries[seq];
        assert_eq!(&json(r.body.as_ref().unwrap()), record, "record {seq}");
        assert_eq!(attr(r, "aimsgate.log.entry_hash"), hex(&leaves[seq]));
        let size = attr(r, "aimsgate.log.checkpoint.size").as_u64().unwrap() as usize;
        assert!(
            seq < size && size <= leaves.len(),
            "{seq} covered by {size}"
        );
        assert_eq!(
            attr(r, "aimsgate.log.checkpoint.root_hash"),
            hex(&mth(&leaves[..size])),
            "checkpoint root for size {size}"
        );
        assert_eq!(attr(r, "aimsgate.log.id"), record["log_id"]);
        let name = if record["kind"].get("Decision").is_some() {
            "aimsgate.decision"
        } else {
            "aimsgate.outcome"
        };
        assert_eq!(r.event_name, name);
        assert_eq!(attr(r, "event.name"), name);
    }
}

/// The mock provider, a receiver that fails its first request, and a gateway pushing to it
/// (short batches and backoffs) with `extra` in its `[siem]` section.
async fn start_pushing(extra: &str, envs: &[(&str, &str)]) -> (MockProvider, Store, Gateway) {
    let mock = mock().await;
    let (addr, store) = receiver(1).await;
    let siem = format!(
        "[siem]\nendpoint = \"http://{addr}\"\nbatch_timeout = \"50ms\"\ninitial_backoff = \"50ms\"\nmax_backoff = \"200ms\"\n{extra}"
    );
    let gw = Gateway::start_env(&config(&mock, &siem), envs).await;
    (mock, store, gw)
}

/// The `service.name` of an export request's resource.
fn service_name(g: &Got) -> Value {
    let res = g.req.resource_logs[0].resource.as_ref().unwrap();
    let name = res.attributes.iter().find(|a| a.key == "service.name");
    json(name.unwrap().value.as_ref().unwrap())
}

fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn siem_http_receiver_gets_the_export_fields_linked_to_the_signed_log_and_no_content() {
    let (_mock, store, gw) = start_pushing(
        "[siem.headers]\nauthorization = { env = \"TEST_SIEM_TOKEN\" }\n\"X-Scope-OrgID\" = \"tenant-7\"\n",
        &[("TEST_SIEM_TOKEN", "Bearer siem-token-4242")],
    )
    .await;
    let sys = ("x-aimsgate-ai-system", "general-assistant");
    let marked = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, sys], MARKED).await;
    assert_eq!(marked.status, 200, "{}", marked.text());
    let clean = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, sys], CHAT).await;
    assert_eq!(clean.status, 200);
    let ids = [
        marked.decision_id().to_owned(),
        clean.decision_id().to_owned(),
    ];
    wait_for(&store, 4).await;
    let m = metrics_until(&gw, |m| {
        sample(m, "aimsgate_siem_exported_records_total") >= 4.0
    })
    .await;
    assert!(
        sample(&m, "aimsgate_siem_exported_records_total") >= 4.0,
        "{m}"
    );
    assert!(
        sample(&m, "aimsgate_siem_export_failures_total") >= 1.0,
        "the 503 was retried"
    );
    assert_eq!(sample(&m, "aimsgate_siem_dropped_records_total"), 0.0);
    let logs = gw.logs();
    let dir = gw.stop().await;
    let pushed = records(&store);
    for id in &ids {
        let mine: Vec<&LogRecord> = pushed
            .iter()
            .filter(|r| attr(r, "aimsgate.decision.id") == id.as_str())
            .collect();
        assert_eq!(mine.len(), 2, "decision and outcome of {id}");
        let d = mine
            .iter()
            .find(|r| r.event_name == "aimsgate.decision")
            .unwrap();
        assert_eq!(attr(d, "gen_ai.operation.name"), "chat");
        assert_eq!(attr(d, "gen_ai.provider.name"), "openai");
        assert_eq!(attr(d, "gen_ai.request.model"), "gpt-4o-mini");
        assert_eq!(attr(d, "aimsgate.ai_system.id"), "general-assistant");
        assert_eq!(d.severity_text, "INFO");
        assert_eq!(d.trace_id.len(), 16, "linked to the call's trace");
        let o = mine
            .iter()
            .find(|r| r.event_name == "aimsgate.outcome")
            .unwrap();
        assert_eq!(attr(o, "http.response.status_code"), 200);
        assert!(attr(o, "gen_ai.usage.input_tokens").is_i64());
    }
    let d = pushed
        .iter()
        .find(|r| attr(r, "aimsgate.decision.id") == ids[0].as_str())
        .unwrap();
    assert_eq!(attr(d, "aimsgate.decision.effect"), "redact");
    assert_eq!(
        attr(d, "aimsgate.request.data_classes"),
        serde_json::json!(["financial.credit_card"])
    );
    check_against_export(&pushed, &export_entries(dir.path()));
    let got = store.lock().unwrap();
    for g in got.iter() {
        assert!(!g.grpc);
        assert_eq!(g.headers["authorization"], "Bearer siem-token-4242");
        assert_eq!(g.headers["x-scope-orgid"], "tenant-7");
        let raw = String::from_utf8_lossy(&g.raw);
        for secret in [
            "zebra-marker-7781",
            "4539 1488",
            "Refund card",
            "sk-caller-test-key",
        ] {
            assert!(!raw.contains(secret), "{secret} pushed");
        }
        assert_eq!(service_name(g), "aimsgate");
        assert_eq!(
            g.req.resource_logs[0].scope_logs[0]
                .scope
                .as_ref()
                .unwrap()
                .name,
            "aimsgate.evidence"
        );
    }
    assert!(
        !logs.contains("siem-token-4242"),
        "the token is never logged"
    );
}

#[tokio::test]
async fn siem_grpc_receiver_gets_the_same_records() {
    let (_mock, store, gw) =
        start_pushing("protocol = \"grpc\"\nservice_name = \"gw-grpc\"\n", &[]).await;
    let blocked = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"zebra-marker-7781 aws_access_key_id=AKIAQX4BZL7NW2MOSR6T"}]}"#;
    let sys = ("x-aimsgate-ai-system", "general-assistant");
    let r = post(
        &gw.url("/v1/chat/completions"),
        &[OPENAI_AUTH, sys],
        blocked,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, sys], CHAT).await;
    assert_eq!(r.status, 200);
    wait_for(&store, 3).await;
    let dir = gw.stop().await;
    let pushed = records(&store);
    check_against_export(&pushed, &export_entries(dir.path()));
    let block = pushed
        .iter()
        .find(|r| attr(r, "aimsgate.decision.effect") == "block")
        .expect("the refusal is pushed");
    assert_eq!(block.severity_text, "WARN");
    assert_eq!(attr(block, "http.response.status_code"), 403);
    let got = store.lock().unwrap();
    assert!(got.iter().all(|g| g.grpc));
    for g in got.iter() {
        let raw = String::from_utf8_lossy(&g.raw);
        assert!(!raw.contains("zebra-marker-7781") && !raw.contains("AKIAQX4BZL7NW2MOSR6T"));
        assert_eq!(service_name(g), "gw-grpc");
    }
}

#[tokio::test]
async fn siem_dead_receiver_costs_no_call_and_drops_are_counted() {
    let mock = mock().await;
    // A closed port: bound, its address taken, let go.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // Each record is tried three times over 1.5 s while the calls keep coming: the queue of
    // two fills up, and every record taken is dropped after its last retry.
    let extra = format!(
        "[siem]\nendpoint = \"http://{dead}\"\nqueue_capacity = 2\nbatch_size = 1\nmax_retries = 2\ninitial_backoff = \"500ms\"\nmax_backoff = \"1s\"\ntimeout = \"1s\"\n"
    );
    let gw = Gateway::start(&config(&mock, &extra)).await;
    let start = Instant::now();
    for _ in 0..6 {
        let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "calls do not wait for the SIEM: {:?}",
        start.elapsed()
    );
    let m = metrics_until(&gw, |m| {
        m.contains("aimsgate_siem_dropped_records_total{reason=\"export_failed\"}")
            && m.contains("aimsgate_siem_dropped_records_total{reason=\"queue_full\"}")
    })
    .await;
    assert!(
        sample(
            &m,
            "aimsgate_siem_dropped_records_total{reason=\"queue_full\"}"
        ) >= 1.0,
        "{m}"
    );
    assert!(
        sample(
            &m,
            "aimsgate_siem_dropped_records_total{reason=\"export_failed\"}"
        ) >= 1.0,
        "{m}"
    );
    assert!(
        sample(&m, "aimsgate_siem_export_failures_total") >= 3.0,
        "{m}"
    );
    assert_eq!(sample(&m, "aimsgate_siem_exported_records_total"), 0.0);
    let dir = gw.stop().await;
    assert!(
        verify(&dir.path().join("data")).status.success(),
        "the log stays the record"
    );
}

#[tokio::test]
async fn siem_grpc_over_tls_with_a_private_ca() {
    let mock = mock().await;
    let (ca_pem, acceptor) = tls_receiver_pki();
    let (addr, store) = receiver_on(0, Some(acceptor)).await;
    let siem = format!(
        "[siem]\nendpoint = \"https://{addr}\"\nprotocol = \"grpc\"\nca_file = \"siem-ca.pem\"\nbatch_timeout = \"50ms\"\n"
    );
    let gw =
        Gateway::start_with(&config(&mock, &siem), &[("siem-ca.pem", ca_pem.as_bytes())]).await;
    let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await;
    assert_eq!(r.status, 200);
    let pushed = wait_for(&store, 2).await;
    assert!(store.lock().unwrap().iter().all(|g| g.grpc));
    let id = r.decision_id();
    assert!(pushed.iter().all(|p| attr(p, "aimsgate.decision.id") == id));
    gw.stop().await;
}
