//! Resolves the OpenTelemetry trace settings from `[telemetry]` and the standard `OTEL_*`
//! environment variables (read through [`Env`], never the process directly).
//!
//! Precedence: an explicit `telemetry.traces = "off"`, `OTEL_SDK_DISABLED=true` or
//! `OTEL_TRACES_EXPORTER=none` turns traces off; the endpoint is `telemetry.otlp_endpoint`, else
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is), else `OTEL_EXPORTER_OTLP_ENDPOINT`, else
//! (only with `traces = "on"`) the OTLP/HTTP default `http://localhost:4318`. Does not start
//! an exporter: that is [`crate::telemetry`]'s job.

use super::env::Env;
use super::raw::RawTelemetry;
use super::TracesSettings;

const DEFAULT_BASE: &str = "http://localhost:4318";

/// The trace settings, or the config key and what is wrong with it.
pub(super) fn traces(
    raw: &RawTelemetry,
    env: &dyn Env,
) -> Result<Option<TracesSettings>, (&'static str, String)> {
    let mode = raw.traces.as_deref().unwrap_or("auto");
    if !matches!(mode, "auto" | "on" | "off") {
        return Err((
            "telemetry.traces",
            format!("`{mode}`: use `auto`, `on` or `off`"),
        ));
    }
    let var = |name: &str| env.var(name).filter(|v| !v.trim().is_empty());
    let disabled = var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        || var("OTEL_TRACES_EXPORTER").is_some_and(|v| v.trim().eq_ignore_ascii_case("none"));
    if mode == "off" || (disabled && mode == "auto") {
        return Ok(None);
    }
    let endpoint = match (
        &raw.otlp_endpoint,
        var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
    ) {
        (Some(base), _) => Some(join(base)),
        (None, Some(full)) => Some(full.trim().to_owned()),
        (None, None) => var("OTEL_EXPORTER_OTLP_ENDPOINT").map(|b| join(&b)),
    };
    let endpoint = match (endpoint, mode) {
        (Some(e), _) => e,
        (None, "on") => join(DEFAULT_BASE),
        (None, _) => return Ok(None),
    };
    let uri: http::Uri = endpoint.parse().map_err(|e| {
        (
            "telemetry.otlp_endpoint",
            format!("`{endpoint}` is not a URL: {e}"),
        )
    })?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err((
            "telemetry.otlp_endpoint",
            format!("`{endpoint}`: an http:// or https:// URL with a host is needed"),
        ));
    }
    let service_name = raw
        .service_name
        .clone()
        .or_else(|| var("OTEL_SERVICE_NAME"))
        .unwrap_or_else(|| "aimsgate".to_owned());
    Ok(Some(TracesSettings {
        endpoint,
        service_name,
    }))
}

/// `base` + `/v1/traces`, as the OTLP exporter spec builds signal URLs from the base endpoint.
fn join(base: &str) -> String {
    format!("{}/v1/traces", base.trim().trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env::MapEnv;

    fn env(pairs: &[(&str, &str)]) -> MapEnv {
        MapEnv(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn raw(traces: Option<&str>, endpoint: Option<&str>) -> RawTelemetry {
        RawTelemetry {
            traces: traces.map(str::to_owned),
            otlp_endpoint: endpoint.map(str::to_owned),
            ..RawTelemetry::default()
        }
    }

    #[test]
    fn off_by_default_without_an_endpoint() {
        assert_eq!(traces(&raw(None, None), &env(&[])), Ok(None));
    }

    #[test]
    fn config_endpoint_wins_and_gets_the_signal_path() {
        let t = traces(
            &raw(None, Some("http://collector:4318/")),
            &env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://other:4318")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(t.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(t.service_name, "aimsgate");
    }

    #[test]
    fn standard_env_vars_are_honoured() {
        let e = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
            ("OTEL_SERVICE_NAME", "gw-eu-1"),
        ]);
        let t = traces(&raw(None, None), &e).unwrap().unwrap();
        assert_eq!(t.endpoint, "http://base:4318/v1/traces");
        assert_eq!(t.service_name, "gw-eu-1");
        let e = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:1/custom"),
        ]);
        let t = traces(&raw(None, None), &e).unwrap().unwrap();
        assert_eq!(t.endpoint, "http://t:1/custom");
    }

    #[test]
    fn disabling_switches_win_over_auto_but_not_over_on() {
        let e = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
            ("OTEL_SDK_DISABLED", "true"),
        ]);
        assert_eq!(traces(&raw(None, None), &e), Ok(None));
        assert!(traces(&raw(Some("on"), None), &e).unwrap().is_some());
        let e = env(&[("OTEL_TRACES_EXPORTER", "none")]);
        assert_eq!(traces(&raw(None, Some("http://c:4318")), &e), Ok(None));
        assert_eq!(
            traces(&raw(Some("off"), Some("http://c:4318")), &env(&[])),
            Ok(None)
        );
    }

    #[test]
    fn on_without_endpoint_uses_the_otlp_default() {
        let t = traces(&raw(Some("on"), None), &env(&[])).unwrap().unwrap();
        assert_eq!(t.endpoint, "http://localhost:4318/v1/traces");
    }

    #[test]
    fn bad_values_name_the_key() {
        let (key, msg) = traces(&raw(Some("maybe"), None), &env(&[])).unwrap_err();
        assert_eq!(key, "telemetry.traces");
        assert!(msg.contains("maybe"));
        let (key, _) = traces(&raw(None, Some("ftp://x")), &env(&[])).unwrap_err();
        assert_eq!(key, "telemetry.otlp_endpoint");
        let (key, _) = traces(&raw(None, Some("not a url")), &env(&[])).unwrap_err();
        assert_eq!(key, "telemetry.otlp_endpoint");
    }
}
