//! The auditor's trust root on the command line, shared by `verify`, `prove` and `report`:
//! `--public-key FILE` (C2SP vkeys, one a line, or the old v1 key text) or `--trust FILE` (a
//! C2SP tlog-policy). Owns the flags and reading the files; what the keys mean is
//! `evidence::TrustRoot`'s and `evidence::ExportTrust`'s.
use std::path::{Path, PathBuf};

use aimsgate::evidence::{ExportTrust, TrustRoot};

/// `--public-key` / `--trust`; neither means the keys beside the log are trusted (unpinned).
#[derive(clap::Args, Debug, Default)]
pub struct TrustArgs {
    /// The log's public key: a C2SP vkey (one a line; several for the keys of a rotation), or
    /// the old `aimsgate-evidence-public-key v1` text. Pins the trust root.
    #[arg(long, conflicts_with = "trust")]
    pub public_key: Option<PathBuf>,
    /// Trust policy (C2SP tlog-policy: `log <vkey>`, `witness <name> <vkey>`, `group`,
    /// `quorum`): log keys, and the witness quorum checked on the cosigned checkpoint.
    #[arg(long)]
    pub trust: Option<PathBuf>,
}

/// A file's text, its path in the error.
pub(crate) fn read(p: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
}

impl TrustArgs {
    /// Whether the auditor gave a trust root.
    pub fn pinned(&self) -> bool {
        self.public_key.is_some() || self.trust.is_some()
    }

    /// The trust root for logs and proofs (none given: the data dir's keys).
    pub fn load(&self) -> anyhow::Result<TrustRoot> {
        Ok(match (&self.public_key, &self.trust) {
            (Some(p), _) => TrustRoot::from_public_key(&read(p)?, &p.display().to_string())?,
            (None, Some(p)) => TrustRoot::from_policy(&read(p)?, &p.display().to_string())?,
            (None, None) => TrustRoot::data_dir(),
        })
    }

    /// The trust root for an export, which carries no keys of its own: one must be given.
    pub fn load_export(&self) -> anyhow::Result<ExportTrust> {
        match (&self.public_key, &self.trust) {
            (Some(p), _) => ExportTrust::from_key_text(&read(p)?),
            (None, Some(p)) => ExportTrust::from_policy_text(&read(p)?),
            (None, None) => anyhow::bail!("--export needs --public-key FILE or --trust FILE"),
        }
        .map_err(|e| anyhow::anyhow!("trust root: {e}"))
    }
}
