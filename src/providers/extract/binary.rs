//! Proof that a base64 string in a request is a binary payload, and decoding of text-typed ones.
//!
//! Owns one decision: may the classifier skip this value? Only when it is *proven* binary: it
//! strictly decodes as standard base64 (canonical padding, no whitespace, no other alphabet), its
//! declared media type (from a `data:` URL or the sibling field the API defines) is a binary type
//! this file knows, and the decoded bytes start with that type's file signature and are at least
//! as long as the smallest header of the format. A base64 value of a text type (`text/*`, JSON,
//! XML, YAML, CSV) is decoded and handed back as text (the provider reads it as text). Everything
//! else (`AKIA…` under `data`, a "PNG" that does not start like one, a type we have no signature
//! for, nothing declared) is not proven and stays text to scan as written. A binary candidate is
//! validated character by character and only its head is decoded, so a large image costs no copy.
//! It does not know where the value sits in the body (`walk.rs` does).

use base64::Engine;

/// What a candidate payload turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Proof {
    /// Proven binary of its declared type: skip it, count its bytes as unscanned.
    Binary,
    /// Valid base64 of text: scan the decoded text.
    Text(String),
    /// Not proven binary and not decodable text: scan the value as it is written.
    Unproven,
}

/// Judges `b64` declared as `media_type` (a MIME type, or a short audio format name such as
/// `wav` or `mp3` as OpenAI's `input_audio.format` gives it; `None` when nothing is declared).
pub(crate) fn prove(media_type: Option<&str>, b64: &str) -> Proof {
    let engine = &base64::engine::general_purpose::STANDARD;
    let mime = media_type.map(normalise).unwrap_or_default();
    if is_text_type(&mime) {
        return match engine.decode(b64).map(String::from_utf8) {
            Ok(Ok(text)) => Proof::Text(text),
            _ => Proof::Unproven,
        };
    }
    // Binary: check the whole string is strict base64 without decoding it (images can be
    // megabytes), then decode only the head for the signature.
    let Some(len) = strict_decoded_len(b64) else {
        return Proof::Unproven;
    };
    let head = b64.get(..b64.len().min(HEAD_CHARS)).unwrap_or_default();
    match engine.decode(head) {
        Ok(bytes) if signature_matches(&mime, &bytes, len) => Proof::Binary,
        _ => Proof::Unproven,
    }
}

/// Base64 characters decoded for a signature check (a multiple of 4: 48 bytes).
const HEAD_CHARS: usize = 64;

/// The decoded length of `s` when it is strict standard base64: a multiple of 4 characters of
/// the standard alphabet, `=` padding (at most two) only at the end, canonical final bits.
fn strict_decoded_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return None;
    }
    let pad = b.iter().rev().take(2).take_while(|&&c| c == b'=').count();
    let body = b.get(..b.len() - pad)?;
    if !body
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/'))
    {
        return None;
    }
    // The last quantum carries the padding and the final bits: let the strict engine judge it.
    let last = s.get(s.len() - 4..)?;
    base64::engine::general_purpose::STANDARD
        .decode(last)
        .ok()?;
    Some(b.len() / 4 * 3 - pad)
}

/// A `data:` URL split into its media type (with any parameters, without `;base64`) and
/// payload, when it is a base64 one.
pub(crate) fn data_url(s: &str) -> Option<(&str, &str)> {
    let rest = s
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("data:"))
        .and(s.get(5..))?;
    let (meta, payload) = rest.split_once(',')?;
    let n = meta.len().checked_sub(7)?;
    let (mime, tag) = (meta.get(..n)?, meta.get(n..)?);
    if !tag.eq_ignore_ascii_case(";base64") {
        return None;
    }
    Some((mime, payload))
}

/// [`prove`] for a base64 `data:` URL's media type and payload. Parameters (`;name=…`) are text
/// that is not inside the binary, so a binary type with parameters is not proven (the URL is
/// scanned as written); text types keep theirs (`;charset=utf-8`).
pub(crate) fn prove_data_url(meta: &str, payload: &str) -> Proof {
    match prove(Some(meta), payload) {
        Proof::Binary if meta.contains(';') => Proof::Unproven,
        proof => proof,
    }
}

/// Lower-cased media type without parameters; short audio format names mapped to MIME types.
fn normalise(declared: &str) -> String {
    let base = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match base.as_str() {
        "wav" => "audio/wav".into(),
        "mp3" => "audio/mpeg".into(),
        "flac" => "audio/flac".into(),
        "ogg" | "opus" => "audio/ogg".into(),
        "webm" => "audio/webm".into(),
        "aac" => "audio/aac".into(),
        "m4a" | "mp4" => "audio/mp4".into(),
        _ => base,
    }
}

fn is_text_type(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.ends_with("+json")
        || mime.ends_with("+xml")
        || matches!(
            mime,
            "application/json"
                | "application/xml"
                | "application/yaml"
                | "application/x-yaml"
                | "application/javascript"
                | "application/csv"
                | "application/x-ndjson"
        )
}

/// True when `head` (the first decoded bytes) starts with the file signature of `mime` and the
/// whole payload (`len` decoded bytes) is long enough to be one.
fn signature_matches(mime: &str, head: &[u8], len: usize) -> bool {
    let bytes = head;
    let at = |offset: usize, sig: &[u8]| bytes.get(offset..offset + sig.len()) == Some(sig);
    let ftyp = || at(4, b"ftyp") && len >= 12;
    match mime {
        // Signature, then the IHDR chunk every PNG starts with.
        "image/png" => at(0, b"\x89PNG\r\n\x1a\n") && at(12, b"IHDR") && len >= 33,
        "image/jpeg" | "image/jpg" => at(0, b"\xFF\xD8\xFF") && len >= 4,
        "image/gif" => (at(0, b"GIF87a") || at(0, b"GIF89a")) && len >= 13,
        "image/webp" => at(0, b"RIFF") && at(8, b"WEBP") && len >= 16,
        "image/bmp" => at(0, b"BM") && len >= 26,
        "image/tiff" => (at(0, b"II*\0") || at(0, b"MM\0*")) && len >= 8,
        "image/heic" | "image/heif" | "image/avif" => ftyp(),
        "application/pdf" => at(0, b"%PDF-") && len >= 8,
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => {
            at(0, b"RIFF") && at(8, b"WAVE") && len >= 44
        }
        "audio/mpeg" | "audio/mp3" => {
            at(0, b"ID3")
                || (len >= 4
                    && bytes.first() == Some(&0xFF)
                    && bytes.get(1).is_some_and(|b| b & 0xE0 == 0xE0))
        }
        "audio/flac" | "audio/x-flac" => at(0, b"fLaC") && len >= 8,
        "audio/ogg" | "audio/opus" | "video/ogg" => at(0, b"OggS") && len >= 27,
        "audio/webm" | "video/webm" => at(0, b"\x1A\x45\xDF\xA3") && len >= 8,
        "audio/aac" => {
            len >= 7
                && bytes.first() == Some(&0xFF)
                && bytes.get(1).is_some_and(|b| b & 0xF6 == 0xF0)
        }
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" | "video/mp4" | "video/quicktime" => ftyp(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// A real 1×1 PNG.
    const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    #[test]
    fn a_real_png_is_proven_binary() {
        assert_eq!(prove(Some("image/png"), PNG_1X1), Proof::Binary);
        assert_eq!(prove(Some("IMAGE/PNG; q=1"), PNG_1X1), Proof::Binary);
    }

    #[test]
    fn a_credential_under_a_binary_type_is_not_proven() {
        // 20 base64 characters decode to 15 bytes that are no PNG.
        assert_eq!(
            prove(Some("image/png"), "AKIAQX4BZL7NW2MOSR6T"),
            Proof::Unproven
        );
        assert_eq!(
            prove(Some("image/jpeg"), "ghp_aBcD1234"),
            Proof::Unproven,
            "not base64 at all"
        );
        // A PNG signature without the IHDR chunk is not enough.
        let fake = b64(b"\x89PNG\r\n\x1a\nAKIAQX4BZL7NW2MOSR6T AKIAQX4BZL7NW2MOSR6T");
        assert_eq!(prove(Some("image/png"), &fake), Proof::Unproven);
    }

    #[test]
    fn the_signature_must_match_the_declared_type() {
        assert_ne!(prove(Some("application/pdf"), PNG_1X1), Proof::Binary);
        assert_ne!(prove(None, PNG_1X1), Proof::Binary, "nothing declared");
        assert_ne!(
            prove(Some("application/octet-stream"), PNG_1X1),
            Proof::Binary,
            "no signature known for the type"
        );
        let pdf = b64(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj");
        assert_eq!(prove(Some("application/pdf"), &pdf), Proof::Binary);
        let wav = b64(&[b"RIFF\x24\0\0\0WAVEfmt ".as_slice(), &[0u8; 40]].concat());
        assert_eq!(
            prove(Some("wav"), &wav),
            Proof::Binary,
            "OpenAI audio format"
        );
        let mp3 = b64(b"ID3\x04\0\0\0\0\0\x00");
        assert_eq!(prove(Some("mp3"), &mp3), Proof::Binary);
    }

    #[test]
    fn text_typed_base64_is_decoded() {
        let text = "aws_access_key_id=AKIAQX4BZL7NW2MOSR6T";
        assert_eq!(
            prove(Some("text/plain"), &b64(text.as_bytes())),
            Proof::Text(text.into())
        );
        assert_eq!(
            prove(Some("application/json"), &b64(b"{\"k\":1}")),
            Proof::Text("{\"k\":1}".into())
        );
        // Valid base64 of UTF-8 under a binary type it is not: not proven, scanned as written.
        assert_eq!(
            prove(Some("image/png"), &b64(text.as_bytes())),
            Proof::Unproven
        );
        assert_eq!(prove(None, &b64(text.as_bytes())), Proof::Unproven);
    }

    #[test]
    fn large_payloads_are_judged_by_their_head_and_length() {
        let mut png = base64::engine::general_purpose::STANDARD
            .decode(PNG_1X1)
            .unwrap();
        png.extend(std::iter::repeat_n(7u8, 100_000));
        assert_eq!(prove(Some("image/png"), &b64(&png)), Proof::Binary);
        // One bad character far past the head is still caught.
        let mut bad = b64(&png);
        bad.replace_range(50_000..50_001, "*");
        assert_eq!(prove(Some("image/png"), &bad), Proof::Unproven);
        let mut bad = b64(&png);
        bad.replace_range(50_000..50_001, "=");
        assert_eq!(prove(Some("image/png"), &bad), Proof::Unproven);
        // Non-canonical final bits (`AB==` is canonical for one byte, `AF==` is not).
        let tail = format!("{}AF==", &b64(&png[..png.len() - png.len() % 3]));
        assert_eq!(prove(Some("image/png"), &tail), Proof::Unproven);
        assert_eq!(strict_decoded_len("QUI="), Some(2));
        assert_eq!(strict_decoded_len("QQ=="), Some(1));
        assert_eq!(strict_decoded_len("Q==="), None);
        assert_eq!(strict_decoded_len(""), None);
    }

    #[test]
    fn strict_base64_only() {
        let text = b64(b"hello world, this is text");
        let wrapped = format!("{}\n{}", &text[..8], &text[8..]);
        assert_eq!(prove(Some("text/plain"), &wrapped), Proof::Unproven);
        assert_eq!(
            prove(Some("text/plain"), "aGVsbG8"),
            Proof::Unproven,
            "bad padding"
        );
    }

    #[test]
    fn data_urls() {
        assert_eq!(
            data_url("data:image/png;base64,AAAA"),
            Some(("image/png", "AAAA"))
        );
        assert_eq!(
            data_url("DATA:text/plain;charset=utf-8;BASE64,AAAA"),
            Some(("text/plain;charset=utf-8", "AAAA"))
        );
        assert_eq!(data_url("data:text/plain,hello"), None);
        assert_eq!(data_url("https://example.com/a.png"), None);
        assert_eq!(data_url("data:"), None);
        assert_eq!(prove_data_url("image/png", PNG_1X1), Proof::Binary);
        assert_eq!(
            prove_data_url("image/png;name=AKIAQX4BZL7NW2MOSR6T", PNG_1X1),
            Proof::Unproven,
            "parameters are text outside the binary"
        );
        assert_eq!(
            prove_data_url("text/plain;charset=utf-8", &b64(b"hi")),
            Proof::Text("hi".into())
        );
    }
}
