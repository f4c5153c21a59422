//! How one durable evidence record becomes one OpenTelemetry `LogRecord`: the event name
//! (`aimsgate.decision`, `aimsgate.outcome`), the record's time and a severity, the record
//! exactly as the JSONL export shows it as the body ([`record_json`], never content), and
//! attributes — the OTel GenAI conventions where they exist (`gen_ai.*`, `http.*`,
//! `client.address`, `error.type`), `aimsgate.*` for the rest, and `aimsgate.log.*`, the link
//! back to the signed log (origin, index, entry hash, covering checkpoint).
//!
//! Owns the attribute names and the JSON → `AnyValue` conversion; no I/O, no queueing.
use std::collections::BTreeSet;

use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, SeverityNumber};
use serde_json::Value;

use crate::evidence::proto::{record, DecisionRecord, Effect, OutcomeRecord, OutputScan};
use crate::evidence::{record_json, CoveringCheckpoint, DurableRecord};

/// Event name of a decision record's log.
pub const DECISION_EVENT: &str = "aimsgate.decision";
/// Event name of an outcome record's log.
pub const OUTCOME_EVENT: &str = "aimsgate.outcome";

/// The log record of `r`, or `None` for a record that is neither a decision nor an outcome.
pub fn log_record(r: &DurableRecord, cp: &CoveringCheckpoint, observed: u64) -> Option<LogRecord> {
    let rec = &r.record;
    let mut a = Attrs(Vec::with_capacity(40));
    let (event, severity, trace_id) = match rec.kind.as_ref()? {
        record::Kind::Decision(d) => {
            decision(&mut a, d);
            (
                DECISION_EVENT,
                decision_severity(d.effect),
                trace_bytes(&d.trace_id),
            )
        }
        record::Kind::Outcome(o) => {
            outcome(&mut a, o);
            (OUTCOME_EVENT, outcome_severity(o), Vec::new())
        }
        record::Kind::Event(_) => return None,
    };
    a.str("event.name", event);
    a.str("aimsgate.log.id", &rec.log_id);
    a.int("aimsgate.log.index", rec.seq);
    a.str("aimsgate.log.entry_hash", &hex(&r.entry_hash));
    a.int("aimsgate.log.checkpoint.size", cp.size);
    a.str("aimsgate.log.checkpoint.root_hash", &hex(&cp.root));
    a.str("aimsgate.log.key_id", &cp.key_id);
    Some(LogRecord {
        time_unix_nano: u64::try_from(rec.time_unix_nanos).unwrap_or(0),
        observed_time_unix_nano: observed,
        severity_number: severity as i32,
        severity_text: severity_text(severity).to_owned(),
        body: Some(any(&record_json(rec))),
        attributes: a.0,
        dropped_attributes_count: 0,
        flags: 0,
        trace_id,
        span_id: Vec::new(),
        event_name: event.to_owned(),
    })
}

fn decision(a: &mut Attrs, d: &DecisionRecord) {
    a.str("aimsgate.decision.id", &d.decision_id);
    if let Some(op) = gen_ai_operation(&d.operation) {
        a.str("gen_ai.operation.name", op);
    }
    a.nonempty("aimsgate.operation", &d.operation);
    if !d.provider.is_empty() {
        let p = crate::telemetry::call::gen_ai_provider_name(&d.provider, Some(&d.upstream));
        a.str("gen_ai.provider.name", &p);
    }
    a.nonempty("gen_ai.request.model", &d.requested_model);
    a.nonempty("aimsgate.upstream", &d.upstream);
    a.nonempty("client.address", &d.client_address);
    a.nonempty("aimsgate.principal.id", &d.principal_id);
    a.nonempty("aimsgate.principal.auth_method", &d.auth_method);
    a.nonempty(
        "aimsgate.principal.credential_fingerprint",
        &d.credential_fingerprint,
    );
    a.nonempty("aimsgate.ai_system.id", &d.ai_system_id);
    a.nonempty("aimsgate.ai_system.risk_tier", &d.ai_system_risk_tier);
    a.bool("aimsgate.ai_system.registered", d.ai_system_registered);
    a.nonempty(
        "aimsgate.ai_system.refused_selection",
        &d.ai_system_refused_selection,
    );
    a.nonempty("aimsgate.request.routed_model", &d.routed_model);
    a.nonempty("aimsgate.guardrail.gateway", &d.guardrail_gateway);
    a.nonempty("aimsgate.guardrail.hook", &d.guardrail_hook);
    a.nonempty("aimsgate.limits.fail_mode", &d.limits_fail_mode);
    a.str(
        "aimsgate.decision.effect",
        crate::evidence::effect_name(d.effect),
    );
    a.nonempty("aimsgate.decision.reason", &d.reason);
    a.strs(
        "aimsgate.decision.rule_ids",
        d.matched_rules.iter().map(|r| r.rule_id.as_str()),
    );
    let controls: BTreeSet<&str> = d
        .matched_rules
        .iter()
        .flat_map(|r| r.annex_a_controls.iter().map(String::as_str))
        .collect();
    a.strs("aimsgate.decision.annex_a_controls", controls);
    if !d.monitor_effects.is_empty() {
        a.strs(
            "aimsgate.decision.monitor_rule_ids",
            d.monitor_effects.iter().map(|m| m.rule_id.as_str()),
        );
    }
    a.bool("aimsgate.decision.review_flagged", d.review_flagged);
    let classes: BTreeSet<&str> = d.findings.iter().map(|f| f.class.as_str()).collect();
    a.strs("aimsgate.request.data_classes", classes);
    a.int(
        "aimsgate.request.finding_count",
        d.findings.iter().map(|f| u64::from(f.count)).sum(),
    );
    if d.unscanned_bytes > 0 {
        a.int("aimsgate.request.unscanned_bytes", d.unscanned_bytes);
    }
    a.nonempty("aimsgate.policy.bundle_id", &d.policy_bundle_id);
    a.nonempty("aimsgate.policy.version", &d.policy_version);
    a.nonempty("aimsgate.policy.content_hash", &d.policy_content_hash);
    a.bool("aimsgate.stream", d.stream);
    if d.http_status != 0 {
        a.int("http.response.status_code", u64::from(d.http_status));
    }
}

fn outcome(a: &mut Attrs, o: &OutcomeRecord) {
    a.str("aimsgate.decision.id", &o.decision_id);
    if o.upstream_status != 0 {
        a.int("http.response.status_code", u64::from(o.upstream_status));
    }
    if let Some(n) = o.input_tokens {
        a.int("gen_ai.usage.input_tokens", n);
    }
    if let Some(n) = o.output_tokens {
        a.int("gen_ai.usage.output_tokens", n);
    }
    a.int("aimsgate.outcome.latency_us", o.latency_us);
    if o.time_to_first_byte_us > 0 {
        a.int(
            "aimsgate.outcome.time_to_first_byte_us",
            o.time_to_first_byte_us,
        );
    }
    a.bool("aimsgate.stream", o.stream);
    let scan = match OutputScan::try_from(o.output_scan) {
        Ok(OutputScan::Full) => "full",
        Ok(OutputScan::Partial) => "partial",
        Ok(OutputScan::None) => "none",
        _ => "unspecified",
    };
    a.str("aimsgate.output.scan", scan);
    let classes: BTreeSet<&str> = o.output_findings.iter().map(|f| f.class.as_str()).collect();
    a.strs("aimsgate.response.data_classes", classes);
    a.nonempty("error.type", &o.error_kind);
}

/// The GenAI `gen_ai.operation.name` of aimsgate's operation name, from the route table.
fn gen_ai_operation(op: &str) -> Option<&'static str> {
    crate::providers::ROUTES
        .iter()
        .find(|r| r.name == op)
        .map(|r| r.gen_ai)
}

fn decision_severity(effect: i32) -> SeverityNumber {
    match Effect::try_from(effect) {
        Ok(Effect::Allow | Effect::Redact) => SeverityNumber::Info,
        Ok(Effect::Review | Effect::Block) => SeverityNumber::Warn,
        Ok(Effect::Error) => SeverityNumber::Error,
        _ => SeverityNumber::Unspecified,
    }
}

fn outcome_severity(o: &OutcomeRecord) -> SeverityNumber {
    if !o.error_kind.is_empty() || o.upstream_status >= 500 {
        SeverityNumber::Warn
    } else {
        SeverityNumber::Info
    }
}

fn severity_text(s: SeverityNumber) -> &'static str {
    match s {
        SeverityNumber::Info => "INFO",
        SeverityNumber::Warn => "WARN",
        SeverityNumber::Error => "ERROR",
        _ => "",
    }
}

/// The 16 trace-id bytes of a 32-hex-digit W3C trace id; empty when there is none.
fn trace_bytes(hex_id: &str) -> Vec<u8> {
    let b = hex_id.as_bytes();
    if b.len() != 32 {
        return Vec::new();
    }
    let digit = |c: u8| char::from(c).to_digit(16);
    let out: Option<Vec<u8>> = b
        .chunks(2)
        .map(|p| u8::try_from(digit(p[0])? * 16 + digit(p[1])?).ok())
        .collect();
    out.filter(|v| v.iter().any(|&x| x != 0))
        .unwrap_or_default()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A JSON value as an OTLP `AnyValue`: objects as key-value lists (in the JSON's order),
/// arrays as arrays, integers as ints (an unsigned one beyond `i64` as its decimal string),
/// other numbers as doubles, `null` as an empty value.
pub fn any(v: &Value) -> AnyValue {
    let value = match v {
        Value::Null => None,
        Value::Bool(b) => Some(any_value::Value::BoolValue(*b)),
        Value::Number(n) => Some(match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => any_value::Value::IntValue(i),
            (None, Some(u), _) => any_value::Value::StringValue(u.to_string()),
            (None, None, f) => any_value::Value::DoubleValue(f.unwrap_or(0.0)),
        }),
        Value::String(s) => Some(any_value::Value::StringValue(s.clone())),
        Value::Array(a) => Some(any_value::Value::ArrayValue(ArrayValue {
            values: a.iter().map(any).collect(),
        })),
        Value::Object(o) => Some(any_value::Value::KvlistValue(KeyValueList {
            values: o
                .iter()
                .map(|(k, v)| KeyValue {
                    key: k.clone(),
                    value: Some(any(v)),
                    ..KeyValue::default()
                })
                .collect(),
        })),
    };
    AnyValue { value }
}

/// An `AnyValue` as JSON: the inverse of [`any`] on what it produces (for receivers and tests
/// that compare a pushed body with the export); bytes and unset values become `null`.
pub fn json_of(v: &AnyValue) -> Value {
    match &v.value {
        Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(f)) => Value::from(*f),
        Some(any_value::Value::StringValue(s)) => Value::String(s.clone()),
        Some(any_value::Value::ArrayValue(a)) => {
            Value::Array(a.values.iter().map(json_of).collect())
        }
        Some(any_value::Value::KvlistValue(kv)) => Value::Object(
            kv.values
                .iter()
                .map(|k| (k.key.clone(), k.value.as_ref().map_or(Value::Null, json_of)))
                .collect(),
        ),
        Some(any_value::Value::BytesValue(_) | any_value::Value::StringValueStrindex(_)) | None => {
            Value::Null
        }
    }
}

/// Attributes under construction.
struct Attrs(Vec<KeyValue>);

impl Attrs {
    fn push(&mut self, key: &str, v: any_value::Value) {
        self.0.push(KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue { value: Some(v) }),
            ..KeyValue::default()
        });
    }
    fn str(&mut self, key: &str, v: &str) {
        self.push(key, any_value::Value::StringValue(v.to_owned()));
    }
    fn nonempty(&mut self, key: &str, v: &str) {
        if !v.is_empty() {
            self.str(key, v);
        }
    }
    fn int(&mut self, key: &str, v: u64) {
        self.push(
            key,
            any_value::Value::IntValue(i64::try_from(v).unwrap_or(i64::MAX)),
        );
    }
    fn bool(&mut self, key: &str, v: bool) {
        self.push(key, any_value::Value::BoolValue(v));
    }
    fn strs<'a>(&mut self, key: &str, v: impl IntoIterator<Item = &'a str>) {
        let values = v
            .into_iter()
            .map(|s| AnyValue {
                value: Some(any_value::Value::StringValue(s.to_owned())),
            })
            .collect();
        self.push(key, any_value::Value::ArrayValue(ArrayValue { values }));
    }
}
