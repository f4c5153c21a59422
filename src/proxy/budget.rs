//! In-flight request-body budgets: how many body bytes the proxy may hold in memory at once, for
//! the whole process and for each connection.
//!
//! A [`Budget`] is a lock-free counter (one `AtomicU64`, compare-and-swap) with a fixed limit. A
//! request reads its body into a [`Reservation`] that takes bytes from both its connection's
//! budget and the process budget *as they arrive* (a declared `Content-Length` reserves nothing by
//! itself, so a caller that declares much and sends little holds little), and gives them back when
//! the reservation is dropped — which [`Reserved`] ties to the last copy of the body buffer, so the
//! bytes stay counted while the body is parsed, scanned and forwarded.
//!
//! This module only counts. The listener creates the budgets and hands them to each request (an
//! extension on the request); `Pipeline::read_body` reserves; the error a refusal becomes is
//! [`crate::error::Error::BodyBudgetExhausted`]. It does not bound what parsing allocates beside
//! the body (the JSON tree, extracted text), nor response bodies.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Which budget a reservation could not be taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The process-wide budget (every connection together).
    Process,
    /// The budget of the caller's own connection.
    Connection,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Process => "process",
            Self::Connection => "connection",
        }
    }
}

/// A limit on bytes held at once, shared by everything that reserves from it.
#[derive(Debug)]
pub struct Budget {
    limit: u64,
    used: AtomicU64,
}

impl Budget {
    pub fn new(limit: u64) -> Arc<Self> {
        Arc::new(Self {
            limit,
            used: AtomicU64::new(0),
        })
    }

    /// Bytes currently reserved.
    pub fn in_use(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Take `n` bytes if they fit under the limit; all or nothing.
    fn try_take(&self, n: u64) -> bool {
        let mut cur = self.used.load(Ordering::Relaxed);
        loop {
            let Some(next) = cur.checked_add(n).filter(|&next| next <= self.limit) else {
                return false;
            };
            match self
                .used
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    fn give_back(&self, n: u64) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// The two budgets one request's body is charged to.
#[derive(Debug, Clone)]
pub struct BodyBudgets {
    pub process: Arc<Budget>,
    pub connection: Arc<Budget>,
}

impl BodyBudgets {
    /// An empty reservation against these budgets.
    pub fn reservation(&self) -> Reservation {
        Reservation {
            budgets: self.clone(),
            held: 0,
        }
    }
}

/// Bytes one request holds from its budgets; released on drop.
#[derive(Debug)]
pub struct Reservation {
    budgets: BodyBudgets,
    held: u64,
}

impl Reservation {
    /// Reserve `n` more bytes from the connection budget, then the process budget. On a refusal
    /// nothing more is held (what was reserved before stays until drop).
    pub fn grow(&mut self, n: u64) -> Result<(), Scope> {
        if !self.budgets.connection.try_take(n) {
            return Err(Scope::Connection);
        }
        if !self.budgets.process.try_take(n) {
            self.budgets.connection.give_back(n);
            return Err(Scope::Process);
        }
        self.held += n;
        Ok(())
    }

    /// Bytes held.
    pub fn held(&self) -> u64 {
        self.held
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.held > 0 {
            self.budgets.connection.give_back(self.held);
            self.budgets.process.give_back(self.held);
        }
    }
}

/// A body's bytes as held: the one frame it came in, or the buffer its frames were copied into.
pub enum Held {
    Frame(bytes::Bytes),
    Copied(Vec<u8>),
}

/// A body buffer that owns its reservation: turned into [`bytes::Bytes`] with
/// `Bytes::from_owner`, the budget is released when the last clone of those bytes is dropped.
pub struct Reserved {
    pub buf: Held,
    pub reservation: Reservation,
}

impl AsRef<[u8]> for Reserved {
    fn as_ref(&self) -> &[u8] {
        match &self.buf {
            Held::Frame(b) => b,
            Held::Copied(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn budgets(process: u64, connection: u64) -> BodyBudgets {
        BodyBudgets {
            process: Budget::new(process),
            connection: Budget::new(connection),
        }
    }

    #[test]
    fn reserves_up_to_the_limit_and_releases_on_drop() {
        let b = budgets(100, 1000);
        let mut r = b.reservation();
        assert_eq!(r.grow(60), Ok(()));
        assert_eq!(r.grow(40), Ok(()));
        assert_eq!(r.grow(1), Err(Scope::Process));
        assert_eq!(r.held(), 100);
        assert_eq!(b.process.in_use(), 100);
        // A failed process reservation gives the connection's share back.
        assert_eq!(b.connection.in_use(), 100);
        drop(r);
        assert_eq!(b.process.in_use(), 0);
        assert_eq!(b.connection.in_use(), 0);
    }

    #[test]
    fn the_connection_budget_is_checked_first_and_is_per_connection() {
        let process = Budget::new(1000);
        let a = BodyBudgets {
            process: process.clone(),
            connection: Budget::new(50),
        };
        let b = BodyBudgets {
            process: process.clone(),
            connection: Budget::new(50),
        };
        let mut ra = a.reservation();
        assert_eq!(ra.grow(50), Ok(()));
        assert_eq!(a.reservation().grow(1), Err(Scope::Connection));
        // Another connection still has its own.
        let mut rb = b.reservation();
        assert_eq!(rb.grow(50), Ok(()));
        assert_eq!(process.in_use(), 100);
    }

    #[test]
    fn an_oversized_request_takes_nothing() {
        let b = budgets(10, 10);
        let mut r = b.reservation();
        assert_eq!(r.grow(u64::MAX), Err(Scope::Connection));
        assert_eq!(b.connection.in_use(), 0);
        assert_eq!(b.process.in_use(), 0);
    }

    #[test]
    fn bytes_from_a_reserved_buffer_hold_the_budget_until_the_last_clone_drops() {
        let b = budgets(100, 100);
        let mut r = b.reservation();
        r.grow(5).unwrap();
        let bytes = Bytes::from_owner(Reserved {
            buf: Held::Copied(b"hello".to_vec()),
            reservation: r,
        });
        let copy = bytes.clone();
        drop(bytes);
        assert_eq!(b.process.in_use(), 5);
        assert_eq!(&copy[..], b"hello");
        drop(copy);
        assert_eq!(b.process.in_use(), 0);
        assert_eq!(b.connection.in_use(), 0);
    }

    #[test]
    fn concurrent_reservations_never_exceed_the_limit() {
        let b = budgets(1000, u64::MAX);
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let b = b.clone();
                std::thread::spawn(move || {
                    let mut held = Vec::new();
                    for _ in 0..1000 {
                        let mut r = b.reservation();
                        if r.grow(7).is_ok() {
                            assert!(b.process.in_use() <= 1000);
                            held.push(r);
                        }
                        if held.len() > 20 {
                            held.clear();
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(b.process.in_use(), 0);
    }
}
