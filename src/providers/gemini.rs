//! The Gemini API's request paths: the model is a path segment and the method follows a colon,
//! `/{version}/models/{model}:{method}` for Google AI Studio and
//! `/{version}/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}`
//! for Vertex AI.
//!
//! Owns recognising those two forms and validating their segments (a fixed set of API versions,
//! bounded id syntax), so the route table can match them and the model can be read from the
//! path. Pure; it does not build upstream URLs (the upstream's configuration does that, from the
//! model and method only) and knows nothing of bodies.

/// API versions the Gemini SDKs call (AI Studio `v1`, `v1beta`, `v1alpha`; Vertex `v1`,
/// `v1beta1`).
pub const VERSIONS: &[&str] = &["v1", "v1beta", "v1alpha", "v1beta1"];

/// A recognised Gemini request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeminiPath<'a> {
    /// One of [`VERSIONS`].
    pub version: &'a str,
    /// The model id, without `models/`.
    pub model: &'a str,
    /// The method after the colon (`generateContent`, ...), not yet checked against the routes.
    pub method: &'a str,
    /// The Vertex AI form (project and location in the path).
    pub vertex: bool,
}

/// Longest model, project or location id accepted.
const MAX_ID: usize = 128;

/// An id segment: 1-128 of `A-Z a-z 0-9 - _ . @`, starting with a letter or digit (so never a
/// dot segment).
pub fn is_id(s: &str) -> bool {
    (1..=MAX_ID).contains(&s.len())
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'))
}

/// Recognises either form; `None` for any other path (including malformed ids).
pub fn parse_path(path: &str) -> Option<GeminiPath<'_>> {
    let rest = path.strip_prefix('/')?;
    let (version, rest) = rest.split_once('/')?;
    if !VERSIONS.contains(&version) {
        return None;
    }
    let (vertex, tail) = match rest.strip_prefix("models/") {
        Some(t) => (false, t),
        None => {
            let mut seg = rest.splitn(7, '/');
            let ok = seg.next() == Some("projects")
                && seg.next().is_some_and(is_id)
                && seg.next() == Some("locations")
                && seg.next().is_some_and(is_id)
                && seg.next() == Some("publishers")
                && seg.next() == Some("google");
            let t = seg.next().and_then(|t| t.strip_prefix("models/"));
            match t {
                Some(t) if ok => (true, t),
                _ => return None,
            }
        }
    };
    let (model, method) = tail.split_once(':')?;
    if !is_id(model) || method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    Some(GeminiPath {
        version,
        model,
        method,
        vertex,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_path_forms_are_recognised_and_nothing_else() {
        let g = parse_path("/v1beta/models/gemini-2.5-flash:generateContent").unwrap();
        assert_eq!(
            (g.version, g.model, g.method, g.vertex),
            ("v1beta", "gemini-2.5-flash", "generateContent", false)
        );
        let v = parse_path(
            "/v1beta1/projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:streamGenerateContent",
        )
        .unwrap();
        assert_eq!(
            (v.version, v.model, v.method, v.vertex),
            (
                "v1beta1",
                "gemini-2.0-flash-001",
                "streamGenerateContent",
                true
            )
        );
        for bad in [
            "/v2/models/gemini:generateContent",
            "/v1beta/models/:generateContent",
            "/v1beta/models/gemini-2.5-flash",
            "/v1beta/models/gemini 2.5:generateContent",
            "/v1beta/models/../x:generateContent",
            "/v1beta/models/..:generateContent",
            "/v1beta/models/a/b:generateContent",
            "/v1beta/models/gemini:",
            "/v1beta/models/gemini:gen/x",
            "/v1/projects/p/locations/l/publishers/meta/models/m:generateContent",
            "/v1/projects/p/locations/l/publishers/google/models/m/x:generateContent",
            "/v1/projects//locations/l/publishers/google/models/m:generateContent",
            "v1beta/models/gemini:generateContent",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
        assert!(parse_path(&format!("/v1/models/{}:generateContent", "m".repeat(129))).is_none());
    }
}
