//! Fuzzes the SIEM push on arbitrary bytes: a receiver's answer (an OTLP/HTTP body, a gRPC
//! frame, with or without a status) is classified without panicking, and any record that
//! decodes maps to a log record whose body is exactly the record as the JSONL export shows it
//! as OTLP carries it.
#![no_main]
use aimsgate::evidence::entry::decode_record;
use aimsgate::evidence::{record_json, CoveringCheckpoint, DurableRecord};
use aimsgate::telemetry::siem::mapping::{any, json_of, log_record};
use aimsgate::telemetry::siem::transport::{grpc_outcome, grpc_unframe, http_outcome};
use http::{HeaderMap, StatusCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (code, rest) = data.split_first().map_or((0, data), |(c, r)| (*c, r));
    let none = HeaderMap::new();
    let _ = http_outcome(StatusCode::OK, rest, None);
    let _ = grpc_outcome(Some(u32::from(code % 20)), &none, &none, rest);
    if let Some(m) = grpc_unframe(rest) {
        assert!(m.len() + 5 <= rest.len());
    }
    if let Ok(record) = decode_record(rest) {
        let cp = CoveringCheckpoint {
            size: record.seq.saturating_add(1),
            root: [0; 32],
            key_id: String::new(),
        };
        // What OTLP can carry of the export's JSON (`any` is checked against JSON in unit tests).
        let want = json_of(&any(&record_json(&record)));
        let r = DurableRecord {
            record,
            entry_hash: [0; 32],
        };
        if let Some(log) = log_record(&r, &cp, 0) {
            let body = log.body.as_ref().map(json_of);
            assert_eq!(body.as_ref(), Some(&want));
        }
    }
});
