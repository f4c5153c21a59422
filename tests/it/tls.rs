//! TLS, ALPN HTTP/2, mTLS identities from client certificates (made with rcgen), and h2c.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::support::*;

struct Pki {
    ca_pem: String,
    ca_key: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "aimsgate test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let mut sp = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    sp.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = sp.signed_by(&server_key, &ca_cert, &ca_key).unwrap();
    let client_key = KeyPair::generate().unwrap();
    let mut cp = CertificateParams::new(Vec::<String>::new()).unwrap();
    cp.distinguished_name
        .push(DnType::CommonName, "billing-bot");
    cp.subject_alt_names.push(SanType::URI(
        "spiffe://corp.test/ns/billing/sa/bot".try_into().unwrap(),
    ));
    cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = cp.signed_by(&client_key, &ca_cert, &ca_key).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        ca_key: ca_key.serialize_pem(),
        server_cert: server.pem(),
        server_key: server_key.serialize_pem(),
        client_cert: client.pem(),
        client_key: client_key.serialize_pem(),
    }
}

fn tls_client(
    p: &Pki,
    with_cert: bool,
) -> Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
> {
    let cfg = client_config(p, with_cert);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(cfg)
        .https_only()
        .enable_http2()
        .build();
    Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build(https)
}

fn files(p: &Pki) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("ca.crt", p.ca_pem.clone().into_bytes()),
        ("server.crt", p.server_cert.clone().into_bytes()),
        ("server.key", p.server_key.clone().into_bytes()),
    ]
}

async fn start_tls(mock: &MockProvider, p: &Pki, client_auth: &str) -> Gateway {
    start_tls_with(mock, p, client_auth, "").await
}

/// [`start_tls`] with `more` appended to the config.
async fn start_tls_with(mock: &MockProvider, p: &Pki, client_auth: &str, more: &str) -> Gateway {
    let extra = format!(
        "[server.tls]\ncert = \"server.crt\"\nkey = \"server.key\"\nclient_ca = \"ca.crt\"\nclient_auth = \"{client_auth}\"\n[identity]\nmodes = [\"mtls\", \"pass_through\"]\n[identity.mtls]\ngroups = [{{ prefix = \"spiffe://corp.test/ns/billing\", groups = [\"billing\"] }}]\n"
    );
    // The [server.tls] table must sit under [server]: splice it into the base config.
    let cfg = config(mock, "").replace(
        "shutdown_grace = \"10s\"\n",
        &format!(
            "shutdown_grace = \"10s\"\n{}",
            extra.split("[identity]").next().unwrap()
        ),
    );
    let cfg = format!(
        "{cfg}[identity]{}{more}",
        extra.split("[identity]").nth(1).unwrap()
    );
    let f = files(p);
    let refs: Vec<(&str, &[u8])> = f.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    Gateway::start_with(&cfg, &refs).await
}

async fn call(
    client: &Client<
        hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
        Full<Bytes>,
    >,
    url: String,
    auth: Option<(&str, &str)>,
) -> Result<(u16, http::Version, String), hyper_util::client::legacy::Error> {
    let mut req = http::Request::post(url).header("content-type", "application/json");
    if let Some((k, v)) = auth {
        req = req.header(k, v);
    }
    let resp = client
        .request(
            req.body(Full::new(Bytes::from_static(CHAT.as_bytes())))
                .unwrap(),
        )
        .await?;
    let status = resp.status().as_u16();
    let version = resp.version();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Ok((status, version, String::from_utf8_lossy(&body).into_owned()))
}

#[tokio::test]
async fn mtls_binds_the_spiffe_identity_over_http2() {
    let mock = mock().await;
    let p = pki();
    let gw = start_tls(&mock, &p, "optional").await;
    let url = format!("https://localhost:{}/v1/chat/completions", gw.addr.port());
    let (status, version, body) = call(&tls_client(&p, true), url.clone(), None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(version, http::Version::HTTP_2, "ALPN negotiates h2");
    let logs = gw
        .logs_with(&["spiffe://corp.test/ns/billing/sa/bot"])
        .await;
    assert!(
        logs.contains("spiffe://corp.test/ns/billing/sa/bot"),
        "{logs}"
    );
    assert_eq!(
        mock.received().pop().unwrap().headers["authorization"],
        "Bearer sk-upstream-openai-0000"
    );
    // No certificate (optional mode): falls back to pass-through with the caller's key.
    let (status, _, _) = call(&tls_client(&p, false), url.clone(), Some(OPENAI_AUTH))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        mock.received().pop().unwrap().headers["authorization"],
        "Bearer sk-caller-test-key-1234"
    );
    // Neither certificate nor key: 401.
    let (status, _, body) = call(&tls_client(&p, false), url, None).await.unwrap();
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn required_client_auth_rejects_connections_without_a_certificate() {
    let mock = mock().await;
    let p = pki();
    let gw = start_tls(&mock, &p, "required").await;
    let url = format!("https://localhost:{}/v1/chat/completions", gw.addr.port());
    assert!(call(&tls_client(&p, false), url.clone(), Some(OPENAI_AUTH))
        .await
        .is_err());
    let (status, _, _) = call(&tls_client(&p, true), url, None).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(mock.received().len(), 1);
}

#[tokio::test]
async fn cleartext_http2_prior_knowledge_is_served() {
    let mock = mock().await;
    let gw = Gateway::start(&config(&mock, "")).await;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let req = http::Request::post(gw.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .header(OPENAI_AUTH.0, OPENAI_AUTH.1)
        .body(Full::new(Bytes::from_static(CHAT.as_bytes())))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-aimsgate-decision-id"));
}

/// A client trusting the test CA, optionally presenting the client certificate.
fn client_config(p: &Pki, with_cert: bool) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(p.ca_pem.as_bytes()).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    if with_cert {
        let chain = vec![CertificateDer::from_pem_slice(p.client_cert.as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(p.client_key.as_bytes()).unwrap();
        builder.with_client_auth_cert(chain, key).unwrap()
    } else {
        builder.with_no_client_auth()
    }
}

/// The certificate the server presents to a fresh TLS connection.
async fn served_cert(gw: &Gateway, p: &Pki) -> Vec<u8> {
    let cfg = client_config(p, false);
    let tcp = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

/// A second server certificate from the same CA (what a renewal looks like).
fn renewed(p: &Pki) -> (String, String) {
    // The issuer as rcgen needs it: same name and key as the trusted CA.
    let ca_key = KeyPair::from_pem(&p.ca_key).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "aimsgate test CA");
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut sp = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    sp.distinguished_name.push(DnType::CommonName, "renewed");
    sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = sp.signed_by(&key, &ca, &ca_key).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn sighup_reloads_the_certificate_without_restart_and_keeps_it_on_bad_files() {
    let mock = mock().await;
    let p = pki();
    let gw = start_tls(&mock, &p, "optional").await;
    let before = served_cert(&gw, &p).await;
    assert_eq!(
        before,
        CertificateDer::from_pem_slice(p.server_cert.as_bytes())
            .unwrap()
            .to_vec()
    );
    let (cert, key) = renewed(&p);
    std::fs::write(gw.dir.path().join("server.crt"), &cert).unwrap();
    std::fs::write(gw.dir.path().join("server.key"), &key).unwrap();
    gw.signal("HUP");
    let want = CertificateDer::from_pem_slice(cert.as_bytes())
        .unwrap()
        .to_vec();
    let mut now = Vec::new();
    for _ in 0..100 {
        now = served_cert(&gw, &p).await;
        if now == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(now, want, "the renewed certificate is served after SIGHUP");
    // The same process keeps serving calls over the new certificate.
    let (status, _, body) = call(
        &tls_client(&p, false),
        format!("https://localhost:{}/v1/chat/completions", gw.addr.port()),
        Some(OPENAI_AUTH),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");

    // A broken renewal is refused; the last good certificate stays in use.
    std::fs::write(gw.dir.path().join("server.crt"), "not a certificate").unwrap();
    gw.signal("HUP");
    let mut logged = false;
    for _ in 0..100 {
        if gw.logs().contains("TLS certificate reload failed") {
            logged = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(logged, "{}", gw.logs());
    assert_eq!(served_cert(&gw, &p).await, want);
}

#[tokio::test]
async fn the_guardrail_listener_serves_tls_and_binds_the_gateways_client_certificate() {
    let mock = mock().await;
    let p = pki();
    // The guardrail listener takes the proxy listener's certificate and client CAs.
    let extra = "[guardrail]\nlisten = \"127.0.0.1:0\"\n";
    let gw = start_tls_with(&mock, &p, "optional", extra).await;
    let port = gw.guardrail.unwrap().port();
    let url = format!("https://localhost:{port}/beta/litellm_basic_guardrail_api");
    let body = r#"{"input_type":"request","litellm_call_id":null,"texts":["hello"],"model":"gpt-4o-mini","request_data":{"user_api_key_user_id":"u-7"}}"#;
    let req = http::Request::post(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap();
    let resp = tls_client(&p, true).request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), http::Version::HTTP_2);
    let answer = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&answer).unwrap()["action"],
        "NONE"
    );
    let records = export_records(&gw.data_dir());
    let d = records
        .iter()
        .map(|r| &r["kind"]["Decision"])
        .find(|d| d["guardrail_gateway"] == "litellm")
        .expect("the guarded call's decision");
    assert_eq!(
        d["principal_id"],
        "spiffe://corp.test/ns/billing/sa/bot/u-7"
    );
    assert_eq!(d["auth_method"], "mtls");
}
