//! `[limits_store]` validation: defaults, the Redis settings, and errors naming the dotted key.

use super::*;

fn store(section: &str, vars: &[(&str, &str)]) -> Result<LimitsStore, ConfigError> {
    let text = format!("[limits_store]\n{section}");
    Config::from_toml(&text, "test.toml", &Overrides::default(), &env(vars), None)
        .map(|c| c.limits_store)
}

fn err_key(section: &str) -> String {
    match store(section, &[]) {
        Err(ConfigError::Invalid { key, .. }) => key,
        other => panic!("expected an invalid key for {section:?}, got {other:?}"),
    }
}

#[test]
fn memory_is_the_default_and_takes_no_redis_keys() {
    let c = load("").unwrap();
    assert!(matches!(c.limits_store, LimitsStore::Memory));
    assert!(matches!(store("", &[]).unwrap(), LimitsStore::Memory));
    assert_eq!(err_key("url = \"redis://127.0.0.1\"\n"), "limits_store.url");
    assert_eq!(
        err_key("on_error = \"fail_open\"\n"),
        "limits_store.on_error"
    );
}

#[test]
fn redis_settings_with_defaults_and_a_password_reference() {
    let s = store(
        "backend = \"redis\"\nurl = \"redis://10.0.0.5:6380/2\"\npassword = { env = \"REDIS_PW\" }\n",
        &[("REDIS_PW", "s3cret-pw")],
    )
    .unwrap();
    let LimitsStore::Redis(r) = s else {
        panic!("redis expected")
    };
    assert_eq!(r.url, "redis://10.0.0.5:6380/2");
    assert_eq!(r.password.as_ref().map(Secret::expose), Some("s3cret-pw"));
    assert_eq!(r.key_prefix, "aimsgate:limits:");
    assert_eq!(r.timeout, Duration::from_millis(50));
    assert_eq!(r.on_error, FailMode::FailClosed, "the documented default");
    assert!(!format!("{r:?}").contains("s3cret-pw"), "Debug hides it");
    let s = store(
        "backend = \"redis\"\nurl = \"redis://r\"\nkey_prefix = \"p:\"\ntimeout = \"20ms\"\non_error = \"fail_open\"\n",
        &[],
    )
    .unwrap();
    let LimitsStore::Redis(r) = s else {
        panic!("redis expected")
    };
    assert_eq!(
        (r.key_prefix.as_str(), r.on_error),
        ("p:", FailMode::FailOpen)
    );
    assert_eq!(r.timeout, Duration::from_millis(20));
}

#[test]
fn bad_redis_settings_name_their_key() {
    let r = "backend = \"redis\"\n";
    assert_eq!(err_key("backend = \"etcd\"\n"), "limits_store.backend");
    assert_eq!(err_key(r), "limits_store.url");
    for url in [
        "http://r:6379",
        "rediss://r:6379",
        "redis://:pw@r:6379",
        "redis://u:pw@r:6379/0",
        "redis://r:notaport",
    ] {
        assert_eq!(
            err_key(&format!("{r}url = \"{url}\"\n")),
            "limits_store.url",
            "{url}"
        );
    }
    let u = format!("{r}url = \"redis://r\"\n");
    assert_eq!(
        err_key(&format!("{u}timeout = \"0s\"\n")),
        "limits_store.timeout"
    );
    assert_eq!(
        err_key(&format!("{u}timeout = \"fast\"\n")),
        "limits_store.timeout"
    );
    assert_eq!(
        err_key(&format!("{u}key_prefix = \"a b\"\n")),
        "limits_store.key_prefix"
    );
    assert_eq!(
        err_key(&format!("{u}on_error = \"retry\"\n")),
        "limits_store.on_error"
    );
    assert_eq!(
        err_key(&format!("{u}password = {{ env = \"UNSET_PW\" }}\n")),
        "limits_store.password"
    );
    assert!(
        matches!(
            store(&format!("{u}password = \"inline\"\n"), &[]),
            Err(ConfigError::Parse { .. })
        ),
        "a secret is never written inline"
    );
    assert!(matches!(
        store(&format!("{u}pasword = \"x\"\n"), &[]),
        Err(ConfigError::Parse { .. })
    ));
}
