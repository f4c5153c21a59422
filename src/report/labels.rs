//! Labels of record fields as the report shows them: `(none)` for an empty field, ids and model
//! names (which come from requests) cut to [`MAX_LABEL`] characters, effect names. A leaf shared
//! by the collector and the evaluation; owns no figures.
use std::borrow::Cow;

use crate::evidence::proto::Effect;

/// Label for a missing value.
pub const NONE: &str = "(none)";

/// Longest label kept; ids and model names come from requests, so they are capped.
pub const MAX_LABEL: usize = 120;

/// The label for a record field: `(none)` when empty, cut to [`MAX_LABEL`] characters.
pub fn or_none(s: &str) -> Cow<'_, str> {
    if s.is_empty() {
        Cow::Borrowed(NONE)
    } else if s.chars().count() > MAX_LABEL {
        let mut t: String = s.chars().take(MAX_LABEL - 1).collect();
        t.push('…');
        Cow::Owned(t)
    } else {
        Cow::Borrowed(s)
    }
}

/// `allow`, `redact`, ... for a proto effect number.
pub fn effect_label(e: i32) -> String {
    Effect::try_from(e)
        .ok()
        .and_then(|e| e.as_str_name().strip_prefix("EFFECT_"))
        .unwrap_or("UNSPECIFIED")
        .to_ascii_lowercase()
}
