//! The witness's `add-checkpoint` decision, exactly as C2SP tlog-witness orders it: a malformed
//! body is 400, an unknown origin 404, no valid signature by a trusted key of that origin (or a
//! failing one) 403, an old size above the checkpoint's 400, an old size other than the one it
//! last cosigned 409 (with that size), a non-empty root at size 0, a proof from 0 or a proof
//! that does not verify 422; otherwise the checkpoint is cosigned (tlog-cosignature/v1, current
//! time), persisted, and only then answered with 200 and the cosignature line.
//!
//! Check-and-persist runs under one lock per origin, so two concurrent requests can never both
//! pass against the same old state (the race the spec describes). Blocking (fsync) by design:
//! the HTTP layer calls it from a blocking task. Owns no HTTP types.
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use super::request::{parse_checkpoint_text, parse_request};
use super::state::{origin_hash, LogState, StateStore};
use super::WitnessError;
use crate::evidence::keys::KeyPair;
use crate::evidence::merkle::consistency::verify_consistency;
use crate::evidence::merkle::empty_root;
use crate::evidence::note::cosig::cosign;
use crate::evidence::note::vkey::Verifier;
use crate::evidence::note::{parse_note, Note, SigStatus};

/// What the witness answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 200: the cosignature line(s), each ending in a newline.
    Cosigned(String),
    /// 400: a malformed request.
    BadRequest(String),
    /// 403: no valid signature by a trusted key for the origin.
    Forbidden(String),
    /// 404: the origin is not a known log.
    UnknownOrigin,
    /// 409: the old size is not the size last cosigned (that size is the body).
    Conflict(u64),
    /// 422: not consistent with what was cosigned before.
    Unprocessable(String),
    /// 500: the new state could not be persisted (nothing was cosigned).
    Internal(String),
}

impl Outcome {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::Cosigned(_) => 200,
            Self::BadRequest(_) => 400,
            Self::Forbidden(_) => 403,
            Self::UnknownOrigin => 404,
            Self::Conflict(_) => 409,
            Self::Unprocessable(_) => 422,
            Self::Internal(_) => 500,
        }
    }
}

struct KnownLog {
    keys: Vec<Verifier>,
    /// The latest cosigned state; the lock serializes check-and-persist for this origin.
    state: Mutex<Option<LogState>>,
}

/// A witness: its name and key, the logs it knows, their durable state.
pub struct Witness {
    name: String,
    key: KeyPair,
    logs: HashMap<String, KnownLog>,
    store: StateStore,
}

impl Witness {
    /// A witness named `name` for the logs whose keys are `log_keys` (origin = key name; several
    /// keys per origin are allowed for rotations); loads the state kept in `data_dir`.
    pub fn open(
        name: &str,
        key: KeyPair,
        log_keys: Vec<Verifier>,
        data_dir: &Path,
    ) -> Result<Self, WitnessError> {
        let store = StateStore::open(data_dir)?;
        let mut logs: HashMap<String, KnownLog> = HashMap::new();
        for v in log_keys {
            if let Some(log) = logs.get_mut(&v.name) {
                if !log.keys.contains(&v) {
                    log.keys.push(v);
                }
                continue;
            }
            let state = store.load(&v.name)?;
            logs.insert(
                v.name.clone(),
                KnownLog {
                    keys: vec![v],
                    state: Mutex::new(state),
                },
            );
        }
        Ok(Self {
            name: name.to_owned(),
            key,
            logs,
            store,
        })
    }

    /// The witness's cosigner verifier key.
    pub fn cosigner(&self) -> Verifier {
        Verifier::cosigner(&self.name, &self.key.public())
    }

    /// The origins it witnesses, sorted.
    pub fn origins(&self) -> Vec<&str> {
        let mut o: Vec<&str> = self.logs.keys().map(String::as_str).collect();
        o.sort_unstable();
        o
    }

    /// The latest cosigned checkpoint of the log whose origin hashes to `hash` (monitoring).
    pub fn latest(&self, hash: &str) -> Option<String> {
        let log = self
            .logs
            .iter()
            .find(|(origin, _)| origin_hash(origin) == hash)?
            .1;
        let state = log.state.lock().unwrap_or_else(|p| p.into_inner());
        state.as_ref().map(|s| s.note.clone())
    }

    /// Handles one `add-checkpoint` body at time `now` (POSIX seconds).
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> Outcome {
        let req = match parse_request(body) {
            Ok(r) => r,
            Err(e) => return Outcome::BadRequest(e.to_string()),
        };
        let note = match parse_note(req.checkpoint) {
            Ok(n) => n,
            Err(e) => return Outcome::BadRequest(format!("checkpoint note: {e}")),
        };
        let cp = match parse_checkpoint_text(&note.text) {
            Ok(c) => c,
            Err(e) => return Outcome::BadRequest(e.to_string()),
        };
        let Some(log) = self.logs.get(&cp.origin) else {
            return Outcome::UnknownOrigin;
        };
        let log_sigs = match trusted_signatures(&note, &log.keys) {
            Ok(s) => s,
            Err(e) => return Outcome::Forbidden(e),
        };
        if req.old > cp.size {
            return Outcome::BadRequest(format!(
                "old size {} is larger than the checkpoint size {}",
                req.old, cp.size
            ));
        }
        let mut state = log.state.lock().unwrap_or_else(|p| p.into_inner());
        let (size, root) = state
            .as_ref()
            .map_or((0, empty_root()), |s| (s.size, s.root));
        if req.old != size {
            return Outcome::Conflict(size);
        }
        if cp.size == 0 && cp.root != empty_root() {
            return Outcome::Unprocessable(
                "a checkpoint of size 0 must have the empty root".into(),
            );
        }
        if let Err(e) = verify_consistency(req.old, cp.size, &root, &cp.root, &req.proof) {
            return Outcome::Unprocessable(format!(
                "not consistent with the cosigned checkpoint of size {size}: {e}"
            ));
        }
        let line = cosign(&note.text, &self.name, &self.key, now.max(1));
        let mut kept = Note {
            text: note.text.clone(),
            sigs: log_sigs,
        };
        if let Err(e) = kept.add_sig_line(&line) {
            return Outcome::Internal(format!("cosignature line: {e}"));
        }
        let next = LogState {
            size: cp.size,
            root: cp.root,
            note: kept.to_text(),
        };
        if let Err(e) = self.store.store(&cp.origin, &next) {
            return Outcome::Internal(e.to_string());
        }
        *state = Some(next);
        Outcome::Cosigned(line)
    }
}

/// The signature lines by `keys` on `note`, all verified; an error when none is there or one
/// fails (signatures by other keys are ignored).
fn trusted_signatures(
    note: &Note,
    keys: &[Verifier],
) -> Result<Vec<crate::evidence::note::NoteSig>, String> {
    let mut sigs = Vec::new();
    for v in keys {
        match note.check_sig(v) {
            SigStatus::Absent => {}
            SigStatus::Valid { .. } => sigs.extend(note.sigs_by(v).cloned()),
            SigStatus::Invalid(e) => return Err(e),
        }
    }
    if sigs.is_empty() {
        return Err(format!(
            "no signature by a trusted key for origin `{}`",
            note.origin()
        ));
    }
    Ok(sigs)
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
