//! Several nodes verified together: duplicate origins and forks.
use super::*;

#[test]
fn two_forks_of_one_log_are_named_and_distinct_logs_pass() {
    let key = KeyPair::from_secret([1; 32]);
    let mut a = Build::new(ORIGIN, key.clone());
    a.group(3).group(2);
    let mut fork = Build::new(ORIGIN, key.clone());
    fork.group(3);
    fork.time += 7; // same first three records? no: a different record 3 onwards
    fork.push(decision(99)).push(decision(100)).checkpoint();
    let (_ta, da) = a.dir();
    let (_tb, db) = fork.dir();
    let o = VerifyOptions::new(TrustRoot::data_dir());
    let (res, conflicts) = verify_nodes(&[da.clone(), db.clone()], &o);
    assert!(res.iter().all(Result::is_ok), "each fork verifies alone");
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let c = &conflicts[0];
    assert!(c.fork && c.size == 5, "{c}");
    let msg = c.to_string();
    assert!(
        msg.contains(&da.display().to_string()) && msg.contains(&db.display().to_string()),
        "{msg}"
    );
    // A copy of the same log is a duplicate origin, not a fork, also when one is longer.
    let mut longer = Build::new(ORIGIN, key.clone());
    longer.group(3).group(2).group(4);
    let (_tc, dc) = longer.dir();
    let (_, conflicts) = verify_nodes(&[da.clone(), dc], &o);
    assert!(
        conflicts.len() == 1 && !conflicts[0].fork && conflicts[0].size == 5,
        "{conflicts:?}"
    );
    // A fork that diverges after the last common checkpoint size is still found.
    let mut late = Build::new(ORIGIN, key.clone());
    late.group(3)
        .push(decision(3))
        .push(decision(77))
        .push(decision(5))
        .checkpoint();
    let (_td, dd) = late.dir();
    let (_, conflicts) = verify_nodes(&[da.clone(), dd], &o);
    assert!(conflicts.len() == 1 && conflicts[0].fork, "{conflicts:?}");
    // Distinct origins: nothing to report.
    let mut other = Build::new("test.example/log-b", key);
    other.group(2);
    let (_te, de) = other.dir();
    let (_, conflicts) = verify_nodes(&[da, de], &o);
    assert!(conflicts.is_empty(), "{conflicts:?}");
}
