//! The writer's fsync thread: in `sync` mode a group is written by the writer thread, then
//! handed here to be fsync'd and answered, so the writer signs and writes the next group while
//! the disk flushes this one (pipelined group commit). Groups queued behind a running fsync are
//! covered by one more fsync. A failed fsync fails its waiters and is reported to the writer,
//! which then refuses appends: after a failed fsync the page cache cannot be trusted to reach
//! the disk. Knows nothing of records: it syncs files and sends replies.

use std::fs::File;
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use super::{Appended, Reply};
use crate::evidence::EvidenceError;

/// One written group waiting for durability.
pub(crate) struct Pending {
    /// A handle on the segment the group was written to.
    pub file: Arc<File>,
    /// Who waits, with what they get once the group is durable.
    pub replies: Vec<(Reply, Appended)>,
    /// When the oldest append of the group was queued.
    pub oldest: Option<Instant>,
}

/// What the fsync thread reports back.
#[derive(Default)]
pub(crate) struct Outcome {
    /// The first fsync failure, if any.
    pub failed: Option<String>,
    /// Queue-to-durable time of the last group answered, microseconds.
    pub latency_us: Option<u64>,
}

pub(crate) struct Syncer {
    tx: Option<mpsc::Sender<Pending>>,
    thread: Option<JoinHandle<()>>,
    outcome: Arc<Mutex<Outcome>>,
}

impl Syncer {
    /// Starts the thread; `None` if it could not be started (the writer then fsyncs inline).
    pub(crate) fn start() -> Option<Self> {
        let (tx, rx) = mpsc::channel::<Pending>();
        let outcome = Arc::new(Mutex::new(Outcome::default()));
        let out = outcome.clone();
        let thread = std::thread::Builder::new()
            .name("evidence-fsync".into())
            .spawn(move || run(&rx, &out));
        match thread {
            Ok(t) => Some(Self {
                tx: Some(tx),
                thread: Some(t),
                outcome,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "evidence fsync thread not started; fsyncing on the writer thread");
                None
            }
        }
    }

    /// Hands a written group over; gives it back if the thread is gone.
    pub(crate) fn submit(&self, p: Pending) -> Result<(), Pending> {
        match &self.tx {
            Some(tx) => tx.send(p).map_err(|e| e.0),
            None => Err(p),
        }
    }

    /// The first fsync failure so far, and the latest queue-to-durable latency.
    pub(crate) fn take_outcome(&self) -> Outcome {
        self.outcome
            .lock()
            .map(|mut o| Outcome {
                failed: o.failed.clone(),
                latency_us: o.latency_us.take(),
            })
            .unwrap_or_else(|_| Outcome {
                failed: Some("evidence fsync thread state lost".into()),
                latency_us: None,
            })
    }

    /// Waits until every group handed over so far is answered.
    pub(crate) fn drain(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.drain();
    }
}

fn run(rx: &mpsc::Receiver<Pending>, outcome: &Mutex<Outcome>) {
    while let Ok(first) = rx.recv() {
        // Everything queued meanwhile rides on the same fsync (same file) or the next.
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let mut synced: Vec<(Arc<File>, Result<(), String>)> = Vec::new();
        for p in batch {
            let r = match synced.iter().find(|(f, _)| Arc::ptr_eq(f, &p.file)) {
                Some((_, r)) => r.clone(),
                None => {
                    let r = p.file.sync_data().map_err(|e| e.to_string());
                    synced.push((p.file.clone(), r.clone()));
                    r
                }
            };
            let Ok(mut o) = outcome.lock() else {
                return;
            };
            match r {
                Ok(()) => {
                    if let Some(t) = p.oldest {
                        o.latency_us =
                            Some(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
                    }
                    drop(o);
                    for (reply, a) in p.replies {
                        let _ = reply.send(Ok(a));
                    }
                }
                Err(e) => {
                    let msg = format!("evidence fsync failed: {e}");
                    o.failed.get_or_insert_with(|| msg.clone());
                    drop(o);
                    tracing::error!(error = %msg, "evidence fsync failed");
                    for (reply, _) in p.replies {
                        let _ = reply.send(Err(EvidenceError::Write(msg.clone())));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    #[test]
    fn a_failed_fsync_fails_its_waiters_and_is_reported() {
        // Linux refuses fsync on a character device (EINVAL): a stand-in for a failing disk.
        let dev = File::open("/dev/null").unwrap();
        assert!(
            dev.sync_data().is_err(),
            "precondition: fsync of /dev/null fails"
        );
        let mut syncer = Syncer::start().unwrap();
        let (tx, rx) = oneshot::channel();
        let a = Appended {
            seq: 1,
            entry_hash: [1; 32],
        };
        assert!(syncer
            .submit(Pending {
                file: Arc::new(dev),
                replies: vec![(tx, a)],
                oldest: None,
            })
            .is_ok());
        syncer.drain();
        assert!(matches!(
            rx.blocking_recv().unwrap(),
            Err(EvidenceError::Write(_))
        ));
        let o = syncer.take_outcome();
        assert!(o.failed.is_some_and(|m| m.contains("fsync failed")));
    }

    #[test]
    fn groups_are_answered_after_their_fsync_in_order() {
        let t = tempfile::tempdir().unwrap();
        let file = Arc::new(File::create(t.path().join("seg")).unwrap());
        let syncer = Syncer::start().unwrap();
        let mut rxs = Vec::new();
        for seq in 0..20u64 {
            let (tx, rx) = oneshot::channel();
            let a = Appended {
                seq,
                entry_hash: [seq as u8; 32],
            };
            assert!(syncer
                .submit(Pending {
                    file: file.clone(),
                    replies: vec![(tx, a)],
                    oldest: Some(Instant::now()),
                })
                .is_ok());
            rxs.push(rx);
        }
        let mut syncer = syncer;
        syncer.drain();
        for (seq, rx) in rxs.into_iter().enumerate() {
            let a = rx.blocking_recv().unwrap().unwrap();
            assert_eq!(a.seq, seq as u64);
        }
        let o = syncer.take_outcome();
        assert!(o.failed.is_none());
        assert!(o.latency_us.is_some());
        assert!(
            syncer
                .submit(Pending {
                    file,
                    replies: Vec::new(),
                    oldest: None,
                })
                .is_err(),
            "a drained syncer takes nothing more"
        );
    }
}
