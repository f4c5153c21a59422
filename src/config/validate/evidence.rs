//! `[evidence]`: durability, segments, checkpoints, retention, origin and keys, validated
//! straight into the evidence core's [`LogConfig`]; and the `[[evidence.witness]]` list.
//!
//! Does not open the log or read the data dir: the proxy does, with the [`LogConfig`] built here.

use super::*;
use crate::evidence::note::vkey::{KeyKind, Verifier};
use crate::evidence::Durability;

/// `evidence.durability`, before `async` gets its delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DurabilityKind {
    Sync,
    Async,
}

impl Named for DurabilityKind {
    const NAMES: &'static [(&'static str, Self)] = &[("sync", Self::Sync), ("async", Self::Async)];
}

pub(super) fn evidence(
    cx: &Ctx<'_>,
    e: &RawEvidence,
    data_dir: &Path,
) -> Result<EvidenceSettings, ConfigError> {
    let mut log = LogConfig::new(data_dir);
    log.durability = match cx.choice(
        "evidence.durability",
        e.durability.as_deref(),
        DurabilityKind::Sync,
    )? {
        DurabilityKind::Sync => Durability::Sync,
        DurabilityKind::Async => Durability::Async {
            max_delay: cx.duration(
                "evidence.async_max_delay",
                e.async_max_delay.as_deref(),
                Duration::from_millis(200),
            )?,
        },
    };
    log.hmac_key = cx
        .opt_secret("evidence.hmac_key", e.hmac_key.as_ref())?
        .map(|k| k.expose().as_bytes().to_vec());
    let signing_key = cx.opt_secret("evidence.signing_key", e.signing_key.as_ref())?;
    if let Some(k) = &signing_key {
        crate::evidence::keys::parse_secret(k.expose())
            .map_err(|e| cx.err("evidence.signing_key", e.to_string()))?;
    }
    // A key supplied from outside stays off the disk (only its public half is written).
    log.persist_secret = signing_key.is_none();
    log.retention_days = e.retention_days.unwrap_or(400);
    log.retention_below_minimum = e.retention_below_minimum.unwrap_or(false);
    crate::evidence::origin::check_retention(log.retention_days, log.retention_below_minimum)
        .map_err(|err| cx.err("evidence.retention_days", err.to_string()))?;
    if let Some(o) = &e.origin {
        crate::evidence::origin::validate(o)
            .map_err(|err| cx.err("evidence.origin", err.to_string()))?;
        log.origin = Some(o.clone());
    }
    log.segment_bytes = e.segment_bytes.unwrap_or(64 * 1024 * 1024);
    log.checkpoint_every_records = e.checkpoint_every_records.unwrap_or(10_000);
    log.checkpoint_interval = cx.duration(
        "evidence.checkpoint_interval",
        e.checkpoint_interval.as_deref(),
        Duration::from_secs(60),
    )?;
    log.min_commit_interval = cx.duration(
        "evidence.min_commit_interval",
        e.min_commit_interval.as_deref(),
        Duration::ZERO,
    )?;
    let witness_interval = cx.duration(
        "evidence.witness_interval",
        e.witness_interval.as_deref(),
        Duration::from_secs(5),
    )?;
    if witness_interval < Duration::from_millis(100) {
        return Err(cx.err("evidence.witness_interval", "must be at least 100ms"));
    }
    Ok(EvidenceSettings {
        log,
        fail_open: e.fail_open.unwrap_or(false),
        signing_key,
        witnesses: witnesses(cx, &e.witness)?,
        witness_interval,
    })
}

fn witnesses(cx: &Ctx<'_>, raw: &[RawWitness]) -> Result<Vec<WitnessSettings>, ConfigError> {
    let mut out: Vec<WitnessSettings> = Vec::new();
    for (i, w) in raw.iter().enumerate() {
        let key = |k: &str| format!("evidence.witness[{i}].{k}");
        let label_ok = !w.name.is_empty()
            && w.name.len() <= 64
            && w.name.bytes().all(|b| b.is_ascii_graphic());
        if !label_ok {
            return Err(cx.err(key("name"), "must be 1 to 64 printable ASCII characters"));
        }
        if out.iter().any(|o| o.name == w.name) {
            return Err(cx.err(key("name"), format!("`{}` is used twice", w.name)));
        }
        let url: http::Uri = w
            .url
            .trim_end_matches('/')
            .parse()
            .map_err(|e| cx.err(key("url"), format!("`{}` is not a URL: {e}", w.url)))?;
        let scheme_ok = matches!(url.scheme_str(), Some("http" | "https"));
        if !scheme_ok || url.authority().is_none() || url.query().is_some() {
            return Err(cx.err(
                key("url"),
                format!(
                    "`{}`: use an http:// or https:// base URL without a query",
                    w.url
                ),
            ));
        }
        let vkey = Verifier::parse(&w.vkey).map_err(|e| cx.err(key("vkey"), e.to_string()))?;
        if vkey.kind != KeyKind::Cosignature {
            return Err(cx.err(
                key("vkey"),
                "not a witness cosigner key (signature type 0x04, cosignature/v1); `aimsgate witness --generate-key` prints one",
            ));
        }
        out.push(WitnessSettings {
            name: w.name.clone(),
            url,
            vkey,
        });
    }
    Ok(out)
}
