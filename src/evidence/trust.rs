//! The auditor's trust file: which log keys and witnesses to trust, and how many witnesses
//! must have cosigned a checkpoint, in the syntax of C2SP tlog-policy. Owns parsing and the
//! checkpoint check; where the file comes from (`--trust FILE`, or a bare `--public-key`
//! vkey via [`TrustPolicy::from_log_vkey`]) is the CLI's business.
//!
//! One item per line; items are separated by spaces or tabs; empty lines and lines starting
//! with `#` are ignored; only tab, newline and printable bytes are allowed:
//! ```text
//! log <vkey> [<url>]                       # an Ed25519 (0x01) log key, named after the origin
//! witness <name> <vkey> [<url>]            # a cosignature/v1 (0x04) witness key
//! group <name> <k|all|any> <member>...     # at least k of the members (witnesses or groups)
//! quorum <name|none>                       # exactly once: the witness or group that must agree
//! ```
//! Groups and the quorum may only name witnesses and groups defined on earlier lines; a name is
//! defined once (`none` is reserved); a member appears at most once in a group; `1 <= k <= n`;
//! no two logs, nor two witnesses, share a public key. Several `log` lines with one name are
//! the keys of one log across a rotation. A checkpoint is trusted when one log key signed it
//! (key name = origin), every cosignature by a listed witness verifies, and the quorum is met.
use super::merkle::Hash;
use super::note::vkey::{KeyKind, Verifier};
use super::note::{open_with, parse_decimal, Checkpoint, Note, SigStatus};
use super::tlog_proof::TlogProof;

/// Largest trust file accepted, in bytes.
pub const MAX_POLICY_BYTES: usize = 1 << 20;

/// Most logs, witnesses or groups (each) a policy may define (the spec asks for at least 32).
pub const MAX_ITEMS: usize = 256;

/// Why a trust file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A line that does not follow the syntax (with its 1-based number).
    #[error("trust policy line {line}: {why}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// A whole-file problem (size, missing quorum line).
    #[error("trust policy: {0}")]
    File(String),
}

/// A witness of the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyWitness {
    /// The policy-local name (used by groups and the quorum).
    pub name: String,
    /// Its cosignature/v1 key.
    pub key: Verifier,
    /// Its tlog-witness submission prefix, if given.
    pub url: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    name: String,
    threshold: usize,
    members: Vec<Member>,
}

/// A parsed trust policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustPolicy {
    logs: Vec<Verifier>,
    log_urls: Vec<Option<String>>,
    witnesses: Vec<PolicyWitness>,
    groups: Vec<Group>,
    /// `None` for `quorum none`.
    quorum: Option<(String, Member)>,
}

/// A cosignature that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    /// The witness's policy name.
    pub witness: String,
    /// Its key id (lowercase hex key hash).
    pub key_id: String,
    /// The cosignature timestamp (POSIX seconds).
    pub timestamp: u64,
}

/// A checkpoint that satisfied the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedCheckpoint {
    /// The tree head.
    pub checkpoint: Checkpoint,
    /// The parsed note (text and every signature line).
    pub note: Note,
    /// The log key that signed it.
    pub log_key: Verifier,
    /// The listed witnesses whose cosignatures verified, in policy order.
    pub cosigned: Vec<Cosigned>,
}

impl TrustPolicy {
    /// A policy of one log key and no witness requirement (what `--public-key` means).
    pub fn from_log_vkey(v: Verifier) -> Self {
        Self {
            logs: vec![v],
            log_urls: vec![None],
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        }
    }

    /// Parses a trust file (see the module doc).
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::File(format!(
                "larger than {MAX_POLICY_BYTES} bytes"
            )));
        }
        let mut p = Self {
            logs: Vec::new(),
            log_urls: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        };
        let mut saw_quorum = false;
        for (i, line) in text.split('\n').enumerate() {
            let err = |why: String| PolicyError::Line { line: i + 1, why };
            if let Some(b) = line
                .bytes()
                .find(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
            {
                return Err(err(format!(
                    "control character {b:#04x} (only tab and newline are allowed{})",
                    if b == b'\r' {
                        "; CRLF line endings?"
                    } else {
                        ""
                    }
                )));
            }
            let t: Vec<&str> = line.split([' ', '\t']).filter(|s| !s.is_empty()).collect();
            match t.as_slice() {
                [] => {}
                [c, ..] if c.starts_with('#') => {}
                ["log", vkey, url @ ..] if url.len() <= 1 => {
                    p.add_log(vkey, url.first()).map_err(err)?;
                }
                ["witness", name, vkey, url @ ..] if url.len() <= 1 => {
                    p.add_witness(name, vkey, url.first()).map_err(err)?;
                }
                ["group", name, k, members @ ..] if !members.is_empty() => {
                    p.add_group(name, k, members).map_err(err)?;
                }
                ["quorum", name] => {
                    if saw_quorum {
                        return Err(err("a second quorum line".into()));
                    }
                    saw_quorum = true;
                    if *name != "none" {
                        let m = p.member(name).map_err(err)?;
                        p.quorum = Some(((*name).to_owned(), m));
                    }
                }
                [kw @ ("log" | "witness" | "group" | "quorum"), ..] => {
                    return Err(err(format!("wrong number of items for `{kw}`")));
                }
                [kw, ..] => return Err(err(format!("unknown keyword `{kw}`"))),
            }
        }
        if !saw_quorum {
            return Err(PolicyError::File(
                "no `quorum` line (use `quorum none` to require no witness)".into(),
            ));
        }
        Ok(p)
    }

    fn add_log(&mut self, vkey: &str, url: Option<&&str>) -> Result<(), String> {
        let v = Verifier::parse(vkey).map_err(|e| e.to_string())?;
        if v.kind != KeyKind::Ed25519 {
            return Err("a log key must be an Ed25519 (type 0x01) vkey".into());
        }
        if self.logs.iter().any(|l| l.key == v.key) {
            return Err(format!("log key {} is listed twice", v.to_vkey()));
        }
        if self.logs.len() == MAX_ITEMS {
            return Err(format!("more than {MAX_ITEMS} logs"));
        }
        self.logs.push(v);
        self.log_urls.push(url.map(|u| (*u).to_owned()));
        Ok(())
    }

    fn add_witness(&mut self, name: &str, vkey: &str, url: Option<&&str>) -> Result<(), String> {
        self.check_new_name(name)?;
        let key = Verifier::parse(vkey).map_err(|e| e.to_string())?;
        if key.kind != KeyKind::Cosignature {
            return Err(format!(
                "witness `{name}`: a witness key must be a cosignature/v1 (type 0x04) vkey"
            ));
        }
        if self.witnesses.iter().any(|w| w.key.key == key.key) {
            return Err(format!(
                "witness `{name}` has the public key of another witness"
            ));
        }
        if self.witnesses.len() == MAX_ITEMS {
            return Err(format!("more than {MAX_ITEMS} witnesses"));
        }
        self.witnesses.push(PolicyWitness {
            name: name.to_owned(),
            key,
            url: url.map(|u| (*u).to_owned()),
        });
        Ok(())
    }

    fn add_group(&mut self, name: &str, k: &str, names: &[&str]) -> Result<(), String> {
        self.check_new_name(name)?;
        let mut members = Vec::with_capacity(names.len());
        for m in names {
            let m = self.member(m)?;
            if members.contains(&m) {
                return Err(format!("group `{name}` lists a member twice"));
            }
            members.push(m);
        }
        let n = members.len();
        let threshold = match k {
            "all" => n,
            "any" => 1,
            k => parse_decimal(k)
                .and_then(|k| usize::try_from(k).ok())
                .filter(|k| (1..=n).contains(k))
                .ok_or_else(|| {
                    format!("group `{name}`: threshold `{k}` is not `all`, `any` or 1..={n}")
                })?,
        };
        if self.groups.len() == MAX_ITEMS {
            return Err(format!("more than {MAX_ITEMS} groups"));
        }
        self.groups.push(Group {
            name: name.to_owned(),
            threshold,
            members,
        });
        Ok(())
    }

    fn check_new_name(&self, name: &str) -> Result<(), String> {
        if name == "none" {
            return Err("`none` is reserved and cannot be defined".into());
        }
        if self.member(name).is_ok() {
            return Err(format!("`{name}` is defined twice"));
        }
        Ok(())
    }

    fn member(&self, name: &str) -> Result<Member, String> {
        if let Some(i) = self.witnesses.iter().position(|w| w.name == name) {
            return Ok(Member::Witness(i));
        }
        if let Some(i) = self.groups.iter().position(|g| g.name == name) {
            return Ok(Member::Group(i));
        }
        Err(format!(
            "`{name}` is not a witness or group defined on an earlier line"
        ))
    }

    /// The trusted log keys (several for one log across key rotations).
    pub fn log_keys(&self) -> &[Verifier] {
        &self.logs
    }

    /// Adds a log key (one the auditor's keys vouch for through a key link) unless listed.
    pub fn add_log_key(&mut self, key: Verifier) {
        if !self.logs.contains(&key) {
            self.logs.push(key);
            self.log_urls.push(None);
        }
    }

    /// The URL given for `log_keys()[i]`, if any.
    pub fn log_url(&self, i: usize) -> Option<&str> {
        self.log_urls.get(i).and_then(|u| u.as_deref())
    }

    /// The listed witnesses, in file order.
    pub fn witnesses(&self) -> &[PolicyWitness] {
        &self.witnesses
    }

    /// The quorum's name, `None` for `quorum none`.
    pub fn quorum(&self) -> Option<&str> {
        self.quorum.as_ref().map(|(n, _)| n.as_str())
    }

    /// Checks a signed checkpoint note: a signature by a trusted log key named after the
    /// origin, every cosignature by a listed witness valid, and the quorum met.
    pub fn check_checkpoint(&self, note_text: &str) -> Result<TrustedCheckpoint, String> {
        if self.logs.is_empty() {
            return Err("the trust policy lists no log key".into());
        }
        let (note, i) = open_with(note_text, &self.logs)?;
        let checkpoint = Checkpoint::parse(&note.text)?;
        let mut cosigned = Vec::new();
        let mut ok = vec![false; self.witnesses.len()];
        for (w, ok) in self.witnesses.iter().zip(ok.iter_mut()) {
            match note.check_sig(&w.key) {
                SigStatus::Absent => {}
                SigStatus::Valid { timestamp } => {
                    *ok = true;
                    cosigned.push(Cosigned {
                        witness: w.name.clone(),
                        key_id: w.key.key_id(),
                        timestamp: timestamp.unwrap_or_default(),
                    });
                }
                SigStatus::Invalid(e) => return Err(format!("witness `{}`: {e}", w.name)),
            }
        }
        if let Some((name, m)) = &self.quorum {
            if !self.satisfied(*m, &ok) {
                let who: Vec<&str> = cosigned.iter().map(|c| c.witness.as_str()).collect();
                return Err(format!(
                    "witness quorum `{name}` not met for checkpoint of size {} (cosigned by: {})",
                    checkpoint.size,
                    if who.is_empty() {
                        "no listed witness".into()
                    } else {
                        who.join(", ")
                    }
                ));
            }
        }
        let log_key = self
            .logs
            .get(i)
            .cloned()
            .ok_or("log key index out of range")?;
        Ok(TrustedCheckpoint {
            checkpoint,
            note,
            log_key,
            cosigned,
        })
    }

    /// Checks a tlog-proof under this policy: its checkpoint as [`Self::check_checkpoint`]
    /// does, and the inclusion of `leaf` at the proof's index.
    pub fn check_proof(&self, proof: &TlogProof, leaf: &Hash) -> Result<TrustedCheckpoint, String> {
        let tc = self.check_checkpoint(&proof.checkpoint)?;
        proof.check_inclusion(leaf, &tc.checkpoint)?;
        Ok(tc)
    }

    /// Whether `m` has witnessed, given which witnesses cosigned. Groups only name earlier
    /// groups, so one pass in file order settles every group (linear, however shared).
    fn satisfied(&self, m: Member, witnessed: &[bool]) -> bool {
        let mut groups: Vec<bool> = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            let n = g
                .members
                .iter()
                .filter(|&&m| match m {
                    Member::Witness(i) => witnessed.get(i).copied().unwrap_or(false),
                    Member::Group(j) => groups.get(j).copied().unwrap_or(false),
                })
                .count();
            groups.push(n >= g.threshold);
        }
        match m {
            Member::Witness(i) => witnessed.get(i).copied().unwrap_or(false),
            Member::Group(g) => groups.get(g).copied().unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests;
