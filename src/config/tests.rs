//! Unit tests for loading and validating configuration.

use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> MapEnv {
    MapEnv(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
    )
}

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(
        text,
        "test.toml",
        &Overrides::default(),
        &env(&[("VLLM_KEY", "k-123")]),
        None,
    )
}

#[test]
fn embedded_default_is_zero_config() {
    let c = Config::embedded_default(&Overrides::default(), &MapEnv::default()).unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.admin_listen.to_string(), "127.0.0.1:9090");
    assert_eq!(c.server.max_body_bytes, 8 * 1024 * 1024);
    assert_eq!(c.data_dir, PathBuf::from("./aimsgate-data"));
    assert_eq!(c.upstreams.len(), 4);
    assert_eq!(
        c.upstreams[2].base_url.to_string(),
        "https://generativelanguage.googleapis.com/"
    );
    assert_eq!(c.routing.gemini, Some(2));
    // Bedrock: without a key or credentials it falls back to the instance metadata service
    // (unless AWS_EC2_METADATA_DISABLED); its region comes from the runtime host.
    assert_eq!(c.routing.bedrock, Some(3));
    let b = c.upstreams[3].bedrock.as_ref().unwrap();
    assert_eq!(b.region, "us-east-1");
    assert!(b.credentials.is_none() && c.upstreams[3].api_key.is_none());
    assert!(b.container.is_none() && b.imds.is_some());
    let off = MapEnv::of(&[("AWS_EC2_METADATA_DISABLED", "true")]);
    let c0 = Config::embedded_default(&Overrides::default(), &off).unwrap();
    assert!(!c0.upstreams[3].bedrock.as_ref().unwrap().can_sign());
    let env = MapEnv::of(&[
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        ("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key"),
    ]);
    let ov = Overrides {
        bedrock_base_url: Some("https://bedrock-runtime.eu-west-3.amazonaws.com".into()),
        ..Default::default()
    };
    let c = Config::embedded_default(&ov, &env).unwrap();
    let b = c.upstreams[3].bedrock.as_ref().unwrap();
    assert_eq!(b.region, "eu-west-3");
    assert_eq!(b.credentials.as_ref().unwrap().access_key_id, "AKIDENV");
    assert_eq!(
        c.upstreams[3].api_key.as_ref().unwrap().expose(),
        "bedrock-api-key"
    );
    assert_eq!(
        c.upstreams[0].base_url.to_string(),
        "https://api.openai.com/v1"
    );
    assert_eq!(
        c.upstreams[1].base_url.to_string(),
        "https://api.anthropic.com/"
    );
    assert!(c.upstreams[0].api_key.is_none());
    assert_eq!(c.identity.modes, vec![IdentityMode::PassThrough]);
    assert!(c.identity.core.pass_through);
    assert_eq!(c.routing.openai, Some(0));
    assert_eq!(c.routing.anthropic, Some(1));
}

#[test]
fn flags_override_the_file() {
    let ov = Overrides {
        listen: Some("127.0.0.1:1234".into()),
        openai_base_url: Some("http://127.0.0.1:9/v1".into()),
        data_dir: Some(PathBuf::from("/tmp/x")),
        ..Default::default()
    };
    let c = Config::from_toml(
        "[server]\nlisten = \"0.0.0.0:80\"\n",
        "f.toml",
        &ov,
        &MapEnv::default(),
        None,
    )
    .unwrap();
    assert_eq!(c.server.listen.port(), 1234);
    assert_eq!(c.upstreams[0].base_url.to_string(), "http://127.0.0.1:9/v1");
    assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
}

#[test]
fn unknown_keys_are_rejected_with_file_and_key() {
    let err = load("[server]\nlisten = \"127.0.0.1:1\"\nlisen = 3\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("test.toml:"), "{err}");
    assert!(err.contains("lisen"), "{err}");
}

#[test]
fn invalid_values_name_the_key() {
    let err = load("[server]\nheader_read_timeout = \"soon\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("server.header_read_timeout"), "{err}");
    let err = load("[[upstreams]]\nname = \"x\"\nkind = \"palm\"\nbase_url = \"https://x\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("upstreams[0].kind"), "{err}");
    let two = "[[upstreams]]\nname = \"o\"\nkind = \"openai\"\nbase_url = \"https://x\"\nfallbacks = [FB]\n[[upstreams]]\nname = \"a\"\nkind = \"anthropic\"\nbase_url = \"https://y\"\n[[upstreams]]\nname = \"o2\"\nkind = \"openai_compatible\"\nbase_url = \"https://z\"\n";
    for (fb, want) in [
        ("\"nope\"", "no upstream named `nope`"),
        ("\"a\"", "does not speak"),
        ("\"o\"", "the upstream itself"),
    ] {
        let err = load(&two.replace("FB", fb)).unwrap_err().to_string();
        assert!(
            err.contains("upstreams[0].fallbacks") && err.contains(want),
            "{err}"
        );
    }
    let ok = load(&format!(
        "{}[routing.retry]\nmax_attempts = 3\nbackoff = \"10ms\"\n",
        two.replace("FB", "\"o2\"")
    ))
    .unwrap();
    assert_eq!(ok.routing.fallbacks, vec![vec![2], vec![], vec![]]);
    assert_eq!(ok.routing.retry.max_attempts, 3);
    assert_eq!(
        ok.routing.retry.backoff,
        std::time::Duration::from_millis(10)
    );
    let err = load("[routing.retry]\nmax_attempts = 0\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("routing.retry.max_attempts"), "{err}");
    let err = load("[routing.retry]\nbudget_ratio = 2.0\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("routing.retry.budget_ratio"), "{err}");
    assert_eq!(
        load("").unwrap().routing.retry,
        crate::config::RetrySettings::default()
    );
    for (toml, key) in [
        ("[[limits]]\nid = \"a\"\nscope = \"principal\"\n", "limits[0].requests"),
        ("[[limits]]\nid = \"a\"\nscope = \"team\"\nrequests = 1\n", "limits[0].scope"),
        ("[[limits]]\nid = \"a\"\nscope = \"group\"\nrequests = 0\n", "limits[0].requests"),
        ("[[limits]]\nid = \"a\"\nscope = \"group\"\ntokens = 5\nper = \"0s\"\n", "limits[0].per"),
        ("[[limits]]\nid = \"a\"\nscope = \"group\"\ntokens = 5\nmatch = [\"a*b\"]\n", "limits[0].match"),
        ("[[limits]]\nid = \"a\"\nscope = \"group\"\ntokens = 5\n[[limits]]\nid = \"a\"\nscope = \"group\"\ntokens = 5\n", "limits[1].id"),
    ] {
        let err = load(toml).unwrap_err().to_string();
        assert!(err.contains(key), "{key}: {err}");
    }
    let l = load(
        "[[limits]]\nid = \"rpm\"\nscope = \"upstream\"\nrequests = 100\nmatch = [\"open*\"]\n",
    )
    .unwrap();
    assert_eq!(l.limits[0].per, std::time::Duration::from_secs(60));
    assert!(l.limits[0].applies_to("openai") && !l.limits[0].applies_to("anthropic"));
    let err = load("[[limits]]\nid = \"s\"\nscope = \"group\"\ncost = 5.0\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("limits[0].cost") && err.contains("[[prices]]"),
        "{err}"
    );
    let err = load("[[prices]]\nmodel = \"g*p*\"\ninput = 1.0\noutput = 1.0\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("prices[0].model"), "{err}");
    let err = load("[[prices]]\nmodel = \"gpt\"\ninput = -1.0\noutput = 1.0\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("prices[0].input"), "{err}");
    let p = load("[[prices]]\nmodel = \"gpt-4o*\"\ninput = 2.5\noutput = 10.0\n[[prices]]\nmodel = \"gpt-4o-mini\"\ninput = 0.15\noutput = 0.6\n").unwrap();
    assert_eq!(
        crate::config::cost_micros(&p.prices, Some("gpt-4o-mini"), 1_000_000, 0),
        2_500_000,
        "the first match prices"
    );
    assert_eq!(
        crate::config::cost_micros(&p.prices, Some("gpt-4o"), 1000, 1000),
        12_500
    );
    assert_eq!(
        crate::config::cost_micros(&p.prices, Some("claude-x"), 1000, 1000),
        0
    );
    assert_eq!(crate::config::cost_micros(&p.prices, None, 1000, 1000), 0);
    let err = load("[[upstreams]]\nname = \"g\"\nkind = \"gemini\"\nbase_url = \"https://x\"\napi_version = \"2024-10-21\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("upstreams[0].api_version"), "{err}");
    let err = load(
        "[[upstreams]]\nname = \"v\"\nkind = \"vertex_ai\"\nbase_url = \"https://x.example/v1\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("upstreams[0].base_url") && err.contains("publishers/google"),
        "{err}"
    );
    let err = load("[[upstreams]]\nname = \"x\"\nkind = \"openai\"\nbase_url = \"ftp://x\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("upstreams[0].base_url"), "{err}");
}

#[test]
fn secrets_come_from_env_or_files_only() {
    let ok = load("[[upstreams]]\nname = \"vllm\"\nkind = \"openai_compatible\"\nbase_url = \"http://10.0.0.1:8000/v1\"\napi_key = { env = \"VLLM_KEY\" }\n").unwrap();
    assert_eq!(ok.upstreams[0].api_key.as_ref().unwrap().expose(), "k-123");
    assert_eq!(
        format!("{:?}", ok.upstreams[0].api_key),
        "Some(Secret(***))"
    );
    let err = load("[[upstreams]]\nname = \"v\"\nkind = \"openai\"\nbase_url = \"http://h/v1\"\napi_key = { env = \"MISSING\" }\n").unwrap_err().to_string();
    assert!(
        err.contains("MISSING") && err.contains("upstreams[0].api_key"),
        "{err}"
    );
    let err = load("[[upstreams]]\nname = \"v\"\nkind = \"openai\"\nbase_url = \"http://h/v1\"\napi_key = \"sk-inline\"\n").unwrap_err().to_string();
    assert!(err.contains("test.toml"), "{err}");
}

#[test]
fn routing_references_are_checked_and_models_route() {
    let c = load(
        "[[upstreams]]\nname = \"oa\"\nkind = \"openai\"\nbase_url = \"https://a/v1\"\n\
         [[upstreams]]\nname = \"local\"\nkind = \"openai_compatible\"\nbase_url = \"http://l/v1\"\n\
         [[upstreams]]\nname = \"an\"\nkind = \"anthropic\"\nbase_url = \"https://b\"\n\
         [routing]\nopenai = \"oa\"\nallow_unlisted_models = false\n\
         [[routing.models]]\npattern = \"llama*\"\nupstream = \"local\"\n",
    )
    .unwrap();
    assert_eq!(
        c.routing
            .upstream_for(Some("llama-3.1-8b"))
            .unwrap()
            .upstream,
        1
    );
    assert!(c.routing.upstream_for(Some("gpt-4o")).is_none());
    assert!(!c.routing.allow_unlisted_models);
    assert_eq!(c.routing.anthropic, Some(2));
    let err = load("[routing]\nopenai = \"nope\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("routing.openai") && err.contains("nope"),
        "{err}"
    );
    let err = load("[routing]\nopenai = \"anthropic\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not serve"), "{err}");
}

#[test]
fn identity_modes_need_their_settings() {
    let err = load("[identity]\nmodes = [\"jwt\"]\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("identity.jwt"), "{err}");
    let err = load("[identity]\nmodes = [\"kerberos\"]\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("kerberos"), "{err}");
    let err = load("[identity]\nmodes = [\"virtual_key\"]\n[[identity.virtual_keys]]\nhash = \"sha256:00\"\nprincipal = \"p\"\nupstream_key = \"nokey\"\n").unwrap_err().to_string();
    assert!(
        err.contains("identity.virtual_keys[0].upstream_key"),
        "{err}"
    );
}

#[test]
fn shipped_example_config_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/aimsgate.example.toml");
    let e = env(&[
        ("OPENAI_API_KEY", "sk-test"),
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("AIMSGATE_TEAM_KEY", "sk-team"),
    ]);
    let c = Config::load(&path, &Overrides::default(), &e).unwrap();
    assert!(c.upstreams.len() >= 2);
}

#[test]
fn signing_key_from_env_is_parsed_and_a_bad_one_names_the_key() {
    let cfg = |var: &str| {
        Config::from_toml(
            "[evidence]\nsigning_key = { env = \"SK\" }\n",
            "test.toml",
            &Overrides::default(),
            &env(&[("SK", var)]),
            None,
        )
    };
    let ok = cfg("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=").unwrap();
    assert!(ok.evidence.signing_key.is_some());
    let err = cfg("not-a-key").unwrap_err().to_string();
    assert!(err.contains("evidence.signing_key"), "{err}");
    assert!(
        !err.contains("not-a-key"),
        "the secret is not echoed: {err}"
    );
}

#[test]
fn provider_keys_are_bound_to_their_upstream_and_mappings_must_be_unambiguous() {
    let vk = |upstream_key: &str| {
        format!(
            "[keys]\na = {{ env = \"VLLM_KEY\", upstream = \"openai\" }}\nb = {{ env = \"VLLM_KEY\", upstream = \"openai\" }}\nc = {{ env = \"VLLM_KEY\", upstream = \"anthropic\" }}\n[identity]\nmodes = [\"virtual_key\"]\n[[identity.virtual_keys]]\nhash = \"sha256:{}\"\nprincipal = \"p\"\nupstream_key = {upstream_key}\n",
            "0".repeat(64)
        )
    };
    // One key: a set of one, bound to `openai` (index 0).
    let one = load(&vk("\"a\"")).unwrap();
    let set = &one.keys["a"];
    assert!(set.for_upstream(0).is_some());
    assert!(
        set.for_upstream(1).is_none(),
        "never injected into another upstream"
    );
    // A list: one key per upstream.
    let two = load(&vk("[\"a\", \"c\"]")).unwrap();
    assert_eq!(
        two.identity.core.virtual_keys[0].key_ref.as_deref(),
        Some("a+c")
    );
    assert!(two.keys["a+c"].for_upstream(0).is_some());
    assert!(two.keys["a+c"].for_upstream(1).is_some());
    // Two keys for one upstream: ambiguous, refused.
    let err = load(&vk("[\"a\", \"b\"]")).unwrap_err().to_string();
    assert!(
        err.contains("identity.virtual_keys[0].upstream_key"),
        "{err}"
    );
    assert!(
        err.contains("ambiguous") && err.contains("`openai`"),
        "{err}"
    );
    // A key must name its upstream, and an existing one.
    let err = load("[keys]\nx = { env = \"VLLM_KEY\" }\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("keys.x.upstream"), "{err}");
    let err = load("[keys]\nx = { env = \"VLLM_KEY\", upstream = \"nope\" }\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no upstream named `nope`"), "{err}");
    assert!(!err.contains("k-123"), "the secret is not echoed: {err}");
}

#[test]
fn body_budgets_and_h2_streams_have_safe_defaults_and_are_checked() {
    let c = load("").unwrap();
    assert_eq!(c.server.max_inflight_body_bytes, 256 * 1024 * 1024);
    assert_eq!(c.server.max_connection_body_bytes, 16 * 1024 * 1024);
    assert_eq!(c.server.h2_max_concurrent_streams, 64);
    // The process default grows with a large body limit; the connection default follows it.
    let c = load("[server]\nmax_body_bytes = 134217728\n").unwrap();
    assert_eq!(c.server.max_inflight_body_bytes, 512 * 1024 * 1024);
    assert_eq!(c.server.max_connection_body_bytes, 256 * 1024 * 1024);
    let c = load("[server]\nmax_inflight_body_bytes = 1000000\nmax_connection_body_bytes = 900000\nmax_body_bytes = 800000\nh2_max_concurrent_streams = 8\n").unwrap();
    assert_eq!(c.server.max_inflight_body_bytes, 1_000_000);
    assert_eq!(c.server.max_connection_body_bytes, 900_000);
    assert_eq!(c.server.h2_max_concurrent_streams, 8);
    for (text, key) in [
        (
            "[server]\nmax_body_bytes = 1000\nmax_inflight_body_bytes = 999\n",
            "server.max_inflight_body_bytes",
        ),
        (
            "[server]\nmax_body_bytes = 1000\nmax_connection_body_bytes = 10\n",
            "server.max_connection_body_bytes",
        ),
        (
            "[server]\nh2_max_concurrent_streams = 0\n",
            "server.h2_max_concurrent_streams",
        ),
    ] {
        let err = load(text).unwrap_err().to_string();
        assert!(err.contains(key), "{err}");
    }
}

#[test]
fn unknown_shapes_defaults_to_refuse_and_takes_scan() {
    use crate::providers::extract::UnknownShapes;
    let c = Config::embedded_default(&Overrides::default(), &MapEnv::default()).unwrap();
    assert_eq!(c.classify.unknown_shapes, UnknownShapes::Refuse);
    let c = load("[classify]\nunknown_shapes = \"scan\"\n").unwrap();
    assert_eq!(c.classify.unknown_shapes, UnknownShapes::Scan);
    let c = load("[classify]\nunknown_shapes = \"refuse\"\n").unwrap();
    assert_eq!(c.classify.unknown_shapes, UnknownShapes::Refuse);
    let err = load("[classify]\nunknown_shapes = \"ignore\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("classify.unknown_shapes"), "{err}");
}

#[test]
fn test_values_default_to_detect_and_can_be_ignored() {
    use crate::classify::TestValues;
    let c = Config::embedded_default(&Overrides::default(), &MapEnv::default()).unwrap();
    assert_eq!(c.classify.test_values, TestValues::Detect);
    let c = load("[classify]\ntest_values = \"ignore\"\n").unwrap();
    assert_eq!(c.classify.test_values, TestValues::Ignore);
    let err = load("[classify]\ntest_values = \"skip\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("classify.test_values"), "{err}");
}

#[test]
fn witnesses_are_validated() {
    use crate::evidence::keys::KeyPair;
    use crate::evidence::note::vkey::Verifier;
    let w = Verifier::cosigner("w.example/w1", &KeyPair::generate().public()).to_vkey();
    let entry = |name: &str, url: &str, vkey: &str| {
        format!("[[evidence.witness]]\nname = \"{name}\"\nurl = \"{url}\"\nvkey = \"{vkey}\"\n")
    };
    let c = load(&format!(
        "[evidence]\nwitness_interval = \"2s\"\n{}{}",
        entry("a", "https://w.example/sub/", &w),
        entry("b", "http://127.0.0.1:7380", &w)
    ))
    .unwrap();
    let ws = &c.evidence.witnesses;
    assert_eq!(c.evidence.witness_interval, Duration::from_secs(2));
    assert_eq!(
        (ws[0].name.as_str(), ws[0].url.to_string().as_str()),
        ("a", "https://w.example/sub")
    );
    assert_eq!(ws[1].vkey.to_vkey(), w);
    assert_eq!(
        load("").unwrap().evidence.witness_interval,
        Duration::from_secs(5)
    );
    let log_key = Verifier::note_key("gw.example/log", &KeyPair::generate().public()).to_vkey();
    for (text, key) in [
        (entry("a", "ftp://w.example", &w), "evidence.witness[0].url"),
        (
            entry("a", "https://w.example/?x=1", &w),
            "evidence.witness[0].url",
        ),
        (
            entry("a", "https://w.example", "nope"),
            "evidence.witness[0].vkey",
        ),
        (
            entry("a", "https://w.example", &log_key),
            "evidence.witness[0].vkey",
        ),
        (
            entry("", "https://w.example", &w),
            "evidence.witness[0].name",
        ),
        (
            format!(
                "{}{}",
                entry("a", "http://x", &w),
                entry("a", "http://y", &w)
            ),
            "evidence.witness[1].name",
        ),
        (
            "[evidence]\nwitness_interval = \"1ms\"\n".to_owned(),
            "evidence.witness_interval",
        ),
        (
            format!("{}extra = 1\n", entry("a", "http://x", &w)),
            "extra",
        ),
    ] {
        let err = load(&text).unwrap_err().to_string();
        assert!(err.contains(key), "{text}: {err}");
    }
}

mod limits_store;
mod typed;

#[test]
fn presets_fill_kind_base_url_and_key_and_are_checked() {
    let with_env = |text: &str, pairs: &[(&str, &str)]| {
        Config::from_toml(text, "test.toml", &Overrides::default(), &env(pairs), None)
    };
    let c = with_env(
        "[[upstreams]]\nname = \"groq\"\npreset = \"groq\"\n",
        &[("GROQ_API_KEY", "gsk-test-1")],
    )
    .unwrap();
    let u = &c.upstreams[0];
    assert_eq!(u.kind, UpstreamKind::OpenAiCompatible);
    assert_eq!(u.base_url.to_string(), "https://api.groq.com/openai/v1");
    assert_eq!(u.api_key.as_ref().map(|k| k.expose()), Some("gsk-test-1"));
    // Unset key variable: no key injected (callers bring theirs); a local server needs none.
    let c = with_env("[[upstreams]]\nname = \"m\"\npreset = \"mistral\"\n", &[]).unwrap();
    assert!(c.upstreams[0].api_key.is_none());
    let c = with_env(
        "[[upstreams]]\nname = \"local\"\npreset = \"vllm\"\nbase_url = \"http://gpu01:8000/v1\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(c.upstreams[0].base_url.to_string(), "http://gpu01:8000/v1");
    let c = with_env("[[upstreams]]\nname = \"o\"\npreset = \"ollama\"\n", &[]).unwrap();
    assert_eq!(
        c.upstreams[0].base_url.to_string(),
        "http://127.0.0.1:11434/v1"
    );
    for (text, key, says) in [
        (
            "[[upstreams]]\nname = \"x\"\npreset = \"groqq\"\n",
            "upstreams[0].preset",
            "groq, together",
        ),
        (
            "[[upstreams]]\nname = \"x\"\npreset = \"groq\"\nkind = \"anthropic\"\n",
            "upstreams[0].kind",
            "openai_compatible",
        ),
        (
            "[[upstreams]]\nname = \"x\"\nbase_url = \"https://a.example/v1\"\n",
            "upstreams[0].kind",
            "missing",
        ),
        (
            "[[upstreams]]\nname = \"x\"\nkind = \"openai\"\n",
            "upstreams[0].base_url",
            "missing",
        ),
    ] {
        let err = with_env(text, &[]).unwrap_err().to_string();
        assert!(err.contains(key) && err.contains(says), "{text}: {err}");
    }
}

#[test]
fn guardrail_section_validates_its_listener_and_map() {
    let load = |text: &str, ov: &Overrides| {
        Config::from_toml(text, "gw.toml", ov, &MapEnv::default(), None)
    };
    let none = Overrides::default();
    assert!(
        load("", &none).unwrap().guardrail.is_none(),
        "off by default"
    );
    let g = load(
        "[guardrail]\nlisten = \"127.0.0.1:8090\"\nfail_open = true\n",
        &none,
    )
    .unwrap()
    .guardrail
    .unwrap();
    assert_eq!(g.listen.port(), 8090);
    assert!(g.fail_open);
    assert_eq!(g.pending_ttl, std::time::Duration::from_secs(600));
    let flag = Overrides {
        guardrail_listen: Some("127.0.0.1:8091".into()),
        ..Overrides::default()
    };
    assert_eq!(
        load("", &flag).unwrap().guardrail.unwrap().listen.port(),
        8091,
        "the flag turns it on"
    );
    for (text, key) in [
        ("[guardrail]\nfail_open = true\n", "guardrail.listen"),
        ("[guardrail]\nlisten = \"nowhere\"\n", "guardrail.listen"),
        ("[guardrail]\nlisten = \"127.0.0.1:1\"\npending_ttl = \"0s\"\n", "guardrail.pending_ttl"),
        ("[guardrail]\nlisten = \"127.0.0.1:1\"\nmax_pending = 0\n", "guardrail.max_pending"),
        ("[guardrail]\nlisten = \"127.0.0.1:1\"\n[[guardrail.systems]]\nmodel = \"a b\"\nai_system = \"x\"\n", "guardrail.systems[0].model"),
        ("[guardrail]\nlisten = \"127.0.0.1:1\"\n[[guardrail.systems]]\nmodel = \"m\"\nai_system = \"no spaces!\"\n", "guardrail.systems[0].ai_system"),
        ("[guardrail]\nlisten = \"127.0.0.1:1\"\nlisn = 1\n", ""),
    ] {
        let err = load(text, &none).unwrap_err().to_string();
        assert!(err.contains(key), "{text}: {err}");
    }
}
