//! Loading: bundle files → validated [`Bundle`]. The only I/O of the policy core is [`load_dir`];
//! everything else here is pure and works on `(file name, contents)` pairs.
//!
//! Validation (each error names file, line and key): unknown keys and wrong types (serde),
//! unknown files, missing `bundle.toml`, bad ids, duplicate ids (systems; rules and output rules
//! share one namespace), unknown data classes or families, unknown Annex A controls, unknown
//! systems, upstreams (when a [`LoadContext`] lists them), risk tiers and operations, bad name
//! patterns, missing or misplaced effect keys (`message`/`fix` for block, `classes` for redact),
//! and unreachable rules: a condition that can never be true (see [`super::cond::Cond::never`]) or
//! any enforced rule in a bundle whose enforced unconditional block rule refuses every call.
//! Evaluation is not here ([`super::eval`]).

use super::cond::Cond;
use super::error::line_of;
use super::glob::Glob;
use super::raw::{RawBundle, RawDictionaries, RawObjectives, RawOutputs, RawRules, RawSystems};
use super::{Bundle, LoadError, Rule, RuleEffect, RuleRef, System};
use crate::taxonomy::ClassPattern;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;
use toml::Spanned;

pub(super) mod controls;
mod objectives;

/// The files a bundle directory may hold (besides `tests.toml` and non-TOML files, which are ignored).
pub const BUNDLE_FILES: &[&str] = &[
    "bundle.toml",
    "systems.toml",
    "rules.toml",
    "output.toml",
    "dictionaries.toml",
    "objectives.toml",
];

/// Facts about the deployment that validation checks references against.
#[derive(Debug, Clone, Copy)]
pub struct LoadContext<'a> {
    /// The upstream (provider route) names configured in the proxy.
    pub upstreams: &'a [&'a str],
}

/// Load a bundle directory, accepting any upstream name.
pub fn load_dir(dir: &std::path::Path) -> Result<Bundle, LoadError> {
    read_dir(dir).and_then(|f| build(&f, None))
}

/// Load a bundle directory, checking upstream names against `cx`.
pub fn load_dir_with(dir: &std::path::Path, cx: &LoadContext<'_>) -> Result<Bundle, LoadError> {
    read_dir(dir).and_then(|f| build(&f, Some(cx.upstreams)))
}

/// Load a bundle from `(file name, contents)` pairs, accepting any upstream name. Pure.
pub fn load_files(files: &[(String, String)]) -> Result<Bundle, LoadError> {
    build(files, None)
}

/// Load a bundle from `(file name, contents)` pairs, checking upstream names against `cx`. Pure.
pub fn load_files_with(
    files: &[(String, String)],
    cx: &LoadContext<'_>,
) -> Result<Bundle, LoadError> {
    build(files, Some(cx.upstreams))
}

fn read_dir(dir: &std::path::Path) -> Result<Vec<(String, String)>, LoadError> {
    let io = |path: &std::path::Path, source| LoadError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let path = entry.map_err(|e| io(dir, e))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".toml") || name == "tests.toml" {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
        out.push((name.to_owned(), text));
    }
    Ok(out)
}

/// The content hash: lowercase hex SHA-256 over the policy files sorted by name (byte order),
/// each contributing `u64be(len(name)) ‖ name ‖ u64be(len(contents)) ‖ contents`.
/// Independent of the order the files are given in; `tests.toml` is not part of it.
pub fn content_hash(files: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut h = Sha256::new();
    for (name, text) in sorted {
        h.update((name.len() as u64).to_be_bytes());
        h.update(name.as_bytes());
        h.update((text.len() as u64).to_be_bytes());
        h.update(text.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One source file, for error positions.
#[derive(Clone, Copy)]
struct Src<'a> {
    file: &'a str,
    text: &'a str,
}

impl Src<'_> {
    fn err(&self, span: Range<usize>, key: impl Into<String>, msg: impl Into<String>) -> LoadError {
        LoadError::Invalid {
            file: self.file.to_owned(),
            line: line_of(self.text, span.start),
            key: key.into(),
            message: msg.into(),
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, LoadError> {
        toml::from_str(self.text).map_err(|e| LoadError::syntax(self.file, self.text, &e))
    }
}

fn build(files: &[(String, String)], upstreams: Option<&[&str]>) -> Result<Bundle, LoadError> {
    let mut seen = HashSet::new();
    for (name, _) in files {
        if !BUNDLE_FILES.contains(&name.as_str()) {
            return Err(LoadError::File {
                file: name.clone(),
                message: format!("unknown bundle file; expected {}", BUNDLE_FILES.join(", ")),
            });
        }
        if !seen.insert(name.as_str()) {
            return Err(LoadError::File {
                file: name.clone(),
                message: "given twice".to_owned(),
            });
        }
    }
    let src = |n: &'static str| {
        files
            .iter()
            .find(|(f, _)| f == n)
            .map(|(_, t)| Src { file: n, text: t })
    };
    let bsrc = src("bundle.toml").ok_or_else(|| LoadError::File {
        file: "bundle.toml".to_owned(),
        message: "missing: every bundle needs bundle.toml with id and version".to_owned(),
    })?;
    let raw: RawBundle = bsrc.parse()?;
    let mut v = Validator {
        upstreams,
        systems: Vec::new(),
        index: HashMap::new(),
        ids: HashSet::new(),
        selectors: Vec::new(),
        uses_limits: false,
    };
    let id = v.ident(bsrc, &raw.id, "id")?;
    if raw.version.get_ref().trim().is_empty() {
        return Err(bsrc.err(raw.version.span(), "version", "must not be empty"));
    }
    let default = v.default_rule(bsrc, &raw)?;
    if let Some(s) = src("systems.toml") {
        v.systems(s, s.parse::<RawSystems>()?)?;
    }
    let mut rules = Vec::new();
    if let Some(s) = src("rules.toml") {
        rules = v.rules(s, s.parse::<RawRules>()?, raw.monitor)?;
    }
    rules.extend(v.approval_rules(bsrc, raw.inventory.as_ref(), raw.monitor)?);
    let mut outputs = Vec::new();
    if let Some(s) = src("output.toml") {
        outputs = v.outputs(s, s.parse::<RawOutputs>()?, raw.monitor)?;
    }
    let mut objectives = Vec::new();
    if let Some(s) = src("objectives.toml") {
        objectives = v.objectives(s, s.parse::<RawObjectives>()?)?;
    }
    let mut dictionaries = Vec::new();
    if let Some(s) = src("dictionaries.toml") {
        dictionaries = dictionaries_of(s, s.parse::<RawDictionaries>()?)?;
    }
    Ok(Bundle {
        dictionaries,
        id,
        version: raw.version.into_inner(),
        description: raw.description,
        hash: content_hash(files),
        approved_by: nonempty(raw.approved_by),
        change_ref: nonempty(raw.change_ref),
        files: files.to_vec().into(),
        objectives,
        monitor: raw.monitor,
        default,
        systems: v.systems,
        index: v.index,
        rules,
        outputs,
        selectors: v.selectors,
        uses_limits: v.uses_limits,
    })
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Organisation dictionaries: each becomes the data class `custom.<name>`.
fn dictionaries_of(
    s: Src<'_>,
    raw: RawDictionaries,
) -> Result<Vec<(String, Vec<String>)>, LoadError> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for d in raw.dictionary {
        let name = d.name.get_ref();
        if !crate::taxonomy::is_known_class(&format!("custom.{name}")) {
            return Err(s.err(
                d.name.span(),
                "name",
                "use lowercase letters, digits and `_` (the class becomes custom.<name>)",
            ));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(s.err(d.name.span(), "name", "dictionary defined twice"));
        }
        let terms: Vec<String> = d
            .terms
            .into_iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        if terms.is_empty() {
            return Err(s.err(
                d.name.span(),
                "terms",
                "a dictionary needs at least one non-empty term",
            ));
        }
        out.push((name.clone(), terms));
    }
    Ok(out)
}

struct Validator<'u> {
    upstreams: Option<&'u [&'u str]>,
    systems: Vec<System>,
    index: HashMap<Arc<str>, usize>,
    ids: HashSet<String>,
    selectors: Vec<ClassPattern>,
    /// A condition reads `limit_used`: the proxy computes budget shares for this bundle.
    uses_limits: bool,
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl Validator<'_> {
    fn ident(&self, s: Src<'_>, v: &Spanned<String>, key: &str) -> Result<String, LoadError> {
        let t = v.get_ref();
        if is_ident(t) {
            Ok(t.clone())
        } else {
            Err(s.err(
                v.span(),
                key,
                format!("`{t}` is not a valid id (1-128 of A-Z a-z 0-9 - _ .)"),
            ))
        }
    }

    /// The checks every rule and output rule share: a non-empty description and at least one
    /// valid Annex A control. Returns the controls.
    fn described(
        &self,
        s: Src<'_>,
        id_span: std::ops::Range<usize>,
        description: &str,
        controls: &Spanned<Vec<Spanned<String>>>,
        key: &dyn Fn(&str) -> String,
    ) -> Result<Arc<[String]>, LoadError> {
        if description.trim().is_empty() {
            return Err(s.err(id_span, key("description"), "must not be empty"));
        }
        if controls.get_ref().is_empty() {
            return Err(s.err(
                controls.span(),
                key("controls"),
                "cite at least one Annex A control",
            ));
        }
        self.controls(s, controls.get_ref(), &key("controls"))
    }

    fn controls(
        &self,
        s: Src<'_>,
        list: &[Spanned<String>],
        key: &str,
    ) -> Result<Arc<[String]>, LoadError> {
        let mut out = Vec::with_capacity(list.len());
        for c in list {
            if !controls::is_annex_a(c.get_ref()) {
                return Err(s.err(
                    c.span(),
                    key,
                    format!(
                        "`{}` is not an ISO/IEC 42001 Annex A control (e.g. A.2.2, A.6.2.8, A.10.3)",
                        c.get_ref()
                    ),
                ));
            }
            out.push(c.get_ref().clone());
        }
        Ok(out.into())
    }

    fn classes(
        &self,
        s: Src<'_>,
        list: &[Spanned<String>],
        key: &str,
    ) -> Result<Vec<ClassPattern>, LoadError> {
        let mut out: Vec<ClassPattern> = Vec::with_capacity(list.len());
        for c in list {
            let p = ClassPattern::parse(c.get_ref())
                .map_err(|e| s.err(c.span(), key, e.to_string()))?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        Ok(out)
    }

    fn globs(
        &self,
        s: Src<'_>,
        list: &[Spanned<String>],
        key: &str,
    ) -> Result<Vec<Glob>, LoadError> {
        list.iter()
            .map(|g| Glob::new(g.get_ref()).map_err(|e| s.err(g.span(), key, e)))
            .collect()
    }

    fn upstream(
        &self,
        s: Src<'_>,
        span: Range<usize>,
        u: &str,
        key: &str,
    ) -> Result<(), LoadError> {
        if u.is_empty() {
            return Err(s.err(span, key, "upstream name must not be empty"));
        }
        match self.upstreams {
            Some(known) if !known.contains(&u) => Err(s.err(
                span,
                key,
                format!("unknown upstream `{u}` (configured: {})", known.join(", ")),
            )),
            _ => Ok(()),
        }
    }

    fn new_id(
        &mut self,
        s: Src<'_>,
        v: &Spanned<String>,
        key: &str,
    ) -> Result<Arc<str>, LoadError> {
        let id = self.ident(s, v, key)?;
        if id == "default" {
            return Err(s.err(
                v.span(),
                key,
                "`default` is reserved for the bundle default",
            ));
        }
        if !self.ids.insert(id.clone()) {
            return Err(s.err(v.span(), key, format!("duplicate rule id `{id}`")));
        }
        Ok(id.into())
    }

    /// Register selectors in the bundle's table; their combined bits, or 0 when one has no bit.
    fn mask(&mut self, ps: &[ClassPattern]) -> u64 {
        let mut mask = 0u64;
        for p in ps {
            let i = match self.selectors.iter().position(|s| s == p) {
                Some(i) => i,
                None => {
                    self.selectors.push(p.clone());
                    self.selectors.len() - 1
                }
            };
            if i >= 64 {
                return 0;
            }
            mask |= 1u64 << i;
        }
        mask
    }

    fn default_rule(&self, s: Src<'_>, raw: &RawBundle) -> Result<Rule, LoadError> {
        let (effect, controls) = match &raw.default {
            None => (RuleEffect::Allow, Arc::from(Vec::new())),
            Some(d) => {
                let controls = self.controls(s, &d.controls, "default.controls")?;
                let has_text = d.message.is_some() || d.fix.is_some();
                let e = match d.effect.get_ref().as_str() {
                    "allow" if !has_text => RuleEffect::Allow,
                    "review" if !has_text => RuleEffect::Review,
                    "block" => match (&d.message, &d.fix) {
                        (Some(m), Some(f)) => RuleEffect::Block {
                            message: m.clone(),
                            fix: f.clone(),
                        },
                        _ => {
                            return Err(s.err(
                                d.effect.span(),
                                "default.effect",
                                "a block default needs `message` and `fix`",
                            ))
                        }
                    },
                    "allow" | "review" => {
                        return Err(s.err(
                            d.effect.span(),
                            "default.effect",
                            "`message`/`fix` are only allowed with effect = \"block\"",
                        ))
                    }
                    other => {
                        return Err(s.err(
                            d.effect.span(),
                            "default.effect",
                            format!("unknown default effect `{other}` (allow, review, block)"),
                        ))
                    }
                };
                (e, controls)
            }
        };
        Ok(Rule {
            rref: RuleRef {
                id: Arc::from("default"),
                controls,
            },
            description: "bundle default (no enforced rule matched)".to_owned(),
            effect,
            monitor: raw.monitor,
            cond: Cond::True,
            redact_mask: 0,
            sys_mask: u64::MAX,
            route_model: None,
        })
    }
}

mod approvals;
mod items;

pub use approvals::{UNAPPROVED_MODEL, UNAPPROVED_UPSTREAM};
