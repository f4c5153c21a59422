//! A second, long-lived signing thread for the writer: a large group's signatures are split in
//! two, half signed here and half on the writer thread, so a burst of appends uses both cores.
//! Spawning a thread per group cost more than it saved under proxy load; this one is started
//! once and fed through a channel. Knows nothing of records: it signs byte strings.

use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::evidence::keys::KeyPair;

/// Groups smaller than this are signed on the writer thread alone (a hand-over costs more).
const PARALLEL_SIGN_MIN: usize = 48;

type Reply = mpsc::SyncSender<Vec<[u8; 64]>>;

struct Job {
    key: KeyPair,
    bodies: Vec<Vec<u8>>,
    reply: Reply,
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
                    let sigs = job.bodies.iter().map(|b| job.key.sign(b)).collect();
                    let _ = job.reply.send(sigs);
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

    /// Signatures of `bodies`, in order.
    pub(crate) fn sign_all(&self, key: &KeyPair, bodies: &[Vec<u8>]) -> Vec<[u8; 64]> {
        let inline = |b: &[Vec<u8>]| b.iter().map(|x| key.sign(x)).collect::<Vec<_>>();
        let Some(tx) = self
            .tx
            .as_ref()
            .filter(|_| bodies.len() >= PARALLEL_SIGN_MIN)
        else {
            return inline(bodies);
        };
        let mid = bodies.len() / 2;
        let (first, second) = bodies.split_at(mid);
        let (reply, answer) = mpsc::sync_channel(1);
        let job = Job {
            key: key.clone(),
            bodies: second.to_vec(),
            reply,
        };
        if tx.send(job).is_err() {
            return inline(bodies);
        }
        let mut out = inline(first);
        match answer.recv() {
            Ok(rest) if rest.len() == second.len() => out.extend(rest),
            _ => out.extend(inline(second)),
        }
        out
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
        for n in [0, 3, PARALLEL_SIGN_MIN, 101] {
            let bodies: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
            let sigs = signer.sign_all(&key, &bodies);
            assert_eq!(sigs.len(), n);
            for (b, s) in bodies.iter().zip(&sigs) {
                assert!(key.public().verify(b, s), "group of {n}");
            }
        }
    }
}
