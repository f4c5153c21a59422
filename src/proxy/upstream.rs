//! Upstream providers: one pooled keep-alive client per configured upstream (rustls, HTTP/2 where
//! the upstream offers it via ALPN), request URL construction from configuration only, credential
//! injection, and the connect / first-byte timeouts.
//!
//! It never looks at request content and never takes a host from the request: the scheme,
//! authority and base path always come from [`crate::config::UpstreamConfig`].

use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

mod aws_credentials;
mod sigv4;

use super::caller;
use crate::config::{Secret, UpstreamConfig, UpstreamKind};
use crate::error::Error;
use crate::providers::Operation;

/// A configured upstream with its connection pool.
pub struct Upstream {
    pub config: UpstreamConfig,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// A `bedrock` upstream's fetched (temporary) AWS credentials.
    aws: aws_credentials::Cache,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("name", &self.config.name)
            .finish()
    }
}

/// Which credential goes upstream.
#[derive(Debug, Clone)]
pub enum UpstreamCredential {
    /// Forward the caller's own `authorization` / `x-api-key` headers unchanged.
    PassThrough,
    /// Send this key in the upstream's own header convention.
    Key(Secret),
    /// Send nothing (e.g. a local model server without auth).
    None,
}

impl Upstream {
    pub fn new(config: UpstreamConfig) -> Result<Self, Error> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(config.connect_timeout));
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(60)));
        let tls = crate::tls_client::client_config()
            .map_err(|e| Error::Internal(format!("upstream TLS setup: {e}")))?;
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(1024)
            .build(https);
        Ok(Self {
            config,
            client,
            aws: aws_credentials::Cache::default(),
        })
    }

    /// The upstream URL for `op`, built from the configured base URL only. Of the client's query
    /// string only the parameters the provider's API defines for the route are kept
    /// ([`caller::upstream_query`]); its path is never used beyond the route.
    pub fn url(
        &self,
        op: Operation,
        model: Option<&str>,
        query: Option<&str>,
    ) -> Result<Uri, Error> {
        let base = &self.config.base_url;
        let base_path = base.path().trim_end_matches('/');
        let (path, extra_query) = match self.config.kind {
            UpstreamKind::Anthropic => (format!("{base_path}{}", op.path()), None),
            UpstreamKind::OpenAi | UpstreamKind::OpenAiCompatible => {
                let p = op.path().trim_start_matches("/v1");
                (format!("{base_path}{p}"), None)
            }
            UpstreamKind::AzureOpenAi => {
                let version = self.config.api_version.as_deref().unwrap_or_default();
                let tail = op.path().trim_start_matches("/v1");
                let path = match (op, model) {
                    (Operation::Models, _) => format!("{base_path}/openai/models"),
                    (_, Some(m)) if is_safe_segment(m) => {
                        format!("{base_path}/openai/deployments/{m}{tail}")
                    }
                    _ => {
                        return Err(Error::MalformedBody(
                            "Azure OpenAI needs a `model` naming the deployment (letters, digits, `-`, `_`, `.`)".into(),
                        ))
                    }
                };
                (path, Some(format!("api-version={version}")))
            }
            UpstreamKind::Gemini | UpstreamKind::VertexAi => {
                let (Some(method), Some(m)) = (op.gemini_method(), model) else {
                    return Err(Error::Internal(format!(
                        "route `{}` cannot be sent to a Gemini upstream",
                        op.as_str()
                    )));
                };
                if !crate::providers::gemini::is_id(m) {
                    return Err(Error::BadField {
                        field: "model",
                        reason: "a Gemini model id is 1-128 of A-Z a-z 0-9 - _ . @".into(),
                    });
                }
                let path = if self.config.kind == UpstreamKind::VertexAi {
                    format!("{base_path}/models/{m}:{method}")
                } else {
                    let version = self
                        .config
                        .api_version
                        .as_deref()
                        .unwrap_or(crate::config::DEFAULT_GEMINI_VERSION);
                    format!("{base_path}/{version}/models/{m}:{method}")
                };
                // Streams are relayed and inspected as server-sent events.
                (path, op.streams_by_route().then(|| "alt=sse".to_owned()))
            }
            UpstreamKind::Bedrock => {
                let (Some(action), Some(m)) = (op.bedrock_action(), model) else {
                    return Err(Error::Internal(format!(
                        "route `{}` cannot be sent to a Bedrock upstream",
                        op.as_str()
                    )));
                };
                if !crate::providers::bedrock::is_model_id(m) {
                    return Err(Error::BadField {
                        field: "modelId",
                        reason:
                            "a Bedrock model id is 1-2048 of A-Z a-z 0-9 - _ . : (and / in an ARN)"
                                .into(),
                    });
                }
                let seg = crate::providers::bedrock::encode_segment(m);
                (format!("{base_path}/model/{seg}/{action}"), None)
            }
        };
        let query = caller::upstream_query(op, self.config.kind, query);
        let q = match (query, extra_query) {
            (Some(q), Some(e)) => Some(format!("{q}&{e}")),
            (q, None) => q,
            (None, e) => e,
        };
        let pq = match q {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        let mut parts = base.clone().into_parts();
        parts.path_and_query = Some(
            pq.parse()
                .map_err(|_| Error::MalformedBody("query string is not valid".into()))?,
        );
        Uri::from_parts(parts).map_err(|e| Error::Internal(format!("upstream URL: {e}")))
    }

    /// Copy the caller's headers this provider accepts ([`caller::forwards_header`]: an
    /// allow-list, so hop-by-hop, framing, proxy and unknown headers never leave), then set the
    /// upstream credential, the trace context and the request id.
    pub fn headers(
        &self,
        incoming: &HeaderMap,
        credential: &UpstreamCredential,
        extra_strip: &[HeaderName],
        traceparent: &str,
        request_id: &str,
    ) -> HeaderMap {
        let mut out = HeaderMap::with_capacity(incoming.len() + 4);
        let callers_own = matches!(credential, UpstreamCredential::PassThrough);
        for (name, value) in incoming {
            if extra_strip.contains(name)
                || !caller::forwards_header(
                    self.config.kind,
                    name.as_str(),
                    callers_own,
                    &self.config.forward_headers,
                )
            {
                continue;
            }
            out.append(name.clone(), value.clone());
        }
        if let UpstreamCredential::Key(key) = credential {
            let (name, value) = match self.config.kind {
                UpstreamKind::Anthropic => (
                    HeaderName::from_static("x-api-key"),
                    key.expose().to_owned(),
                ),
                UpstreamKind::AzureOpenAi => {
                    (HeaderName::from_static("api-key"), key.expose().to_owned())
                }
                UpstreamKind::Gemini => (
                    HeaderName::from_static("x-goog-api-key"),
                    key.expose().to_owned(),
                ),
                _ => (header::AUTHORIZATION, format!("Bearer {}", key.expose())),
            };
            if let Ok(mut v) = HeaderValue::from_str(&value) {
                v.set_sensitive(true);
                out.insert(name, v);
            }
        }
        if let Ok(v) = HeaderValue::from_str(traceparent) {
            out.insert(HeaderName::from_static("traceparent"), v);
        }
        if let Ok(v) = HeaderValue::from_str(request_id) {
            out.insert(HeaderName::from_static("x-request-id"), v);
        }
        out.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        out
    }

    /// The last step before sending: a `bedrock` upstream called without a key
    /// ([`UpstreamCredential::None`]) gets the request SigV4-signed with its AWS credentials,
    /// over `body`, the exact bytes sent.
    pub async fn finish_request(
        &self,
        req: &mut Request<Full<Bytes>>,
        body: &[u8],
        credential: &UpstreamCredential,
    ) -> Result<(), Error> {
        let (UpstreamKind::Bedrock, UpstreamCredential::None) = (self.config.kind, credential)
        else {
            return Ok(());
        };
        let name = &self.config.name;
        let Some(b) = self.config.bedrock.as_ref() else {
            return Err(Error::Internal(format!(
                "upstream `{name}` has no AWS settings"
            )));
        };
        let creds = aws_credentials::current(b, &self.aws, &self.client, name).await?;
        sigv4::sign_request(
            req,
            body,
            &creds,
            &b.region,
            sigv4::BEDROCK_SERVICE,
            std::time::SystemTime::now(),
        )
    }

    /// Send the request; resolves when the upstream's response headers arrive.
    pub async fn send(&self, req: Request<Full<Bytes>>) -> Result<Response<Incoming>, Error> {
        let name = &self.config.name;
        let fut = self.client.request(req);
        match tokio::time::timeout(self.config.first_byte_timeout, fut).await {
            Err(_) => Err(Error::UpstreamTimeout {
                upstream: name.clone(),
                secs: self.config.first_byte_timeout.as_secs(),
            }),
            Ok(Err(e)) => Err(classify_client_error(name, &e, self.config.connect_timeout)),
            Ok(Ok(resp)) => Ok(resp),
        }
    }
}

fn classify_client_error(
    name: &str,
    e: &hyper_util::client::legacy::Error,
    connect_timeout: Duration,
) -> Error {
    let mut reason = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        reason = format!("{reason}: {s}");
        src = s.source();
    }
    if e.is_connect() && reason.contains("timed out") {
        return Error::UpstreamTimeout {
            upstream: name.to_owned(),
            secs: connect_timeout.as_secs(),
        };
    }
    Error::UpstreamUnreachable {
        upstream: name.to_owned(),
        reason,
    }
}

fn is_safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s != "."
        && s != ".."
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(kind: UpstreamKind, base: &str) -> Upstream {
        Upstream::new(UpstreamConfig {
            name: "u".into(),
            kind,
            base_url: base.parse().unwrap(),
            api_key: Some(Secret::new("sk-upstream".into())),
            api_version: Some("2024-10-21".into()),
            connect_timeout: Duration::from_secs(1),
            first_byte_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(1),
            forward_headers: Vec::new(),
            bedrock: None,
        })
        .unwrap()
    }

    #[test]
    fn urls_follow_each_sdks_base_url_convention() {
        let o = up(UpstreamKind::OpenAi, "https://api.openai.com/v1");
        assert_eq!(
            o.url(Operation::ChatCompletions, None, None)
                .unwrap()
                .to_string(),
            "https://api.openai.com/v1/chat/completions"
        );
        let a = up(UpstreamKind::Anthropic, "https://api.anthropic.com");
        assert_eq!(
            a.url(Operation::Messages, None, Some("beta=true"))
                .unwrap()
                .to_string(),
            "https://api.anthropic.com/v1/messages?beta=true"
        );
        let v = up(UpstreamKind::OpenAiCompatible, "http://10.0.0.2:8000/v1");
        assert_eq!(
            v.url(Operation::Models, None, None).unwrap().to_string(),
            "http://10.0.0.2:8000/v1/models"
        );
        let z = up(UpstreamKind::AzureOpenAi, "https://res.openai.azure.com");
        assert_eq!(
            z.url(Operation::ChatCompletions, Some("gpt4o-prod"), None).unwrap().to_string(),
            "https://res.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21"
        );
        assert!(z
            .url(Operation::ChatCompletions, Some("../../evil"), None)
            .is_err());
        // The caller's query never reaches a route whose API defines none, nor overrides
        // Azure's configured api-version.
        assert_eq!(
            o.url(
                Operation::ChatCompletions,
                None,
                Some("api_key=x&beta=true")
            )
            .unwrap()
            .to_string(),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            z.url(Operation::ChatCompletions, Some("gpt4o-prod"), Some("api-version=1999-01-01")).unwrap().to_string(),
            "https://res.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21"
        );
    }

    #[test]
    fn caller_credentials_are_replaced_unless_pass_through() {
        let o = up(UpstreamKind::OpenAi, "https://api.openai.com/v1");
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer agk_caller".parse().unwrap());
        h.insert("x-aimsgate-ai-system", "x".parse().unwrap());
        h.insert("connection", "keep-alive".parse().unwrap());
        h.insert("openai-organization", "org-1".parse().unwrap());
        let key = UpstreamCredential::Key(Secret::new("sk-upstream".into()));
        let out = o.headers(&h, &key, &[], "00-x", "rid");
        assert_eq!(out["authorization"], "Bearer sk-upstream");
        assert!(out.get("x-aimsgate-ai-system").is_none());
        assert!(out.get("connection").is_none());
        // The organisation header picks whose account pays: not next to an injected key.
        assert!(out.get("openai-organization").is_none());
        let pass = o.headers(&h, &UpstreamCredential::PassThrough, &[], "00-x", "rid");
        assert_eq!(pass["authorization"], "Bearer agk_caller");
        assert_eq!(pass["openai-organization"], "org-1");
        let none = o.headers(&h, &UpstreamCredential::None, &[], "00-x", "rid");
        assert!(none.get("authorization").is_none());
        let a = up(UpstreamKind::Anthropic, "https://api.anthropic.com");
        let out = a.headers(&h, &key, &[], "00-x", "rid");
        assert_eq!(out["x-api-key"], "sk-upstream");
        assert!(out.get("authorization").is_none());
    }

    #[test]
    fn gemini_upstreams_get_the_model_and_method_only() {
        let mut g = up(
            UpstreamKind::Gemini,
            "https://generativelanguage.googleapis.com",
        );
        g.config.api_version = None;
        assert_eq!(
            g.url(Operation::GenerateContent, Some("gemini-2.5-flash"), Some("key=AIza-x"))
                .unwrap()
                .to_string(),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
        );
        assert_eq!(
            g.url(Operation::StreamGenerateContent, Some("gemini-2.5-pro"), Some("alt=sse&x=1"))
                .unwrap()
                .to_string(),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
        );
        assert!(g
            .url(Operation::GenerateContent, Some("../x"), None)
            .is_err());
        assert!(g.url(Operation::ChatCompletions, Some("m"), None).is_err());
        let v = up(
            UpstreamKind::VertexAi,
            "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4/publishers/google",
        );
        assert_eq!(
            v.url(Operation::GeminiCountTokens, Some("gemini-2.0-flash-001"), None)
                .unwrap()
                .to_string(),
            "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4/publishers/google/models/gemini-2.0-flash-001:countTokens"
        );
        let mut h = HeaderMap::new();
        h.insert("x-goog-api-key", "AIza-caller".parse().unwrap());
        h.insert(
            "x-goog-api-client",
            "google-genai-sdk/3.6.1".parse().unwrap(),
        );
        let key = UpstreamCredential::Key(Secret::new("AIza-upstream".into()));
        let out = g.headers(&h, &key, &[], "00-x", "rid");
        assert_eq!(out["x-goog-api-key"], "AIza-upstream");
        assert_eq!(out["x-goog-api-client"], "google-genai-sdk/3.6.1");
        let pass = g.headers(&h, &UpstreamCredential::PassThrough, &[], "00-x", "rid");
        assert_eq!(pass["x-goog-api-key"], "AIza-caller");
        let out = v.headers(&h, &key, &[], "00-x", "rid");
        assert_eq!(out["authorization"], "Bearer AIza-upstream");
        assert!(out.get("x-goog-api-key").is_none());
    }

    #[tokio::test]
    async fn bedrock_upstreams_get_the_encoded_model_and_a_signature_of_the_body_sent() {
        use crate::config::aws::{AwsCredentials, BedrockSettings};
        let mut b = up(
            UpstreamKind::Bedrock,
            "https://bedrock-runtime.eu-west-1.amazonaws.com",
        );
        let uri = b
            .url(
                Operation::ConverseStream,
                Some("anthropic.claude-3-haiku-20240307-v1:0"),
                Some("x=1"),
            )
            .unwrap();
        assert_eq!(
            uri.to_string(),
            "https://bedrock-runtime.eu-west-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream"
        );
        assert!(b.url(Operation::InvokeModel, Some("../x"), None).is_err());
        assert!(b.url(Operation::Messages, Some("m"), None).is_err());
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=agk_x/20250101/us-east-1/bedrock/aws4_request"
                .parse()
                .unwrap(),
        );
        h.insert("x-amz-date", "20250101T000000Z".parse().unwrap());
        h.insert("x-amz-security-token", "caller-token".parse().unwrap());
        h.insert("x-amzn-bedrock-trace", "ENABLED".parse().unwrap());
        let out = b.headers(&h, &UpstreamCredential::None, &[], "00-x", "rid");
        assert!(out.get("authorization").is_none());
        assert!(out.get("x-amz-date").is_none());
        assert!(out.get("x-amz-security-token").is_none());
        assert_eq!(out["x-amzn-bedrock-trace"], "ENABLED");
        let key = UpstreamCredential::Key(Secret::new("bedrock-api-key".into()));
        let out = b.headers(&h, &key, &[], "00-x", "rid");
        assert_eq!(out["authorization"], "Bearer bedrock-api-key");
        let mut req = Request::builder()
            .method("POST")
            .uri(uri)
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap();
        assert!(b
            .finish_request(&mut req, b"{}", &UpstreamCredential::None)
            .await
            .is_err());
        b.config.bedrock = Some(BedrockSettings {
            region: "eu-west-1".into(),
            credentials: Some(AwsCredentials {
                access_key_id: "AKIDGATEWAY".into(),
                secret_access_key: Secret::new("s".into()),
                session_token: None,
                source: "test".into(),
            }),
            container: None,
            imds: None,
        });
        b.finish_request(&mut req, b"{}", &UpstreamCredential::None)
            .await
            .unwrap();
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDGATEWAY/"),
            "{auth}"
        );
        assert!(auth.contains("/eu-west-1/bedrock/aws4_request"));
        let mut keyed = Request::new(Full::new(Bytes::new()));
        b.finish_request(&mut keyed, b"", &key).await.unwrap();
        assert!(keyed.headers().get("authorization").is_none());
    }

    /// Temporary credentials from a container credentials endpoint (the mock serves one),
    /// fetched with its authorization token, cached, and used to sign.
    #[tokio::test]
    async fn container_credentials_are_fetched_cached_and_used() {
        use crate::config::aws::{BedrockSettings, ContainerEndpoint};
        let mock = crate::mock_provider::MockProvider::start("127.0.0.1:0".parse().unwrap(), true)
            .await
            .unwrap();
        let mut b = up(UpstreamKind::Bedrock, &mock.bedrock_base());
        b.config.bedrock = Some(BedrockSettings {
            region: "us-east-1".into(),
            credentials: None,
            container: Some(ContainerEndpoint {
                url: format!("{}/mock-aws-credentials", mock.bedrock_base())
                    .parse()
                    .unwrap(),
                token: Some(Secret::new("container-token".into())),
            }),
            imds: None,
        });
        for _ in 0..2 {
            let mut req = Request::builder()
                .method("POST")
                .uri(format!("{}/model/m/converse", mock.bedrock_base()))
                .body(Full::new(Bytes::from_static(b"{}")))
                .unwrap();
            b.finish_request(&mut req, b"{}", &UpstreamCredential::None)
                .await
                .unwrap();
            let auth = req.headers()["authorization"].to_str().unwrap();
            assert!(
                auth.starts_with("AWS4-HMAC-SHA256 Credential=ASIAMOCKCONTAINER01/"),
                "{auth}"
            );
            assert_eq!(req.headers()["x-amz-security-token"], "mock-session-token");
        }
        let got = mock.received();
        assert_eq!(got.len(), 1, "fetched once, then cached");
        assert_eq!(got[0].headers["authorization"], "container-token");

        // IMDSv2: a session token, the role name, then the role's credentials.
        let mut i = up(UpstreamKind::Bedrock, &mock.bedrock_base());
        i.config.bedrock = Some(BedrockSettings {
            region: "us-east-1".into(),
            credentials: None,
            container: None,
            imds: Some(mock.bedrock_base().parse().unwrap()),
        });
        let mut req = Request::builder()
            .uri(format!("{}/model/m/converse", mock.bedrock_base()))
            .body(Full::new(Bytes::new()))
            .unwrap();
        i.finish_request(&mut req, b"", &UpstreamCredential::None)
            .await
            .unwrap();
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(auth.contains("Credential=ASIAMOCKCONTAINER01/"), "{auth}");
        let paths: Vec<String> = mock.received()[1..]
            .iter()
            .map(|r| format!("{} {}", r.method, r.path_and_query))
            .collect();
        assert_eq!(
            paths,
            [
                "PUT /latest/api/token",
                "GET /latest/meta-data/iam/security-credentials/",
                "GET /latest/meta-data/iam/security-credentials/mock-role"
            ]
        );
    }
}
