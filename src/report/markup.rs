//! HTML escaping ([`escape`]), the one text-to-markup function the page (`html`) and the charts
//! (`svg`) share. A leaf: imports nothing from its siblings. Re-exported as
//! [`crate::report::html::escape`].

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
