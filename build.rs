//! Compiles `proto/` into Rust with a pure-Rust protobuf compiler (protox), so no `protoc`
//! install is needed. Generated code is included by `src/evidence/proto.rs`.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("proto");
    let file = root.join("aimsgate/evidence/v1/evidence.proto");
    println!("cargo:rerun-if-changed={}", file.display());
    println!("cargo:rerun-if-changed=build.rs");
    let fds = protox::compile([&file], [&root])?;
    let mut config = prost_build::Config::new();
    config.type_attribute(".", "#[derive(serde::Serialize)]");
    config.field_attribute(
        "aimsgate.evidence.v1.Record.prev_body_hash",
        "#[serde(serialize_with = \"crate::evidence::proto::hex_bytes\")]",
    );
    config.field_attribute(
        "aimsgate.evidence.v1.KeyRotation.new_public_key",
        "#[serde(serialize_with = \"crate::evidence::proto::hex_bytes\")]",
    );
    config.field_attribute(
        "aimsgate.evidence.v1.Checkpoint.root_hash",
        "#[serde(serialize_with = \"crate::evidence::proto::hex_bytes\")]",
    );
    config.field_attribute(
        "aimsgate.evidence.v1.RetentionPrune.anchor_root_hash",
        "#[serde(serialize_with = \"crate::evidence::proto::hex_bytes\")]",
    );
    // Absent (0) in exports of records without test values, so older exports stay unchanged.
    config.field_attribute(
        "aimsgate.evidence.v1.ClassFinding.test_values",
        "#[serde(skip_serializing_if = \"crate::evidence::proto::is_zero\")]",
    );
    // Absent in exports of activations written before bundles named an approver.
    for f in ["approved_by", "change_ref"] {
        config.field_attribute(
            format!("aimsgate.evidence.v1.PolicyActivation.{f}"),
            "#[serde(skip_serializing_if = \"String::is_empty\")]",
        );
    }
    // Absent in exports of calls answered at the first attempt, so older exports are unchanged.
    config.field_attribute(
        "aimsgate.evidence.v1.OutcomeRecord.hops",
        "#[serde(skip_serializing_if = \"Vec::is_empty\")]",
    );
    config.field_attribute(
        "aimsgate.evidence.v1.OutcomeRecord.answered_by",
        "#[serde(skip_serializing_if = \"String::is_empty\")]",
    );
    config.compile_fds(fds)?;
    Ok(())
}
