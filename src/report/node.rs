//! Reading the nodes' data dirs for the report: verify them against the auditor's trust root
//! (`--public-key` / `--trust`; without one, the keys beside each log, which the node status
//! and the banner say loudly), compare them (duplicate origins and forks, naming both dirs),
//! then stream each node's checkpointed records (the stored bodies of the JSONL export,
//! decoded) into the [`Collector`] and describe its integrity and retention coverage. Owns no
//! verification rules (those are `evidence`'s) and no figures (those are `collect`'s).
use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use crate::evidence::entry::{decode_record, parse_entry};
use crate::evidence::proto::{event_record::Event, record::Kind, Record};
use crate::evidence::{
    export, verify_nodes, ExportFilter, ExportFormat, TrustRoot, VerifyFault, VerifyOptions,
    VerifySummary,
};

use super::collect::Collector;
use super::figures::NodeStatus;
use super::time::rfc3339;

/// One export line; only the fields the report needs (the rest is skipped).
#[derive(serde::Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    entry: Option<String>,
}

/// A `Write` that hands each complete export line's record to `on_record`.
struct Lines<F: FnMut(Record)> {
    buf: Vec<u8>,
    on_record: F,
}

impl<F: FnMut(Record)> Lines<F> {
    fn line(&mut self, line: &[u8]) -> std::io::Result<()> {
        let bad = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let l: Line = serde_json::from_slice(line).map_err(|e| bad(e.to_string()))?;
        if l.kind != "entry" {
            return Ok(());
        }
        let entry = B64
            .decode(l.entry.unwrap_or_default())
            .map_err(|e| bad(e.to_string()))?;
        let e = parse_entry(&entry).map_err(|e| bad(e.to_string()))?;
        let rec = decode_record(e.body).map_err(|e| bad(e.to_string()))?;
        (self.on_record)(rec);
        Ok(())
    }
}

impl<F: FnMut(Record)> Write for Lines<F> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        // Only the new bytes can hold a newline: a long line written in many small pieces
        // is scanned once, not once per piece.
        let mut scan = self.buf.len();
        self.buf.extend_from_slice(data);
        let mut start = 0;
        while let Some(n) = self.buf[scan..].iter().position(|b| *b == b'\n') {
            let end = scan + n;
            let line = self.buf[start..end].to_vec();
            self.line(&line)?;
            start = end + 1;
            scan = start;
        }
        self.buf.drain(..start);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Verifies every node (against `trust`, or the keys beside each log), compares them, and
/// reads each into `c`; never fails (problems are in the statuses). A fork between two nodes
/// marks both unverified.
pub(crate) fn read_all(
    dirs: &[std::path::PathBuf],
    trust: Option<TrustRoot>,
    c: &mut Collector,
) -> Vec<NodeStatus> {
    let opts = VerifyOptions::new(trust.unwrap_or_else(TrustRoot::data_dir));
    let (results, conflicts) = verify_nodes(dirs, &opts);
    let mut nodes: Vec<NodeStatus> = dirs
        .iter()
        .zip(results)
        .enumerate()
        .map(|(i, (d, r))| {
            c.node(i, &d.display().to_string());
            read(d, r, c)
        })
        .collect();
    for k in &conflicts {
        for n in nodes
            .iter_mut()
            .filter(|n| n.data_dir == k.dirs.0 || n.data_dir == k.dirs.1)
        {
            n.conflicts.push(k.to_string());
            if k.fork && n.verified {
                n.verified = false;
                n.summary = format!("FAILED: {k}");
                n.gaps = "unknown: this log forks from another node's log".into();
            }
        }
    }
    nodes
}

/// Reads `dir` into `c` given its verification result; never fails.
fn read(dir: &Path, verified: Result<VerifySummary, VerifyFault>, c: &mut Collector) -> NodeStatus {
    let mut st = NodeStatus {
        data_dir: dir.display().to_string(),
        ..NodeStatus::default()
    };
    // Records past what the verifier covered are not reported (the log may still be growing).
    let mut upto = u64::MAX;
    match verified {
        Ok(s) => {
            st.verified = true;
            st.summary = s.to_string();
            st.gaps = "none".into();
            st.records_verified = s.records;
            st.first_seq = s.first_seq;
            st.last_seq = s.last_seq;
            st.checkpoint_size = s.checkpoint_size;
            st.checkpoint_root = s.root;
            st.checkpoints_verified = s.checkpoints_verified;
            st.trusted_data_dir_keys = s.trusted_data_dir_keys;
            st.keys = s.keys;
            st.uncheckpointed = s.uncheckpointed;
            upto = s.last_seq.unwrap_or(0);
        }
        Err(f) => {
            st.summary = format!("FAILED: {f}");
            st.gaps = format!("unknown: verification failed ({})", f.field);
        }
    }
    let (mut oldest, mut newest) = (None::<i64>, None::<i64>);
    let mut sink = Lines {
        buf: Vec::new(),
        on_record: |r: Record| {
            if r.seq > upto {
                return;
            }
            st.records_read += 1;
            if st.log_id.is_empty() {
                st.log_id.clone_from(&r.log_id);
            }
            let t = r.time_unix_nanos;
            oldest = Some(oldest.map_or(t, |o| o.min(t)));
            newest = Some(newest.map_or(t, |n| n.max(t)));
            if let Some(Kind::Event(e)) = &r.kind {
                if let Some(Event::RetentionPrune(p)) = &e.event {
                    st.retention_days = Some(p.retention_days);
                }
            }
            if c.add(&r) {
                st.records_in_period += 1;
            }
        },
    };
    let read = export(
        dir,
        &ExportFilter::default(),
        ExportFormat::Jsonl,
        &mut sink,
    );
    if let Err(e) = read {
        st.read_error = Some(e.to_string());
    }
    st.oldest_record = oldest.map(rfc3339);
    st.newest_record = newest.map(rfc3339);
    st
}
