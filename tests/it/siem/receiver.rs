//! The test suite's OTLP logs receiver: serves `/v1/logs` (HTTP/1.1 or h2) and the gRPC
//! `LogsService/Export` method (h2c, or TLS with ALPN), keeps every request it decodes, and can
//! fail its first requests to exercise retries. Plus the PKI for its TLS variant.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message;

pub(crate) const GRPC_PATH: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

/// One export request the receiver got.
pub(crate) struct Got {
    pub(crate) grpc: bool,
    pub(crate) headers: http::HeaderMap,
    /// The request body as sent (framed, for gRPC).
    pub(crate) raw: Bytes,
    pub(crate) req: ExportLogsServiceRequest,
}

pub(crate) type Store = Arc<Mutex<Vec<Got>>>;

/// An OTLP logs receiver on loopback serving `/v1/logs` (HTTP/1.1 or h2) and the gRPC
/// `LogsService/Export` method (h2c); answers the first `fail_first` requests with 503 /
/// gRPC `UNAVAILABLE`.
pub(crate) async fn receiver(fail_first: usize) -> (std::net::SocketAddr, Store) {
    receiver_on(fail_first, None).await
}

/// [`receiver`], over TLS (ALPN `h2` and `http/1.1`) when `tls` is given.
pub(crate) async fn receiver_on(
    fail_first: usize,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> (std::net::SocketAddr, Store) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let store: Store = Arc::default();
    let seen = Arc::new(Mutex::new(0usize));
    let s = store.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (store, seen) = (s.clone(), seen.clone());
            let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let (store, seen) = (store.clone(), seen.clone());
                async move { Ok::<_, Infallible>(answer(req, &store, &seen, fail_first).await) }
            });
            let tls = tls.clone();
            tokio::spawn(async move {
                let server = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                match tls {
                    Some(acceptor) => {
                        let Ok(stream) = acceptor.accept(stream).await else {
                            return;
                        };
                        let _ = server.serve_connection(TokioIo::new(stream), svc).await;
                    }
                    None => {
                        let _ = server.serve_connection(TokioIo::new(stream), svc).await;
                    }
                }
            });
        }
    });
    (addr, store)
}

async fn answer(
    req: http::Request<hyper::body::Incoming>,
    store: &Store,
    seen: &Mutex<usize>,
    fail_first: usize,
) -> http::Response<BoxBody<Bytes, Infallible>> {
    let grpc = req.uri().path() == GRPC_PATH;
    assert!(grpc || req.uri().path() == "/v1/logs", "{}", req.uri());
    let headers = req.headers().clone();
    let raw = req.into_body().collect().await.unwrap().to_bytes();
    let fail = {
        let mut n = seen.lock().unwrap();
        *n += 1;
        *n <= fail_first
    };
    let ok = ExportLogsServiceResponse::default().encode_to_vec();
    if !grpc {
        assert_eq!(headers["content-type"], "application/x-protobuf");
        if fail {
            return response(503, "application/x-protobuf", Bytes::new(), None);
        }
        let req = ExportLogsServiceRequest::decode(raw.as_ref()).unwrap();
        store.lock().unwrap().push(Got {
            grpc,
            headers,
            raw,
            req,
        });
        return response(200, "application/x-protobuf", ok.into(), None);
    }
    assert_eq!(headers["content-type"], "application/grpc");
    assert_eq!(headers["te"], "trailers");
    if fail {
        return response(200, "application/grpc", Bytes::new(), Some("14"));
    }
    let mut body = raw.clone();
    assert_eq!(body.get_u8(), 0, "uncompressed");
    let len = body.get_u32() as usize;
    assert_eq!(len, body.len(), "one whole message");
    let req = ExportLogsServiceRequest::decode(body).unwrap();
    store.lock().unwrap().push(Got {
        grpc,
        headers,
        raw,
        req,
    });
    let mut framed = BytesMut::new();
    framed.put_u8(0);
    framed.put_u32(ok.len() as u32);
    framed.put_slice(&ok);
    response(200, "application/grpc", framed.freeze(), Some("0"))
}

fn response(
    status: u16,
    content_type: &'static str,
    body: Bytes,
    grpc_status: Option<&'static str>,
) -> http::Response<BoxBody<Bytes, Infallible>> {
    let body = Full::new(body);
    let body = match grpc_status {
        Some(code) => {
            let mut t = http::HeaderMap::new();
            t.insert("grpc-status", http::HeaderValue::from_static(code));
            body.with_trailers(async move { Some(Ok(t)) }).boxed()
        }
        None => body.boxed(),
    };
    http::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(body)
        .unwrap()
}

/// Every log record received so far.
pub(crate) fn records(store: &Store) -> Vec<LogRecord> {
    store
        .lock()
        .unwrap()
        .iter()
        .flat_map(|g| g.req.resource_logs.iter())
        .flat_map(|r| r.scope_logs.iter())
        .flat_map(|s| s.log_records.iter().cloned())
        .collect()
}

/// The received records once there are at least `n` (up to 10 s).
pub(crate) async fn wait_for(store: &Store, n: usize) -> Vec<LogRecord> {
    for _ in 0..200 {
        let r = records(store);
        if r.len() >= n {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the receiver got {} of {n} records", records(store).len());
}

/// A CA and a server certificate for 127.0.0.1 signed by it: `(CA PEM, acceptor)`.
pub(crate) fn tls_receiver_pki() -> (String, tokio_rustls::TlsAcceptor) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    use rustls::pki_types::{pem::PemObject, PrivateKeyDer};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut sp = CertificateParams::new(Vec::<String>::new()).unwrap();
    sp.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let cert = sp.signed_by(&key, &ca_cert, &ca_key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes()).unwrap(),
        )
        .unwrap();
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    (
        ca_cert.pem(),
        tokio_rustls::TlsAcceptor::from(Arc::new(cfg)),
    )
}
