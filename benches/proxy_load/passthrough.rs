//! The hyper floor: a bare pass-through built from the same libraries as aimsgate's hop (hyper's
//! HTTP/1.1 server, hyper-util's pooled client, a multi-threaded tokio runtime), with no phase at
//! all. Run by the benchmark binary itself in a child process
//! (`AIMSGATE_BENCH_PASSTHROUGH=LISTEN_ADDR,UPSTREAM_PORT`), so its CPU is measured apart; the
//! row shows what the HTTP stack costs before any enforcement.

use std::convert::Infallible;
use std::net::SocketAddr;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// Serves until killed; `spec` is `LISTEN_ADDR,UPSTREAM_PORT`.
pub fn serve(spec: &str) {
    let (listen, upstream) = spec.split_once(',').expect("LISTEN_ADDR,UPSTREAM_PORT");
    let listen: SocketAddr = listen.parse().expect("listen address");
    let upstream: u16 = upstream.parse().expect("upstream port");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(listen, upstream));
}

async fn run(listen: SocketAddr, upstream: u16) {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    let client: Client<HttpConnector, Incoming> = Client::builder(TokioExecutor::new()).build(http);
    let listener = tokio::net::TcpListener::bind(listen).await.expect("bind");
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let client = client.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: hyper::Request<Incoming>| {
                let client = client.clone();
                async move {
                    let (mut parts, body) = req.into_parts();
                    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                    parts.uri = format!("http://127.0.0.1:{upstream}{path}")
                        .parse()
                        .expect("upstream uri");
                    parts.headers.remove(http::header::HOST);
                    let resp = match client
                        .request(hyper::Request::from_parts(parts, body))
                        .await
                    {
                        Ok(r) => r.map(http_body_util::Either::Left),
                        Err(_) => hyper::Response::builder()
                            .status(502)
                            .body(http_body_util::Either::Right(http_body_util::Empty::new()))
                            .expect("502"),
                    };
                    Ok::<_, Infallible>(resp)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(tcp), svc)
                .await;
        });
    }
}
