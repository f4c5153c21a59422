//! Phases 3 and 4, the request body: read it under the size, time and memory budgets, parse it
//! into the text the model will read, and vet the `model` it names.
//!
//! Does not classify or decide; extraction itself is [`crate::providers::extract`].

use super::*;

impl Pipeline {
    /// Phase 3 — read the whole request body, bounded in size, time and memory: bytes are charged
    /// to the connection's and the process's in-flight body budgets as they arrive (see
    /// [`super::budget`]); a route that takes no body refuses one (400) and forwards nothing.
    pub(super) async fn read_body(
        &self,
        ctx: &mut Call,
        parts: &Parts,
        body: Incoming,
    ) -> Result<Bytes, Error> {
        let server = &self.shared.config.server;
        let limit = server.max_body_bytes;
        let timeout = server.body_read_timeout;
        let timed_out = |_| Error::BodyTimeout {
            secs: timeout.as_secs(),
        };
        let length = parts.headers.get(http::header::CONTENT_LENGTH);
        if let Some(op) = ctx.op.filter(|op| !op.has_body()) {
            // Anything but an absent or zero Content-Length is a body (or a lie about one).
            let declared_nonzero = length.is_some_and(|v| v.as_bytes() != b"0");
            return match tokio::time::timeout(timeout, body::refuse_any(body, declared_nonzero))
                .await
                .map_err(timed_out)?
            {
                Ok(()) => Ok(Bytes::new()),
                Err(body::ReadError::Transport(e)) => Err(Error::MalformedBody(format!(
                    "could not read the body: {e}"
                ))),
                Err(_) => Err(Error::BodyNotAllowed { route: op.as_str() }),
            };
        }
        let declared = length
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(Error::BodyTooLarge { limit });
        }
        let budgets = parts.extensions.get::<super::super::budget::BodyBudgets>();
        let read = body::read_request(body, limit, declared, budgets);
        let bytes = match tokio::time::timeout(timeout, read)
            .await
            .map_err(timed_out)?
        {
            Ok(b) => b,
            Err(body::ReadError::TooLarge | body::ReadError::NotAllowed) => {
                return Err(Error::BodyTooLarge { limit })
            }
            Err(body::ReadError::Budget(scope)) => {
                return Err(Error::BodyBudgetExhausted {
                    per_connection: scope == super::super::budget::Scope::Connection,
                })
            }
            Err(body::ReadError::Transport(e)) => {
                return Err(Error::MalformedBody(format!(
                    "could not read the body: {e}"
                )))
            }
        };
        ctx.request_bytes = bytes.len();
        Ok(bytes)
    }

    /// Phase 4 — parse the JSON and extract the text that will reach the model.
    pub(super) fn parse(
        &self,
        ctx: &mut Call,
        op: Operation,
        bytes: &Bytes,
    ) -> Result<Option<Extracted>, Error> {
        let Some(api) = op.api() else {
            return Ok(None);
        };
        let opts = extract::ExtractOptions {
            unknown_shapes: self.shared.config.classify.unknown_shapes,
        };
        let ex = extract::extract_with(api, bytes, opts).map_err(|e| match e {
            extract::ExtractError::UnknownShape { .. } => Error::UnknownShape(e.to_string()),
            e => Error::MalformedBody(e.to_string()),
        })?;
        if !api.model_in_path() {
            ctx.model = ex.model.clone();
        }
        ctx.stream = ex.stream || op.streams_by_route();
        ctx.max_tokens = ex.max_tokens;
        Ok(Some(ex))
    }

    /// Phase 4b — the `model` must be a model name ([`caller::model_syntax`]) in which the
    /// classifier finds nothing, before logs, metrics or evidence can hold it; else 400, and the
    /// value is dropped from the call's record.
    pub(super) fn vet_model(&self, ctx: &mut Call) -> Result<(), Error> {
        let Some(model) = ctx.model.take() else {
            return Ok(());
        };
        let bad = |reason: String| Error::BadField {
            field: "model",
            reason,
        };
        caller::model_syntax(&model).map_err(|r| bad(r.to_owned()))?;
        if let Some(f) = ctx.active.classifier.classify(&model).items.first() {
            return Err(bad(format!(
                "it contains data of class {}, not a model name",
                f.class.as_str()
            )));
        }
        ctx.model = Some(model);
        Ok(())
    }
}
