//! Validation produces typed values: every named choice becomes its enum (an unknown name lists
//! the accepted ones under its key), and identity and evidence land in their cores' own types.

use super::*;
use crate::evidence::Durability;
use crate::identity::JwtKey;

#[test]
fn identity_modes_are_enums_deduplicated_in_order_and_fill_only_their_core_settings() {
    let c = load(
        "[identity]\nmodes = [\"trusted_header\", \"pass_through\", \"trusted_header\"]\n\
         [identity.trusted_header]\nheader = \"X-User\"\ngroups_header = \"X-Groups\"\ntrusted_peers = [\"10.0.0.0/8\"]\n\
         [identity.jwt]\nhmac_secret = { env = \"VLLM_KEY\" }\n",
    )
    .unwrap();
    assert_eq!(
        c.identity.modes,
        vec![IdentityMode::TrustedHeader, IdentityMode::PassThrough]
    );
    assert!(c.identity.enabled(IdentityMode::TrustedHeader));
    assert!(!c.identity.enabled(IdentityMode::Jwt));
    assert_eq!(c.identity.modes_list(), "trusted_header, pass_through");
    assert!(c.identity.core.pass_through);
    assert!(c.identity.core.jwt.is_none(), "configured but not enabled");
    assert_eq!(
        c.identity.trusted_header(),
        Some(("x-user".to_owned(), Some("x-groups".to_owned())))
    );
    let stripped: Vec<&str> = c
        .identity
        .strip_headers
        .iter()
        .map(|h| h.as_str())
        .collect();
    assert_eq!(stripped, ["x-user", "x-groups"]);
}

#[test]
fn trusted_headers_are_stripped_even_while_that_mode_is_off() {
    let c =
        load("[identity.trusted_header]\nheader = \"X-User\"\ntrusted_peers = [\"10.0.0.1\"]\n")
            .unwrap();
    assert_eq!(c.identity.trusted_header(), None);
    assert_eq!(c.identity.strip_headers.len(), 1);
}

#[test]
fn unknown_names_list_the_accepted_ones_under_their_key() {
    for (text, key, accepted) in [
        (
            "[identity]\nmodes = [\"kerberos\"]\n",
            "identity.modes",
            "`virtual_key`, `jwt`, `mtls`, `trusted_header` or `pass_through`",
        ),
        (
            "[evidence]\ndurability = \"eventual\"\n",
            "evidence.durability",
            "`sync` or `async`",
        ),
        (
            "[telemetry]\nlog_format = \"xml\"\n",
            "telemetry.log_format",
            "`text` or `json`",
        ),
        (
            "[telemetry]\ntraces = \"maybe\"\n",
            "telemetry.traces",
            "`auto`, `on` or `off`",
        ),
        (
            "[server.tls]\ncert = \"c\"\nkey = \"k\"\nclient_auth = \"sometimes\"\n",
            "server.tls.client_auth",
            "`required` or `optional`",
        ),
    ] {
        let err = load(text).unwrap_err().to_string();
        assert!(err.contains(&format!("`{key}`")), "{err}");
        assert!(err.contains(accepted), "{err}");
    }
}

#[test]
fn log_level_is_checked_at_load() {
    assert_eq!(load("").unwrap().telemetry.log_level.as_str(), "info");
    let c = load("[telemetry]\nlog_level = \"aimsgate=debug,hyper=warn\"\n").unwrap();
    assert_eq!(c.telemetry.log_level.as_str(), "aimsgate=debug,hyper=warn");
    let err = load("[telemetry]\nlog_level = \"aimsgate=loud\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("telemetry.log_level"), "{err}");
}

#[test]
fn jwt_keys_are_validated_into_the_identity_core_types() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k.pem"), "pem").unwrap();
    let text = |alg: &str| {
        format!("[identity]\nmodes = [\"jwt\"]\n[identity.jwt]\nhmac_secret = {{ env = \"VLLM_KEY\" }}\n[[identity.jwt.public_keys]]\nfile = \"k.pem\"\nalg = \"{alg}\"\n")
    };
    let load_in = |t: &str| {
        Config::from_toml(
            t,
            "test.toml",
            &Overrides::default(),
            &env(&[("VLLM_KEY", "k-123")]),
            Some(dir.path()),
        )
    };
    let c = load_in(&text("ES256")).unwrap();
    let jwt = c.identity.core.jwt.as_ref().unwrap();
    assert!(matches!(jwt.keys[0], JwtKey::Pem { alg, .. } if alg.as_str() == "ES256"));
    assert!(matches!(jwt.keys[1], JwtKey::Hmac { .. }));
    assert_eq!(jwt.leeway_secs, 30);
    let debug = format!("{c:?}");
    assert!(!debug.contains("k-123"), "Debug shows no secret: {debug}");
    let err = load_in(&text("none")).unwrap_err().to_string();
    assert!(err.contains("identity.jwt.public_keys[0].alg"), "{err}");
}

#[test]
fn evidence_settings_are_the_evidence_core_log_config() {
    let ov = Overrides {
        data_dir: Some(PathBuf::from("/tmp/ev")),
        ..Default::default()
    };
    let c = Config::from_toml(
        "[evidence]\ndurability = \"async\"\nasync_max_delay = \"50ms\"\nhmac_key = { env = \"VLLM_KEY\" }\n",
        "test.toml",
        &ov,
        &env(&[("VLLM_KEY", "k-123")]),
        None,
    )
    .unwrap();
    let log = &c.evidence.log;
    assert_eq!(log.dir, PathBuf::from("/tmp/ev"));
    assert_eq!(
        log.durability,
        Durability::Async {
            max_delay: Duration::from_millis(50)
        }
    );
    assert_eq!(log.hmac_key.as_deref(), Some(&b"k-123"[..]));
    assert!(log.persist_secret, "no configured signing key");
    assert!(!format!("{c:?}").contains("k-123"), "Debug shows no key");
    assert_eq!(load("").unwrap().evidence.log.durability, Durability::Sync);
}

#[test]
fn upstream_kinds_are_enums() {
    let c = load("").unwrap();
    let kinds: Vec<UpstreamKind> = c.upstreams.iter().map(|u| u.kind).collect();
    assert_eq!(
        kinds,
        [
            UpstreamKind::OpenAi,
            UpstreamKind::Anthropic,
            UpstreamKind::Gemini,
            UpstreamKind::Bedrock
        ]
    );
}
