//! AWS settings of a `bedrock` upstream: its region, and the static credentials aimsgate signs
//! its requests with (SigV4), read once at load from the standard places.
//!
//! Owns the lookup order — `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`,
//! then the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`)
//! under `profile` / `AWS_PROFILE` / `default`, then the container credentials endpoint
//! (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`, validated here, fetched and refreshed
//! by [`crate::proxy::upstream`]) — and the INI parsing of that file. Signing is the proxy's;
//! nothing here does network I/O.

use super::env::Env;
use super::Secret;

/// The AWS settings of one `bedrock` upstream.
#[derive(Debug, Clone)]
pub struct BedrockSettings {
    /// The SigV4 signing region (`us-east-1`, ...).
    pub region: String,
    /// The credentials found at load; `None`: calls need a Bedrock API key (the upstream's
    /// `api_key`, or the caller's own bearer key in pass-through).
    pub credentials: Option<AwsCredentials>,
    /// When no static credentials were found: the ECS/EKS container credentials endpoint.
    pub container: Option<ContainerEndpoint>,
    /// When neither: the EC2 instance metadata service (IMDSv2), unless
    /// `AWS_EC2_METADATA_DISABLED=true`.
    pub imds: Option<http::Uri>,
}

impl BedrockSettings {
    /// Whether aimsgate has AWS credentials to sign with (static, or an endpoint to fetch them).
    pub fn can_sign(&self) -> bool {
        self.credentials.is_some() || self.container.is_some() || self.imds.is_some()
    }
}

/// The container credentials endpoint (ECS task role, EKS Pod Identity).
#[derive(Clone)]
pub struct ContainerEndpoint {
    pub url: http::Uri,
    /// Sent as `Authorization` (`AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`).
    pub token: Option<Secret>,
}

impl std::fmt::Debug for ContainerEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerEndpoint")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The instance metadata service's base URL (`AWS_EC2_METADATA_SERVICE_ENDPOINT`, else
/// `http://169.254.169.254`); `None` when `AWS_EC2_METADATA_DISABLED` is `true`.
pub fn imds_endpoint(env: &dyn Env) -> Result<Option<http::Uri>, String> {
    if env
        .var("AWS_EC2_METADATA_DISABLED")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        return Ok(None);
    }
    let base = env
        .var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .map(|v| v.trim().trim_end_matches('/').to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "http://169.254.169.254".into());
    base.parse()
        .map(Some)
        .map_err(|_| "AWS_EC2_METADATA_SERVICE_ENDPOINT is not a URL".into())
}

/// The container credentials endpoint the environment names, if any. A full URI must be https,
/// or http to a loopback address or the ECS / EKS link-local agents (as the AWS SDKs require),
/// so a stray variable cannot send the token anywhere.
pub fn container_endpoint(env: &dyn Env) -> Result<Option<ContainerEndpoint>, String> {
    let var = |n: &str| {
        env.var(n)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let url = match (
        var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
        var("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
    ) {
        (Some(rel), _) => format!("http://169.254.170.2{rel}"),
        (None, Some(full)) => full,
        (None, None) => return Ok(None),
    };
    let uri: http::Uri = url
        .parse()
        .map_err(|_| "the container credentials URI is not a URL".to_owned())?;
    let host = uri.host().unwrap_or_default();
    let trusted_http = host == "localhost"
        || host.starts_with("127.")
        || matches!(
            host,
            "[::1]" | "169.254.170.2" | "169.254.170.23" | "[fd00:ec2::23]"
        );
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if trusted_http => {}
        _ => {
            return Err(
                "the container credentials URI must be https, or http to loopback or the ECS/EKS agent address".into(),
            )
        }
    }
    let token = match var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(path) => Some(
            std::fs::read_to_string(&path)
                .map_err(|e| format!("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: {e}"))?
                .trim()
                .to_owned(),
        ),
        None => var("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
    };
    Ok(Some(ContainerEndpoint {
        url: uri,
        token: token.map(Secret::new),
    }))
}

/// A static AWS credential (an access key pair, with a session token when temporary).
#[derive(Clone)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// Where it was found (`environment`, `shared credentials file, profile default`).
    pub source: String,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// The region of a Bedrock runtime host (`bedrock-runtime.REGION.amazonaws.com`, also the FIPS
/// form `bedrock-runtime-fips.REGION.amazonaws.com`).
pub fn region_of_host(host: &str) -> Option<&str> {
    let rest = host
        .strip_prefix("bedrock-runtime.")
        .or_else(|| host.strip_prefix("bedrock-runtime-fips."))?;
    let (region, tail) = rest.split_once('.')?;
    let ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (ok && tail.starts_with("amazonaws.")).then_some(region)
}

/// Whether `s` looks like a region name (lower-case letters, digits and dashes).
pub fn is_region(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The credentials from the environment, else from the shared credentials file.
/// `Err` only for a file that exists but names the profile without both keys.
pub fn find_credentials(
    env: &dyn Env,
    profile: Option<&str>,
) -> Result<Option<AwsCredentials>, String> {
    let var = |n: &str| {
        env.var(n)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    if let (Some(id), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        return Ok(Some(AwsCredentials {
            access_key_id: id,
            secret_access_key: Secret::new(secret),
            session_token: var("AWS_SESSION_TOKEN").map(Secret::new),
            source: "environment".into(),
        }));
    }
    let path = match (var("AWS_SHARED_CREDENTIALS_FILE"), var("HOME")) {
        (Some(p), _) => std::path::PathBuf::from(p),
        (None, Some(home)) => std::path::Path::new(&home).join(".aws").join("credentials"),
        (None, None) => return Ok(None),
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let profile = profile
        .map(str::to_owned)
        .or_else(|| var("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    from_ini(&text, &profile).map_err(|why| format!("{}: {why}", path.display()))
}

/// The named profile of a shared credentials file (`[name]` sections, `key = value` lines,
/// `#` and `;` comments); `Ok(None)` when the profile is not there.
pub fn from_ini(text: &str, profile: &str) -> Result<Option<AwsCredentials>, String> {
    let mut in_profile = false;
    let mut found = false;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = name.trim() == profile;
            found |= in_profile;
            continue;
        }
        if !in_profile {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().to_owned();
        match k.trim() {
            "aws_access_key_id" => id = Some(v),
            "aws_secret_access_key" => secret = Some(v),
            "aws_session_token" => token = Some(v),
            _ => {}
        }
    }
    match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            Ok(Some(AwsCredentials {
                access_key_id: id,
                secret_access_key: Secret::new(secret),
                session_token: token.filter(|t| !t.is_empty()).map(Secret::new),
                source: format!("shared credentials file, profile {profile}"),
            }))
        }
        _ if found => Err(format!(
            "profile `{profile}` lacks aws_access_key_id or aws_secret_access_key"
        )),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env::MapEnv;

    #[test]
    fn environment_first_then_the_shared_file() {
        let env = MapEnv::of(&[
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI"),
            ("AWS_SESSION_TOKEN", "tok"),
        ]);
        let c = find_credentials(&env, None).unwrap().unwrap();
        assert_eq!(c.access_key_id, "AKIDEXAMPLE");
        assert!(!format!("{c:?}").contains("wJalr"));
        assert_eq!(c.session_token.unwrap().expose(), "tok");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        std::fs::write(
            &file,
            "# comment\n[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = s1\n\n[ops]\naws_access_key_id=AKIDOPS\naws_secret_access_key=s2\naws_session_token=t2\n[broken]\naws_access_key_id=x\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let env = MapEnv::of(&[("AWS_SHARED_CREDENTIALS_FILE", f)]);
        let c = find_credentials(&env, None).unwrap().unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.secret_access_key.expose()),
            ("AKIDDEF", "s1")
        );
        let env = MapEnv::of(&[("AWS_SHARED_CREDENTIALS_FILE", f), ("AWS_PROFILE", "ops")]);
        let c = find_credentials(&env, None).unwrap().unwrap();
        assert_eq!(c.access_key_id, "AKIDOPS");
        assert_eq!(c.session_token.unwrap().expose(), "t2");
        assert!(find_credentials(&env, Some("broken")).is_err());
        assert!(find_credentials(&env, Some("absent")).unwrap().is_none());
        let home = MapEnv::of(&[("HOME", "/nonexistent-home")]);
        assert!(find_credentials(&home, None).unwrap().is_none());
    }

    #[test]
    fn container_endpoints_are_named_by_the_environment_and_vetted() {
        let rel = MapEnv::of(&[
            (
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "/v2/credentials/abc",
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok"),
        ]);
        let c = container_endpoint(&rel).unwrap().unwrap();
        assert_eq!(c.url.to_string(), "http://169.254.170.2/v2/credentials/abc");
        assert_eq!(c.token.unwrap().expose(), "tok");
        for ok in [
            "http://127.0.0.1:9000/creds",
            "https://creds.example.com/x",
            "http://169.254.170.23/v1/credentials",
        ] {
            let env = MapEnv::of(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", ok)]);
            assert!(container_endpoint(&env).unwrap().is_some(), "{ok}");
        }
        let bad = MapEnv::of(&[(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://evil.example.com/",
        )]);
        assert!(container_endpoint(&bad).is_err());
        assert!(container_endpoint(&MapEnv::default()).unwrap().is_none());
        let off = MapEnv::of(&[("AWS_EC2_METADATA_DISABLED", "TRUE")]);
        assert!(imds_endpoint(&off).unwrap().is_none());
        let on = imds_endpoint(&MapEnv::default()).unwrap().unwrap();
        assert_eq!(on.to_string(), "http://169.254.169.254/");
    }

    #[test]
    fn regions_come_from_runtime_hosts() {
        assert_eq!(
            region_of_host("bedrock-runtime.eu-central-1.amazonaws.com"),
            Some("eu-central-1")
        );
        assert_eq!(
            region_of_host("bedrock-runtime-fips.us-west-2.amazonaws.com"),
            Some("us-west-2")
        );
        assert_eq!(region_of_host("127.0.0.1"), None);
        assert_eq!(region_of_host("bedrock-runtime.x.example.com"), None);
        assert!(is_region("ap-southeast-2") && !is_region("US_EAST"));
    }
}
