//! The AWS credentials a `bedrock` upstream signs with at the moment of a call: the static ones
//! found at load, or temporary ones fetched from the container credentials endpoint (ECS task
//! role, EKS Pod Identity) or the EC2 instance metadata service (IMDSv2: a session token first,
//! then the instance role's credentials) over the upstream's own client, cached until five
//! minutes before they expire. A fetch that failed is not tried again for
//! [`RETRY_AFTER_FAILURE`]: calls in between fail at once instead of each waiting out the
//! endpoint's timeouts (a host off AWS, where IMDS never answers).
//!
//! Owns the fetch, the answer's JSON and the cache. Which source applies is decided at load
//! ([`crate::config::aws`]); the signature itself is `sigv4.rs`'s.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{header, HeaderName, Method, Request};
use http_body_util::{BodyExt, Full, Limited};

use crate::config::aws::{AwsCredentials, BedrockSettings, ContainerEndpoint};
use crate::config::Secret;
use crate::error::Error;

/// Credentials are refreshed this long before they expire.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);
/// Longest wait for a credentials endpoint (each request, and reading its answer).
const FETCH_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a failed fetch is remembered before the endpoint is asked again.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

/// Fetched credentials and when they expire, or the last failure and when it happened.
#[derive(Default)]
pub struct Cache(tokio::sync::Mutex<State>);

#[derive(Default)]
struct State {
    credentials: Option<(AwsCredentials, SystemTime)>,
    failed: Option<(std::time::Instant, String)>,
}

type HttpClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// The credentials to sign with now.
pub async fn current(
    settings: &BedrockSettings,
    cache: &Cache,
    client: &HttpClient,
    upstream: &str,
) -> Result<AwsCredentials, Error> {
    if let Some(c) = &settings.credentials {
        return Ok(c.clone());
    }
    let mut slot = cache.0.lock().await;
    if let Some((c, expires)) = slot.credentials.as_ref() {
        if SystemTime::now() + REFRESH_BEFORE < *expires {
            return Ok(c.clone());
        }
    }
    if let Some((at, why)) = slot.failed.as_ref() {
        if at.elapsed() < RETRY_AFTER_FAILURE {
            return Err(Error::UpstreamUnreachable {
                upstream: upstream.to_owned(),
                reason: format!(
                    "{why} (asked again {} s after the failure)",
                    RETRY_AFTER_FAILURE.as_secs()
                ),
            });
        }
    }
    let fetched = match (&settings.container, &settings.imds) {
        (Some(endpoint), _) => fetch(endpoint, client)
            .await
            .map_err(|why| format!("AWS container credentials: {why}")),
        (None, Some(base)) => fetch_imds(base, client)
            .await
            .map_err(|why| format!("AWS instance metadata (IMDSv2): {why}")),
        (None, None) => {
            return Err(Error::Internal(format!(
                "upstream `{upstream}` has no AWS credentials to sign with"
            )))
        }
    };
    let (c, expires) = match fetched {
        Ok(f) => f,
        Err(reason) => {
            slot.failed = Some((std::time::Instant::now(), reason.clone()));
            return Err(Error::UpstreamUnreachable {
                upstream: upstream.to_owned(),
                reason,
            });
        }
    };
    slot.failed = None;
    slot.credentials = Some((c.clone(), expires));
    Ok(c)
}

async fn fetch(
    endpoint: &ContainerEndpoint,
    client: &HttpClient,
) -> Result<(AwsCredentials, SystemTime), String> {
    let token = endpoint
        .token
        .as_ref()
        .map(|t| (header::AUTHORIZATION, t.expose()));
    parse(&get(client, Method::GET, endpoint.url.clone(), token).await?)
}

/// IMDSv2: `PUT /latest/api/token`, then the role name and its credentials with that token.
async fn fetch_imds(
    base: &http::Uri,
    client: &HttpClient,
) -> Result<(AwsCredentials, SystemTime), String> {
    let url = |path: &str| -> Result<http::Uri, String> {
        let b = base.to_string();
        format!("{}{path}", b.trim_end_matches('/'))
            .parse()
            .map_err(|_| "bad metadata URL".to_owned())
    };
    let ttl = HeaderName::from_static("x-aws-ec2-metadata-token-ttl-seconds");
    let token = get(
        client,
        Method::PUT,
        url("/latest/api/token")?,
        Some((ttl, "21600")),
    )
    .await?;
    let token = std::str::from_utf8(&token)
        .map_err(|_| "bad token".to_owned())?
        .trim()
        .to_owned();
    let auth = || {
        Some((
            HeaderName::from_static("x-aws-ec2-metadata-token"),
            token.as_str(),
        ))
    };
    let roles_path = "/latest/meta-data/iam/security-credentials/";
    let roles = get(client, Method::GET, url(roles_path)?, auth()).await?;
    let role = std::str::from_utf8(&roles)
        .ok()
        .and_then(|r| r.lines().next())
        .map(str::trim)
        .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_graphic() && b != b'/'))
        .ok_or_else(|| "the instance has no IAM role".to_owned())?;
    parse(
        &get(
            client,
            Method::GET,
            url(&format!("{roles_path}{role}"))?,
            auth(),
        )
        .await?,
    )
}

/// One bounded request to a credentials endpoint; its body on a 2xx answer.
async fn get(
    client: &HttpClient,
    method: Method,
    uri: http::Uri,
    header: Option<(HeaderName, &str)>,
) -> Result<Bytes, String> {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some((name, value)) = header {
        req = req.header(name, value);
    }
    let req = req
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(FETCH_TIMEOUT, client.request(req))
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("the endpoint answered {}", resp.status()));
    }
    let body = tokio::time::timeout(
        FETCH_TIMEOUT,
        Limited::new(resp.into_body(), 64 * 1024).collect(),
    )
    .await
    .map_err(|_| "timed out".to_owned())?
    .map_err(|e| e.to_string())?;
    Ok(body.to_bytes())
}

/// The endpoint's answer: `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`.
pub fn parse(body: &[u8]) -> Result<(AwsCredentials, SystemTime), String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Answer {
        access_key_id: String,
        secret_access_key: String,
        token: Option<String>,
        expiration: Option<String>,
    }
    let a: Answer = serde_json::from_slice(body)
        .map_err(|_| "the answer is not the expected JSON".to_owned())?;
    let expires = match a.expiration.as_deref() {
        Some(t) => humantime::parse_rfc3339_weak(t.trim_end_matches('Z'))
            .map_err(|_| "its Expiration is not an RFC 3339 time".to_owned())?,
        None => SystemTime::now() + Duration::from_secs(900),
    };
    Ok((
        AwsCredentials {
            access_key_id: a.access_key_id,
            secret_access_key: Secret::new(a.secret_access_key),
            session_token: a.token.filter(|t| !t.is_empty()).map(Secret::new),
            source: "container credentials endpoint".into(),
        },
        expires,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_fetch_is_not_retried_by_every_call() {
        // An IMDS address where nothing listens: the first call asks and fails, the next fails
        // at once with the remembered reason.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let settings = BedrockSettings {
            region: "us-east-1".into(),
            credentials: None,
            container: None,
            imds: Some(format!("http://127.0.0.1:{port}").parse().unwrap()),
        };
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https);
        let cache = Cache::default();
        let first = current(&settings, &cache, &client, "bedrock")
            .await
            .unwrap_err();
        assert!(!first.to_string().contains("asked again"), "{first}");
        let second = current(&settings, &cache, &client, "bedrock")
            .await
            .unwrap_err();
        assert!(
            second.to_string().contains("asked again 30 s after"),
            "{second}"
        );
    }

    #[test]
    fn endpoint_answers_are_parsed() {
        let (c, exp) = parse(br#"{"AccessKeyId":"ASIAEX","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-01T00:00:00Z","RoleArn":"arn:aws:iam::1:role/r"}"#).unwrap();
        assert_eq!(c.access_key_id, "ASIAEX");
        assert_eq!(c.session_token.unwrap().expose(), "t");
        assert_eq!(
            exp,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_456_000)
        );
        assert!(parse(b"{}").is_err());
        assert!(
            parse(br#"{"AccessKeyId":"a","SecretAccessKey":"s","Expiration":"soon"}"#).is_err()
        );
    }
}
