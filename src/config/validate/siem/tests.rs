use super::*;

fn env(pairs: &[(&str, &str)]) -> MapEnv {
    MapEnv::of(pairs)
}

/// `[siem]` from TOML text under `env`, the error reduced to its key and message.
fn load(toml_text: &str, env: &MapEnv) -> Result<Option<SiemSettings>, (String, String)> {
    let raw: RawSiem = toml::from_str(toml_text).map_err(|e| (String::new(), e.to_string()))?;
    let cx = Ctx {
        file: "test.toml",
        env,
        base: None,
    };
    siem(&cx, &raw).map_err(|e| match e {
        ConfigError::Invalid { key, message, .. } => (key, message),
        other => (String::new(), other.to_string()),
    })
}

fn ok(toml_text: &str) -> SiemSettings {
    load(toml_text, &env(&[])).unwrap().unwrap()
}

fn err_key(toml_text: &str) -> String {
    load(toml_text, &env(&[])).unwrap_err().0
}

#[test]
fn off_without_an_endpoint_or_when_disabled() {
    assert!(load("", &env(&[])).unwrap().is_none());
    assert!(
        load("endpoint = \"http://c:4318\"\nenabled = false", &env(&[]))
            .unwrap()
            .is_none()
    );
    assert_eq!(err_key("enabled = true"), "siem.endpoint");
}

#[test]
fn http_gets_the_logs_path_and_grpc_the_service_method() {
    let s = ok("endpoint = \"http://collector:4318/\"");
    assert_eq!(s.protocol, SiemProtocol::Http);
    assert_eq!(s.url.to_string(), "http://collector:4318/v1/logs");
    let s = ok("endpoint = \"https://siem.example/otlp/v1/logs\"");
    assert_eq!(s.url.to_string(), "https://siem.example/otlp/v1/logs");
    let s = ok("endpoint = \"http://collector:4317\"\nprotocol = \"grpc\"");
    assert_eq!(s.protocol, SiemProtocol::Grpc);
    assert_eq!(s.url.path(), GRPC_PATH);
    assert_eq!(
        err_key("endpoint = \"http://c:4317/x\"\nprotocol = \"grpc\""),
        "siem.endpoint"
    );
    assert_eq!(err_key("endpoint = \"ftp://c\""), "siem.endpoint");
    assert_eq!(err_key("endpoint = \"http://u:p@c:4318\""), "siem.endpoint");
    assert_eq!(
        err_key("endpoint = \"http://c\"\nprotocol = \"kafka\""),
        "siem.protocol"
    );
}

#[test]
fn defaults_are_bounded_and_checked() {
    let s = ok("endpoint = \"http://c:4318\"");
    assert_eq!(s.queue_capacity, 10_000);
    assert_eq!(s.batch_size, 512);
    assert_eq!(s.max_retries, 5);
    assert_eq!(s.service_name, "aimsgate");
    assert_eq!(s.timeout, Duration::from_secs(10));
    let base = "endpoint = \"http://c:4318\"\n";
    for (extra, key) in [
        ("queue_capacity = 0", "siem.queue_capacity"),
        ("batch_size = 0", "siem.batch_size"),
        ("queue_capacity = 10\nbatch_size = 11", "siem.batch_size"),
        ("timeout = \"0s\"", "siem.timeout"),
        ("batch_timeout = \"soon\"", "siem.batch_timeout"),
        (
            "initial_backoff = \"2s\"\nmax_backoff = \"1s\"",
            "siem.max_backoff",
        ),
    ] {
        assert_eq!(err_key(&format!("{base}{extra}")), key, "{extra}");
    }
    let s = load(base, &env(&[("OTEL_SERVICE_NAME", "gw-eu")]))
        .unwrap()
        .unwrap();
    assert_eq!(s.service_name, "gw-eu");
}

#[test]
fn credential_headers_only_as_secret_references() {
    let text = "endpoint = \"http://c:4318\"\n[headers]\nauthorization = { env = \"SIEM_TOKEN\" }\n\"X-Scope-OrgID\" = \"tenant-1\"\n";
    let s = load(text, &env(&[("SIEM_TOKEN", "Bearer abc")]))
        .unwrap()
        .unwrap();
    let names: Vec<&str> = s.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["x-scope-orgid", "authorization"]);
    assert!(
        !format!("{s:?}").contains("abc"),
        "Debug never shows a header value"
    );
    let (key, msg) = load(text, &env(&[])).unwrap_err();
    assert_eq!(key, "siem.headers.authorization");
    assert!(msg.contains("SIEM_TOKEN"), "{msg}");
    let inline = "endpoint = \"http://c:4318\"\n[headers]\nx-api-key = \"k\"\n";
    let (key, msg) = load(inline, &env(&[])).unwrap_err();
    assert_eq!(key, "siem.headers.x-api-key");
    assert!(msg.contains("never inline"), "{msg}");
    for reserved in ["content-type", "te", "grpc-timeout", "connection"] {
        let t = format!("endpoint = \"http://c:4318\"\n[headers]\n{reserved} = \"x\"\n");
        assert_eq!(err_key(&t), format!("siem.headers.{reserved}"));
    }
}

#[test]
fn a_ca_file_must_hold_pem_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let pem = ca.self_signed(&key).unwrap().pem();
    std::fs::write(dir.path().join("ca.pem"), pem).unwrap();
    std::fs::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
    let e = env(&[]);
    let cx = Ctx {
        file: "test.toml",
        env: &e,
        base: Some(dir.path()),
    };
    let raw = |f: &str| RawSiem {
        endpoint: Some("https://collector.internal:4318".into()),
        ca_file: Some(f.into()),
        ..RawSiem::default()
    };
    let s = siem(&cx, &raw("ca.pem")).unwrap().unwrap();
    assert_eq!(s.ca_certs.len(), 1);
    assert!(crate::tls_client::client_config_with(&s.ca_certs).is_ok());
    for bad in ["junk.pem", "missing.pem"] {
        match siem(&cx, &raw(bad)) {
            Err(ConfigError::Invalid { key, .. }) => assert_eq!(key, "siem.ca_file"),
            other => panic!("{bad}: {other:?}"),
        }
    }
}
