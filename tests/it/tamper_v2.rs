//! The table-driven tamper suite on copies of a real v2 data dir written by the real binary:
//! every attack of issue 12 (cut the tail with its checkpoints, roll back, re-sign a changed
//! history with the data dir's key, replace the public keys, backdate a record, prune silently,
//! retention below the minimum, two forks together) plus edit, delete, insert, reorder, replay
//! and cross-log insertion. Each row asserts the exit status of `aimsgate verify` and that its
//! message names what and where; the untouched log verifies. Also `checkpoint`, `prove` /
//! `verify --proof`, and `report` over a fork and without a pinned key.
use std::path::{Path, PathBuf};
use std::process::Output;

use aimsgate::evidence::entry::{decode_record, parse_entry};
use aimsgate::evidence::keys::{self, KeyPair};
use aimsgate::evidence::merkle::CompactRange;
use aimsgate::evidence::note::{sign_note, Anchor};
use aimsgate::evidence::proto::{event_record::Event, record::Kind, EventRecord, RetentionPolicy};

use crate::support::*;

#[path = "tamper_v2/log.rs"]
mod log;
use log::Fr;

/// The logs every row starts from (copied before tampering).
struct Fx {
    /// The log after two runs of the gateway.
    base: PathBuf,
    /// The same log after the first run only (an older state to roll back to).
    snapshot: PathBuf,
    /// Another log (another origin).
    other: PathBuf,
    /// The auditor's pinned key (vkey), and checkpoints kept after each run.
    vkey: PathBuf,
    kept_old: PathBuf,
    kept: PathBuf,
    /// Decision ids of calls in the base log.
    decisions: Vec<String>,
}

fn bin(args: &[&std::ffi::OsStr]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `aimsgate checkpoint --data-dir DIR` into `file`.
fn keep_checkpoint(dir: &Path, file: &Path) {
    let o = bin(&[
        "checkpoint".as_ref(),
        "--data-dir".as_ref(),
        dir.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("\n\n\u{2014} "));
    std::fs::write(file, &o.stdout).unwrap();
}

/// One run of the gateway on `data` with `calls` calls (one of them refused).
async fn run(cfg: &str, calls: usize) -> Vec<String> {
    let gw = Gateway::start(cfg).await;
    let mut ids = Vec::new();
    for i in 0..calls {
        let r = if i == 1 {
            post(&gw.url("/v1/chat/completions"), &[], CHAT).await
        } else {
            post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH], CHAT).await
        };
        let id = r.decision_id().to_owned();
        // An answer's outcome is queued by its last phase, after the answer was sent, just
        // before its access-log line: wait for that line, so every run lays out the log the
        // same way (decision, outcome, next decision, ...) and the rows below hit the same
        // records.
        gw.logs_with(&[&id]).await;
        ids.push(id);
    }
    let _ = gw.stop().await;
    ids
}

async fn fixture(root: &Path) -> Fx {
    let mock = mock().await;
    let cfg_for = |data: &Path| {
        config(&mock, "[evidence]\nsegment_bytes = 2048\n").replace(
            "data_dir = \"data\"",
            &format!("data_dir = \"{}\"", data.display()),
        )
    };
    let base = root.join("base");
    let mut decisions = run(&cfg_for(&base), 4).await;
    let snapshot = root.join("snapshot");
    log::copy_dir(&base, &snapshot);
    let kept_old = root.join("kept-old.note");
    keep_checkpoint(&base, &kept_old);
    decisions.extend(run(&cfg_for(&base), 4).await);
    let kept = root.join("kept.note");
    keep_checkpoint(&base, &kept);
    let other = root.join("other");
    run(&cfg_for(&other), 3).await;
    let vkey = root.join("log.vkey");
    log::pin(&base, &vkey);
    Fx {
        base,
        snapshot,
        other,
        vkey,
        kept_old,
        kept,
        decisions,
    }
}

/// Replaces the entry frame of record `seq` with `f(entry)` (and re-frames it).
fn edit_entry(dir: &Path, seq: u64, f: impl FnOnce(&mut Vec<Fr>, usize)) {
    let mut segs = log::read(dir);
    for (_, frames) in &mut segs {
        let at = frames.iter().position(|fr| match fr {
            Fr::Entry(e) => decode_record(parse_entry(e).unwrap().body).unwrap().seq == seq,
            Fr::Cp(_) => false,
        });
        if let Some(i) = at {
            f(frames, i);
            break;
        }
    }
    log::write(dir, &segs);
}

fn entry_seq(fr: &Fr) -> Option<u64> {
    match fr {
        Fr::Entry(e) => Some(decode_record(&e[1..]).unwrap().seq),
        Fr::Cp(_) => None,
    }
}

/// What a row does to its copy `d` (in scratch dir `s`): the extra `verify` arguments.
type Tamper = fn(&Fx, &Path, &Path) -> Vec<String>;

struct Case {
    name: &'static str,
    tamper: Tamper,
    /// Verify with `--public-key` (the auditor's vkey).
    pinned: bool,
    ok: bool,
    says: &'static [&'static str],
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn nothing(_: &Fx, _: &Path, _: &Path) -> Vec<String> {
    Vec::new()
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "untouched, pinned",
            tamper: nothing,
            pinned: true,
            ok: true,
            says: &["OK:", "records"],
        },
        Case {
            name: "untouched, unpinned: a loud warning",
            tamper: nothing,
            pinned: false,
            ok: true,
            says: &["WARNING: UNPINNED"],
        },
        Case {
            name: "untouched, extends both kept checkpoints",
            tamper: |fx, _, _| {
                vec![
                    "--checkpoint".into(),
                    s(&fx.kept_old),
                    "--checkpoint".into(),
                    s(&fx.kept),
                ]
            },
            pinned: true,
            ok: true,
            says: &["extends 2 kept checkpoint(s)"],
        },
        Case {
            name: "edit a record (CRC recomputed)",
            tamper: |_, d, _| {
                edit_entry(d, 3, |frames, i| {
                    if let Fr::Entry(e) = &frames[i] {
                        let mut r = decode_record(&e[1..]).unwrap();
                        r.time_unix_nanos += 1;
                        frames[i] = Fr::Entry(log::entry_of(&r));
                    }
                });
                vec![]
            },
            pinned: true,
            ok: false,
            // Caught by the next record's `prev_body_hash` ("record seq 3 was altered"), or,
            // when a group's checkpoint follows seq 3 (group boundaries follow timing), by that
            // checkpoint's root ("record seq 3 at …: field `checkpoint root`"): either way the
            // message names seq 3 and says it was altered.
            says: &["record seq 3", ".seg offset", "altered"],
        },
        Case {
            name: "delete a record",
            tamper: |_, d, _| {
                edit_entry(d, 5, |frames, i| {
                    frames.remove(i);
                });
                vec![]
            },
            pinned: true,
            ok: false,
            says: &[
                ".seg offset",
                "field `checkpoint size`",
                "only 5 records precede it",
            ],
        },
        Case {
            name: "insert a forged record",
            tamper: |_, d, _| {
                edit_entry(d, 2, |frames, i| {
                    if let Fr::Entry(e) = frames[i].clone() {
                        let mut r = decode_record(&e[1..]).unwrap();
                        r.seq = 3;
                        frames.insert(i + 1, Fr::Entry(log::entry_of(&r)));
                    }
                });
                vec![]
            },
            pinned: true,
            ok: false,
            says: &[".seg offset", "field `prev_body_hash`", "record seq 3"],
        },
        Case {
            name: "reorder two records",
            tamper: |_, d, _| {
                // The first two records of one segment swap places.
                let mut segs = log::read(d);
                let frames = &mut segs[1].1;
                let a = frames.iter().position(|f| entry_seq(f).is_some()).unwrap();
                let b = a
                    + 1
                    + frames[a + 1..]
                        .iter()
                        .position(|f| entry_seq(f).is_some())
                        .unwrap();
                frames.swap(a, b);
                log::write(d, &segs);
                vec![]
            },
            pinned: true,
            ok: false,
            says: &[
                ".seg offset",
                "field `seq`",
                "was expected",
                "moved after it",
            ],
        },
        Case {
            name: "replay a record",
            tamper: |_, d, _| {
                edit_entry(d, 4, |frames, i| {
                    let e = frames[i].clone();
                    frames.insert(i + 1, e);
                });
                vec![]
            },
            pinned: true,
            ok: false,
            says: &["record seq 4", ".seg offset", "field `seq`", "replayed"],
        },
        Case {
            name: "cross-log insertion (another log's record at the same seq)",
            tamper: |fx, d, _| {
                let theirs = log::read(&fx.other)
                    .into_iter()
                    .flat_map(|(_, f)| f)
                    .find(|f| entry_seq(f) == Some(2))
                    .unwrap();
                edit_entry(d, 2, |frames, i| frames[i] = theirs);
                vec![]
            },
            pinned: true,
            ok: false,
            says: &[
                "record seq 2",
                ".seg offset",
                "field `log_id`",
                "another log",
            ],
        },
        Case {
            name: "cut the newest records and the newest checkpoints (kept checkpoint)",
            tamper: |fx, d, _| {
                let mut segs = log::read(d);
                segs.truncate(2);
                let last = segs[1]
                    .1
                    .iter()
                    .rposition(|f| matches!(f, Fr::Cp(_)))
                    .unwrap();
                segs[1].1.truncate(last + 1);
                if let Fr::Cp(n) = &segs[1].1[last] {
                    std::fs::write(d.join("checkpoint.note"), n).unwrap();
                }
                log::write(d, &segs);
                vec!["--checkpoint".into(), s(&fx.kept)]
            },
            pinned: true,
            ok: false,
            says: &[
                "kept.note",
                "field `kept checkpoint`",
                "cut off the tail, or the log was rolled back",
            ],
        },
        Case {
            name: "roll back to an older state (kept checkpoint)",
            tamper: |fx, d, _| {
                std::fs::remove_dir_all(d).unwrap();
                log::copy_dir(&fx.snapshot, d);
                vec!["--checkpoint".into(), s(&fx.kept)]
            },
            pinned: true,
            ok: false,
            says: &["kept.note", "cut off the tail, or the log was rolled back"],
        },
        Case {
            name: "re-sign a changed history with the data dir's key (kept checkpoint)",
            tamper: |fx, d, _| {
                let (_, key) = log::origin_and_key(d);
                log::resign(d, &key, false, |recs| {
                    recs.remove(3);
                });
                vec!["--checkpoint".into(), s(&fx.kept_old)]
            },
            pinned: true,
            ok: false,
            says: &["kept-old.note", "rewritten or forked below it"],
        },
        Case {
            name: "replace the public keys and re-sign (pinned key)",
            tamper: |_, d, _| {
                replace_keys(d);
                vec![]
            },
            pinned: true,
            ok: false,
            says: &["field `key`", "is a trusted key", ".seg offset"],
        },
        Case {
            name: "replace the public keys and re-sign (unpinned: verifies, loudly warned)",
            tamper: |_, d, _| {
                replace_keys(d);
                vec![]
            },
            pinned: false,
            ok: true,
            says: &["WARNING: UNPINNED", "whoever can write the data dir"],
        },
        Case {
            name: "backdate a record (re-signed)",
            tamper: |_, d, _| {
                let (_, key) = log::origin_and_key(d);
                log::resign(d, &key, false, |recs| {
                    recs[5].time_unix_nanos = recs[4].time_unix_nanos - 1_000_000_000;
                });
                vec![]
            },
            pinned: true,
            ok: false,
            says: &[
                "record seq 5",
                "field `time_unix_nanos`",
                "seq 4",
                "backwards",
            ],
        },
        Case {
            name: "a future-dated record is flagged",
            tamper: |_, d, _| {
                let (_, key) = log::origin_and_key(d);
                log::resign(d, &key, false, |recs| {
                    let n = recs.len();
                    recs[n - 1].time_unix_nanos = i64::MAX / 2;
                });
                vec![]
            },
            pinned: true,
            ok: true,
            says: &["FLAGGED", "dated after the verification time"],
        },
        Case {
            name: "silent prune: anchor without a RetentionPrune record",
            tamper: |_, d, _| {
                silent_prune(d);
                vec![]
            },
            pinned: true,
            ok: false,
            says: &["log/anchor.note", "field `anchor`", "silent prune"],
        },
        Case {
            name: "retention_days = 1 recorded without an override (re-signed)",
            tamper: |_, d, _| {
                let (_, key) = log::origin_and_key(d);
                log::resign(d, &key, false, |recs| {
                    let mut r = recs[0].clone();
                    r.kind = Some(Kind::Event(EventRecord {
                        event: Some(Event::RetentionPolicy(RetentionPolicy {
                            retention_days: 1,
                            below_minimum_override: false,
                        })),
                    }));
                    recs.insert(1, r);
                });
                vec![]
            },
            pinned: true,
            ok: false,
            says: &[
                "record seq 1",
                "field `retention_days`",
                "below the 183-day minimum",
            ],
        },
        Case {
            name: "two forks of one log verified together",
            tamper: |_, d, scratch| {
                let fork = scratch.join("fork");
                log::copy_dir(d, &fork);
                let (_, key) = log::origin_and_key(&fork);
                log::resign(&fork, &key, false, |recs| {
                    let n = recs.len();
                    recs[n - 1].time_unix_nanos += 1;
                });
                vec!["--data-dir".into(), s(&fork)]
            },
            pinned: true,
            ok: false,
            says: &[
                "FORK",
                "/data and ",
                "/fork are both log",
                "their trees differ at size",
            ],
        },
    ]
}

/// A new key replaces every key file, and the whole history is re-signed with it.
fn replace_keys(d: &Path) {
    let new = KeyPair::generate();
    log::resign(d, &new, false, |_| {});
    std::fs::remove_dir_all(d.join("keys")).unwrap();
    keys::write_key_files(d, &new).unwrap();
}

/// Deletes the first segment and leaves a correct, signed anchor for it (no record of it).
fn silent_prune(d: &Path) {
    let (origin, key) = log::origin_and_key(d);
    let segs = log::read(d);
    let (first, pruned) = (segs[1].0, &segs[0].1);
    let mut range = CompactRange::default();
    let mut prev = [0u8; 32];
    for f in pruned {
        if let Fr::Entry(e) = f {
            range.push(aimsgate::evidence::entry::entry_hash(e));
            prev = aimsgate::evidence::entry::body_hash(&e[1..]);
        }
    }
    let a = Anchor {
        origin: origin.clone(),
        first,
        prev,
        nodes: range.nodes(),
    };
    std::fs::write(
        d.join("log/anchor.note"),
        sign_note(&a.text(), &origin, &key),
    )
    .unwrap();
    log::write(d, &segs[1..]);
}

#[tokio::test]
async fn every_attack_is_detected_and_named_and_an_untouched_log_verifies() {
    let root = tempfile::tempdir().unwrap();
    let fx = fixture(root.path()).await;
    let mut failed = Vec::new();
    for (i, c) in cases().into_iter().enumerate() {
        let scratch = root.path().join(format!("case-{i}"));
        let d = scratch.join("data");
        log::copy_dir(&fx.base, &d);
        let mut args: Vec<String> = vec!["verify".into(), "--data-dir".into(), s(&d)];
        args.extend((c.tamper)(&fx, &d, &scratch));
        if c.pinned {
            args.extend(["--public-key".into(), s(&fx.vkey)]);
        }
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
            .args(&args)
            .output()
            .unwrap();
        let out = text(&o);
        let missing: Vec<_> = c.says.iter().filter(|w| !out.contains(*w)).collect();
        if o.status.success() != c.ok
            || !missing.is_empty()
            || (!c.ok && o.status.code() != Some(1))
        {
            failed.push(format!(
                "{}: exit {:?} (want ok={}), missing {missing:?}:\n{out}",
                c.name,
                o.status.code(),
                c.ok
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} row(s) failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
    let _ = &fx.decisions;
}

#[tokio::test]
async fn proofs_checkpoints_and_reports_through_the_binary() {
    let root = tempfile::tempdir().unwrap();
    let fx = fixture(root.path()).await;
    // A proof of an allowed call, checked offline with the pinned key; a tampered one fails.
    let id = &fx.decisions[0];
    let proof = root.path().join("d.tlog-proof");
    let o = bin(&[
        "prove".as_ref(),
        "--data-dir".as_ref(),
        fx.base.as_os_str(),
        "--decision-id".as_ref(),
        id.as_ref(),
        "--out".as_ref(),
        proof.as_os_str(),
        "--public-key".as_ref(),
        fx.vkey.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let p = std::fs::read_to_string(&proof).unwrap();
    assert!(p.starts_with("c2sp.org/tlog-proof@v1\nextra "), "{p}");
    let o = bin(&[
        "verify".as_ref(),
        "--proof".as_ref(),
        proof.as_os_str(),
        "--public-key".as_ref(),
        fx.vkey.as_os_str(),
    ]);
    assert!(
        o.status.success() && text(&o).contains(&format!("(decision {id})")),
        "{}",
        text(&o)
    );
    let moved = p.replacen("\nindex ", "\nindex 1", 1);
    std::fs::write(&proof, moved).unwrap();
    let o = bin(&[
        "verify".as_ref(),
        "--proof".as_ref(),
        proof.as_os_str(),
        "--public-key".as_ref(),
        fx.vkey.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // Without a key a proof cannot be checked.
    let o = bin(&["verify".as_ref(), "--proof".as_ref(), proof.as_os_str()]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    // Report: unpinned says so loudly; a fork fails and names both dirs.
    let fork = root.path().join("fork");
    log::copy_dir(&fx.base, &fork);
    let (_, key) = log::origin_and_key(&fork);
    log::resign(&fork, &key, false, |recs| {
        let n = recs.len();
        recs[n - 1].time_unix_nanos += 1;
    });
    let html = root.path().join("r.html");
    let o = bin(&[
        "report".as_ref(),
        "--data-dir".as_ref(),
        fx.base.as_os_str(),
        "--out".as_ref(),
        html.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("WARNING: UNPINNED"), "{}", text(&o));
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("UNPINNED KEYS"));
    let o = bin(&[
        "report".as_ref(),
        "--data-dir".as_ref(),
        fx.base.as_os_str(),
        "--data-dir".as_ref(),
        fork.as_os_str(),
        "--public-key".as_ref(),
        fx.vkey.as_os_str(),
        "--out".as_ref(),
        html.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("FORK") && out.contains(&s(&fork)) && !out.contains("UNPINNED"),
        "{out}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("FORK") && !page.contains("UNPINNED KEYS"),
        "fork banner, pinned"
    );
}
