//! `[classify]`: how much of a body is scanned, whether responses are, and what request
//! extraction does with a shape it does not recognise.
//!
//! Does not build the classifier: that needs the policy bundle's dictionaries.

use super::*;

impl Named for crate::classify::TestValues {
    const NAMES: &'static [(&'static str, Self)] =
        &[("detect", Self::Detect), ("ignore", Self::Ignore)];
}

impl Named for UnknownShapes {
    const NAMES: &'static [(&'static str, Self)] =
        &[("refuse", Self::Refuse), ("scan", Self::Scan)];
}

pub(super) fn classify(
    cx: &Ctx<'_>,
    c: &RawClassify,
    server: &ServerConfig,
) -> Result<ClassifySettings, ConfigError> {
    Ok(ClassifySettings {
        max_scan_bytes: c.max_scan_bytes.unwrap_or(server.max_body_bytes),
        scan_responses: c.scan_responses.unwrap_or(true),
        unknown_shapes: cx.choice(
            "classify.unknown_shapes",
            c.unknown_shapes.as_deref(),
            UnknownShapes::Refuse,
        )?,
        test_values: cx.choice(
            "classify.test_values",
            c.test_values.as_deref(),
            crate::classify::TestValues::Detect,
        )?,
    })
}
