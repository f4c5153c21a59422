//! Unit tests for [`super::cross_check`]: each kind of AI system reference, known and mistyped.

use super::*;
use crate::config::{MapEnv, Overrides};

const HASH: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fn config(text: &str) -> Config {
    Config::from_toml(
        text,
        "gw.toml",
        &Overrides::default(),
        &MapEnv::default(),
        None,
    )
    .unwrap()
}

fn virtual_keys(systems: &[&str]) -> Config {
    let mut text = String::from("[identity]\nmodes = [\"virtual_key\"]\n");
    for (i, s) in systems.iter().enumerate() {
        text.push_str(&format!(
            "[[identity.virtual_keys]]\nhash = \"{HASH}\"\nprincipal = \"p{i}\"\nai_system = \"{s}\"\n"
        ));
    }
    config(&text)
}

fn mtls(system: &str) -> Config {
    config(&format!(
        "[identity]\nmodes = [\"mtls\"]\n[[identity.mtls.groups]]\nprefix = \"spiffe://corp/\"\ngroups = [\"eng\"]\n\
         [[identity.mtls.groups]]\nprefix = \"svc\"\ngroups = [\"ops\"]\nai_system = \"{system}\"\n"
    ))
}

fn baseline() -> Bundle {
    crate::policy::baseline().unwrap()
}

fn invalid(r: Result<(), ConfigError>) -> (String, String) {
    match r {
        Err(ConfigError::Invalid { file, key, message }) => {
            assert_eq!(file, "gw.toml");
            (key, message)
        }
        other => panic!("expected an invalid key, got {other:?}"),
    }
}

#[test]
fn virtual_key_naming_a_registered_system_passes() {
    cross_check(&virtual_keys(&["general-assistant"]), &baseline()).unwrap();
}

#[test]
fn virtual_key_typo_names_key_id_and_close_match() {
    let c = virtual_keys(&["general-assistant", "general-assistant", "general-asistant"]);
    let (key, message) = invalid(cross_check(&c, &baseline()));
    assert_eq!(key, "identity.virtual_keys[2].ai_system");
    assert!(message.contains("`general-asistant`"), "{message}");
    assert!(
        message.contains("did you mean `general-assistant`?"),
        "{message}"
    );
    assert!(
        message.contains("registered: general-assistant"),
        "{message}"
    );
}

#[test]
fn far_off_id_lists_the_registered_ids_without_a_guess() {
    let (key, message) = invalid(cross_check(&virtual_keys(&["payroll"]), &baseline()));
    assert_eq!(key, "identity.virtual_keys[0].ai_system");
    assert!(!message.contains("did you mean"), "{message}");
    assert!(
        message.contains("registered: general-assistant"),
        "{message}"
    );
}

#[test]
fn mtls_mapping_references_are_checked() {
    cross_check(&mtls("general-assistant"), &baseline()).unwrap();
    let (key, message) = invalid(cross_check(&mtls("general-assistent"), &baseline()));
    assert_eq!(key, "identity.mtls.groups[1].ai_system");
    assert!(message.contains("`general-assistent`"), "{message}");
    assert!(message.contains("did you mean"), "{message}");
}

#[test]
fn keys_without_a_system_and_disabled_modes_are_not_references() {
    let c = config(&format!(
        "[identity]\nmodes = [\"virtual_key\"]\n[[identity.virtual_keys]]\nhash = \"{HASH}\"\nprincipal = \"p\"\n"
    ));
    assert!(ai_system_refs(&c).is_empty());
    cross_check(&c, &baseline()).unwrap();
    // Keys configured while only pass-through is on are never used.
    let c = config(&format!(
        "[[identity.virtual_keys]]\nhash = \"{HASH}\"\nprincipal = \"p\"\nai_system = \"nope\"\n"
    ));
    cross_check(&c, &baseline()).unwrap();
    cross_check(&config(""), &baseline()).unwrap();
}

#[test]
fn edit_distance_counts_characters() {
    assert_eq!(edit_distance("", ""), 0);
    assert_eq!(edit_distance("abc", "abc"), 0);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("é", "e"), 1);
    assert_eq!(closest("suport", &["support", "sales"]), Some("support"));
    assert_eq!(closest("x", &["support"]), None);
}

#[test]
fn guardrail_model_map_names_registered_systems_only() {
    let guard = |s: &str| {
        config(&format!(
            "[guardrail]\nlisten = \"127.0.0.1:0\"\n[[guardrail.systems]]\nmodel = \"gpt-4o*\"\nai_system = \"general-assistant\"\n[[guardrail.systems]]\nmodel = \"claude-*\"\nai_system = \"{s}\"\n"
        ))
    };
    cross_check(&guard("general-assistant"), &baseline()).unwrap();
    let (key, message) = invalid(cross_check(&guard("general-asistant"), &baseline()));
    assert_eq!(key, "guardrail.systems[1].ai_system");
    assert!(
        message.contains("did you mean `general-assistant`"),
        "{message}"
    );
}
