//! `[telemetry]`: log format and level, and the OpenTelemetry trace settings resolved from
//! `[telemetry]` and the standard `OTEL_*` environment variables (read through [`Env`], never the
//! process directly).
//!
//! Precedence: an explicit `telemetry.traces = "off"`, `OTEL_SDK_DISABLED=true` or
//! `OTEL_TRACES_EXPORTER=none` turns traces off; the endpoint is `telemetry.otlp_endpoint`, else
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is), else `OTEL_EXPORTER_OTLP_ENDPOINT`, else
//! (only with `traces = "on"`) the OTLP/HTTP default `http://localhost:4318`. Does not start
//! an exporter or install a subscriber: that is [`crate::telemetry`]'s job.

use super::*;

const DEFAULT_BASE: &str = "http://localhost:4318";

impl Named for LogFormat {
    const NAMES: &'static [(&'static str, Self)] = &[("text", Self::Text), ("json", Self::Json)];
}

/// `telemetry.traces`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TracesMode {
    Auto,
    On,
    Off,
}

impl Named for TracesMode {
    const NAMES: &'static [(&'static str, Self)] =
        &[("auto", Self::Auto), ("on", Self::On), ("off", Self::Off)];
}

pub(super) fn telemetry(
    cx: &Ctx<'_>,
    raw: &RawTelemetry,
) -> Result<TelemetrySettings, ConfigError> {
    Ok(TelemetrySettings {
        log_format: cx.choice(
            "telemetry.log_format",
            raw.log_format.as_deref(),
            LogFormat::Text,
        )?,
        log_level: match raw.log_level.as_deref() {
            None => LogLevel::default(),
            Some(l) => LogLevel::parse(l).map_err(|e| {
                cx.err(
                    "telemetry.log_level",
                    format!("`{l}` is not a log filter like `info` or `aimsgate=debug`: {e}"),
                )
            })?,
        },
        traces: traces(cx, raw)?,
    })
}

/// The trace settings, `None` when traces are off.
fn traces(cx: &Ctx<'_>, raw: &RawTelemetry) -> Result<Option<TracesSettings>, ConfigError> {
    let mode = cx.choice("telemetry.traces", raw.traces.as_deref(), TracesMode::Auto)?;
    let var = |name: &str| cx.env.var(name).filter(|v| !v.trim().is_empty());
    let disabled = var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        || var("OTEL_TRACES_EXPORTER").is_some_and(|v| v.trim().eq_ignore_ascii_case("none"));
    if mode == TracesMode::Off || (disabled && mode == TracesMode::Auto) {
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
        (None, TracesMode::On) => join(DEFAULT_BASE),
        (None, _) => return Ok(None),
    };
    let uri: http::Uri = endpoint.parse().map_err(|e| {
        cx.err(
            "telemetry.otlp_endpoint",
            format!("`{endpoint}` is not a URL: {e}"),
        )
    })?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(cx.err(
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

    /// [`traces`] with `raw` under `env`, the error reduced to its key and message.
    fn traces(
        raw: &RawTelemetry,
        env: &MapEnv,
    ) -> Result<Option<TracesSettings>, (String, String)> {
        let cx = Ctx {
            file: "test.toml",
            env,
            base: None,
        };
        super::traces(&cx, raw).map_err(|e| match e {
            ConfigError::Invalid { key, message, .. } => (key, message),
            other => (String::new(), other.to_string()),
        })
    }

    fn env(pairs: &[(&str, &str)]) -> MapEnv {
        MapEnv::of(pairs)
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
