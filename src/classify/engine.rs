//! The one-pass engine: pre-filter, candidate search, dispatch to validators.
//!
//! 1. Pre-filter (`prefilter`): a SIMD multi-literal pass over the anchor literals and a chunked
//!    byte scan open candidate windows; text outside every window (most ordinary prose) is never
//!    touched by the regex.
//! 2. One multi-pattern `meta::Regex` (leftmost-first, lazy DFA, no backtracking) walks the merged
//!    windows left to right and reports spans with their pattern id; a match touching a window's
//!    end is re-run anchored to the scan limit, so windows never truncate a value.
//! 3. Each candidate is confirmed by its detector's validator, which may narrow the span to the
//!    value. The cursor only moves forward, so the cost is linear in the text.
//!
//! Owns no validation logic itself (see `secrets`, `numeric`, `context`).

use regex_automata::meta::Regex;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input, PatternID};

use super::cand::{Cand, ScanState};
use super::catalog::{self, Detector, Kind};
use super::prefilter::Prefilter;
use super::types::{ClassifyError, Finding};
use super::{address, context, keybody, numeric, secrets};

#[derive(Debug)]
pub(crate) struct Engine {
    prefilter: Prefilter,
    regex: Regex,
    detectors: Vec<(&'static str, Kind)>,
    /// Per detector whose value is a capture group: its own pattern alone, so the capture
    /// search over a candidate runs one small NFA instead of the whole catalog's.
    values: Vec<Option<Regex>>,
}

impl Engine {
    pub fn new() -> Result<Self, ClassifyError> {
        let dets = catalog::detectors();
        let patterns: Vec<&str> = dets.iter().map(|(_, p)| p.as_str()).collect();
        let regex =
            Regex::new_many(&patterns).map_err(|e| ClassifyError::Catalog(e.to_string()))?;
        // The patterns with a value group, as the catalog's regex itself reports them.
        let groups = regex.group_info();
        let values = dets
            .iter()
            .enumerate()
            .map(|(i, (_, p))| {
                let valued = PatternID::new(i).is_ok_and(|pid| groups.to_index(pid, "v").is_some());
                valued
                    .then(|| Regex::new(p).map_err(|e| ClassifyError::Catalog(e.to_string())))
                    .transpose()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let detectors = dets
            .into_iter()
            .map(|(Detector { id, kind }, _)| (id, kind))
            .collect();
        Ok(Self {
            prefilter: Prefilter::new()?,
            regex,
            detectors,
            values,
        })
    }

    #[cfg(test)]
    pub fn debug_windows(&self, text: &str) -> Vec<(usize, usize)> {
        self.prefilter.windows(text, text.len())
    }

    /// Scan `text[..limit]` and return confirmed findings (sorted, possibly overlapping only in
    /// pathological cases; the caller resolves overlaps).
    /// Scans `text[from..limit]` (the text before `from` is context only). With `spans`, records
    /// every candidate the scan stepped over as `(start, resumed at)`: a later scan restarted at
    /// a point not strictly inside one of them continues exactly as this one did.
    pub fn scan(
        &self,
        text: &str,
        from: usize,
        limit: usize,
        mut spans: Option<&mut Vec<(usize, usize)>>,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut state = ScanState::default();
        let mut at = from;
        for (ws, we) in self.prefilter.windows(text, limit) {
            let mut pos = at.max(ws);
            while pos < we {
                let Some(m) = self.regex.search(&Input::new(text).span(pos..we)) else {
                    break;
                };
                let (s, mut e, mut pid) = (m.start(), m.end(), m.pattern().as_usize());
                if e == we && we < limit {
                    let ext = Input::new(text).span(s..limit).anchored(Anchored::Yes);
                    if let Some(m2) = self.regex.search(&ext) {
                        e = m2.end();
                        pid = m2.pattern().as_usize();
                    }
                }
                let before = out.len();
                let reached = self.confirm(text, limit, pid, s, e, &mut out, &mut state);
                // Validators return where to resume: the candidate's end, or past a key block.
                pos = reached.max(s.saturating_add(1));
                if out.len() == before {
                    // Rejected: its last whitespace-separated piece may start a real value
                    // (`… 0130 00a@b.co`). One extra search over that piece keeps this linear.
                    if let Some(ws) = last_piece(text, s, e) {
                        pos = pos.min(ws);
                    }
                }
                if let Some(sp) = spans.as_deref_mut() {
                    sp.push((s, pos));
                }
                at = pos;
            }
        }
        out
    }

    /// Confirm candidate `s..e` of pattern `pid`; returns the furthest byte consumed.
    #[allow(clippy::too_many_arguments)]
    fn confirm(
        &self,
        text: &str,
        limit: usize,
        pid: usize,
        s: usize,
        e: usize,
        out: &mut Vec<Finding>,
        state: &mut ScanState,
    ) -> usize {
        let Some(&(id, kind)) = self.detectors.get(pid) else {
            return e;
        };
        let c = Cand {
            text,
            limit,
            start: s,
            end: e,
            id,
        };
        match kind {
            Kind::PrivateKey => return secrets::private_key(&c, out, state),
            Kind::BareKey => return keybody::bare_private_key(&c, out),
            Kind::Jwt => secrets::jwt(&c, out),
            Kind::Github => secrets::github(&c, out),
            Kind::GithubPat => secrets::github_pat(&c, out),
            Kind::Gitlab => secrets::gitlab(&c, out),
            Kind::Slack => secrets::slack(&c, out),
            Kind::SlackWebhook => secrets::slack_webhook(&c, out),
            Kind::Stripe => secrets::stripe(&c, out),
            Kind::Anthropic => secrets::anthropic(&c, out),
            Kind::OpenAi => secrets::openai(&c, out),
            Kind::AwsAccessKey => secrets::aws_access_key(&c, out),
            Kind::GoogleApiKey => secrets::google_api_key(&c, out),
            Kind::DbUrl => secrets::db_url(&c, out),
            Kind::DbConnKv => secrets::db_conn_kv(&c, out),
            Kind::Email => context::email(&c, out),
            Kind::Marking => context::marking(&c, out),
            Kind::Address => address::confirm(&c, out),
            Kind::Iban => return numeric::iban(&c, out),
            Kind::Ipv6 => numeric::ipv6(&c, out),
            Kind::Numeric => numeric::numeric(&c, out),
            Kind::AwsSecretKey | Kind::Generic | Kind::Passport | Kind::Mrn | Kind::DateOfBirth => {
                let Some((vs, ve)) = self.value_span(pid, text, s, e) else {
                    return e;
                };
                let v = Cand {
                    text,
                    limit,
                    start: vs,
                    end: ve,
                    id,
                };
                match kind {
                    Kind::AwsSecretKey => secrets::aws_secret_key(&v, out),
                    Kind::Generic => {
                        if !self.specific_value(text, limit, vs, ve, out, state) {
                            secrets::generic(&c, &v, out);
                        }
                    }
                    Kind::Passport => context::passport(&c, &v, out),
                    Kind::Mrn => context::mrn(&c, &v, out),
                    _ => context::date_of_birth(&c, &v, out),
                }
            }
        }
        e
    }

    /// The span of the `v` (or `v2`) capture group of the candidate's own pattern `pid`.
    fn value_span(&self, pid: usize, text: &str, s: usize, e: usize) -> Option<(usize, usize)> {
        if let Some((_, Kind::Generic)) = self.detectors.get(pid) {
            if let Some(v) = secrets::generic_value(text, s, e) {
                return Some(v);
            }
        }
        self.capture_span(pid, text, s, e)
    }

    /// [`value_span`](Self::value_span) by the capture search of the detector's own pattern.
    fn capture_span(&self, pid: usize, text: &str, s: usize, e: usize) -> Option<(usize, usize)> {
        let re = self.values.get(pid)?.as_ref()?;
        let mut caps: Captures = re.create_captures();
        let input = Input::new(text).span(s..e).anchored(Anchored::Yes);
        re.search_captures(&input, &mut caps);
        let g = caps
            .get_group_by_name("v")
            .or_else(|| caps.get_group_by_name("v2"))?;
        Some((g.start, g.end))
    }

    /// Is the value of an assignment itself a specific credential (JWT, GitHub token, ...)?
    /// If so, report that instead of `secret.generic`.
    fn specific_value(
        &self,
        text: &str,
        limit: usize,
        vs: usize,
        ve: usize,
        out: &mut Vec<Finding>,
        state: &mut ScanState,
    ) -> bool {
        let input = Input::new(text).span(vs..ve).anchored(Anchored::Yes);
        let Some(m) = self.regex.search(&input) else {
            return false;
        };
        let pid = m.pattern().as_usize();
        match self.detectors.get(pid) {
            Some((_, Kind::Generic | Kind::Numeric | Kind::Ipv6 | Kind::Iban)) | None => false,
            Some(_) => {
                let before = out.len();
                self.confirm(text, limit, pid, m.start(), m.end(), out, state);
                out.len() > before
            }
        }
    }
}

/// Start of the last whitespace-separated piece of a rejected candidate `s..e`, if it has more
/// than one piece.
fn last_piece(text: &str, s: usize, e: usize) -> Option<usize> {
    let bytes = text.as_bytes().get(s..e)?;
    let i = bytes.iter().rposition(u8::is_ascii_whitespace)?;
    let start = s.saturating_add(i).saturating_add(1);
    (start > s && start < e).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generic value read by shape is the capture group's span, for every separator form.
    #[test]
    fn the_generic_value_read_by_shape_is_the_capture_group() {
        let eng = Engine::new().unwrap();
        let pid = eng
            .detectors
            .iter()
            .position(|(_, k)| *k == Kind::Generic)
            .unwrap();
        let mut compared = 0;
        for key in [
            "password",
            "DB_PASSWORD",
            "api.key",
            "client-secret",
            "x_pass",
            "apiKey",
        ] {
            for sep in [
                "=", " = ", ":", ": ", ":=", " := ", "=>", " => ", "=\"", ": '", "\" : \"",
                "\"=\"", "\", \"", "' , '", "\t=\t", "=:",
            ] {
                for val in ["Zr8vQm2LxT9w", "a", "x:y=z", "Tr0ub4dor&3"] {
                    let text = format!("{key}{sep}{val}\" rest");
                    let input = Input::new(&text).anchored(Anchored::Yes);
                    let re = eng.values[pid].as_ref().unwrap();
                    let Some(m) = re.search(&input) else {
                        continue;
                    };
                    let (s, e) = (m.start(), m.end());
                    let by_shape = secrets::generic_value(&text, s, e);
                    assert_eq!(by_shape, eng.capture_span(pid, &text, s, e), "{text:?}");
                    assert!(by_shape.is_some(), "{text:?}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 300, "{compared}");
        // A non-ASCII case fold of the key (Kelvin sign) is left to the capture search.
        let text = "\u{212a}ey_token=Zr8vQm2LxT9w";
        assert_eq!(secrets::generic_value(text, 0, text.len()), None);
    }
}
