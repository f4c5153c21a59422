//! The proxy's one error type: every way a call can fail, with its HTTP status, who is at fault
//! and how loudly to log it.
//!
//! Owns the mapping from failure to status code, stable machine code and caller-facing message.
//! It does not render bodies (each provider's error JSON shape lives in [`crate::providers`]) and
//! it never carries request content or credentials: messages are safe to return and to log.

use http::StatusCode;

/// Who caused a failure; decides the log level and the metrics label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The caller sent something we refuse or cannot read.
    Client,
    /// The configured upstream provider failed or was unreachable.
    Upstream,
    /// aimsgate itself could not do its job (e.g. the evidence log is not writable).
    Gateway,
}

/// The kind of error object the provider's SDK expects (`type` in both OpenAI and Anthropic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidRequest,
    Authentication,
    Permission,
    NotFound,
    TooLarge,
    Api,
    Overloaded,
    /// Too much from this client at once (HTTP 429).
    RateLimit,
    Timeout,
}

/// A request that did not complete normally. Constructed by the pipeline phases, turned into a
/// response in exactly one place (`proxy::respond::error_response`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("unknown route {method} {path}; aimsgate serves the OpenAI /v1/chat/completions, /v1/responses, /v1/embeddings, /v1/completions, /v1/models and the Anthropic /v1/messages, /v1/messages/count_tokens APIs")]
    UnknownRoute { method: String, path: String },
    #[error("method {method} is not allowed on {path}; use {allowed}")]
    MethodNotAllowed {
        method: String,
        path: String,
        allowed: &'static str,
    },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("request body is not valid for this API: {0}")]
    MalformedBody(String),
    /// A request shape the API adapter does not recognise (`[classify] unknown_shapes`); the
    /// message names a position only, never body content.
    #[error("{0}; set `[classify] unknown_shapes = \"scan\"` on the gateway to scan such shapes instead")]
    UnknownShape(String),
    #[error("header `{header}` is not acceptable: {reason}")]
    BadHeader {
        header: &'static str,
        reason: String,
    },
    #[error("request field `{field}` is not acceptable: {reason}")]
    BadField { field: &'static str, reason: String },
    #[error("request body exceeds the gateway limit of {limit} bytes; send a smaller request")]
    BodyTooLarge { limit: usize },
    #[error("{route} requests take no body; send this request without one")]
    BodyNotAllowed { route: &'static str },
    #[error("aimsgate holds too many request bodies {} right now; retry shortly", if *.per_connection { "on this connection" } else { "in total" })]
    BodyBudgetExhausted { per_connection: bool },
    #[error("request body was not received within {secs} s")]
    BodyTimeout { secs: u64 },
    #[error("model `{model}` is not allowed by this gateway ({reason})")]
    ModelNotAllowed { model: String, reason: String },
    #[error("no upstream is configured for this {api} request; configure one under [routing]")]
    NoUpstream { api: &'static str },
    #[error("refused by aimsgate policy rule `{rule}`: {message} — how to fix: {fix}")]
    Refused {
        rule: String,
        message: String,
        fix: String,
    },
    #[error(
        "aimsgate limit `{limit}` ({what} per {scope}) is used up; retry in {retry_after_secs} s"
    )]
    RateLimited {
        limit: String,
        scope: &'static str,
        what: &'static str,
        retry_after_secs: u64,
    },
    #[error("aimsgate cannot reach its shared limits store and is configured to fail closed; retry later")]
    LimitsUnavailable,
    #[error("upstream `{upstream}` is unreachable: {reason}")]
    UpstreamUnreachable { upstream: String, reason: String },
    #[error("upstream `{upstream}` did not answer within {secs} s")]
    UpstreamTimeout { upstream: String, secs: u64 },
    #[error("aimsgate cannot record evidence for this call and is configured to fail closed; retry later")]
    EvidenceUnavailable,
    #[error("aimsgate is shutting down; retry on another instance")]
    ShuttingDown,
    #[error("internal gateway error: {0}")]
    Internal(String),
}

impl Error {
    /// The HTTP status sent to the caller.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnknownRoute { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::MalformedBody(_)
            | Self::UnknownShape(_)
            | Self::BadHeader { .. }
            | Self::BadField { .. }
            | Self::BodyNotAllowed { .. } => StatusCode::BAD_REQUEST,
            Self::BodyBudgetExhausted {
                per_connection: true,
            }
            | Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BodyBudgetExhausted {
                per_connection: false,
            } => StatusCode::SERVICE_UNAVAILABLE,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::ModelNotAllowed { .. } | Self::Refused { .. } => StatusCode::FORBIDDEN,
            Self::NoUpstream { .. } => StatusCode::NOT_FOUND,
            Self::UpstreamUnreachable { .. } => StatusCode::BAD_GATEWAY,
            Self::UpstreamTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            Self::EvidenceUnavailable | Self::LimitsUnavailable | Self::ShuttingDown => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Who is at fault.
    pub fn fault(&self) -> Fault {
        match self {
            Self::UpstreamUnreachable { .. } | Self::UpstreamTimeout { .. } => Fault::Upstream,
            Self::EvidenceUnavailable
            | Self::LimitsUnavailable
            | Self::ShuttingDown
            | Self::Internal(_)
            | Self::BodyBudgetExhausted {
                per_connection: false,
            } => Fault::Gateway,
            _ => Fault::Client,
        }
    }

    /// How loudly the proxy logs this error.
    pub fn level(&self) -> tracing::Level {
        match self.fault() {
            Fault::Client => tracing::Level::INFO,
            Fault::Upstream => tracing::Level::WARN,
            Fault::Gateway => tracing::Level::ERROR,
        }
    }

    /// The error object type the SDKs understand.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownRoute { .. } | Self::NoUpstream { .. } => ErrorKind::NotFound,
            Self::MethodNotAllowed { .. }
            | Self::MalformedBody(_)
            | Self::UnknownShape(_)
            | Self::BadHeader { .. }
            | Self::BadField { .. }
            | Self::BodyNotAllowed { .. } => ErrorKind::InvalidRequest,
            Self::Unauthenticated(_) => ErrorKind::Authentication,
            Self::BodyTooLarge { .. } => ErrorKind::TooLarge,
            Self::BodyTimeout { .. } | Self::UpstreamTimeout { .. } => ErrorKind::Timeout,
            Self::ModelNotAllowed { .. } | Self::Refused { .. } => ErrorKind::Permission,
            Self::UpstreamUnreachable { .. } | Self::Internal(_) => ErrorKind::Api,
            Self::BodyBudgetExhausted {
                per_connection: true,
            }
            | Self::RateLimited { .. } => ErrorKind::RateLimit,
            Self::EvidenceUnavailable
            | Self::LimitsUnavailable
            | Self::ShuttingDown
            | Self::BodyBudgetExhausted {
                per_connection: false,
            } => ErrorKind::Overloaded,
        }
    }

    /// A stable machine-readable code, used as the error `code` and as a metrics label.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownRoute { .. } => "unknown_route",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::MalformedBody(_) => "malformed_body",
            Self::UnknownShape(_) => "unknown_shape",
            Self::BadHeader { .. } => "bad_header",
            Self::BadField { .. } => "bad_field",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::BodyTimeout { .. } => "body_timeout",
            Self::BodyNotAllowed { .. } => "body_not_allowed",
            Self::BodyBudgetExhausted { .. } => "body_budget_exhausted",
            Self::RateLimited { .. } => "rate_limited",
            Self::ModelNotAllowed { .. } => "model_not_allowed",
            Self::NoUpstream { .. } => "no_upstream",
            Self::Refused { .. } => "policy_refused",
            Self::UpstreamUnreachable { .. } => "upstream_unreachable",
            Self::UpstreamTimeout { .. } => "upstream_timeout",
            Self::EvidenceUnavailable => "evidence_unavailable",
            Self::LimitsUnavailable => "limits_unavailable",
            Self::ShuttingDown => "shutting_down",
            Self::Internal(_) => "internal_error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_design_contract() {
        let cases: Vec<(Error, u16)> = vec![
            (Error::MalformedBody("x".into()), 400),
            (Error::UnknownShape("x".into()), 400),
            (
                Error::BadHeader {
                    header: "x-aimsgate-ai-system",
                    reason: "r".into(),
                },
                400,
            ),
            (
                Error::BadField {
                    field: "model",
                    reason: "r".into(),
                },
                400,
            ),
            (Error::Unauthenticated("no key".into()), 401),
            (
                Error::Refused {
                    rule: "r".into(),
                    message: "m".into(),
                    fix: "f".into(),
                },
                403,
            ),
            (
                Error::UnknownRoute {
                    method: "GET".into(),
                    path: "/x".into(),
                },
                404,
            ),
            (
                Error::MethodNotAllowed {
                    method: "GET".into(),
                    path: "/v1/messages".into(),
                    allowed: "POST",
                },
                405,
            ),
            (Error::BodyTooLarge { limit: 1 }, 413),
            (
                Error::UpstreamUnreachable {
                    upstream: "u".into(),
                    reason: "r".into(),
                },
                502,
            ),
            (Error::EvidenceUnavailable, 503),
            (Error::LimitsUnavailable, 503),
            (Error::BodyNotAllowed { route: "models" }, 400),
            (
                Error::BodyBudgetExhausted {
                    per_connection: true,
                },
                429,
            ),
            (
                Error::BodyBudgetExhausted {
                    per_connection: false,
                },
                503,
            ),
            (
                Error::UpstreamTimeout {
                    upstream: "u".into(),
                    secs: 1,
                },
                504,
            ),
        ];
        for (err, status) in cases {
            assert_eq!(err.status().as_u16(), status, "{err}");
        }
    }

    #[test]
    fn refusal_message_names_rule_and_fix() {
        let e = Error::Refused {
            rule: "block-secrets".into(),
            message: "credentials may not be sent to models".into(),
            fix: "remove the key".into(),
        };
        let text = e.to_string();
        assert!(text.contains("block-secrets") && text.contains("remove the key"));
        assert_eq!(e.fault(), Fault::Client);
        assert_eq!(e.kind(), ErrorKind::Permission);
    }
}
