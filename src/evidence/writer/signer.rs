//! A second, long-lived signing thread for the writer: a large group's signatures are shared
//! between it and the writer thread, so a burst of appends uses both cores. The two take small
//! chunks from one counter until none are left, so neither waits for the other while it still
//! has work (the writer thread also encodes, writes and indexes, so a fixed half-and-half split
//! left the helper idle a third of the time). Spawning a thread per group cost more than it
//! saved under proxy load; this one is started once and fed through a channel. Knows nothing of
//! records: it signs byte strings.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use crate::evidence::keys::KeyPair;

/// Groups smaller than this are signed on the writer thread alone (a hand-over costs more).
const PARALLEL_SIGN_MIN: usize = 48;
/// Signatures taken from the shared counter at a time.
const CHUNK: usize = 8;

/// Signatures made by one thread: `(index of the first body, signatures)` per chunk.
type Part = Vec<(usize, Vec<[u8; 64]>)>;

struct Job {
    key: KeyPair,
    bodies: Arc<Vec<Vec<u8>>>,
    next: Arc<AtomicUsize>,
    reply: mpsc::SyncSender<Part>,
}

/// Signs chunks of `bodies` taken from `next` until none are left.
fn take_and_sign(key: &KeyPair, bodies: &[Vec<u8>], next: &AtomicUsize) -> Part {
    let mut out = Vec::new();
    loop {
        let i = next.fetch_add(CHUNK, Ordering::Relaxed);
        match bodies.get(i..(i + CHUNK).min(bodies.len())) {
            Some(chunk) if !chunk.is_empty() => {
                out.push((i, chunk.iter().map(|b| key.sign(b)).collect()));
            }
            _ => return out,
        }
    }
}

/// The helper thread (absent if it could not be started: everything is then signed inline).
pub(crate) struct Signer {
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Signer {
    pub(crate) fn start() -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("evidence-signer".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    let part = take_and_sign(&job.key, &job.bodies, &job.next);
                    // Let go of the bodies before replying, so the writer gets them back
                    // without a copy.
                    drop(job.bodies);
                    let _ = job.reply.send(part);
                }
            });
        match spawned {
            Ok(thread) => Self {
                tx: Some(tx),
                thread: Some(thread),
            },
            Err(e) => {
                tracing::warn!(error = %e, "evidence signer thread not started; signing on the writer thread only");
                Self {
                    tx: None,
                    thread: None,
                }
            }
        }
    }

    /// Signs `bodies`; gives them back with their signatures, in order.
    pub(crate) fn sign_all(
        &self,
        key: &KeyPair,
        bodies: Vec<Vec<u8>>,
    ) -> (Vec<Vec<u8>>, Vec<[u8; 64]>) {
        let inline = |b: &[Vec<u8>]| b.iter().map(|x| key.sign(x)).collect::<Vec<_>>();
        let Some(tx) = self
            .tx
            .as_ref()
            .filter(|_| bodies.len() >= PARALLEL_SIGN_MIN)
        else {
            let sigs = inline(&bodies);
            return (bodies, sigs);
        };
        let n = bodies.len();
        let bodies = Arc::new(bodies);
        let next = Arc::new(AtomicUsize::new(0));
        let (reply, answer) = mpsc::sync_channel(1);
        let job = Job {
            key: key.clone(),
            bodies: Arc::clone(&bodies),
            next: Arc::clone(&next),
            reply,
        };
        let mut slots: Vec<Option<[u8; 64]>> = vec![None; n];
        let mut place = |part: Part| {
            for (i, sigs) in part {
                for (slot, sig) in slots.iter_mut().skip(i).zip(sigs) {
                    *slot = Some(sig);
                }
            }
        };
        if tx.send(job).is_ok() {
            place(take_and_sign(key, &bodies, &next));
            if let Ok(part) = answer.recv() {
                place(part);
            }
        }
        // The helper has dropped its handle once it replied (or it is gone): take the bodies
        // back without a copy; sign anything left unsigned (a lost helper) inline.
        let bodies = Arc::try_unwrap(bodies).unwrap_or_else(|shared| (*shared).clone());
        let sigs = slots
            .into_iter()
            .zip(&bodies)
            .map(|(s, b)| s.unwrap_or_else(|| key.sign(b)))
            .collect();
        (bodies, sigs)
    }
}

impl Drop for Signer {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_groups_sign_in_order() {
        let key = KeyPair::from_secret([7; 32]);
        let signer = Signer::start();
        for n in [0, 3, PARALLEL_SIGN_MIN, 101, 1000] {
            let bodies: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
            let (back, sigs) = signer.sign_all(&key, bodies.clone());
            assert_eq!((back.len(), sigs.len()), (n, n));
            assert_eq!(back, bodies, "the bodies come back unchanged");
            for (b, s) in bodies.iter().zip(&sigs) {
                assert!(key.public().verify(b, s), "group of {n}");
            }
        }
    }
}
