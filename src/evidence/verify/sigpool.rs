//! Background signature checking for the verifiers. The scanning thread decodes and chains
//! records and hands their signature checks over in chunks; worker threads (one fewer than the
//! cores) verify them meanwhile (strict ed25519, one by one), and the scanning thread itself takes a chunk whenever it
//! is ahead, so every core stays busy and memory stays bounded. Reports the first failing job in
//! submission order. Owns the scheduling and what one check is ([`SigJob`]); which entries need
//! one is the `checker`'s.
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use crate::evidence::keys::PublicKey;

/// One v1 signature check, with what a fault report needs.
pub(crate) struct SigJob {
    pub(crate) seq: u64,
    pub(crate) decision_id: Option<String>,
    pub(crate) loc: String,
    pub(crate) key: PublicKey,
    pub(crate) body: Vec<u8>,
    pub(crate) sig: [u8; 64],
}

/// Index of the first job whose signature does not verify (strict ed25519, one by one).
pub(crate) fn first_invalid(jobs: &[SigJob]) -> Option<usize> {
    jobs.iter().position(|j| !j.key.verify(&j.body, &j.sig))
}

/// Signature checks per chunk.
pub(crate) const CHUNK: usize = 2048;
/// Chunks allowed to wait per worker before the scanning thread helps.
const QUEUED_PER_WORKER: usize = 2;

#[derive(Default)]
struct State {
    queue: VecDeque<(u64, Vec<SigJob>)>,
    busy: usize,
    closing: bool,
    /// Lowest failing job so far, with its submission order.
    bad: Option<(u64, SigJob)>,
}

struct Shared {
    state: Mutex<State>,
    cv: Condvar,
}

impl Shared {
    /// Checks one chunk whose first job has submission order `base`.
    fn check(&self, base: u64, jobs: Vec<SigJob>) {
        let found = first_invalid(&jobs).map(|i| (base + i as u64, i));
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        st.busy -= 1;
        if let Some((order, i)) = found {
            if st.bad.as_ref().is_none_or(|(o, _)| *o > order) {
                if let Some(job) = jobs.into_iter().nth(i) {
                    st.bad = Some((order, job));
                }
            }
        }
        drop(st);
        self.cv.notify_all();
    }

    /// Takes the next queued chunk (marking it busy), if any.
    fn take(&self) -> Option<(u64, Vec<SigJob>)> {
        let mut st = self.state.lock().ok()?;
        let c = st.queue.pop_front()?;
        st.busy += 1;
        Some(c)
    }
}

/// The pool; dropping it stops the workers.
pub(crate) struct SigPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    submitted: u64,
}

impl SigPool {
    pub(crate) fn new() -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            cv: Condvar::new(),
        });
        let n = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(2, 8)
            - 1;
        let workers = (0..n)
            .filter_map(|_| {
                let s = shared.clone();
                std::thread::Builder::new()
                    .name("evidence-verify".into())
                    .spawn(move || work(&s))
                    .ok()
            })
            .collect();
        Self {
            shared,
            workers,
            submitted: 0,
        }
    }

    /// Queues checks; helps with a queued chunk if the workers are behind.
    pub(crate) fn submit(&mut self, jobs: Vec<SigJob>) {
        if jobs.is_empty() {
            return;
        }
        let base = self.submitted;
        self.submitted += jobs.len() as u64;
        let behind = match self.shared.state.lock() {
            Ok(mut st) => {
                st.queue.push_back((base, jobs));
                st.queue.len() > QUEUED_PER_WORKER * self.workers.len().max(1)
            }
            Err(_) => return,
        };
        self.shared.cv.notify_all();
        if behind || self.workers.is_empty() {
            if let Some((b, c)) = self.shared.take() {
                self.shared.check(b, c);
            }
        }
    }

    /// True once some submitted check has failed.
    pub(crate) fn failed(&self) -> bool {
        self.shared.state.lock().map_or(true, |st| st.bad.is_some())
    }

    /// Runs everything queued to completion; returns the first failing job, if any.
    pub(crate) fn finish(&mut self) -> Option<SigJob> {
        while let Some((b, c)) = self.shared.take() {
            self.shared.check(b, c);
        }
        let mut st = self.shared.state.lock().ok()?;
        while st.busy > 0 || !st.queue.is_empty() {
            st = self.shared.cv.wait(st).ok()?;
        }
        st.bad.take().map(|(_, j)| j)
    }
}

impl Drop for SigPool {
    fn drop(&mut self) {
        if let Ok(mut st) = self.shared.state.lock() {
            st.closing = true;
            st.queue.clear();
        }
        self.shared.cv.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn work(s: &Shared) {
    loop {
        let next = {
            let Ok(mut st) = s.state.lock() else {
                return;
            };
            loop {
                if st.closing {
                    return;
                }
                if let Some(c) = st.queue.pop_front() {
                    st.busy += 1;
                    break c;
                }
                st = match s.cv.wait(st) {
                    Ok(g) => g,
                    Err(_) => return,
                };
            }
        };
        s.check(next.0, next.1);
    }
}
