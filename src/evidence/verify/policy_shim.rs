//! Temporary stand-in for `evidence::trust::TrustPolicy` (helper `tlog`) until it is merged;
//! refuses every policy. Removed when the real one lands.
use crate::evidence::merkle::Hash;
use crate::evidence::note::vkey::Verifier;
use crate::evidence::note::Checkpoint;
use crate::evidence::tlog_proof::TlogProof;

#[derive(Clone, Debug)]
pub struct TrustPolicy {
    logs: Vec<Verifier>,
}

pub struct TrustedCheckpoint {
    pub checkpoint: Checkpoint,
    pub cosigned: Vec<()>,
}

impl TrustPolicy {
    pub fn parse(_: &str) -> Result<Self, String> {
        Err("trust policies are not supported yet".into())
    }
    pub fn log_keys(&self) -> &[Verifier] {
        &self.logs
    }
    pub fn quorum(&self) -> Option<&str> {
        None
    }
    pub fn check_checkpoint(&self, _: &str) -> Result<TrustedCheckpoint, String> {
        Err("unsupported".into())
    }
    pub fn check_proof(&self, _: &TlogProof, _: &Hash) -> Result<TrustedCheckpoint, String> {
        Err("unsupported".into())
    }
}
