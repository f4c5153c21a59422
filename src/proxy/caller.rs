//! Caller-controlled strings outside the model-visible text: the `model` name, the
//! `x-request-id`, the query string and the request headers, and what of each the proxy accepts,
//! stores, labels with, or sends upstream.
//!
//! Owns the syntax rules ("a model name is a model name"), the per-API query allow-list, the
//! per-provider header allow-list and the metric label rule (labels only from configured
//! values). Pure functions over strings and config; classifying a value (a credential pasted
//! into a model name) is the pipeline's job, with the shared classifier.
//!
//! Deliberately not here: the body's text (the classifier sees that through `providers::extract`),
//! identity headers (`identity`), and the AI-system header (validated in the identify phase).

use http::HeaderName;

use crate::config::{Routing, UpstreamKind};
use crate::providers::Operation;

/// Longest `model` value accepted (real names are well under 100 bytes).
pub const MAX_MODEL_LEN: usize = 256;
/// Longest `x-request-id` kept; longer or odd ones are replaced by a generated id.
pub const MAX_REQUEST_ID_LEN: usize = 128;
/// The metric label for values that are not configured.
pub const OTHER: &str = "other";

/// Why a `model` value is not a model name. The text never echoes the value.
pub fn model_syntax(model: &str) -> Result<(), &'static str> {
    if model.is_empty() {
        return Err("it is empty");
    }
    if model.len() > MAX_MODEL_LEN {
        return Err("it is longer than 256 bytes");
    }
    // OpenAI (`gpt-4o-2024-08-06`, `ft:gpt-4o-mini:org:name:id`), Anthropic
    // (`claude-opus-4-20250514`), hosted open models (`meta-llama/Llama-3.1-70B`, `model@2407`).
    let ok = |b: u8| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'@' | b'+')
    };
    if !model.bytes().all(ok) {
        return Err("it may hold only letters, digits and - _ . : / @ +");
    }
    Ok(())
}

/// Is this caller-sent `x-request-id` one we keep (bounded, printable ASCII, no spaces)?
pub fn request_id_syntax(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_REQUEST_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic())
}

/// The query string sent upstream for `op`: only the parameters the provider's API defines for
/// that route, each with a value of the expected form; everything else is dropped. `None` when
/// nothing is left.
///
/// Anthropic defines `beta=true` on Messages (the SDK's beta namespace) and `limit`,
/// `before_id`, `after_id` on model listing; OpenAI's routes served here take none (Azure's
/// `api-version` comes from configuration, never from the caller).
pub fn upstream_query(op: Operation, kind: UpstreamKind, query: Option<&str>) -> Option<String> {
    let query = query.filter(|q| !q.is_empty())?;
    let allowed = |name: &str, value: &str| -> bool {
        match (kind, op, name) {
            (UpstreamKind::Anthropic, Operation::Messages | Operation::CountTokens, "beta") => {
                matches!(value, "true" | "false")
            }
            (UpstreamKind::Anthropic, Operation::Models, "limit") => {
                (1..=4).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())
            }
            (UpstreamKind::Anthropic, Operation::Models, "before_id" | "after_id") => {
                (1..=128).contains(&value.len())
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            }
            _ => false,
        }
    };
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let seen = kept
            .iter()
            .any(|k| k.split_once('=').map_or(*k, |(n, _)| n) == name);
        if allowed(name, value) && !seen {
            kept.push(pair);
        }
    }
    (!kept.is_empty()).then(|| kept.join("&"))
}

/// Headers an SDK sends that every provider accepts.
const COMMON_HEADERS: &[&str] = &["accept", "content-type", "user-agent", "idempotency-key"];

/// May the caller's header `name` (lower-case) go to an upstream of `kind`?
///
/// An allow-list per provider: the common content headers, the SDKs' `x-stainless-*` telemetry,
/// and the provider's own version header. Headers that choose whose account a call runs under
/// or unlock account features (`openai-organization`, `openai-project`, `anthropic-beta`) and
/// the caller's credential headers go only with the caller's own credential (pass-through);
/// next to a key aimsgate injects they are dropped unless the upstream lists them in
/// `forward_headers`. Anything else is dropped unless listed there.
pub fn forwards_header(
    kind: UpstreamKind,
    name: &str,
    caller_credential: bool,
    configured: &[HeaderName],
) -> bool {
    if configured.iter().any(|h| h.as_str() == name) {
        return true;
    }
    if COMMON_HEADERS.contains(&name) || name.starts_with("x-stainless-") {
        return true;
    }
    match kind {
        UpstreamKind::Anthropic => match name {
            "anthropic-version" => true,
            "anthropic-beta" | "x-api-key" | "authorization" => caller_credential,
            _ => false,
        },
        UpstreamKind::OpenAi | UpstreamKind::OpenAiCompatible => match name {
            "openai-organization" | "openai-project" | "authorization" => caller_credential,
            _ => false,
        },
        UpstreamKind::AzureOpenAi => match name {
            "api-key" | "authorization" => caller_credential,
            _ => false,
        },
        // `x-goog-api-client` names the SDK and its version; the quota project goes with the
        // caller's own credential only.
        UpstreamKind::Gemini | UpstreamKind::VertexAi => match name {
            "x-goog-api-client" => true,
            "x-goog-api-key" | "authorization" | "x-goog-user-project" => caller_credential,
            _ => false,
        },
        // InvokeModel's trace, guardrail and latency settings; the caller's `authorization`
        // only when it is a Bedrock API key sent in pass-through (a SigV4 signature made for
        // aimsgate is never relayed: identify refuses it or takes it as a virtual key), and
        // never its `x-amz-*` signing headers (aimsgate signs for itself).
        UpstreamKind::Bedrock => match name {
            "x-amzn-bedrock-trace"
            | "x-amzn-bedrock-guardrailidentifier"
            | "x-amzn-bedrock-guardrailversion"
            | "x-amzn-bedrock-performanceconfig-latency"
            | "x-amzn-bedrock-service-tier" => true,
            "authorization" => caller_credential,
            _ => false,
        },
    }
}

/// The metric label for a model: the pattern of the bound system's approved `models` entry it
/// matched (`listed`), else the routing pattern it matched (the exact name when that pattern has
/// no wildcard), else [`OTHER`]. Labels come only from configuration, so the series count is
/// bounded by it, whatever callers send.
pub fn model_label(model: Option<&str>, listed: Option<&str>, routing: &Routing) -> String {
    let Some(model) = model else {
        return "-".to_owned();
    };
    listed
        .map(str::to_owned)
        .or_else(|| routing.upstream_for(Some(model)).map(|r| r.pattern))
        .unwrap_or_else(|| OTHER.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_of_every_provider_pass_and_other_strings_do_not() {
        for m in [
            "gpt-4o-2024-08-06",
            "ft:gpt-4o-mini-2024-07-18:my-org:custom:9xYz12ab",
            "claude-opus-4-20250514",
            "meta-llama/Meta-Llama-3.1-70B-Instruct",
            "mistral-large@2407",
            "text-embedding-3-small",
        ] {
            assert_eq!(model_syntax(m), Ok(()), "{m}");
        }
        for m in [
            "",
            "gpt 4o",
            "gpt-4o\n",
            "gpt-4o?x=1",
            "gpt-4o\"",
            "gpt–4o",
            "a/b#c",
        ] {
            assert!(model_syntax(m).is_err(), "{m:?}");
        }
        assert!(model_syntax(&"g".repeat(257)).is_err());
        assert!(model_syntax(&"g".repeat(256)).is_ok());
    }

    #[test]
    fn request_ids_are_bounded_printable_ascii() {
        assert!(request_id_syntax("req-123_abc"));
        assert!(!request_id_syntax(""));
        assert!(!request_id_syntax("a b"));
        assert!(!request_id_syntax(&"x".repeat(129)));
        assert!(!request_id_syntax("é"));
    }

    #[test]
    fn query_strings_keep_only_what_the_api_defines() {
        use Operation::*;
        use UpstreamKind::*;
        assert_eq!(
            upstream_query(Messages, Anthropic, Some("beta=true")).as_deref(),
            Some("beta=true")
        );
        assert_eq!(
            upstream_query(Messages, Anthropic, Some("beta=true&x=1")).as_deref(),
            Some("beta=true")
        );
        assert_eq!(upstream_query(Messages, Anthropic, Some("beta=yes")), None);
        assert_eq!(
            upstream_query(Messages, Anthropic, Some("beta=true&beta=false")).as_deref(),
            Some("beta=true")
        );
        assert_eq!(
            upstream_query(ChatCompletions, OpenAi, Some("beta=true")),
            None
        );
        assert_eq!(
            upstream_query(ChatCompletions, AzureOpenAi, Some("api-version=2099-01-01")),
            None
        );
        assert_eq!(
            upstream_query(
                Models,
                Anthropic,
                Some("limit=20&after_id=claude-3&before_id=a%20b")
            )
            .as_deref(),
            Some("limit=20&after_id=claude-3")
        );
        assert_eq!(upstream_query(Models, OpenAi, Some("limit=20")), None);
        assert_eq!(upstream_query(Messages, Anthropic, None), None);
        assert_eq!(upstream_query(Messages, Anthropic, Some("")), None);
    }

    #[test]
    fn headers_follow_the_provider_allow_list() {
        use UpstreamKind::*;
        let none: &[HeaderName] = &[];
        for kind in [OpenAi, OpenAiCompatible, Anthropic, AzureOpenAi] {
            assert!(forwards_header(kind, "content-type", false, none));
            assert!(forwards_header(kind, "x-stainless-lang", false, none));
            assert!(!forwards_header(kind, "x-forwarded-for", true, none));
            assert!(!forwards_header(kind, "cookie", true, none));
        }
        assert!(forwards_header(OpenAi, "openai-organization", true, none));
        assert!(!forwards_header(OpenAi, "openai-organization", false, none));
        assert!(!forwards_header(OpenAi, "openai-project", false, none));
        assert!(!forwards_header(OpenAi, "authorization", false, none));
        assert!(forwards_header(Anthropic, "anthropic-version", false, none));
        assert!(!forwards_header(Anthropic, "anthropic-beta", false, none));
        assert!(forwards_header(Anthropic, "anthropic-beta", true, none));
        assert!(!forwards_header(OpenAi, "anthropic-version", true, none));
        let beta = [HeaderName::from_static("anthropic-beta")];
        assert!(forwards_header(Anthropic, "anthropic-beta", false, &beta));
    }

    #[test]
    fn model_labels_come_only_from_configured_patterns() {
        let routing = Routing {
            models: ["gpt-4o*", "claude-opus-4-20250514", "llama*"]
                .map(|p| (p.to_owned(), 0))
                .to_vec(),
            ..Routing::default()
        };
        let label = |m| model_label(Some(m), None, &routing);
        assert_eq!(label("gpt-4o-mini"), "gpt-4o*");
        assert_eq!(label("claude-opus-4-20250514"), "claude-opus-4-20250514");
        assert_eq!(label("claude-opus-4-x"), OTHER);
        assert_eq!(label("gpt-AKIA2E4G6J7K3M5N7P2Q"), OTHER);
        assert_eq!(model_label(None, None, &routing), "-");
        // The bound system's inventory pattern comes first.
        assert_eq!(
            model_label(Some("llama-3"), Some("llama-3*"), &routing),
            "llama-3*"
        );
    }
}
