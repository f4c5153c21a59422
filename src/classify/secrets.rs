//! Validators for the `secret.*` classes: provider key formats, JWTs, PEM private keys, database
//! URLs with a password and generic `password=` style assignments.
//!
//! Each takes a candidate span proposed by the engine and pushes a [`Finding`] only when the
//! format, checksum, boundaries and entropy hold and the value is not a documentation placeholder.

use base64::Engine as _;

use super::cand::{Cand, ScanState};
use super::testvalues;
use super::types::Finding;
use super::validate::{
    bounded, byte_at, char_classes, entropy, github_checksum_ok, is_placeholder, is_token, is_word,
    slice, WordList,
};

fn push(out: &mut Vec<Finding>, class: &'static str, c: &Cand<'_>, s: usize, e: usize) {
    c.emit(out, class, s, e);
}

fn token_bounded(c: &Cand<'_>) -> bool {
    bounded(c.text, c.start, c.end, is_token)
}

/// Maximum bytes between a PEM header and its END line.
const PEM_MAX: usize = 64 * 1024;

pub(crate) fn private_key(c: &Cand<'_>, out: &mut Vec<Finding>, st: &mut ScanState) -> usize {
    let text = c.text;
    let body_start = c.end;
    let horizon = body_start.saturating_add(PEM_MAX).min(c.limit);
    // Find the next END marker at or after body_start, reusing the previous search.
    let found = match st.pem_end {
        Some((_, Some(p))) if p >= body_start => Some(p),
        Some((upto, None)) if upto >= horizon => None,
        _ => {
            let from = match st.pem_end {
                Some((upto, None)) => upto.max(body_start),
                _ => body_start,
            };
            let hit = text
                .get(from..horizon)
                .and_then(|h| h.find("-----END "))
                .map(|i| from.saturating_add(i));
            st.pem_end = Some((horizon, hit));
            hit
        }
    };
    let (end, body_end) = match found.filter(|&p| p < horizon) {
        Some(p) => {
            let line_end = text
                .get(p..horizon.min(p.saturating_add(80)))
                .and_then(|t| {
                    t.get(9..)
                        .and_then(|r| r.find("-----"))
                        .map(|i| p + 9 + i + 5)
                })
                .unwrap_or(p);
            if !slice(text, p, line_end).contains("PRIVATE KEY") {
                return c.end;
            }
            (line_end, p)
        }
        None => {
            // Truncated block: the header plus the base64 body that follows.
            let mut e = body_start;
            let bytes = text.as_bytes();
            while e < horizon {
                match bytes.get(e) {
                    Some(b) if b.is_ascii_alphanumeric() || b"+/=\r\n\t :-\\".contains(b) => e += 1,
                    _ => break,
                }
            }
            while e > body_start
                && !bytes
                    .get(e - 1)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'=')
            {
                e -= 1;
            }
            (e, e)
        }
    };
    let body = slice(text, body_start, body_end);
    let b64 = body
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .count();
    if b64 < 64 || body.contains("...") || body.contains('…') {
        return c.end;
    }
    push(out, "secret.private_key", c, c.start, end);
    end
}

fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .ok()
}

/// The signature of the jwt.io documentation example token.
const JWT_DOC_SIGNATURE: &str = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

pub(crate) fn jwt(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let tok = slice(c.text, c.start, c.end);
    if !bounded(c.text, c.start, c.end, |b| is_token(b) || b == b'.') {
        return;
    }
    let mut parts = tok.split('.');
    let (Some(h), Some(p), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let header_ok = b64url_decode(h)
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v.get("alg").is_some_and(serde_json::Value::is_string));
    let payload_ok = b64url_decode(p).is_some_and(|b| b.first() == Some(&b'{'));
    if header_ok && payload_ok && sig != JWT_DOC_SIGNATURE {
        push(out, "secret.jwt", c, c.start, c.end);
    }
}

pub(crate) fn github(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let tok = slice(c.text, c.start, c.end).as_bytes();
    if tok.len() != 40 || !token_bounded(c) {
        return;
    }
    if github_checksum_ok(&tok[4..34], &tok[34..40]) {
        push(out, "secret.github_token", c, c.start, c.end);
    }
}

pub(crate) fn github_pat(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let tok = slice(c.text, c.start, c.end);
    let rest = tok.get(11..).unwrap_or("");
    let ok = match rest.split_once('_') {
        Some((a, b)) => a.len() == 22 && b.len() == 59,
        None => false,
    };
    if ok && token_bounded(c) && !is_placeholder(rest) && entropy(rest.as_bytes()) > 4.0 {
        push(out, "secret.github_token", c, c.start, c.end);
    }
}

fn random_part_ok(rest: &str, min_len: usize, min_entropy: f64) -> bool {
    rest.len() >= min_len
        && !is_placeholder(rest)
        && entropy(rest.as_bytes()) >= min_entropy
        && char_classes(rest.as_bytes()) >= 2
}

pub(crate) fn gitlab(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let mut e = c.end;
    while e > c.start && matches!(byte_at(c.text, e - 1), Some(b'.' | b'-')) {
        e -= 1;
    }
    let tok = slice(c.text, c.start, e);
    // `GR1348941` runner registration tokens have no dash after the prefix.
    let rest = match tok.strip_prefix("GR1348941") {
        Some(r) => r,
        None => tok.split_once('-').map_or("", |(_, r)| r),
    };
    if bounded(c.text, c.start, e, is_token) && random_part_ok(rest, 20, 3.5) {
        push(out, "secret.gitlab_token", c, c.start, e);
    }
}

/// Slack tokens: bot (`xoxb-`), user (`xoxp-`), workspace and legacy (`xoxa-`, `xoxo-`,
/// `xoxs-`, `xoxr-`) and app-level (`xapp-`) tokens carry numeric team/user ids between dashes;
/// refresh tokens (`xoxe-1-…`) and rotating or configuration access tokens (`xoxe.xoxp-1-…`,
/// `xoxe.xoxb-1-…`) are a version number and one long opaque part.
pub(crate) fn slack(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let tok = slice(c.text, c.start, c.end);
    if tok.starts_with("xoxe") {
        let mut segs = tok.splitn(3, '-');
        let (_, version, body) = (segs.next(), segs.next(), segs.next().unwrap_or(""));
        let versioned =
            version.is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
        if token_bounded(c) && versioned && random_part_ok(body, 40, 3.5) {
            push(out, "secret.slack_token", c, c.start, c.end);
        }
        return;
    }
    let segs: Vec<&str> = tok.split('-').collect();
    let numeric = segs
        .iter()
        .skip(1)
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .count();
    let last = segs.last().copied().unwrap_or("");
    if token_bounded(c)
        && segs.len() >= 4
        && numeric >= 2
        && last.len() >= 16
        && random_part_ok(last, 16, 3.0)
    {
        push(out, "secret.slack_token", c, c.start, c.end);
    }
}

/// Slack webhook URLs (incoming webhooks `services/T…/B…/<secret>`, workflow and trigger
/// URLs): the URL itself is the credential. The last path segment must look random.
pub(crate) fn slack_webhook(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let mut e = c.end;
    while e > c.start && matches!(byte_at(c.text, e - 1), Some(b'/' | b'-' | b'_')) {
        e -= 1;
    }
    let url = slice(c.text, c.start, e);
    let path = url.split_once(".com/").map_or("", |(_, p)| p);
    let segs: Vec<&str> = path.split('/').collect();
    let ids_ok = match segs.as_slice() {
        ["services", team, bot, secret] => {
            slack_id(team, b'T') && slack_id(bot, b'B') && secret.len() >= 20
        }
        [_, team, rest @ ..] => slack_id(team, b'T') && rest.len() >= 2,
        _ => false,
    };
    let secret = segs.last().copied().unwrap_or("");
    if ids_ok && random_part_ok(secret, 20, 3.0) {
        push(out, "secret.slack_token", c, c.start, e);
    }
}

/// A Slack id: its type letter, then 8 or more uppercase letters and digits.
fn slack_id(s: &str, kind: u8) -> bool {
    s.len() >= 9
        && s.as_bytes().first() == Some(&kind)
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Stripe's public documentation test key.
const STRIPE_DOC_KEY: &str = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";

pub(crate) fn stripe(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let tok = slice(c.text, c.start, c.end);
    // `sk_live_` / `rk_test_` … are 8 bytes, `whsec_` 6.
    let rest = tok
        .strip_prefix("whsec_")
        .unwrap_or_else(|| tok.get(8..).unwrap_or(""));
    if tok != STRIPE_DOC_KEY && token_bounded(c) && random_part_ok(rest, 20, 3.5) {
        push(out, "secret.stripe_key", c, c.start, c.end);
    }
}

pub(crate) fn anthropic(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let tok = slice(c.text, c.start, c.end);
    let rest = tok.splitn(4, '-').nth(3).unwrap_or("");
    if token_bounded(c) && random_part_ok(rest, 32, 4.0) {
        push(out, "secret.anthropic_key", c, c.start, c.end);
    }
}

pub(crate) fn openai(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let tok = slice(c.text, c.start, c.end);
    if tok.starts_with("sk-ant-") || !token_bounded(c) {
        return;
    }
    let rest = ["sk-proj-", "sk-svcacct-", "sk-admin-", "sk-"]
        .iter()
        .find_map(|p| tok.strip_prefix(p))
        .unwrap_or("");
    let marked = rest.contains("T3BlbkFJ");
    let digits = rest.bytes().any(|b| b.is_ascii_digit());
    let letters = rest.bytes().any(|b| b.is_ascii_alphabetic());
    if (marked || (digits && letters)) && random_part_ok(rest, 32, 3.8) {
        push(out, "secret.openai_key", c, c.start, c.end);
    }
}

pub(crate) fn aws_access_key(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let tok = slice(c.text, c.start, c.end);
    let rest = tok.get(4..).unwrap_or("");
    let base32 = rest
        .bytes()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
    if tok.len() == 20
        && base32
        && bounded(c.text, c.start, c.end, is_word)
        && (!is_placeholder(tok) || tok == testvalues::AWS_ACCESS_KEY_ID)
        && entropy(rest.as_bytes()) >= 3.0
    {
        push(out, "secret.aws_access_key", c, c.start, c.end);
    }
}

/// `v` is the 40-char value span after an `aws_secret_access_key =` style key.
pub(crate) fn aws_secret_key(v: &Cand<'_>, out: &mut Vec<Finding>) {
    let val = slice(v.text, v.start, v.end);
    let next_ok =
        !byte_at(v.text, v.end).is_some_and(|b| b.is_ascii_alphanumeric() || b"/+=".contains(&b));
    if next_ok
        && (!is_placeholder(val) || val == testvalues::AWS_SECRET_ACCESS_KEY)
        && entropy(val.as_bytes()) >= 4.0
        && char_classes(val.as_bytes()) >= 3
    {
        push(out, "secret.aws_secret_key", v, v.start, v.end);
    }
}

/// Google credentials: API keys are `AIza` + 35 chars (39 in all); OAuth client secrets
/// `GOCSPX-` + 28 chars; OAuth access tokens `ya29.` + a long opaque part (no fixed length).
pub(crate) fn google_api_key(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let tok = slice(c.text, c.start, c.end);
    let ok = if let Some(r) = tok.strip_prefix("GOCSPX-") {
        r.len() == 28 && random_part_ok(r, 28, 3.8)
    } else if let Some(r) = tok.strip_prefix("ya29.") {
        (40..=2048).contains(&r.len()) && random_part_ok(r, 40, 4.0)
    } else {
        tok.len() == 39 && random_part_ok(tok.get(4..).unwrap_or(""), 35, 3.8)
    };
    if ok && token_bounded(c) {
        push(out, "secret.google_api_key", c, c.start, c.end);
    }
}

pub(crate) fn db_url(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let mut e = c.end;
    while e > c.start && matches!(byte_at(c.text, e - 1), Some(b'.' | b')' | b']')) {
        e -= 1;
    }
    let url = slice(c.text, c.start, e);
    if !password_ok(url_password(url)) {
        return;
    }
    if !byte_before(c).is_some_and(|b| b.is_ascii_alphanumeric()) {
        push(out, "secret.db_connection_string", c, c.start, e);
    }
}

/// The password of a database URL: `user:password@` userinfo, a `password=` (or `pwd=`) query
/// parameter, or Oracle's `jdbc:oracle:thin:user/password@host`; "" when there is none.
fn url_password(url: &str) -> &str {
    if let Some((_, after_scheme)) = url.split_once("://") {
        let before_query = after_scheme.split('?').next().unwrap_or("");
        if let Some((userinfo, _)) = before_query.rsplit_once('@') {
            return userinfo.split_once(':').map_or("", |(_, p)| p);
        }
        let query = after_scheme.split_once('?').map_or("", |(_, q)| q);
        return query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("pwd"))
            .map_or("", |(_, v)| v);
    }
    // jdbc:oracle:thin:user/password@…
    let Some((creds, _)) = url.rsplit_once('@') else {
        return "";
    };
    let userpass = creds.rsplit(':').next().unwrap_or("");
    userpass.split_once('/').map_or("", |(_, p)| p)
}

/// ODBC, ADO.NET and JDBC (SQL Server style) connection strings, `key=value;` pairs naming a
/// server and carrying a password: the whole string is the finding, unless the password is a
/// placeholder or a template variable.
pub(crate) fn db_conn_kv(c: &Cand<'_>, out: &mut Vec<Finding>) {
    let mut e = c.end;
    while e > c.start && matches!(byte_at(c.text, e - 1), Some(b';' | b' ' | b'\t')) {
        e -= 1;
    }
    let conn = slice(c.text, c.start, e);
    let lower = conn.to_ascii_lowercase();
    let at = ["password", "pwd"]
        .iter()
        .filter_map(|k| lower.rfind(k).map(|i| i + k.len()))
        .max()
        .unwrap_or(0);
    let password = conn
        .get(at..)
        .and_then(|r| r.split_once('='))
        .map_or("", |(_, v)| {
            v.split([';', ' ', '\t'])
                .find(|p| !p.is_empty())
                .unwrap_or("")
        });
    if password_ok(password) && !byte_before(c).is_some_and(|b| b.is_ascii_alphanumeric()) {
        push(out, "secret.db_connection_string", c, c.start, e);
    }
}

/// A password written in a connection string, not a placeholder or template.
fn password_ok(password: &str) -> bool {
    let lower = password.to_ascii_lowercase();
    const FAKE: &[&str] = &[
        "password", "pass", "passwd", "pwd", "secret", "xxx", "***", "changeme",
    ];
    let templated = password.starts_with(['$', '%', '{', '<']);
    !(password.is_empty()
        || templated
        || FAKE.contains(&lower.as_str())
        || is_placeholder_pw(&lower))
}

fn byte_before(c: &Cand<'_>) -> Option<u8> {
    super::validate::byte_before(c.text, c.start)
}

fn is_placeholder_pw(p: &str) -> bool {
    p.contains("xxxx") || p.contains("****") || p.contains('<') || p.contains("your")
}

/// Key names that look secret-ish but hold no secret (`max_tokens`, `token_type`, ...).
static NOT_SECRET_KEYS: WordList = WordList::new(&[
    "type",
    "count",
    "max",
    "limit",
    "length",
    "len",
    "usage",
    "page",
    "expir",
    "ttl",
    "format",
    "name",
    "url",
    "uri",
    "path",
    "file",
    "hash",
    "sha",
    "digest",
    "commit",
    "etag",
    "integrity",
    "policy",
    "rotation",
    "field",
    "header",
    "prefix",
    "min",
    "tokens",
    "tokenizer",
    "endpoint",
    "id\"",
    "_id",
    "manager",
    "store",
    "reset",
    "forgot",
    "strength",
    "required",
    "label",
    "passport",
    "bypass",
    "compass",
    "ref\"",
    "_ref",
    "keyref",
]);

/// Words that mark a value as a template or a note to fill in, not a credential.
static FILL_IN: WordList = WordList::new(&[
    "your",
    "here",
    "todo",
    "fixme",
    "tbd",
    "notset",
    "not_set",
    "not-set",
    "foobar",
    "secret123",
    "password1",
    "password123",
    "changeit",
    "letmein",
]);

/// References to where a secret is kept (vaults, secret managers, files, URLs), not the secret.
const REFERENCES: &[&str] = &[
    "arn:",
    "vault:",
    "env:",
    "ssm:",
    "secretsmanager:",
    "secretref:",
    "file:",
    "op://",
    "sm://",
    "awssm:",
    "akv:",
    "gcpsm:",
    "projects/",
    "keyvault:",
    "enc[",
    "!vault",
];

/// A file path, a URL or a secret-manager reference rather than a secret value.
fn is_reference(val: &str) -> bool {
    let l = val.to_ascii_lowercase();
    let b = val.as_bytes();
    let drive = b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && b"\\/".contains(&b[2]);
    l.starts_with('/')
        || l.starts_with("./")
        || l.starts_with("../")
        || l.starts_with("~/")
        || drive
        || l.contains("://")
        || REFERENCES.iter().any(|r| l.starts_with(r))
}

/// A base64 value that decodes to a placeholder (Kubernetes Secret `data:` of `changeme`).
fn encoded_placeholder(val: &str) -> bool {
    if !val.len().is_multiple_of(4) || val.len() > 256 {
        return false;
    }
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(val) else {
        return false;
    };
    let Ok(txt) = std::str::from_utf8(&raw) else {
        return false;
    };
    txt.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        && (txt.len() < 8 || is_placeholder(txt) || !password_ok(txt) || fill_in(txt))
}

fn fill_in(val: &str) -> bool {
    let l = val.to_ascii_lowercase();
    FILL_IN.any_in(&l)
}

/// Old-style GitHub OAuth / personal tokens: 40 lowercase hex digits, recognised only after a
/// key naming GitHub (`GITHUB_TOKEN=…`, `gh_token: …`); elsewhere 40 hex digits are a git SHA.
fn legacy_github_token(key: &str, val: &str) -> bool {
    (key.contains("github") || key.contains("gh_") || key.contains("gh-"))
        && val.len() == 40
        && val
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && entropy(val.as_bytes()) >= 3.5
}

/// The value of a `generic_secret` candidate `s..e`, read by the pattern's own shape instead of a
/// capture search (the candidate matched, so only the separator has to be found): a key of
/// `[A-Za-z0-9_.-]`, then `["']? [ \t]* (:= | => | = | :) [ \t]* ["']?` or the call-argument
/// form `["'] [ \t]* , [ \t]* ["']`, then the value up to `e`. `None` when the text does not
/// read that way (non-ASCII case folds of the key): the caller then runs the capture search.
pub(crate) fn generic_value(text: &str, s: usize, e: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes().get(s..e)?;
    let key_char = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-');
    let quote = |p: usize| matches!(b.get(p), Some(b'"' | b'\''));
    let blank = |mut p: usize| {
        while matches!(b.get(p), Some(b' ' | b'\t')) {
            p += 1;
        }
        p
    };
    let key_end = b.iter().position(|c| !key_char(c))?;
    let q = blank(key_end + usize::from(quote(key_end)));
    let rest = b.get(q..)?;
    let op = if rest.starts_with(b":=") || rest.starts_with(b"=>") {
        2
    } else {
        usize::from(matches!(rest.first(), Some(b'=' | b':')))
    };
    let vs = if op > 0 {
        let r = blank(q + op);
        r + usize::from(quote(r))
    } else {
        if !quote(key_end) {
            return None;
        }
        let r = blank(key_end + 1);
        if b.get(r) != Some(&b',') {
            return None;
        }
        let r = blank(r + 1);
        if !quote(r) {
            return None;
        }
        r + 1
    };
    let value_char = |c: &u8| !(c.is_ascii_whitespace() || b"\"'`,;<>(){}[]".contains(c));
    let value = b.get(vs..).filter(|v| !v.is_empty())?;
    value.iter().all(value_char).then_some((s + vs, e))
}

/// Generic `key = value` assignment: `c` is the whole candidate, `v` the value.
pub(crate) fn generic(c: &Cand<'_>, v: &Cand<'_>, out: &mut Vec<Finding>) {
    let key = slice(c.text, c.start, v.start).to_ascii_lowercase();
    let val = slice(v.text, v.start, v.end);
    let vb = val.as_bytes();
    if byte_before(c).is_some_and(is_word) || NOT_SECRET_KEYS.any_in(&key) {
        return;
    }
    if legacy_github_token(&key, val) {
        push(out, "secret.github_token", v, v.start, v.end);
        return;
    }
    // `"password", "…"`: a quoted key and value as call arguments. Lists of quoted names
    // (`["access_token", "refresh_token"]`) have the same shape, so words are no value there.
    let argument = key.trim_end_matches([' ', '\t', '"', '\'']).ends_with(',');
    if argument && wordy(val) {
        return;
    }
    let code_ref = vb.first().is_some_and(|b| b"$%{[(@&*#!".contains(b))
        || val.contains('(')
        || is_dotted_identifier(val)
        || is_version(val);
    let integrity = ["sha1-", "sha256-", "sha384-", "sha512-", "sha256:", "md5:"]
        .iter()
        .any(|p| val.to_ascii_lowercase().starts_with(p));
    let letters_only = vb.iter().all(u8::is_ascii_alphabetic);
    let digits_only = vb.iter().all(u8::is_ascii_digit);
    if vb.len() < 8
        || vb.len() > 512
        || code_ref
        || integrity
        || letters_only
        || digits_only
        || is_placeholder(val)
        || fill_in(val)
        || is_reference(val)
        || encoded_placeholder(val)
        || char_classes(vb) < 2
        || entropy(vb) < 3.0
    {
        return;
    }
    push(out, "secret.generic", v, v.start, v.end);
}

/// A dotted name in code (`settings.DATABASE_PASSWORD`, `os.environ.get`, `config.secret_key`,
/// `db.internal.example`): identifier-shaped parts made of words. A random value that merely
/// contains dots (`yWB07y.GXG66SES5wHOF2EMGKq`) has identifier-shaped parts too, but its words
/// are one or two characters long.
/// Lower-case parts may carry `-` (`db-01.internal.example`, `server-cert.pem`).
fn is_dotted_identifier(v: &str) -> bool {
    let lower = !v.bytes().any(|b| b.is_ascii_uppercase());
    v.contains('.')
        && v.split('.').all(|p| {
            p.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || (lower && b == b'-'))
        })
        && wordy(v)
}

/// A version number (`1.2.3`, `v2.10.0-beta.4`, `4.1.0+build.7`).
fn is_version(v: &str) -> bool {
    let core = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let (nums, tail) = core.split_once(['-', '+']).unwrap_or((core, ""));
    let mut parts = nums.split('.');
    parts.clone().count() >= 2
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && tail.len() <= 24
        && tail
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-+.".contains(&b))
}

/// Mean length of the words of `v` (camelCase humps, acronyms, digit runs, split at any other
/// byte) is at least 3: names written by people, not random characters.
fn wordy(v: &str) -> bool {
    let (chars, words) = words(v.as_bytes());
    words > 0 && chars >= 3 * words
}

/// (alphanumeric bytes, words) of `v`. A word starts after a non-alphanumeric byte, at a switch
/// between digits and letters, at an upper-case letter after a lower-case one, and at the last
/// upper-case letter of an acronym followed by lower case (`HTTPResponse` = `HTTP`, `Response`).
fn words(v: &[u8]) -> (usize, usize) {
    #[derive(Clone, Copy, PartialEq)]
    enum C {
        Lower,
        Upper,
        Digit,
        Other,
    }
    let class = |b: u8| match b {
        b'a'..=b'z' => C::Lower,
        b'A'..=b'Z' => C::Upper,
        b'0'..=b'9' => C::Digit,
        _ => C::Other,
    };
    let (mut chars, mut words) = (0, 0);
    for (i, &b) in v.iter().enumerate() {
        let cur = class(b);
        if cur == C::Other {
            continue;
        }
        chars += 1;
        let prev = i
            .checked_sub(1)
            .and_then(|j| v.get(j))
            .map_or(C::Other, |&p| class(p));
        let next = v.get(i + 1).map_or(C::Other, |&n| class(n));
        let starts = match (prev, cur) {
            (C::Other, _) => true,
            (C::Digit, C::Digit) | (C::Lower | C::Upper, C::Lower) => false,
            (C::Upper, C::Upper) => next == C::Lower,
            _ => true,
        };
        words += usize::from(starts);
    }
    (chars, words)
}
