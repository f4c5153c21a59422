//! Witnessing (C2SP tlog-witness, tlog-cosignature/v1), both sides:
//!
//! - the witness an organisation runs away from the proxy (`aimsgate witness`): [`server`] holds
//!   the add-checkpoint logic (signature, size and consistency checks, cosigning), [`state`]
//!   the durable latest checkpoint per origin, [`http`] the hyper listener;
//! - the proxy's client ([`client`]): every few seconds and at shutdown it sends the latest
//!   checkpoint with a consistency proof to each configured witness and keeps the cosigned
//!   result in `<data dir>/cosigned/` ([`cosigned`]).
//!
//! [`request`] is the shared wire format of the request body. Owns no note or Merkle
//! primitives (those are `evidence::note` and `evidence::merkle`) and never touches the
//! evidence writer: the client reads checkpoints and leaf hashes only.
use std::path::Path;

use crate::evidence::note::vkey::{KeyKind, Verifier};

pub mod client;
pub mod cosigned;
pub mod http;
pub mod request;
pub mod server;
pub mod state;

/// Why the witness (or its client) could not do its job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A state file is damaged or could not be written durably.
    #[error("witness state: {0}")]
    State(String),
    /// A key, or a list of known logs, is malformed.
    #[error("{0}")]
    Key(String),
    /// The witness client could not be set up.
    #[error("witness client: {0}")]
    Client(String),
}

impl WitnessError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// The log keys from one `--log` argument: a vkey itself, or a file of `log <vkey> [<url>]`
/// lines (C2SP tlog-policy style; blank lines, `#` comments and `witness`, `group` and
/// `quorum` lines are skipped, so a policy file can be reused). Log keys are Ed25519 note
/// keys (type `0x01`) whose name is the log origin.
pub fn parse_log_arg(arg: &str) -> Result<Vec<Verifier>, WitnessError> {
    if let Ok(v) = Verifier::parse(arg) {
        return log_key(v, arg).map(|v| vec![v]);
    }
    let path = Path::new(arg);
    let text = std::fs::read_to_string(path).map_err(|e| WitnessError::io(path, e))?;
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = || format!("{arg}:{}", n + 1);
        let mut words = line.split_whitespace();
        match words.next() {
            None => {}
            Some(w) if w.starts_with('#') => {}
            Some("witness" | "group" | "quorum") => {}
            Some("log") => {
                let vkey = words
                    .next()
                    .ok_or_else(|| WitnessError::Key(format!("{}: `log` without a vkey", at())))?;
                let v = Verifier::parse(vkey)
                    .map_err(|e| WitnessError::Key(format!("{}: {e}", at())))?;
                keys.push(log_key(v, &at())?);
            }
            Some(other) => {
                return Err(WitnessError::Key(format!(
                    "{}: unknown line `{other} …` (expected `log <vkey>`)",
                    at()
                )))
            }
        }
    }
    if keys.is_empty() {
        return Err(WitnessError::Key(format!("{arg}: no `log <vkey>` lines")));
    }
    Ok(keys)
}

fn log_key(v: Verifier, at: &str) -> Result<Verifier, WitnessError> {
    if v.kind != KeyKind::Ed25519 {
        return Err(WitnessError::Key(format!(
            "{at}: a log key must be an Ed25519 note key (type 0x01), not a cosigner key"
        )));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::keys::KeyPair;

    #[test]
    fn log_arguments_are_vkeys_or_files_of_log_lines() {
        let a = Verifier::note_key("a.example/log", &KeyPair::generate().public());
        let b = Verifier::note_key("b.example/log", &KeyPair::generate().public());
        assert_eq!(parse_log_arg(&a.to_vkey()).unwrap(), vec![a.clone()]);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("logs");
        let text = format!(
            "# known logs\n\nlog {}\nlog {} https://b.example/\nwitness w w+00000000+AA\nquorum w\n",
            a.to_vkey(),
            b.to_vkey()
        );
        std::fs::write(&f, text).unwrap();
        let arg = f.display().to_string();
        assert_eq!(parse_log_arg(&arg).unwrap(), vec![a.clone(), b]);
        std::fs::write(&f, format!("lg {}\n", a.to_vkey())).unwrap();
        assert!(parse_log_arg(&arg).unwrap_err().to_string().contains(":1:"));
        std::fs::write(&f, "log not-a-vkey\n").unwrap();
        assert!(parse_log_arg(&arg).is_err());
        std::fs::write(&f, "# nothing\n").unwrap();
        assert!(parse_log_arg(&arg).is_err());
        let cosigner = Verifier::cosigner("w.example", &KeyPair::generate().public());
        assert!(parse_log_arg(&cosigner.to_vkey()).is_err());
        assert!(parse_log_arg("/nonexistent/logs").is_err());
    }
}
