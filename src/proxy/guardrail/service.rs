//! The guardrail listener's shared state ([`Guardrail`]: the pipeline and the decisions
//! waiting for their answer check) and what every contract uses: reading a webhook's JSON, the
//! fail-open rule, the refusal message, JSON answers. A leaf of [`super`]: the contracts import
//! it, it imports none of them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use super::pending;
use crate::error::Error;
use crate::proxy::body::{full, ProxyBody};
use crate::proxy::pipeline::Pipeline;
use crate::proxy::shared::Shared;
use crate::telemetry::metrics::GuardrailLabels;

/// The LiteLLM Generic Guardrail API route (LiteLLM appends it to the configured `api_base`).
pub const LITELLM_PATH: &str = "/beta/litellm_basic_guardrail_api";
/// The Portkey webhook route (the `webhookURL` of a `default.webhook` check).
pub const PORTKEY_PATH: &str = "/portkey/webhook";
/// The ext_proc gRPC method.
pub const EXT_PROC_PATH: &str = "/envoy.service.ext_proc.v3.ExternalProcessor/Process";

/// State of the guardrail listener: the pipeline and the decisions waiting for their answer.
#[derive(Clone)]
pub struct Guardrail {
    pub pipeline: Pipeline,
    pub pending: Arc<pending::Pending>,
}

impl Guardrail {
    pub fn new(shared: Arc<Shared>) -> Self {
        let (ttl, max) = shared
            .config
            .guardrail
            .as_ref()
            .map(|g| (g.pending_ttl, g.max_pending))
            .unwrap_or((Duration::from_secs(600), 10_000));
        Self {
            pipeline: Pipeline { shared },
            pending: Arc::new(pending::Pending::new(ttl, max)),
        }
    }

    pub fn shared(&self) -> &Shared {
        &self.pipeline.shared
    }

    /// Count one verdict given to a gateway.
    pub fn count(&self, gateway: &'static str, hook: &'static str, verdict: &'static str) {
        self.shared()
            .metrics
            .guardrail_verdicts
            .get_or_create(&GuardrailLabels {
                gateway,
                hook,
                verdict,
            })
            .inc();
    }

    /// Read a webhook request's JSON body, bounded by `max_body_bytes` and the body timeout.
    pub async fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        gateway: &'static str,
        body: Incoming,
    ) -> Result<T, Response<ProxyBody>> {
        let read = self.read_json_uncounted(body).await;
        if read.is_err() {
            self.count(gateway, "unknown", "bad_request");
        }
        read
    }

    /// A guardrail request from `gateway` that cannot be judged: counted, and a clear 4xx.
    pub fn bad(
        &self,
        gateway: &'static str,
        status: StatusCode,
        message: &str,
    ) -> Response<ProxyBody> {
        self.count(gateway, "unknown", "bad_request");
        bad_request(status, message)
    }

    async fn read_json_uncounted<T: serde::de::DeserializeOwned>(
        &self,
        body: Incoming,
    ) -> Result<T, Response<ProxyBody>> {
        let server = &self.shared().config.server;
        let read = Limited::new(body, server.max_body_bytes).collect();
        let bytes = match tokio::time::timeout(server.body_read_timeout, read).await {
            Ok(Ok(c)) => c.to_bytes(),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                return Err(bad_request(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!(
                        "the guardrail request is larger than max_body_bytes ({} bytes)",
                        server.max_body_bytes
                    ),
                ))
            }
            Ok(Err(e)) => {
                return Err(bad_request(
                    StatusCode::BAD_REQUEST,
                    &format!("could not read the body: {e}"),
                ))
            }
            Err(_) => {
                return Err(bad_request(
                    StatusCode::REQUEST_TIMEOUT,
                    "the guardrail request body did not arrive in time",
                ))
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            bad_request(
                StatusCode::BAD_REQUEST,
                &format!("the guardrail request is not the expected JSON: {e}"),
            )
        })
    }
}

/// Does a guardrail failure let the call through (`[guardrail] fail_open = true`)? Only
/// failures of aimsgate itself qualify; a policy refusal, a limit or a bad credential never does.
pub fn failure_lets_through(shared: &Shared, err: &Error) -> bool {
    let failure = matches!(
        err,
        Error::EvidenceUnavailable | Error::ShuttingDown | Error::Internal(_)
    );
    failure
        && shared
            .config
            .guardrail
            .as_ref()
            .is_some_and(|g| g.fail_open)
}

/// The message a gateway shows its caller for a refused call, with the decision id to look up.
pub fn refusal_message(err: &Error, decision_id: &str) -> String {
    format!("{err} (aimsgate decision {decision_id})")
}

/// A JSON answer.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<ProxyBody> {
    let mut r = Response::new(full(serde_json::to_vec(value).unwrap_or_default()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A guardrail request that could not be judged at all (malformed, too large): no decision.
pub fn bad_request(status: StatusCode, message: &str) -> Response<ProxyBody> {
    json(
        status,
        &serde_json::json!({ "error": { "message": message, "type": "invalid_request_error" } }),
    )
}

/// Convert the pipeline's response body to bytes (a refusal's provider-shaped body).
pub async fn body_bytes(resp: Response<ProxyBody>) -> (http::response::Parts, Bytes) {
    let (parts, body) = resp.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    (parts, bytes)
}
