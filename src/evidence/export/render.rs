//! How a record looks in an export: the protobuf JSON shape of the generated serde derives
//! (`kind` → `{"Decision": {..}}`, bytes as lowercase hex), with every enum by its protobuf
//! value name (`"effect": "EFFECT_BLOCK"`, `"disposition": "DISPOSITION_ACCEPTED"`, as the
//! proto3 JSON mapping writes it; a number the schema does not know stays a number) and the record time both as `time_unix_nanos`
//! and as `time`, RFC 3339 in UTC with nanosecond precision. The exporter and the verifier
//! both render the decoded stored bytes with [`record_json`], so an edited JSON record never
//! matches. Owns no I/O.
use serde_json::Value;

use crate::evidence::common::hex;
use crate::evidence::proto::{ClassAction, Disposition, Effect, OutputScan, Record};

/// The record as an export shows it (also the body of the SIEM push's log records).
pub fn record_json(r: &Record) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "time".into(),
            Value::String(rfc3339_nanos(r.time_unix_nanos)),
        );
    }
    let kind = &mut v["kind"];
    if let Some(d) = kind.get_mut("Decision") {
        name(&mut d["effect"], effect_str);
        for f in each(&mut d["findings"]) {
            name(&mut f["action"], action_str);
        }
        for m in each(&mut d["monitor_effects"]) {
            name(&mut m["would_have"], effect_str);
        }
    }
    if let Some(o) = kind.get_mut("Outcome") {
        name(&mut o["output_scan"], scan_str);
        for f in each(&mut o["output_findings"]) {
            name(&mut f["action"], action_str);
        }
    }
    if let Some(r) = kind
        .get_mut("Event")
        .and_then(|e| e.get_mut("event"))
        .and_then(|e| e.get_mut("ReviewDisposition"))
    {
        name(&mut r["disposition"], disposition_str);
    }
    if let Some(rec) = kind
        .get_mut("Event")
        .and_then(|e| e.get_mut("event"))
        .and_then(|e| e.get_mut("Recovery"))
    {
        // Bytes the build does not map to hex themselves.
        let bytes: Option<Vec<u8>> = rec["damaged_sha256"].as_array().map(|a| {
            a.iter()
                .filter_map(|x| x.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect()
        });
        if let Some(b) = bytes {
            rec["damaged_sha256"] = Value::String(hex(&b));
        }
    }
    v
}

fn each(v: &mut Value) -> impl Iterator<Item = &mut Value> {
    v.as_array_mut().into_iter().flatten()
}

fn name(v: &mut Value, f: fn(i32) -> Option<&'static str>) {
    let n = v.as_i64().and_then(|n| i32::try_from(n).ok()).and_then(f);
    if let Some(n) = n {
        *v = Value::String(n.into());
    }
}

fn effect_str(n: i32) -> Option<&'static str> {
    Effect::try_from(n).ok().map(|e| e.as_str_name())
}

fn action_str(n: i32) -> Option<&'static str> {
    ClassAction::try_from(n).ok().map(|e| e.as_str_name())
}

fn disposition_str(n: i32) -> Option<&'static str> {
    Disposition::try_from(n).ok().map(|e| e.as_str_name())
}

fn scan_str(n: i32) -> Option<&'static str> {
    OutputScan::try_from(n).ok().map(|e| e.as_str_name())
}

/// RFC 3339 in UTC with exactly nine fractional digits, e.g. `2026-12-03T08:17:06.000000001Z`.
pub(crate) fn rfc3339_nanos(unix_nanos: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_nanos)) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond()
        ),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::proto::{record::Kind, ClassFinding, DecisionRecord, OutcomeRecord};

    #[test]
    fn enums_by_name_and_times_in_rfc3339() {
        let r = Record {
            seq: 4,
            time_unix_nanos: 1_764_749_826_000_000_001,
            kind: Some(Kind::Decision(DecisionRecord {
                effect: Effect::Block as i32,
                findings: vec![ClassFinding {
                    class: "pii.email".into(),
                    count: 2,
                    action: ClassAction::Blocked as i32,
                    test_values: 0,
                }],
                ..Default::default()
            })),
            ..Default::default()
        };
        let v = record_json(&r);
        assert_eq!(v["time"], "2025-12-03T08:17:06.000000001Z");
        assert_eq!(v["time_unix_nanos"], 1_764_749_826_000_000_001i64);
        assert_eq!(v["kind"]["Decision"]["effect"], "EFFECT_BLOCK");
        assert_eq!(
            v["kind"]["Decision"]["findings"][0]["action"],
            "CLASS_ACTION_BLOCKED"
        );
        let o = Record {
            kind: Some(Kind::Outcome(OutcomeRecord {
                output_scan: 99,
                ..Default::default()
            })),
            ..Default::default()
        };
        let v = record_json(&o);
        assert_eq!(
            v["kind"]["Outcome"]["output_scan"], 99,
            "unknown stays a number"
        );
        assert_eq!(v["time"], "1970-01-01T00:00:00.000000000Z");
        assert_eq!(rfc3339_nanos(-1), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn review_dispositions_by_name() {
        use crate::evidence::proto::{event_record::Event, EventRecord, ReviewDisposition};
        let r = Record {
            kind: Some(Kind::Event(EventRecord {
                event: Some(Event::ReviewDisposition(ReviewDisposition {
                    decision_id: "d-1".into(),
                    disposition: Disposition::Rejected as i32,
                    ..Default::default()
                })),
            })),
            ..Default::default()
        };
        let v = record_json(&r);
        let d = &v["kind"]["Event"]["event"]["ReviewDisposition"];
        assert_eq!(d["disposition"], "DISPOSITION_REJECTED");
        assert_eq!(d["decision_id"], "d-1");
    }
}
