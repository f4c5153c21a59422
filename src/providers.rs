//! Provider adapters: which API routes exist, which provider family each belongs to, and how
//! that provider's SDKs expect errors to look.
//!
//! Owns the route table and the error JSON shapes. Request-body extraction and rewriting live in
//! [`extract`], server-sent-event parsing in [`sse`]. Nothing here decides allow or deny.

pub mod bedrock;
pub mod eventstream;
pub mod extract;
pub mod gemini;
pub mod sse;

use crate::error::{Error, ErrorKind};
use extract::Api;

/// The provider family whose wire conventions (auth header, error shape) a route follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    OpenAi,
    Anthropic,
    /// The Gemini API (Google AI Studio and Vertex AI).
    Google,
    /// The Amazon Bedrock runtime (Converse and InvokeModel).
    Bedrock,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::Google => "google",
            Self::Bedrock => "bedrock",
        }
    }
}

/// One API operation aimsgate proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    ChatCompletions,
    Responses,
    Embeddings,
    Completions,
    Models,
    Messages,
    CountTokens,
    /// Gemini `models/{model}:generateContent`.
    GenerateContent,
    /// Gemini `models/{model}:streamGenerateContent` (server-sent events, `alt=sse`).
    StreamGenerateContent,
    /// Gemini `models/{model}:countTokens`.
    GeminiCountTokens,
    /// Gemini `models/{model}:embedContent`.
    EmbedContent,
    /// Gemini `models/{model}:batchEmbedContents` (what the Gen AI SDKs call for embeddings).
    BatchEmbedContents,
    /// Bedrock `POST /model/{modelId}/converse`.
    Converse,
    /// Bedrock `POST /model/{modelId}/converse-stream` (AWS event stream).
    ConverseStream,
    /// Bedrock `POST /model/{modelId}/invoke` (InvokeModel; the body is the model's own shape).
    InvokeModel,
    /// Bedrock `POST /model/{modelId}/invoke-with-response-stream` (AWS event stream).
    InvokeModelStream,
}

impl Operation {
    /// This operation's row of [`ROUTES`].
    fn row(self) -> &'static Route {
        // The table lists the variants in declaration order (checked by a test).
        &ROUTES[self as usize]
    }

    /// The family whose conventions this operation follows. `GET /v1/models` is both
    /// providers' route: it follows `hint`, the family the caller's SDK headers name
    /// ([`family_hint`]).
    pub fn family(self, hint: Family) -> Family {
        self.row().family.unwrap_or(hint)
    }

    /// The operation name used in policy facts, evidence and telemetry
    /// (OTel GenAI `gen_ai.operation.name` where one exists).
    pub fn as_str(self) -> &'static str {
        self.row().name
    }

    /// Its path as the SDKs call it (and as an upstream serves it under its base path).
    pub fn path(self) -> &'static str {
        self.row().path
    }

    /// Its OpenTelemetry GenAI `gen_ai.operation.name` (`chat` for every chat-style API).
    pub fn gen_ai_name(self) -> &'static str {
        self.row().gen_ai
    }

    /// The request API its body is extracted as; `None` for a bodiless route.
    pub fn api(self) -> Option<Api> {
        self.row().api
    }

    /// Whether the operation carries a JSON body with prompt text.
    pub fn has_body(self) -> bool {
        self.api().is_some()
    }

    /// Whether the route itself asks for a streamed answer (Gemini's `:streamGenerateContent`);
    /// other APIs say so in the body (`"stream": true`).
    pub fn streams_by_route(self) -> bool {
        matches!(
            self,
            Self::StreamGenerateContent | Self::ConverseStream | Self::InvokeModelStream
        )
    }

    /// The Bedrock action (`converse`, ...) of a Bedrock operation: its path's last segment.
    pub fn bedrock_action(self) -> Option<&'static str> {
        let row = self.row();
        if row.family != Some(Family::Bedrock) {
            return None;
        }
        row.path.rsplit_once('/').map(|(_, a)| a)
    }

    /// The Gemini method name (`generateContent`, ...) of a Gemini operation.
    pub fn gemini_method(self) -> Option<&'static str> {
        self.row().path.rsplit_once(':').map(|(_, m)| m)
    }
}

/// Hop-by-hop headers (RFC 9110 §7.6.1, plus the legacy `keep-alive` / `proxy-connection`):
/// they describe one connection and are never relayed in either direction.
pub const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// One proxied route: the only place an operation's method, path, API and name are spelled.
#[derive(Debug)]
pub struct Route {
    pub method: &'static str,
    /// Matched exactly (no query string); a Gemini route's path is its template, matched by
    /// [`gemini::parse_path`] (the model is a path segment).
    pub path: &'static str,
    pub op: Operation,
    /// How its body is extracted; `None`: it takes no body.
    pub api: Option<Api>,
    /// The name in policy facts, evidence, metrics and spans.
    pub name: &'static str,
    /// The OpenTelemetry GenAI `gen_ai.operation.name`.
    pub gen_ai: &'static str,
    /// Whose conventions it follows; `None`: both providers' route, the SDK headers decide.
    pub family: Option<Family>,
}

const fn route_row(
    method: &'static str,
    path: &'static str,
    op: Operation,
    api: Option<Api>,
    (name, gen_ai): (&'static str, &'static str),
    family: Option<Family>,
) -> Route {
    Route {
        method,
        path,
        op,
        api,
        name,
        gen_ai,
        family,
    }
}

/// The route table, one row per [`Operation`] in declaration order.
pub const ROUTES: &[Route] = &[
    route_row(
        "POST",
        "/v1/chat/completions",
        Operation::ChatCompletions,
        Some(Api::OpenAiChat),
        ("chat", "chat"),
        Some(Family::OpenAi),
    ),
    route_row(
        "POST",
        "/v1/responses",
        Operation::Responses,
        Some(Api::OpenAiResponses),
        ("responses", "chat"),
        Some(Family::OpenAi),
    ),
    route_row(
        "POST",
        "/v1/embeddings",
        Operation::Embeddings,
        Some(Api::OpenAiEmbeddings),
        ("embeddings", "embeddings"),
        Some(Family::OpenAi),
    ),
    route_row(
        "POST",
        "/v1/completions",
        Operation::Completions,
        Some(Api::OpenAiCompletions),
        ("completions", "text_completion"),
        Some(Family::OpenAi),
    ),
    route_row(
        "GET",
        "/v1/models",
        Operation::Models,
        None,
        ("models", "models"),
        None,
    ),
    route_row(
        "POST",
        "/v1/messages",
        Operation::Messages,
        Some(Api::AnthropicMessages),
        ("messages", "chat"),
        Some(Family::Anthropic),
    ),
    route_row(
        "POST",
        "/v1/messages/count_tokens",
        Operation::CountTokens,
        Some(Api::AnthropicCountTokens),
        ("count_tokens", "count_tokens"),
        Some(Family::Anthropic),
    ),
    route_row(
        "POST",
        "/v1beta/models/{model}:generateContent",
        Operation::GenerateContent,
        Some(Api::GeminiGenerate),
        ("generate_content", "chat"),
        Some(Family::Google),
    ),
    route_row(
        "POST",
        "/v1beta/models/{model}:streamGenerateContent",
        Operation::StreamGenerateContent,
        Some(Api::GeminiGenerate),
        ("stream_generate_content", "chat"),
        Some(Family::Google),
    ),
    route_row(
        "POST",
        "/v1beta/models/{model}:countTokens",
        Operation::GeminiCountTokens,
        Some(Api::GeminiCountTokens),
        ("gemini_count_tokens", "count_tokens"),
        Some(Family::Google),
    ),
    route_row(
        "POST",
        "/v1beta/models/{model}:embedContent",
        Operation::EmbedContent,
        Some(Api::GeminiEmbed),
        ("embed_content", "embeddings"),
        Some(Family::Google),
    ),
    route_row(
        "POST",
        "/v1beta/models/{model}:batchEmbedContents",
        Operation::BatchEmbedContents,
        Some(Api::GeminiEmbed),
        ("batch_embed_contents", "embeddings"),
        Some(Family::Google),
    ),
    route_row(
        "POST",
        "/model/{model}/converse",
        Operation::Converse,
        Some(Api::BedrockConverse),
        ("converse", "chat"),
        Some(Family::Bedrock),
    ),
    route_row(
        "POST",
        "/model/{model}/converse-stream",
        Operation::ConverseStream,
        Some(Api::BedrockConverse),
        ("converse_stream", "chat"),
        Some(Family::Bedrock),
    ),
    route_row(
        "POST",
        "/model/{model}/invoke",
        Operation::InvokeModel,
        Some(Api::BedrockInvoke),
        ("invoke_model", "chat"),
        Some(Family::Bedrock),
    ),
    route_row(
        "POST",
        "/model/{model}/invoke-with-response-stream",
        Operation::InvokeModelStream,
        Some(Api::BedrockInvoke),
        ("invoke_model_stream", "chat"),
        Some(Family::Bedrock),
    ),
];

/// Find the operation for a request line, or the error that explains why there is none.
pub fn route(method: &str, path: &str) -> Result<Operation, Error> {
    let mut path_known = None;
    for r in ROUTES {
        if r.path == path {
            if r.method == method {
                return Ok(r.op);
            }
            path_known = Some(r.method);
        }
    }
    if let Some(g) = gemini::parse_path(path) {
        let row = ROUTES
            .iter()
            .find(|r| r.family == Some(Family::Google) && r.op.gemini_method() == Some(g.method));
        match row {
            Some(r) if r.method == method => return Ok(r.op),
            Some(r) => path_known = Some(r.method),
            None => {}
        }
    }
    if let Some(b) = bedrock::parse_path(path) {
        let row = ROUTES
            .iter()
            .find(|r| r.op.bedrock_action() == Some(b.action));
        match row {
            Some(r) if r.method == method => return Ok(r.op),
            Some(r) => path_known = Some(r.method),
            None => {}
        }
    }
    match path_known {
        Some(allowed) => Err(Error::MethodNotAllowed {
            method: method.to_owned(),
            path: path.to_owned(),
            allowed,
        }),
        None => Err(Error::UnknownRoute {
            method: method.to_owned(),
            path: truncate(path, 200).to_owned(),
        }),
    }
}

/// Guess the error family of a request that matched no route, so even a 404 reads well in the
/// SDK that sent it: Anthropic SDKs send `anthropic-version` or `x-api-key`, Google's send
/// `x-goog-api-key` or `x-goog-api-client`.
pub fn family_hint(anthropic_headers: bool, google_headers: bool) -> Family {
    if anthropic_headers {
        Family::Anthropic
    } else if google_headers {
        Family::Google
    } else {
        Family::OpenAi
    }
}

/// Render `err` as the JSON error body the provider's SDK parses.
pub fn error_body(family: Family, err: &Error) -> Vec<u8> {
    let message = err.to_string();
    let value = match family {
        Family::OpenAi => serde_json::json!({
            "error": {
                "message": message,
                "type": openai_type(err.kind()),
                "param": null,
                "code": err.code(),
            }
        }),
        Family::Anthropic => serde_json::json!({
            "type": "error",
            "error": { "type": anthropic_type(err.kind()), "message": message },
        }),
        // google.rpc.Status as the Gemini API returns it (`code` repeats the HTTP status).
        Family::Google => serde_json::json!({
            "error": {
                "code": err.status().as_u16(),
                "message": message,
                "status": google_status(err.kind()),
            }
        }),
        // Bedrock's REST-JSON errors: the code travels in `x-amzn-errortype`
        // ([`bedrock_error_type`]), the body carries the message.
        Family::Bedrock => serde_json::json!({ "message": message }),
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

fn openai_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::TooLarge | ErrorKind::NotFound => {
            "invalid_request_error"
        }
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::Permission => "permission_error",
        ErrorKind::Timeout => "timeout_error",
        ErrorKind::Api => "api_error",
        ErrorKind::Overloaded => "server_error",
        ErrorKind::RateLimit => "rate_limit_error",
    }
}

fn anthropic_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest => "invalid_request_error",
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::Permission => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::TooLarge => "request_too_large",
        ErrorKind::Timeout => "timeout_error",
        ErrorKind::Api => "api_error",
        ErrorKind::Overloaded => "overloaded_error",
        ErrorKind::RateLimit => "rate_limit_error",
    }
}

/// The `google.rpc.Code` name Google APIs pair with each kind of error.
pub fn google_status(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::TooLarge => "INVALID_ARGUMENT",
        ErrorKind::Authentication => "UNAUTHENTICATED",
        ErrorKind::Permission => "PERMISSION_DENIED",
        ErrorKind::NotFound => "NOT_FOUND",
        ErrorKind::Timeout => "DEADLINE_EXCEEDED",
        ErrorKind::Api => "INTERNAL",
        ErrorKind::Overloaded => "UNAVAILABLE",
        ErrorKind::RateLimit => "RESOURCE_EXHAUSTED",
    }
}

/// The AWS error code (the `x-amzn-errortype` header botocore reads into
/// `ClientError.response["Error"]["Code"]`) Bedrock pairs with each kind of error.
pub fn bedrock_error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::TooLarge => "ValidationException",
        ErrorKind::Authentication => "UnrecognizedClientException",
        ErrorKind::Permission => "AccessDeniedException",
        ErrorKind::NotFound => "ResourceNotFoundException",
        ErrorKind::Timeout => "ModelTimeoutException",
        ErrorKind::Api => "InternalServerException",
        ErrorKind::Overloaded => "ServiceUnavailableException",
        ErrorKind::RateLimit => "ThrottlingException",
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_table_has_one_row_per_operation_in_order() {
        for (i, r) in ROUTES.iter().enumerate() {
            assert_eq!(r.op as usize, i, "{r:?}");
            assert_eq!(r.op.as_str(), r.name);
            assert!(
                crate::policy::OPERATIONS.contains(&r.name),
                "{}: policy rules must be able to name it",
                r.name
            );
            let path = r.path.replace("{model}", "gemini-2.5-flash");
            assert_eq!(
                r.op.bedrock_action().is_some(),
                r.family == Some(Family::Bedrock)
            );
            assert_eq!(route(r.method, &path).unwrap(), r.op);
            assert_eq!(
                r.op.gemini_method().is_some(),
                r.family == Some(Family::Google)
            );
            assert_eq!(r.op.has_body(), r.method == "POST");
        }
        let names: std::collections::HashSet<_> = ROUTES.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), ROUTES.len());
        assert_eq!(
            Operation::Models.family(Family::Anthropic),
            Family::Anthropic
        );
        assert_eq!(
            Operation::Messages.family(Family::OpenAi),
            Family::Anthropic
        );
        assert_eq!(Operation::ChatCompletions.api(), Some(Api::OpenAiChat));
    }

    #[test]
    fn routes_resolve_and_explain_misses() {
        assert_eq!(
            route("POST", "/v1/chat/completions").unwrap(),
            Operation::ChatCompletions
        );
        assert_eq!(route("GET", "/v1/models").unwrap(), Operation::Models);
        assert_eq!(
            route("POST", "/v1/messages/count_tokens")
                .unwrap()
                .family(Family::OpenAi),
            Family::Anthropic
        );
        assert_eq!(
            Operation::ChatCompletions.family(Family::Anthropic),
            Family::OpenAi
        );
        assert_eq!(
            Operation::Models.family(Family::Anthropic),
            Family::Anthropic
        );
        assert_eq!(Operation::Models.family(Family::OpenAi), Family::OpenAi);
        assert_eq!(route("GET", "/v1/messages").unwrap_err().status(), 405);
        assert_eq!(route("POST", "/v2/anything").unwrap_err().status(), 404);
        let vertex = "/v1/projects/p-1/locations/europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent";
        assert_eq!(
            route("POST", vertex).unwrap(),
            Operation::StreamGenerateContent
        );
        assert_eq!(
            route("POST", "/v1/models/gemini-2.5-flash:countTokens").unwrap(),
            Operation::GeminiCountTokens
        );
        assert_eq!(
            route("GET", "/v1beta/models/gemini-2.5-flash:generateContent")
                .unwrap_err()
                .status(),
            405
        );
        assert_eq!(
            route(
                "POST",
                "/v1beta/models/gemini-2.5-flash:batchGenerateContent"
            )
            .unwrap_err()
            .status(),
            404
        );
        assert!(Operation::StreamGenerateContent.streams_by_route());
        assert_eq!(
            Operation::EmbedContent.gemini_method(),
            Some("embedContent")
        );
    }

    #[test]
    fn error_bodies_have_each_providers_shape() {
        let err = Error::Unauthenticated("missing API key".into());
        let o: serde_json::Value =
            serde_json::from_slice(&error_body(Family::OpenAi, &err)).unwrap();
        assert_eq!(o["error"]["message"], "missing API key");
        assert_eq!(o["error"]["code"], "unauthenticated");
        let a: serde_json::Value =
            serde_json::from_slice(&error_body(Family::Anthropic, &err)).unwrap();
        assert_eq!(a["type"], "error");
        assert_eq!(a["error"]["type"], "authentication_error");
        let g: serde_json::Value =
            serde_json::from_slice(&error_body(Family::Google, &err)).unwrap();
        assert_eq!(g["error"]["code"], 401);
        assert_eq!(g["error"]["status"], "UNAUTHENTICATED");
        assert_eq!(g["error"]["message"], "missing API key");
        let b: serde_json::Value =
            serde_json::from_slice(&error_body(Family::Bedrock, &err)).unwrap();
        assert_eq!(b, serde_json::json!({"message": "missing API key"}));
        assert_eq!(
            bedrock_error_type(ErrorKind::Permission),
            "AccessDeniedException"
        );
    }

    #[test]
    fn bedrock_routes_take_the_model_from_the_path() {
        assert_eq!(
            route(
                "POST",
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
            )
            .unwrap(),
            Operation::Converse
        );
        assert_eq!(
            route("POST", "/model/m/invoke-with-response-stream").unwrap(),
            Operation::InvokeModelStream
        );
        assert!(Operation::ConverseStream.streams_by_route());
        assert_eq!(route("GET", "/model/m/converse").unwrap_err().status(), 405);
        assert_eq!(
            route("POST", "/model/m/retrieve").unwrap_err().status(),
            404
        );
        assert_eq!(
            route("POST", "/model/a%2/converse").unwrap_err().status(),
            404
        );
    }

    #[test]
    fn long_paths_are_truncated_on_char_boundaries() {
        let path = format!("/{}", "é".repeat(300));
        let err = route("GET", &path).unwrap_err();
        assert!(err.to_string().len() < 600);
    }
}
