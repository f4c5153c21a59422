//! Bypass suite: bodies on bodiless routes (item 5) and resource limits under hostile load: body
//! budgets, h2 streams, the RSS bound (item 6). Each case asserts what the mock provider received
//! and what the evidence recorded.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

#[path = "bypass_limits/load.rs"]
mod load;

/// A body of unknown length (sent chunked over HTTP/1.1, as bare DATA frames over HTTP/2).
fn chunked(
    parts: &[&'static str],
) -> StreamBody<impl futures_core::Stream<Item = Result<Frame<Bytes>, Infallible>>> {
    let frames: Vec<Result<Frame<Bytes>, Infallible>> = parts
        .iter()
        .map(|p| Ok(Frame::data(Bytes::from_static(p.as_bytes()))))
        .collect();
    StreamBody::new(futures_util::stream::iter(frames))
}

/// Send raw bytes on a fresh connection and return everything the gateway answered.
async fn raw(gw: &Gateway, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_body_on_get_models_is_refused_and_never_forwarded() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let smuggled = "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n";
    // A Content-Length body (here a whole second request for an upstream that ignores GET bodies).
    let r = send(Method::GET, &gw.url("/v1/models"), &[OPENAI_AUTH], smuggled).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "body_not_allowed");
    assert_eq!(r.json()["error"]["type"], "invalid_request_error");
    let with_length = r.decision_id().to_owned();
    // DATA frames without a Content-Length over HTTP/2.
    let h2: Client<_, _> = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let req = http::Request::get(gw.url("/v1/models"))
        .header(OPENAI_AUTH.0, OPENAI_AUTH.1)
        .body(chunked(&["{\"model\":\"x\"}"]))
        .unwrap();
    let resp = h2.request(req).await.unwrap();
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.status(), 400);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("body_not_allowed"));
    // A chunked body over HTTP/1.1, and a lying length: "Content-Length: 0" with chunked framing
    // is refused as ambiguous framing by the HTTP layer.
    let out = raw(
        &gw,
        b"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-caller-test-key-1234\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    assert!(out.contains("body_not_allowed"), "{out}");
    let with_chunks = out
        .lines()
        .find_map(|l| l.strip_prefix("x-aimsgate-decision-id: "))
        .unwrap()
        .trim()
        .to_owned();
    let out = raw(
        &gw,
        b"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-caller-test-key-1234\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    assert_eq!(mock.received().len(), 0, "nothing reached the provider");

    // Without a body the call goes through, with no body framing of the caller's.
    let r = send(Method::GET, &gw.url("/v1/models"), &[OPENAI_AUTH], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let out = raw(
        &gw,
        b"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-caller-test-key-1234\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let got = mock.received();
    assert_eq!(got.len(), 2);
    for up in &got {
        assert_eq!(up.method, Method::GET);
        assert!(up.body.is_empty());
        assert!(
            up.headers.get("content-length").is_none(),
            "{:?}",
            up.headers
        );
        assert!(up.headers.get("transfer-encoding").is_none());
    }

    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    for id in [&with_length, &with_chunks] {
        let d = decision_of(&records, id);
        assert_eq!(d["http_status"], 400, "{d}");
        assert_eq!(d["effect"], "EFFECT_ERROR", "error: {d}");
        assert_eq!(d["operation"], "models");
        assert!(
            d["reason"]
                .as_str()
                .unwrap()
                .starts_with("body_not_allowed"),
            "{d}"
        );
    }
    let text = serde_json::to_string(&records).unwrap();
    assert!(!text.contains("Host: x"), "the body is not stored");
}

#[tokio::test]
async fn a_body_over_a_small_budget_is_refused_with_retry_after() {
    let mock = mock().await;
    // A connection budget of exactly one body: a second concurrent body on the same HTTP/2
    // connection is refused 429; a body that alone fits goes through afterwards.
    let cfg = config(&mock, "")
        .replace(
            "max_body_bytes = 65536\n",
            "max_body_bytes = 65536\nmax_connection_body_bytes = 65536\n",
        )
        .replace("body_read_timeout = \"2s\"", "body_read_timeout = \"30s\"");
    let gw = Gateway::start(&cfg).await;
    let tcp = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let (h2, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    // Two bodies of 40,000 bytes on one connection, neither finished: together they exceed the
    // connection budget, one alone fits. Whichever arrives second is refused; the other is held.
    let mut senders = Vec::new();
    let mut calls = Vec::new();
    for _ in 0..2 {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(4);
        let req = http::Request::post(gw.url("/v1/chat/completions"))
            .header(OPENAI_AUTH.0, OPENAI_AUTH.1)
            .body(
                StreamBody::new(Box::pin(futures_util::stream::unfold(
                    rx,
                    |mut rx| async move { rx.recv().await.map(|f| (f, rx)) },
                )))
                .boxed(),
            )
            .unwrap();
        let mut h2 = h2.clone();
        calls.push(tokio::spawn(async move { h2.send_request(req).await }));
        tx.send(Ok(Frame::data(Bytes::from(vec![b' '; 40_000]))))
            .await
            .unwrap();
        senders.push(tx);
    }
    let (first, _, rest) = futures_util::future::select_all(calls).await;
    let resp = first.unwrap().unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_eq!(resp.headers()["x-should-retry"], "true");
    let id = resp.headers()["x-aimsgate-decision-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "body_budget_exhausted");
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert_eq!(
        v["error"]["message"],
        "aimsgate holds too many request bodies on this connection right now; retry shortly"
    );
    // Ending the held body (40,000 spaces are no JSON: refused 400) releases its bytes; a call
    // that fits now goes through.
    drop(senders);
    let held = rest.into_iter().next().unwrap().await.unwrap().unwrap();
    assert_eq!(held.status(), 400);
    let req = http::Request::post(gw.url("/v1/chat/completions"))
        .header(OPENAI_AUTH.0, OPENAI_AUTH.1)
        .body(Full::new(Bytes::from_static(CHAT.as_bytes())).boxed())
        .unwrap();
    let resp = h2.clone().send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let got = mock.received();
    assert_eq!(got.len(), 1, "only the call that fitted was forwarded");
    assert_eq!(&got[0].body[..], CHAT.as_bytes());
    let data = gw.stop().await;
    let records = export_records(&data.path().join("data"));
    let d = decision_of(&records, &id);
    assert_eq!(d["http_status"], 429, "{d}");
    assert!(
        d["reason"]
            .as_str()
            .unwrap()
            .starts_with("body_budget_exhausted"),
        "{d}"
    );
}
