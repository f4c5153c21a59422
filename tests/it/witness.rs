//! Witnessing through the real binary: `aimsgate witness` processes with generated keys, their
//! durable state across a kill and restart, and a gateway whose checkpoints both witnesses
//! cosign into `cosigned/latest.note`, which keeps serving calls when one witness is down.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use aimsgate::evidence::keys::KeyPair;
use aimsgate::evidence::merkle::{leaf_hash, Frontier, Hash, Tree};
use aimsgate::evidence::note::cosig::verify_cosignature;
use aimsgate::evidence::note::vkey::Verifier;
use aimsgate::evidence::note::{open_with, parse_note, sign_note};
use aimsgate::witness::request::{encode_request, parse_checkpoint_text};
use aimsgate::witness::state::origin_hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use http::Method;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::*;

/// A running `aimsgate witness`.
struct WitnessProc {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
    key: PathBuf,
    logs: Vec<String>,
}

/// `aimsgate witness --generate-key`: the key file (0600) and the printed cosigner vkey.
pub(crate) fn generate_key(dir: &Path, name: &str) -> (PathBuf, Verifier) {
    let key = dir.join(format!("{}.key", name.replace('/', "_")));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["witness", "--generate-key", "--name", name, "--key"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let vkey = Verifier::parse(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    assert_eq!(vkey.name, name);
    // Never overwritten.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_aimsgate"))
        .args(["witness", "--generate-key", "--name", name, "--key"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(!again.status.success());
    (key, vkey)
}

impl WitnessProc {
    async fn start(dir: &Path, key: &Path, logs: &[String], listen: &str) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aimsgate"));
        cmd.args(["witness", "--listen", listen, "--data-dir"])
            .arg(dir)
            .arg("--key")
            .arg(key);
        for l in logs {
            cmd.arg("--log").arg(l);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("witness did not start in time")
            .unwrap()
            .expect("witness exited");
        // "aimsgate witness listening http://ADDR vkey=..."
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap();
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            addr,
            dir: dir.to_owned(),
            key: key.to_owned(),
            logs: logs.to_vec(),
        }
    }

    /// Kill (no clean shutdown) and start again on the same address.
    async fn restart(mut self) -> Self {
        self.child.kill().await.unwrap();
        let listen = self.addr.to_string();
        Self::start(&self.dir, &self.key, &self.logs, &listen).await
    }

    async fn add(&self, body: String) -> Resp {
        let url = format!("http://{}/add-checkpoint", self.addr);
        send(Method::POST, &url, &[], body).await
    }

    async fn latest(&self, origin: &str) -> Resp {
        let url = format!("http://{}/{}/checkpoint", self.addr, origin_hash(origin));
        send(Method::GET, &url, &[], "").await
    }
}

fn checkpoint(origin: &str, leaves: &[Hash], n: u64, key: &KeyPair) -> String {
    let f = Frontier::default();
    let root = Tree::new(&f, leaves).root(n).unwrap();
    sign_note(
        &format!("{origin}\n{n}\n{}\n", B64.encode(root)),
        origin,
        key,
    )
}

fn request(origin: &str, leaves: &[Hash], old: u64, n: u64, key: &KeyPair) -> String {
    let f = Frontier::default();
    let proof = Tree::new(&f, leaves).consistency_proof(old, n).unwrap();
    encode_request(old, &proof, &checkpoint(origin, leaves, n, key))
}

/// The cosignature in a 200 answer, verified against the witness's vkey.
fn cosigned(note: &str, answer: &Resp, witness: &Verifier) -> u64 {
    assert_eq!(answer.status, 200, "{}", answer.text());
    let mut n = parse_note(note).unwrap();
    n.add_sig_line(&answer.text()).unwrap();
    verify_cosignature(&n, witness).unwrap()
}

#[tokio::test]
async fn a_witness_process_cosigns_and_its_state_survives_a_kill() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, vkey) = generate_key(tmp.path(), "w.example/it");
    let log = KeyPair::generate();
    let origin = "it.example/log";
    let log_vkey = Verifier::note_key(origin, &log.public()).to_vkey();
    // Known logs from a file of `log <vkey>` lines.
    let logs = tmp.path().join("logs.txt");
    std::fs::write(&logs, format!("# the gateway\nlog {log_vkey}\n")).unwrap();
    let state = tmp.path().join("state");
    let logs = vec![logs.display().to_string()];
    let w = WitnessProc::start(&state, &key, &logs, "127.0.0.1:0").await;

    let leaves: Vec<Hash> = (0..30u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let r = w.add(request(origin, &leaves, 0, 5, &log)).await;
    assert!(cosigned(&checkpoint(origin, &leaves, 5, &log), &r, &vkey) > 0);
    let r = w.add(request(origin, &leaves, 5, 20, &log)).await;
    cosigned(&checkpoint(origin, &leaves, 20, &log), &r, &vkey);

    let w = w.restart().await;
    // The size it cosigned survived the kill: old size 0 is a conflict, answered with 20.
    let r = w.add(request(origin, &leaves, 0, 25, &log)).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.headers["content-type"], "text/x.tlog.size");
    assert_eq!(r.text(), "20\n");
    // A smaller checkpoint after the larger one.
    let r = w
        .add(encode_request(
            20,
            &[],
            &checkpoint(origin, &leaves, 12, &log),
        ))
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    // A fork: the same origin and key, different entries.
    let mut fork = leaves.clone();
    fork[7] = leaf_hash(b"rewritten");
    assert_eq!(
        w.add(request(origin, &fork, 20, 25, &log)).await.status,
        422
    );
    assert_eq!(
        w.add(request(origin, &fork, 20, 20, &log)).await.status,
        422
    );
    // An unknown origin, and a checkpoint signed by another key.
    let other = request("other.example/log", &leaves, 0, 5, &log);
    assert_eq!(w.add(other).await.status, 404);
    let forged = request(origin, &leaves, 20, 25, &KeyPair::generate());
    assert_eq!(w.add(forged).await.status, 403);
    // Nothing of that was cosigned: the monitoring view still shows size 20.
    let latest = w.latest(origin).await;
    assert_eq!(latest.status, 200);
    let note = parse_note(&latest.text()).unwrap();
    assert_eq!(parse_checkpoint_text(&note.text).unwrap().size, 20);
    verify_cosignature(&note, &vkey).unwrap();
    // The consistent extension still goes through.
    let r = w.add(request(origin, &leaves, 20, 30, &log)).await;
    cosigned(&checkpoint(origin, &leaves, 30, &log), &r, &vkey);
}

/// The latest cosigned checkpoint once it verifies with the log key and carries a
/// cosignature by each of `witnesses`, and is at least `min_size`.
async fn wait_cosigned(
    gw: &Gateway,
    log: &[Verifier],
    witnesses: &[&Verifier],
    min_size: u64,
) -> u64 {
    let data = gw.data_dir();
    let file = data.join("cosigned/latest.note");
    for _ in 0..300 {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let (note, _) = open_with(&text, log).unwrap();
            let size = parse_checkpoint_text(&note.text).unwrap().size;
            if size >= min_size
                && witnesses
                    .iter()
                    .all(|w| verify_cosignature(&note, w).is_ok())
            {
                let per_size = data.join(format!("cosigned/{size:020}.note"));
                assert_eq!(std::fs::read_to_string(per_size).unwrap(), text);
                return size;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no cosigned checkpoint by every witness: {:?}\n{}",
        std::fs::read_to_string(&file),
        gw.logs()
    );
}

fn counter(metrics: &str, witness: &str, result: &str) -> u64 {
    let want =
        format!("aimsgate_witness_requests_total{{witness=\"{witness}\",result=\"{result}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&want))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn a_gateway_gets_both_cosignatures_and_serves_with_a_witness_down() {
    let tmp = tempfile::tempdir().unwrap();
    let (k1, v1) = generate_key(tmp.path(), "w1.example/it");
    let (k2, v2) = generate_key(tmp.path(), "w2.example/it");
    // The log's key and origin are fixed up front, so the witnesses know it from the start.
    let seed = KeyPair::generate();
    let origin = "it.example/gw";
    let log = vec![Verifier::note_key(origin, &seed.public())];
    let logs = vec![log[0].to_vkey()];
    let w1 = WitnessProc::start(&tmp.path().join("w1"), &k1, &logs, "127.0.0.1:0").await;
    let w2 = WitnessProc::start(&tmp.path().join("w2"), &k2, &logs, "127.0.0.1:0").await;
    let mock = mock().await;
    let extra = format!(
        r#"
[evidence]
origin = "{origin}"
signing_key = {{ file = "seed.txt" }}
witness_interval = "200ms"

[[evidence.witness]]
name = "w1"
url = "http://{}"
vkey = "{}"

[[evidence.witness]]
name = "w2"
url = "http://{}/"
vkey = "{}"
"#,
        w1.addr,
        v1.to_vkey(),
        w2.addr,
        v2.to_vkey()
    );
    let seed_b64 = B64.encode(seed.secret_seed());
    let gw =
        Gateway::start_with(&config(&mock, &extra), &[("seed.txt", seed_b64.as_bytes())]).await;
    let sys = ("x-aimsgate-ai-system", "general-assistant");
    let call = || async {
        let r = post(&gw.url("/v1/chat/completions"), &[OPENAI_AUTH, sys], CHAT).await;
        assert_eq!(r.status, 200, "{}", r.text());
    };
    for _ in 0..3 {
        call().await;
    }
    let data = gw.data_dir();
    let first = wait_cosigned(&gw, &log, &[&v1, &v2], 1).await;

    // w1 restarts; its state held: an older checkpoint and a fork are refused.
    let w1 = w1.restart().await;
    let held = parse_note(&w1.latest(origin).await.text()).unwrap();
    let held = parse_checkpoint_text(&held.text).unwrap().size;
    assert!(held >= first);
    let old = std::fs::read_to_string(data.join(format!("cosigned/{first:020}.note"))).unwrap();
    let r = w1.add(encode_request(0, &[], &old)).await;
    assert_eq!(r.status, 409);
    assert!(
        r.text().trim().parse::<u64>().unwrap() >= held,
        "{}",
        r.text()
    );
    // A fork at the size it holds (the gateway may move it on meanwhile: follow the 409s).
    let mut size = held;
    let status = loop {
        let fork = format!("{origin}\n{size}\n{}\n", B64.encode([1u8; 32]));
        let r = w1
            .add(encode_request(size, &[], &sign_note(&fork, origin, &seed)))
            .await;
        match r.status.as_u16() {
            409 => size = r.text().trim().parse().unwrap(),
            s => break s,
        }
    };
    assert_eq!(status, 422);

    // w2 goes down: calls still succeed, w1 keeps cosigning, the counter shows w2 failing.
    let mut w2 = w2;
    w2.child.kill().await.unwrap();
    let before = aimsgate::evidence::read::latest_checkpoint(&data)
        .unwrap()
        .unwrap();
    let before = parse_checkpoint_text(&parse_note(&before).unwrap().text)
        .unwrap()
        .size;
    for _ in 0..3 {
        call().await;
    }
    let later = wait_cosigned(&gw, &log, &[&v1], before + 1).await;
    let text = std::fs::read_to_string(data.join("cosigned/latest.note")).unwrap();
    assert!(
        verify_cosignature(&parse_note(&text).unwrap(), &v2).is_err(),
        "w2 did not cosign size {later}"
    );
    let mut m = String::new();
    for _ in 0..100 {
        m = metrics(&gw).await;
        if counter(&m, "w2", "error") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(counter(&m, "w2", "error") > 0, "{m}");
    assert!(counter(&m, "w1", "ok") >= 2, "{m}");
    let logs = gw.logs();
    assert!(logs.contains("witness unavailable"), "{logs}");
    // At shutdown one more round: the final checkpoint is cosigned by the witness still up.
    call().await;
    let dir = gw.stop().await;
    let data = dir.path().join("data");
    let last = aimsgate::evidence::read::latest_checkpoint(&data)
        .unwrap()
        .unwrap();
    let last = parse_checkpoint_text(&parse_note(&last).unwrap().text)
        .unwrap()
        .size;
    let text = std::fs::read_to_string(data.join("cosigned/latest.note")).unwrap();
    let (note, _) = open_with(&text, &log).unwrap();
    assert_eq!(parse_checkpoint_text(&note.text).unwrap().size, last);
    verify_cosignature(&note, &v1).unwrap();
    drop(w1);
}
