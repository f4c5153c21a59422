//! The policy archive beside the log: every activated bundle's source files land in
//! `DATA/policies/<content hash>/`, re-hash to the hash the PolicyActivation event names, and
//! load as a bundle again.

use std::path::Path;
use std::time::Duration;

use crate::support::*;

/// The content hashes named by the log's PolicyActivation events, in log order.
fn activated_hashes(data: &Path) -> Vec<String> {
    export_records(data)
        .iter()
        .filter_map(|r| r["kind"]["Event"]["event"].get("PolicyActivation"))
        .map(|a| a["new_content_hash"].as_str().unwrap().to_owned())
        .collect()
}

/// The archived files of `hash` re-hash to it and load as a bundle.
fn assert_archived(data: &Path, hash: &str) {
    let dir = data.join("policies").join(hash);
    assert!(dir.is_dir(), "{} missing", dir.display());
    let files = aimsgate::evidence::archive::read_policy(data, hash)
        .unwrap()
        .expect("archived");
    assert!(!files.is_empty());
    assert_eq!(aimsgate::policy::content_hash(&files), hash);
    let bundle = aimsgate::policy::load_files(&files).expect("the archived bundle loads");
    assert_eq!(bundle.content_hash(), hash);
}

#[tokio::test]
async fn the_embedded_baseline_is_archived_at_start() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let data = gw.data_dir();
    let dir = gw.stop().await;
    let hashes = activated_hashes(&data);
    assert_eq!(hashes.len(), 1, "{hashes:?}");
    assert_archived(&data, &hashes[0]);
    assert_eq!(
        aimsgate::evidence::archive::archived_hashes(&data).unwrap(),
        hashes
    );
    drop(dir);
}

#[tokio::test]
async fn a_reloaded_bundle_is_archived_beside_the_first() {
    let mock = mock().await;
    let cfg = config(&mock, "[policy]\npath = \"pol\"\nwatch = false\n");
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/baseline");
    let mut files = Vec::new();
    for e in std::fs::read_dir(&baseline).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        files.push((format!("pol/{name}"), std::fs::read(e.path()).unwrap()));
    }
    let gw = Gateway::start_with_dirs(&cfg, &["pol"], &files).await;
    let pol = gw.dir.path().join("pol");
    let rules = std::fs::read_to_string(pol.join("rules.toml")).unwrap();
    std::fs::write(
        pol.join("rules.toml"),
        format!("{rules}\n# reviewed again\n"),
    )
    .unwrap();
    gw.signal("HUP");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !gw.logs().contains("policy bundle activated") {
        assert!(tokio::time::Instant::now() < deadline, "{}", gw.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let data = gw.data_dir();
    let dir = gw.stop().await;
    let hashes = activated_hashes(&data);
    assert_eq!(hashes.len(), 2, "{hashes:?}");
    assert_ne!(hashes[0], hashes[1]);
    for h in &hashes {
        assert_archived(&data, h);
    }
    let mut sorted = hashes.clone();
    sorted.sort();
    assert_eq!(
        aimsgate::evidence::archive::archived_hashes(&data).unwrap(),
        sorted
    );
    drop(dir);
}
