//! Policy activation: load the configured bundle (or the embedded baseline), swap it in
//! atomically on SIGHUP or when its files change, keep the old bundle when the new one is invalid,
//! and record every activation (old hash → new hash) as an evidence event, after archiving the
//! bundle's source files in the data dir (`evidence::archive`).
//!
//! Also re-reads the TLS certificate on SIGHUP. It never interrupts in-flight calls: each call
//! holds the bundle snapshot it was decided under.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::active::{classifier_for, load_policy, Active};
use super::shared::Shared;
use crate::evidence::proto::{event_record, record::Kind, EventRecord, PolicyActivation};
use crate::policy::Bundle;

/// Outcome of a reload attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Reloaded {
    /// A new bundle is active.
    Activated { old_hash: String, new_hash: String },
    /// The files are unchanged.
    Unchanged,
    /// The new files are invalid; the old bundle stays active.
    Rejected(String),
}

/// Record the bundle that is active at start.
pub async fn record_initial(shared: &Shared) {
    let b = shared.active.load().bundle.clone();
    activation_event(shared, "", &b).await;
}

/// Archives the bundle's source files in the data dir (`policies/<content hash>/`) so an auditor
/// can read the policy that decided a call. A failure is logged and does not stop the activation.
async fn archive_bundle(shared: &Shared, b: &Bundle) {
    let dir = shared.config.data_dir.clone();
    let hash = b.content_hash().to_owned();
    let files = b.files().to_vec();
    let written = tokio::task::spawn_blocking(move || {
        crate::evidence::archive::write_policy(&dir, &hash, &files)
    })
    .await;
    let err = match written {
        Ok(Ok(_)) => return,
        Ok(Err(e)) => e.to_string(),
        Err(e) => e.to_string(),
    };
    tracing::error!(
        error = %err,
        content_hash = b.content_hash(),
        "could not archive the active policy bundle in the data dir"
    );
}

async fn activation_event(shared: &Shared, old_hash: &str, b: &Bundle) {
    archive_bundle(shared, b).await;
    let ev = Kind::Event(EventRecord {
        event: Some(event_record::Event::PolicyActivation(PolicyActivation {
            old_content_hash: old_hash.to_owned(),
            new_content_hash: b.content_hash().to_owned(),
            bundle_id: b.id().to_owned(),
            version: b.version().to_owned(),
            approved_by: b.approved_by().unwrap_or_default().to_owned(),
            change_ref: b.change_ref().unwrap_or_default().to_owned(),
        })),
    });
    if let Err(e) = shared.evidence.append(ev).await {
        tracing::error!(error = %e, "could not record the policy activation in the evidence log");
    }
}

/// Re-load the policy; swap it in when valid and different.
pub async fn reload(shared: &Shared) -> Reloaded {
    let new = match load_policy(&shared.config) {
        Ok(b) => b,
        Err(e) => {
            let msg = e.to_string();
            tracing::error!(error = %msg, "policy reload rejected; the previous bundle stays active");
            shared.metrics.reload("rejected");
            return Reloaded::Rejected(msg);
        }
    };
    // A bundle whose inventory no longer knows an AI system the configuration names (a virtual
    // key's or an mTLS mapping's `ai_system`) is refused like an invalid one.
    if let Err(e) = crate::config::cross_check(&shared.config, &new) {
        let msg = e.to_string();
        tracing::error!(error = %msg, "policy reload rejected; the previous bundle stays active");
        shared.metrics.reload("rejected");
        return Reloaded::Rejected(msg);
    }
    let current = shared.active.load_full();
    let old = current.bundle.clone();
    if old.content_hash() == new.content_hash() {
        return Reloaded::Unchanged;
    }
    // The classifier is rebuilt only when the dictionaries changed; either way the bundle, its
    // inventory and the classifier are swapped in together, as one generation.
    let classifier = if old.dictionaries() == new.dictionaries() {
        current.classifier.clone()
    } else {
        match classifier_for(&shared.config, &new) {
            Ok(c) => Arc::new(c),
            Err(e) => {
                let msg = format!("dictionaries: {e}");
                tracing::error!(error = %msg, "policy reload rejected; the previous bundle stays active");
                shared.metrics.reload("rejected");
                return Reloaded::Rejected(msg);
            }
        }
    };
    let new = Arc::new(new);
    shared
        .active
        .store(Arc::new(Active::new(new.clone(), classifier)));
    activation_event(shared, old.content_hash(), &new).await;
    shared.metrics.reload("activated");
    tracing::info!(
        bundle = new.id(),
        version = new.version(),
        old_hash = old.content_hash(),
        new_hash = new.content_hash(),
        "policy bundle activated"
    );
    Reloaded::Activated {
        old_hash: old.content_hash().to_owned(),
        new_hash: new.content_hash().to_owned(),
    }
}

/// SIGHUP: reload the policy and the TLS certificate.
pub async fn on_sighup(shared: &Shared) {
    let _ = reload(shared).await;
    if let Some(store) = &shared.tls {
        match store.reload() {
            Ok(()) => tracing::info!("TLS certificate reloaded"),
            Err(e) => {
                tracing::error!(error = %e, "TLS certificate reload failed; the previous certificate stays in use")
            }
        }
    }
}

/// Poll the bundle directory and reload when a file changes (cheap: names, sizes, mtimes).
pub async fn watch(shared: Arc<Shared>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let Some(dir) = shared
        .config
        .policy
        .path
        .clone()
        .filter(|_| shared.config.policy.watch)
    else {
        return;
    };
    let stamp = move || -> Vec<(String, u64, SystemTime)> {
        let mut v: Vec<_> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((
                    e.file_name().to_string_lossy().into_owned(),
                    m.len(),
                    m.modified().ok()?,
                ))
            })
            .collect();
        v.sort();
        v
    };
    let mut last = stamp();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stop.changed() => return,
        }
        let now = stamp();
        if now != last {
            last = now;
            let _ = reload(&shared).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env::MapEnv;
    use crate::config::Config;
    use crate::config::Overrides;

    fn copy_baseline(to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/baseline");
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bundle_that_drops_a_configured_ai_system_is_refused_at_reload() {
        let dir = tempfile::tempdir().unwrap();
        let pol = dir.path().join("pol");
        copy_baseline(&pol);
        let text = format!(
            r#"data_dir = "{data}"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
[policy]
path = "{pol}"
watch = false
[identity]
modes = ["virtual_key"]
[[identity.virtual_keys]]
hash = "sha256:{hash}"
principal = "svc-support"
ai_system = "general-assistant"
"#,
            data = dir.path().join("data").display(),
            pol = pol.display(),
            hash = "ab".repeat(32),
        );
        let config = Config::from_toml(
            &text,
            "t.toml",
            &Overrides::default(),
            &MapEnv::default(),
            None,
        )
        .unwrap();
        let shared = Shared::build(config).unwrap();
        let before = shared.active.load().bundle.content_hash().to_owned();
        // The inventory renames the system the virtual key is bound to (and the bundle's own
        // objectives follow the rename, so the bundle itself stays valid).
        for file in ["systems.toml", "objectives.toml"] {
            let path = pol.join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(
                &path,
                text.replace("\"general-assistant\"", "\"general-helper\""),
            )
            .unwrap();
        }
        match reload(&shared).await {
            Reloaded::Rejected(msg) => {
                assert!(msg.contains("identity.virtual_keys[0].ai_system"), "{msg}");
                assert!(msg.contains("general-assistant"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(shared.active.load().bundle.content_hash(), before);
        shared.evidence.close().unwrap();
    }
}
