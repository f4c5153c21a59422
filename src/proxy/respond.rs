//! The one place errors become responses, and the headers every response carries.
//!
//! Owns the provider-shaped error response and the `x-aimsgate-decision-id` / `x-request-id`
//! stamps. The JSON shapes themselves live in [`crate::providers`].

use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use http::Response;

use super::body::{full, ProxyBody};
use super::call::Call;
use crate::error::Error;
use crate::providers;

pub const DECISION_ID: HeaderName = HeaderName::from_static("x-aimsgate-decision-id");
/// The decision record's index in the evidence log: the caller's receipt (`aimsgate prove`
/// takes the decision id; the index finds the leaf in any later checkpoint).
pub const LOG_INDEX: HeaderName = HeaderName::from_static("x-aimsgate-log-index");
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Render `err` in the error shape of the provider whose route was called.
pub fn error_response(family: providers::Family, err: &Error) -> Response<ProxyBody> {
    tracing::event!(target: "aimsgate::error", tracing::Level::DEBUG, code = err.code(), status = err.status().as_u16());
    let mut resp = Response::new(full(providers::error_body(family, err)));
    *resp.status_mut() = err.status();
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if family == providers::Family::Bedrock {
        h.insert(
            http::header::HeaderName::from_static("x-amzn-errortype"),
            HeaderValue::from_static(providers::bedrock_error_type(err.kind())),
        );
    }
    if let Error::MethodNotAllowed { allowed, .. } = err {
        h.insert(http::header::ALLOW, HeaderValue::from_static(allowed));
    }
    if matches!(
        err,
        Error::EvidenceUnavailable | Error::ShuttingDown | Error::BodyBudgetExhausted { .. }
    ) {
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    if let Error::RateLimited {
        retry_after_secs, ..
    } = err
    {
        h.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from(*retry_after_secs),
        );
    }
    // Tell SDKs whether a retry can help: only for failures that are not the request's fault.
    let retry = matches!(
        err.fault(),
        crate::error::Fault::Upstream | crate::error::Fault::Gateway
    ) || matches!(
        err,
        Error::BodyBudgetExhausted { .. } | Error::RateLimited { .. }
    );
    h.insert(
        HeaderName::from_static("x-should-retry"),
        HeaderValue::from_static(if retry { "true" } else { "false" }),
    );
    resp
}

/// Add the headers every response carries.
pub fn stamp(ctx: &Call, headers: &mut HeaderMap) {
    if let Ok(v) = HeaderValue::from_str(&ctx.decision_id) {
        headers.insert(DECISION_ID, v);
    }
    if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert(REQUEST_ID, v);
    }
    if let Some(i) = ctx.log_index {
        headers.insert(LOG_INDEX, HeaderValue::from(i));
    }
}

/// Remove hop-by-hop headers from an upstream response before relaying it.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    for name in providers::HOP_BY_HOP {
        headers.remove(*name);
    }
}
