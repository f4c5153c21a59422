//! SigV4 signing of the requests aimsgate sends to a `bedrock` upstream, with the `aws-sigv4`
//! crate: the exact bytes sent (after redaction) are hashed into the signature, and the
//! `authorization`, `x-amz-date` and (for temporary credentials) `x-amz-security-token`
//! headers are set on the outgoing request.
//!
//! Owns turning a configured [`AwsCredentials`] into signed headers. Finding the credentials is
//! [`crate::config::aws`]'s; nothing of the caller's own signature is ever used here.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http::Request;
use http_body_util::Full;

use crate::config::aws::AwsCredentials;
use crate::error::Error;

/// The SigV4 service name of the Bedrock runtime.
pub const BEDROCK_SERVICE: &str = "bedrock";

/// Sign `req` (whose body is `body`) for `service` in `region` at `time`.
pub fn sign_request(
    req: &mut Request<Full<Bytes>>,
    body: &[u8],
    creds: &AwsCredentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> Result<(), Error> {
    // aws-sigv4 panics on a URI without an authority (it signs `host`); ours are always absolute.
    if req.uri().authority().is_none() {
        return Err(Error::Internal(
            "SigV4: the upstream URI has no host".into(),
        ));
    }
    let identity = Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.expose().to_owned(),
        creds.session_token.as_ref().map(|t| t.expose().to_owned()),
        None,
        "aimsgate",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| Error::Internal(format!("SigV4 parameters: {e}")))?
        .into();
    let mut headers = Vec::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        let v = value
            .to_str()
            .map_err(|_| Error::Internal("an upstream header is not ASCII".into()))?;
        headers.push((name.as_str(), v));
    }
    let uri = req.uri().to_string();
    let signable = SignableRequest::new(
        req.method().as_str(),
        uri,
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| Error::Internal(format!("SigV4 request: {e}")))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| Error::Internal(format!("SigV4 signing: {e}")))?
        .into_parts();
    instructions.apply_to_request_http1x(req);
    for v in req.headers_mut().values_mut() {
        if v.as_bytes().starts_with(b"AWS4-HMAC-SHA256") {
            v.set_sensitive(true);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use std::time::{Duration, UNIX_EPOCH};

    fn example() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
            session_token: None,
            source: "test".into(),
        }
    }

    /// The `get-vanilla` case of AWS's SigV4 test suite (2015-08-30T12:36:00Z, us-east-1,
    /// service `service`, `GET /` to example.amazonaws.com).
    #[test]
    fn the_published_get_vanilla_vector_is_reproduced() {
        let mut req = Request::builder()
            .method("GET")
            .uri("https://example.amazonaws.com/")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let t = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        sign_request(&mut req, b"", &example(), "us-east-1", "service", t).unwrap();
        assert_eq!(req.headers()["x-amz-date"], "20150830T123600Z");
        assert_eq!(
            req.headers()["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert!(req.headers()["authorization"].is_sensitive());
    }

    #[test]
    fn the_body_sent_is_signed_and_session_tokens_travel() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let sig = |body: &'static [u8], token: Option<&str>| {
            let mut c = example();
            c.session_token = token.map(|t| Secret::new(t.into()));
            let mut req = Request::builder()
                .method("POST")
                .uri("https://bedrock-runtime.us-east-1.amazonaws.com/model/a.b-v1%3A0/converse")
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(body)))
                .unwrap();
            sign_request(&mut req, body, &c, "us-east-1", BEDROCK_SERVICE, t).unwrap();
            req
        };
        let a = sig(b"{\"a\":1}", None);
        let b = sig(b"{\"a\":2}", None);
        assert_ne!(a.headers()["authorization"], b.headers()["authorization"]);
        let auth = a.headers()["authorization"].to_str().unwrap().to_owned();
        assert!(auth.contains("/us-east-1/bedrock/aws4_request"), "{auth}");
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-date"),
            "{auth}"
        );
        let s = sig(b"{}", Some("FwoGZXIvYXdzEXAMPLE"));
        assert_eq!(s.headers()["x-amz-security-token"], "FwoGZXIvYXdzEXAMPLE");
        let mut relative = Request::new(Full::new(Bytes::new()));
        assert!(sign_request(&mut relative, b"", &example(), "us-east-1", "s", t).is_err());
    }
}
