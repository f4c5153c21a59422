//! The `[[limits]]` counters of `[limits_store] backend = "redis"`: shared by every replica.
//!
//! Admission is one `EVALSHA` of `admit.lua` with every key the call counts under — request
//! limits as GCRA on the server's clock (the in-process governor's algorithm, exact across
//! replicas: the script is atomic), token and money budgets as fixed windows (a hash per key,
//! expiring one interval after its first charge). The charge after a call is one `MULTI`
//! batch of `HINCRBY` + `PEXPIRE NX` per window, spawned so the call never waits on it.
//! A store that does not answer within `timeout` gives [`Verdict::StoreDown`] and counts
//! `aimsgate_limits_store_errors_total`; the connection manager reconnects on its own. The
//! password is only handed to the client, never logged.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::subject::{keys, refusal, Charge, Refusal, Subject, Verdict};
use crate::config::{FailMode, LimitSettings, RedisStoreSettings};
use crate::telemetry::metrics::LimitsStoreLabels;

const ADMIT: &str = include_str!("admit.lua");

pub struct RedisStore {
    /// `None` when the URL could not be used (validation makes that unreachable).
    client: Option<redis::Client>,
    conn: Arc<OnceCell<ConnectionManager>>,
    script: redis::Script,
    prefix: String,
    timeout: Duration,
    mode: FailMode,
    errors: Family<LimitsStoreLabels, Counter>,
}

/// One key of an admission: the limit it belongs to and what it counts.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Slot {
    pub limit: usize,
    pub key: String,
    /// The four script arguments of this key.
    pub args: [String; 4],
}

impl RedisStore {
    pub fn new(s: &RedisStoreSettings, errors: Family<LimitsStoreLabels, Counter>) -> Self {
        let client = connection_info(s).and_then(redis::Client::open).ok();
        if client.is_none() {
            // Validation parsed the URL already; an unusable one never connects.
            tracing::error!("[limits_store] url is not usable; every call meets the fail mode");
        }
        Self {
            client,
            conn: Arc::new(OnceCell::new()),
            script: redis::Script::new(ADMIT),
            prefix: s.key_prefix.clone(),
            timeout: s.timeout,
            mode: s.on_error,
            errors,
        }
    }

    /// One round trip: every key of the call in one script run.
    pub async fn admit(&self, cfg: &[LimitSettings], s: &Subject<'_>) -> Verdict {
        let (slots, charge) = slots(&self.prefix, cfg, s);
        if slots.is_empty() {
            return Verdict::Admit(charge);
        }
        let mut inv = self.script.prepare_invoke();
        for slot in &slots {
            inv.key(&slot.key);
            for a in &slot.args {
                inv.arg(a);
            }
        }
        let reply = tokio::time::timeout(self.timeout, async {
            let mut conn = self.connection().await?;
            inv.invoke_async::<Vec<i64>>(&mut conn).await
        })
        .await;
        let reply = match reply {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return self.down("admit", &e.to_string(), charge),
            Err(_) => return self.down("admit", "timed out", charge),
        };
        match refused(cfg, &slots, &reply) {
            Ok(None) => Verdict::Admit(charge),
            Ok(Some(r)) => Verdict::Refuse(r),
            Err(why) => self.down("admit", why, charge),
        }
    }

    /// The windows' `HINCRBY`s as one `MULTI` batch, sent from a task of its own.
    pub fn charge(&self, cfg: &[LimitSettings], charge: &Charge, tokens: u64, cost: u64) {
        if charge.is_empty() || (tokens == 0 && cost == 0) {
            return;
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for (i, id) in charge {
            let Some(l) = cfg.get(*i) else { continue };
            let k = window_key(&self.prefix, l, id);
            pipe.hincr(&k, "t", tokens).ignore();
            pipe.hincr(&k, "c", cost).ignore();
            pipe.cmd("PEXPIRE")
                .arg(&k)
                .arg(millis(l.per))
                .arg("NX")
                .ignore();
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (client, cell, timeout) = (self.client.clone(), self.conn.clone(), self.timeout);
        let (errors, mode) = (self.errors.clone(), self.mode);
        rt.spawn(async move {
            // The charge may wait longer than an admission: nobody waits on it.
            let sent = tokio::time::timeout(timeout * 20, async {
                let mut conn = connect(&client, &cell, timeout).await?;
                pipe.query_async::<()>(&mut conn).await
            })
            .await;
            let why = match sent {
                Ok(Ok(())) => return,
                Ok(Err(e)) => e.to_string(),
                Err(_) => "timed out".to_owned(),
            };
            errors
                .get_or_create(&LimitsStoreLabels::new("charge", mode))
                .inc();
            tracing::warn!(error = %why, "could not charge tokens to the shared limits store; the usage is lost");
        });
    }

    /// The budgets' used shares for `s`: one pipelined `HMGET` per window key. A store that does
    /// not answer gives no facts (every `limit_used` condition is false) and is counted; the
    /// admission that follows meets the fail mode.
    pub async fn usage(&self, cfg: &[LimitSettings], s: &Subject<'_>) -> Vec<(String, f64)> {
        let (slots, _) = slots(&self.prefix, cfg, s);
        let windows: Vec<&Slot> = slots.iter().filter(|w| w.args[0] == "w").collect();
        if windows.is_empty() {
            return Vec::new();
        }
        let mut pipe = redis::pipe();
        for w in &windows {
            pipe.hget(&w.key, &["t", "c"]);
        }
        let reply = tokio::time::timeout(self.timeout, async {
            let mut conn = self.connection().await?;
            pipe.query_async::<Vec<(Option<u64>, Option<u64>)>>(&mut conn)
                .await
        })
        .await;
        let values = match reply {
            Ok(Ok(v)) if v.len() == windows.len() => v,
            Ok(Ok(_)) => return self.no_usage("the reply does not match the request"),
            Ok(Err(e)) => return self.no_usage(&e.to_string()),
            Err(_) => return self.no_usage("timed out"),
        };
        let mut out: Vec<(String, f64)> = Vec::new();
        for (w, (t, c)) in windows.iter().zip(values) {
            let Some(l) = cfg.get(w.limit) else { continue };
            let used = super::subject::share(l, t.unwrap_or(0), c.unwrap_or(0));
            match out.iter_mut().find(|(id, _)| *id == l.id) {
                Some((_, u)) => *u = u.max(used),
                None => out.push((l.id.clone(), used)),
            }
        }
        out
    }

    fn no_usage(&self, why: &str) -> Vec<(String, f64)> {
        self.errors
            .get_or_create(&LimitsStoreLabels::new("usage", self.mode))
            .inc();
        tracing::warn!(error = %why, "the shared limits store did not answer the budget-share read; limit_used conditions are false for this call");
        Vec::new()
    }

    async fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        connect(&self.client, &self.conn, self.timeout).await
    }

    fn down(&self, op: &'static str, why: &str, charge: Charge) -> Verdict {
        self.errors
            .get_or_create(&LimitsStoreLabels::new(op, self.mode))
            .inc();
        tracing::warn!(error = %why, mode = self.mode.as_str(), "the shared limits store did not answer");
        Verdict::StoreDown {
            mode: self.mode,
            charge,
        }
    }
}

/// The connection manager, made on first use (a Redis down at start is a store down, not a
/// start failure); once made, it reconnects by itself.
async fn connect(
    client: &Option<redis::Client>,
    cell: &OnceCell<ConnectionManager>,
    timeout: Duration,
) -> redis::RedisResult<ConnectionManager> {
    let Some(client) = client else {
        return Err(redis::RedisError::from((
            redis::ErrorKind::InvalidClientConfig,
            "no usable [limits_store] url",
        )));
    };
    let conn = cell
        .get_or_try_init(|| {
            let cfg = ConnectionManagerConfig::new()
                .set_connection_timeout(timeout)
                .set_response_timeout(timeout)
                .set_number_of_retries(1)
                .set_max_delay(1000);
            ConnectionManager::new_with_config(client.clone(), cfg)
        })
        .await?;
    Ok(conn.clone())
}

fn connection_info(s: &RedisStoreSettings) -> redis::RedisResult<redis::ConnectionInfo> {
    let mut info = redis::IntoConnectionInfo::into_connection_info(s.url.as_str())?;
    if let Some(p) = &s.password {
        info.redis.password = Some(p.expose().to_owned());
    }
    Ok(info)
}

impl LimitsStoreLabels {
    fn new(op: &'static str, mode: FailMode) -> Self {
        Self {
            op,
            mode: mode.as_str(),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn request_key(prefix: &str, l: &LimitSettings, id: &str) -> String {
    format!("{prefix}r:{}:{id}", l.id)
}

fn window_key(prefix: &str, l: &LimitSettings, id: &str) -> String {
    format!("{prefix}w:{}:{id}", l.id)
}

/// The script's keys and arguments for a call, and the windows it is charged to afterwards.
pub(super) fn slots(prefix: &str, cfg: &[LimitSettings], s: &Subject<'_>) -> (Vec<Slot>, Charge) {
    let mut slots = Vec::new();
    let mut charge = Charge::new();
    for (i, l) in cfg.iter().enumerate() {
        let ids = keys(l, s);
        let per_ms = millis(l.per).to_string();
        let budget = |b: Option<u64>| b.map_or_else(|| "-1".to_owned(), |b| b.to_string());
        for id in &ids {
            if l.tokens.is_some() || l.cost_micros.is_some() {
                slots.push(Slot {
                    limit: i,
                    key: window_key(prefix, l, id),
                    args: [
                        "w".into(),
                        budget(l.tokens),
                        budget(l.cost_micros),
                        per_ms.clone(),
                    ],
                });
                charge.push((i, id.clone()));
            }
        }
        if let Some(n) = l.requests {
            let per_us = l.per.as_micros() as f64;
            let t = per_us / f64::from(n.get());
            for id in &ids {
                slots.push(Slot {
                    limit: i,
                    key: request_key(prefix, l, id),
                    args: [
                        "r".into(),
                        format!("{t:.3}"),
                        format!("{per_us:.0}"),
                        per_ms.clone(),
                    ],
                });
            }
        }
    }
    (slots, charge)
}

/// The script's reply: `Ok(None)` admitted, `Ok(Some)` refused, `Err` a reply it never gives.
pub(super) fn refused(
    cfg: &[LimitSettings],
    slots: &[Slot],
    reply: &[i64],
) -> Result<Option<Refusal>, &'static str> {
    match reply {
        [0] => Ok(None),
        [i, what, wait_ms] => {
            let slot = usize::try_from(*i - 1)
                .ok()
                .and_then(|i| slots.get(i))
                .ok_or("the admission script named no key of this call")?;
            let l = cfg
                .get(slot.limit)
                .ok_or("the admission script named no limit")?;
            let what = match what {
                1 => "requests",
                2 => "tokens",
                3 => "cost",
                _ => return Err("the admission script gave an unknown refusal"),
            };
            let wait = Duration::from_millis(u64::try_from(*wait_ms).unwrap_or(0));
            Ok(Some(refusal(l, what, wait)))
        }
        _ => Err("the admission script gave an unexpected reply"),
    }
}
