//! Stage two of configuration: raw TOML structs → validated runtime [`Config`].
//!
//! Applies command-line overrides, fills defaults, resolves secrets and key files, turns every
//! named choice into its enum, and checks every cross-reference inside the file (routing →
//! upstreams, virtual keys → `[keys]`). Each error names the file and the dotted key, built by
//! [`Ctx::err`] (→ [`ConfigError::invalid`]).
//!
//! One file per section under `validate/`: [`server`], [`upstreams`] (upstreams, routing,
//! provider keys), [`identity`], [`policy`], [`evidence`], [`classify`], [`telemetry`],
//! [`siem`], [`guardrail`]. This file owns the shared helpers ([`Ctx`], [`Named`]) and the order sections are
//! validated in. References to the policy bundle are checked later, by [`super::cross_check`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::raw::*;
use super::*;

mod classify;
mod evidence;
mod guardrail;
mod identity;
mod limits;
mod policy;
mod server;
mod siem;
mod telemetry;
mod upstreams;

const DEFAULT_DATA_DIR: &str = "./aimsgate-data";

/// A setting written as one of a fixed set of names, validated into its enum by [`Ctx::choice`].
pub(super) trait Named: Copy + 'static {
    /// Every accepted name with its value, in the order errors list them.
    const NAMES: &'static [(&'static str, Self)];
}

/// What every section's validation needs: the file name for errors, the environment and the
/// directory relative paths resolve against.
pub(super) struct Ctx<'a> {
    pub(super) file: &'a str,
    pub(super) env: &'a dyn Env,
    pub(super) base: Option<&'a Path>,
}

impl Ctx<'_> {
    /// The error for `key` in this file.
    pub(super) fn err(&self, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError::invalid(self.file, key, message)
    }

    /// `p` resolved against the config file's directory.
    pub(super) fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        match self.base {
            Some(base) if p.is_relative() && !base.as_os_str().is_empty() => base.join(p),
            _ => p.to_path_buf(),
        }
    }

    pub(super) fn read(&self, key: &str, p: &str) -> Result<Vec<u8>, ConfigError> {
        let path = self.path(p);
        std::fs::read(&path)
            .map_err(|e| self.err(key, format!("cannot read `{}`: {e}", path.display())))
    }

    pub(super) fn duration(
        &self,
        key: &str,
        v: Option<&str>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match v {
            None => Ok(default),
            Some(s) => humantime::parse_duration(s).map_err(|e| {
                self.err(
                    key,
                    format!("`{s}` is not a duration like `30s` or `500ms`: {e}"),
                )
            }),
        }
    }

    pub(super) fn addr(&self, key: &str, v: &str) -> Result<SocketAddr, ConfigError> {
        v.parse().map_err(|_| {
            self.err(
                key,
                format!("`{v}` is not a socket address like 127.0.0.1:8080"),
            )
        })
    }

    /// The value `v` names, `default` when absent; an unknown name lists the accepted ones.
    pub(super) fn choice<T: Named>(
        &self,
        key: &str,
        v: Option<&str>,
        default: T,
    ) -> Result<T, ConfigError> {
        let Some(v) = v else { return Ok(default) };
        T::NAMES
            .iter()
            .find(|(name, _)| *name == v)
            .map(|(_, t)| *t)
            .ok_or_else(|| self.err(key, format!("`{v}`: use {}", one_of(T::NAMES))))
    }

    /// Resolve a secret reference; `Ok(None)` when an `env` variable is simply unset and
    /// `optional` is true (the zero-config default keys).
    pub(super) fn secret(
        &self,
        key: &str,
        s: &RawSecret,
        optional: bool,
    ) -> Result<Option<Secret>, ConfigError> {
        match (&s.env, &s.file) {
            (Some(var), None) => match self.env.var(var) {
                Some(v) if !v.trim().is_empty() => Ok(Some(Secret::new(v.trim().to_owned()))),
                _ if optional => Ok(None),
                _ => Err(self.err(key, format!("environment variable `{var}` is not set"))),
            },
            (None, Some(file)) => {
                let bytes = self.read(key, file)?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| self.err(key, format!("secret file `{file}` is not UTF-8")))?;
                Ok(Some(Secret::new(text.trim().to_owned())))
            }
            _ => Err(self.err(
                key,
                "give exactly one of `env` or `file`; secrets are never written inline",
            )),
        }
    }

    /// An optional secret reference resolved (a set reference must resolve).
    pub(super) fn opt_secret(
        &self,
        key: &str,
        s: Option<&RawSecret>,
    ) -> Result<Option<Secret>, ConfigError> {
        match s {
            Some(s) => self.secret(key, s, false),
            None => Ok(None),
        }
    }
}

/// `` `a`, `b` or `c` ``.
fn one_of<T>(names: &[(&str, T)]) -> String {
    let quoted: Vec<String> = names.iter().map(|(n, _)| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

pub(super) fn validate(
    mut raw: RawConfig,
    file: &str,
    ov: &Overrides,
    env: &dyn Env,
    base: Option<&Path>,
) -> Result<Config, ConfigError> {
    let cx = Ctx { file, env, base };
    let server = server::server(&cx, &raw.server, ov)?;
    let data_dir = match (&ov.data_dir, &raw.data_dir) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => cx.path(d),
        (None, None) => PathBuf::from(DEFAULT_DATA_DIR),
    };
    if raw.upstreams.is_empty() {
        raw.upstreams = upstreams::default_upstreams();
    }
    upstreams::apply_base_url_overrides(&mut raw, ov);
    let upstreams = upstreams::upstreams(&cx, &raw.upstreams)?;
    let provider_keys = upstreams::provider_keys(&cx, &raw.keys, &upstreams)?;
    let routing = upstreams::routing(&cx, &raw.routing, &raw.upstreams, &upstreams)?;
    let (identity, keys) = identity::identity(&cx, &raw.identity, &provider_keys, &upstreams)?;
    let policy = policy::policy(&cx, &raw.policy, ov);
    let evidence = evidence::evidence(&cx, &raw.evidence, &data_dir)?;
    let classify = classify::classify(&cx, &raw.classify, &server)?;
    let telemetry = telemetry::telemetry(&cx, &raw.telemetry)?;
    let limits = limits::limits(&cx, &raw.limits)?;
    let prices = limits::prices(&cx, &raw.prices, &limits)?;
    let limits_store = limits::store(&cx, raw.limits_store.as_ref())?;
    let siem = siem::siem(&cx, &raw.siem)?;
    let guardrail = guardrail::guardrail(&cx, &raw.guardrail, ov, &server)?;
    Ok(Config {
        source: file.to_owned(),
        server,
        data_dir,
        upstreams,
        keys,
        routing,
        identity,
        policy,
        evidence,
        classify,
        telemetry,
        limits,
        prices,
        limits_store,
        siem,
        guardrail,
    })
}
