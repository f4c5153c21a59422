//! One witness as the client sees it: the size it last accepted and the compact range of the
//! log at that size (so a proof to a newer checkpoint needs only the leaves since), the
//! cosignature it returned for the latest checkpoint, and its backoff.
//!
//! A witness whose state is unknown (after a start) is sent `old 0`: one that never saw the
//! log cosigns, one that did answers 409 with its size, and the exchange is retried once from
//! that size, with the compact range rebuilt from the log files.
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tokio::time::Instant;

use super::HttpClient;
use crate::config::WitnessSettings;
use crate::evidence::merkle::consistency::consistency_from_compact;
use crate::evidence::merkle::{CompactRange, Hash};
use crate::evidence::note::cosig::verify_cosignature;
use crate::evidence::note::Note;
use crate::telemetry::metrics::WitnessLabels;
use crate::witness::request::{encode_request, parse_decimal, CheckpointBody};

/// Time allowed for one add-checkpoint exchange.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait between attempts at a failing witness.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// At most one warning per witness this often.
const WARN_EVERY: Duration = Duration::from_secs(60);
/// Largest response read.
const MAX_RESPONSE: usize = 64 * 1024;

/// What every exchange needs.
pub(super) struct Ctx {
    pub http: HttpClient,
    pub data_dir: PathBuf,
    pub metrics: Family<WitnessLabels, Counter>,
    pub interval: Duration,
}

pub(super) struct Peer {
    cfg: WitnessSettings,
    endpoint: String,
    /// The size the witness accepted last, and the log's compact range at it once built.
    accepted: Option<(u64, Option<CompactRange>)>,
    /// The checkpoint text it last cosigned and its verified cosignature line(s).
    cosig: Option<(String, Vec<String>)>,
    failures: u32,
    retry_at: Instant,
    last_warn: Option<Instant>,
    suppressed: u64,
}

/// Why one exchange failed: the metric result and a message.
struct Failed(&'static str, String);

impl Peer {
    pub(super) fn new(cfg: WitnessSettings) -> Self {
        let base = cfg.url.to_string();
        Self {
            endpoint: format!("{}/add-checkpoint", base.trim_end_matches('/')),
            cfg,
            accepted: None,
            cosig: None,
            failures: 0,
            retry_at: Instant::now(),
            last_warn: None,
            suppressed: 0,
        }
    }

    pub(super) fn due(&self, now: Instant) -> bool {
        now >= self.retry_at
    }

    /// Whether it already cosigned exactly this checkpoint text.
    pub(super) fn cosigned(&self, text: &str) -> bool {
        self.cosig.as_ref().is_some_and(|(t, _)| t == text)
    }

    /// Its verified cosignature lines for this checkpoint text.
    pub(super) fn lines_for<'a>(&'a self, text: &str) -> &'a [String] {
        match &self.cosig {
            Some((t, lines)) if t == text => lines,
            _ => &[],
        }
    }

    /// Sends `note` (parsed: `parsed`, `cp`); on 409 retries once from the witness's size.
    pub(super) async fn submit(
        &mut self,
        ctx: &Ctx,
        note: &str,
        parsed: &Note,
        cp: &CheckpointBody,
    ) {
        for attempt in 0..2 {
            let result = self.exchange(ctx, note, parsed, cp).await;
            let label = match &result {
                Ok(()) => "ok",
                Err(Failed(r, _)) => r,
            };
            ctx.metrics
                .get_or_create(&WitnessLabels {
                    witness: self.cfg.name.clone(),
                    result: label.to_owned(),
                })
                .inc();
            match result {
                Ok(()) => {
                    self.failures = 0;
                    self.retry_at = Instant::now();
                    return;
                }
                Err(Failed("conflict", _)) if attempt == 0 => continue,
                Err(Failed(r, why)) => return self.fail(ctx, r, why),
            }
        }
    }

    async fn exchange(
        &mut self,
        ctx: &Ctx,
        note: &str,
        parsed: &Note,
        cp: &CheckpointBody,
    ) -> Result<(), Failed> {
        let (dir, accepted, size, root) = (
            ctx.data_dir.clone(),
            self.accepted.clone(),
            cp.size,
            cp.root,
        );
        let prepared = tokio::task::spawn_blocking(move || prepare(&dir, accepted, size, &root))
            .await
            .map_err(|e| Failed("error", e.to_string()))?
            .map_err(|e| Failed("error", e))?;
        let (old, proof, range) = prepared;
        let body = encode_request(old, &proof, note);
        let (status, text) = self.post(ctx, body).await.map_err(|e| Failed("error", e))?;
        match status {
            200 => {
                // Whatever the lines say, the witness now holds this size.
                self.accepted = Some((cp.size, range));
                let mut n = Note {
                    text: parsed.text.clone(),
                    sigs: Vec::new(),
                };
                for line in text.split_inclusive('\n') {
                    // Lines that do not parse, or by other keys, are ignored (C2SP).
                    let _ = n.add_sig_line(line);
                }
                verify_cosignature(&n, &self.cfg.vkey).map_err(|e| Failed("bad_cosignature", e))?;
                let lines = n.sigs_by(&self.cfg.vkey).map(|s| s.to_line()).collect();
                self.cosig = Some((parsed.text.clone(), lines));
                Ok(())
            }
            409 => {
                let theirs = text
                    .strip_suffix('\n')
                    .and_then(parse_decimal)
                    .ok_or_else(|| Failed("error", "409 without a tree size".into()))?;
                if theirs > cp.size {
                    self.accepted = None;
                    return Err(Failed(
                        "inconsistent",
                        format!("the witness cosigned size {theirs}, beyond the log's latest checkpoint (size {}): was the log rolled back?", cp.size),
                    ));
                }
                self.accepted = Some((theirs, None));
                Err(Failed(
                    "conflict",
                    format!("the witness is at size {theirs}"),
                ))
            }
            422 => {
                self.accepted = None;
                Err(Failed(
                    "inconsistent",
                    format!("the witness refused the checkpoint as inconsistent with one it cosigned: {}", text.trim()),
                ))
            }
            s => Err(Failed("refused", format!("HTTP {s}: {}", text.trim()))),
        }
    }

    async fn post(&self, ctx: &Ctx, body: String) -> Result<(u16, String), String> {
        let req = http::Request::post(&self.endpoint)
            .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let exchange = async {
            let resp = ctx.http.request(req).await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let body = Limited::new(resp.into_body(), MAX_RESPONSE)
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok((status, String::from_utf8_lossy(&body).into_owned()))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("no answer within {}s", REQUEST_TIMEOUT.as_secs()))?
    }

    fn fail(&mut self, ctx: &Ctx, result: &'static str, why: String) {
        self.failures = self.failures.saturating_add(1);
        let backoff = ctx
            .interval
            .saturating_mul(1u32 << self.failures.saturating_sub(1).min(16))
            .min(MAX_BACKOFF);
        let now = Instant::now();
        self.retry_at = now + backoff;
        if self
            .last_warn
            .is_some_and(|t| now.duration_since(t) < WARN_EVERY)
        {
            self.suppressed += 1;
            return;
        }
        let (name, failures, suppressed) = (&self.cfg.name, self.failures, self.suppressed);
        let retry_secs = backoff.as_secs_f64();
        if result == "inconsistent" {
            tracing::error!(witness = %name, result, error = %why, failures, suppressed, retry_secs, "witness refused the log's checkpoint");
        } else {
            tracing::warn!(witness = %name, result, error = %why, failures, suppressed, retry_secs, "witness unavailable; calls are not affected, retrying later");
        }
        self.last_warn = Some(now);
        self.suppressed = 0;
    }
}

/// The request for a witness at `accepted` and a checkpoint of `size` / `root`: the old size,
/// the consistency proof, and the compact range at `size` (when known). Reads leaf hashes
/// from the log files (blocking).
fn prepare(
    dir: &Path,
    accepted: Option<(u64, Option<CompactRange>)>,
    size: u64,
    root: &Hash,
) -> Result<(u64, Vec<Hash>, Option<CompactRange>), String> {
    let Some((old, range)) = accepted else {
        return Ok((0, Vec::new(), None));
    };
    if old == size || old == 0 {
        return Ok((old, Vec::new(), range.filter(|_| old == size)));
    }
    if old > size {
        return Err(format!(
            "the witness is at size {old}, beyond the checkpoint's {size}"
        ));
    }
    let (mut range, leaves) = match range {
        Some(r) => (
            r,
            crate::evidence::read::leaf_hashes(dir, old).map_err(|e| e.to_string())?,
        ),
        None => range_at(dir, old)?,
    };
    let want = usize::try_from(size - old).map_err(|e| e.to_string())?;
    if range.size() != old || leaves.len() < want {
        return Err(format!(
            "the log files hold fewer than the checkpoint's {size} entries"
        ));
    }
    let leaves = &leaves[..want];
    let proof =
        consistency_from_compact(&range, leaves).ok_or("consistency proof: size overflow")?;
    leaves.iter().for_each(|h| range.push(*h));
    if range.root() != *root {
        return Err(format!(
            "the log files do not match the checkpoint of size {size}"
        ));
    }
    Ok((old, proof, Some(range)))
}

/// The log's compact range at `size`, rebuilt from the files (from the prune anchor's range
/// when retention removed a prefix), and the leaf hashes after it.
fn range_at(dir: &Path, size: u64) -> Result<(CompactRange, Vec<Hash>), String> {
    let (first, mut range) = match std::fs::read_to_string(dir.join("log/anchor.note")) {
        Ok(note) => {
            let note = crate::evidence::note::parse_note(&note)
                .map_err(|e| format!("prune anchor: {e}"))?;
            let anchor = crate::evidence::note::Anchor::parse(&note.text)
                .map_err(|e| format!("prune anchor: {e}"))?;
            let range = anchor.range().ok_or("prune anchor: not a compact range")?;
            (anchor.first, range)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (0, CompactRange::default()),
        Err(e) => return Err(format!("prune anchor: {e}")),
    };
    if size < first {
        return Err(format!(
            "the witness is at size {size}, inside the prefix retention pruned (entries before {first}): no proof can be built"
        ));
    }
    let all = crate::evidence::read::leaf_hashes(dir, first).map_err(|e| e.to_string())?;
    let cut = usize::try_from(size - first)
        .map_err(|e| e.to_string())?
        .min(all.len());
    all[..cut].iter().for_each(|h| range.push(*h));
    Ok((range, all[cut..].to_vec()))
}

#[cfg(test)]
#[path = "peer_tests.rs"]
mod tests;
