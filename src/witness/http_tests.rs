use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::*;
use crate::evidence::keys::KeyPair;
use crate::evidence::merkle::{leaf_hash, Frontier, Hash, Tree};
use crate::evidence::note::sign_note;
use crate::evidence::note::vkey::Verifier;
use crate::witness::request::encode_request;
use crate::witness::state::origin_hash;

const ORIGIN: &str = "gw.example/log";

struct Fx {
    _dir: tempfile::TempDir,
    log: KeyPair,
    witness: Arc<Witness>,
    leaves: Vec<Hash>,
}

fn fx() -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let log = KeyPair::generate();
    let keys = vec![Verifier::note_key(ORIGIN, &log.public())];
    let witness = Witness::open("w.example/w1", KeyPair::generate(), keys, dir.path()).unwrap();
    Fx {
        _dir: dir,
        log,
        witness: Arc::new(witness),
        leaves: (0..20u8).map(|i| leaf_hash(&[i])).collect(),
    }
}

impl Fx {
    fn checkpoint(&self, origin: &str, n: u64, key: &KeyPair) -> String {
        let f = Frontier::default();
        let root = Tree::new(&f, &self.leaves).root(n).unwrap();
        sign_note(
            &format!("{origin}\n{n}\n{}\n", B64.encode(root)),
            origin,
            key,
        )
    }

    fn body(&self, old: u64, n: u64) -> String {
        let f = Frontier::default();
        let proof = Tree::new(&f, &self.leaves)
            .consistency_proof(old, n)
            .unwrap();
        encode_request(old, &proof, &self.checkpoint(ORIGIN, n, &self.log))
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: impl Into<Bytes>,
    ) -> (u16, String, String) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .body(Full::new(body.into()))
            .unwrap();
        let r = handle(self.witness.clone(), req).await;
        let ct = r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let status = r.status().as_u16();
        let body = r.into_body().collect().await.unwrap().to_bytes();
        (status, ct, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn post(&self, body: impl Into<Bytes>) -> (u16, String, String) {
        self.send(Method::POST, "/add-checkpoint", body).await
    }
}

#[tokio::test]
async fn every_status_code_of_add_checkpoint() {
    let f = fx();
    // 200: the cosignature line, text/plain.
    let (s, ct, body) = f.post(f.body(0, 4)).await;
    assert_eq!(
        (s, ct.as_str()),
        (200, "text/plain; charset=utf-8"),
        "{body}"
    );
    assert!(body.starts_with("\u{2014} w.example/w1 ") && body.ends_with('\n'));
    assert_eq!(body.lines().count(), 1);
    // 409: text/x.tlog.size with the latest size.
    assert_eq!(
        f.post(f.body(0, 9)).await,
        (409, "text/x.tlog.size".into(), "4\n".into())
    );
    // 400: malformed body; old size above the checkpoint's.
    assert_eq!(f.post("old 4\nnot base64\n\n").await.0, 400);
    let big_old = encode_request(10, &[], &f.checkpoint(ORIGIN, 9, &f.log));
    assert_eq!(f.post(big_old).await.0, 400);
    // 403: a checkpoint signed by an unknown key.
    let forged = encode_request(4, &[], &f.checkpoint(ORIGIN, 9, &KeyPair::generate()));
    assert_eq!(f.post(forged).await.0, 403);
    // 404: an unknown origin.
    let other = encode_request(0, &[], &f.checkpoint("other.example/log", 4, &f.log));
    assert_eq!(f.post(other).await.0, 404);
    // 422: a proof that does not verify.
    let mut body = f.body(4, 9);
    let at = body.find('\n').unwrap() + 1;
    body.replace_range(at..at + 4, "AAAA");
    assert_eq!(f.post(body).await.0, 422);
    // 413: a body over the limit.
    assert_eq!(f.post(vec![b'a'; MAX_BODY + 1]).await.0, 413);
    // 405 and 404 for other methods and paths.
    assert_eq!(f.send(Method::GET, "/add-checkpoint", "").await.0, 405);
    assert_eq!(f.send(Method::POST, "/add-checkpoint/x", "").await.0, 404);
    assert_eq!(f.send(Method::GET, "/", "").await.0, 404);
    // Still cosigned at 4, and a consistent extension goes through.
    assert_eq!(f.post(f.body(4, 9)).await.0, 200);
}

#[tokio::test]
async fn the_monitoring_view_serves_the_latest_cosigned_checkpoint() {
    let f = fx();
    let path = format!("/{}/checkpoint", origin_hash(ORIGIN));
    assert_eq!(f.send(Method::GET, &path, "").await.0, 404);
    let (_, _, line) = f.post(f.body(0, 7)).await;
    let (s, _, note) = f.send(Method::GET, &path, "").await;
    assert_eq!(s, 200);
    assert!(note.starts_with("gw.example/log\n7\n") && note.ends_with(&line));
    assert_eq!(f.send(Method::POST, &path, "").await.0, 405);
}
