//! Unit tests for obfuscated values: normalisation (zero-width, NBSP, full-width), separator
//! styles and glued digits, values split across parts, bare key bodies, prose-introduced AWS
//! secrets, and long adversarial inputs that must stay linear.

use super::tests::{assert_finds, assert_not_class, clf};

const CARD: &str = "financial.credit_card";
/// A throwaway P-256 key (PKCS#8), generated for these tests only.
const EC_PKCS8: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBN1VnvSldTjD6CqU\nCK2AC8t/u9Cn15XQZ5AZ8e554OGhRANCAAT5YkLZ4hEfrjEpxr298YzWoNxSKpPR\nHaGXhoOJ6ecwtUMlUoyOzOdlF5IWZxGTypNpOX4aCyIAv8IPC/UNVIOK";
/// A throwaway P-256 key (SEC1 `EC PRIVATE KEY`).
const EC_SEC1: &str = "MHcCAQEEILg2InfNQ8UC0zcnF5hsNED4BR6StSRPX2Dv0/Yy8tnJoAoGCCqGSM49\r\nAwEHoUQDQgAEQnDqtGZv1/kLa/mpDYkY+gnD11JoZwvogsDZGx0geUMNGKGitS5M\r\nI7YTg6HQWdoR0S/EBByNFM+T3WxMSt2OVA==";
/// A throwaway Ed25519 key (PKCS#8, exactly 64 chars).
const ED25519: &str = "MC4CAQAwBQYDK2VwBCIEICT6BD+UezagNZJU+yzA7ZLQOkvEb2vfEG+vKz89hLfT";
/// The start of a self-signed certificate and of an SPKI public key: never private keys.
const CERT: &str = "MIIBbDCCAROgAwIBAgIUFsUonorynK1t1jFIWhsdFgC34xgwCgYIKoZIzj0EAwIw\nDDEKMAgGA1UEAwwBeDAeFw0yNjEyMDMwNTQ0NDdaFw0yNjEyMDQwNTQ0NDdaMAwx";
const SPKI: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQnDqtGZv1/kLa/mpDYkY+gnD11JoZwvogsDZGx0geUMNGKGitS5MI7YTg6HQWdoR0S/EBByNFM+T3WxMSt2OVA==";

#[test]
fn zero_width_and_format_chars_inside_values() {
    let t = "card 4539\u{200b}1488\u{200c}0343\u{2060}6467\u{feff}.";
    assert_finds(t, CARD, "4539\u{200b}1488\u{200c}0343\u{2060}6467");
    assert_finds(
        "ghp_8aspm4G7Vm\u{ad}SUfOoD6V1vrO\u{200d}Rcmn0iSH2JWh3d",
        "secret.github_token",
        "ghp_8aspm4G7Vm\u{ad}SUfOoD6V1vrO\u{200d}Rcmn0iSH2JWh3d",
    );
    assert_finds(
        "mail ja\u{200b}ne@exa\u{2063}mple.org",
        "pii.email",
        "ja\u{200b}ne@exa\u{2063}mple.org",
    );
}

#[test]
fn nbsp_and_unicode_spaces_between_groups() {
    for sp in ['\u{a0}', '\u{202f}', '\u{2009}', '\u{3000}'] {
        let v = format!("4539{sp}1488{sp}0343{sp}6467");
        assert_finds(&format!("card {v} ok"), CARD, &v);
    }
    assert_finds(
        "call +1\u{a0}415\u{a0}555\u{a0}0132 now",
        "pii.phone",
        "+1\u{a0}415\u{a0}555\u{a0}0132",
    );
}

#[test]
fn full_width_and_compatibility_forms() {
    assert_finds(
        "card ４５３９ １４８８ ０３４３ ６４６７ ok",
        CARD,
        "４５３９ １４８８ ０３４３ ６４６７",
    );
    assert_finds(
        "ＡＫＩＡＱＸ４ＢＺＬ７ＮＷ２ＭＯＳＲ６Ｔ",
        "secret.aws_access_key",
        "ＡＫＩＡＱＸ４ＢＺＬ７ＮＷ２ＭＯＳＲ６Ｔ",
    );
    assert_finds("ssn 𝟐𝟑𝟒-𝟓𝟔-𝟕𝟖𝟗𝟎", "pii.us_ssn", "𝟐𝟑𝟒-𝟓𝟔-𝟕𝟖𝟗𝟎");
    assert_finds("mail jane＠example．org", "pii.email", "jane＠example．org");
    assert_finds("card 4539‐1488‐0343‐6467", CARD, "4539‐1488‐0343‐6467");
}

#[test]
fn card_separator_styles() {
    for v in [
        "4539.1488.0343.6467",
        "4539/1488/0343/6467",
        "4539  1488  0343  6467",
        "4539 1488-0343.6467",
        "4539 - 1488 - 0343 - 6467",
        "3742.454554.00126",
    ] {
        assert_finds(&format!("paid with {v} today"), CARD, v);
    }
    // Luhn still applies; doc test numbers are found (marked as test values).
    assert_not_class("paid with 4539.1488.0343.6468 today", CARD);
    assert_finds(
        "paid with 4111.1111.1111.1111 today",
        CARD,
        "4111.1111.1111.1111",
    );
    // Dotted groups of other shapes are not cards.
    assert_not_class("version 4539.1488.0343.64 build", CARD);
    assert_finds("ssn 234.56.7890", "pii.us_ssn", "234.56.7890");
    // IBANs grouped with dashes or dots; mod-97 still applies.
    for v in ["DE89-3704-0044-0532-0130-00", "DE89.3704.0044.0532.0130.00"] {
        assert_finds(&format!("iban {v} ok"), "financial.iban", v);
    }
    assert_not_class("iban DE89-3704-0044-0532-0130-01 ok", "financial.iban");
}

#[test]
fn digits_glued_to_letters() {
    assert_finds("card4539148803436467x", CARD, "4539148803436467");
    assert_finds("cc:visa4539148803436467", CARD, "4539148803436467");
    assert_finds("ref_4539-1488-0343-6467_end", CARD, "4539-1488-0343-6467");
    assert_finds("ssn123456780", "pii.us_ssn", "123456780");
    // Luhn-valid digit runs inside hashes or base64 are not cards.
    assert_not_class(
        "sha 9f2c1a7e3b5d4f60aa4539148803436467bb9f2c1a7e3b5d4f60aa9f2c1a7e",
        CARD,
    );
    // Unknown issuer prefix when glued.
    assert_not_class("id5839148803436461x", CARD);
    // Phones are never taken from inside words.
    assert_not_class("build4155550132x", "pii.phone");
}

#[test]
fn bare_private_key_bodies() {
    for (k, what) in [(EC_PKCS8, "pkcs8"), (EC_SEC1, "sec1"), (ED25519, "ed25519")] {
        let t = format!("our key is:\n{k}\nplease help");
        assert_finds(&t, "secret.private_key", k);
        let _ = what;
    }
    // JSON-escaped newlines (a body pasted as a string literal).
    let escaped = EC_PKCS8.replace('\n', "\\n");
    assert_finds(&format!("\"{escaped}\""), "secret.private_key", &escaped);
    // Truncated at the end of the text: reported up to where it stops.
    let cut = &EC_PKCS8[..120];
    assert_finds(&format!("key {cut}"), "secret.private_key", cut);
    // Elided documentation sample, certificates and public keys are not private keys.
    assert_not_class(&format!("{}...", &EC_PKCS8[..100]), "secret.private_key");
    assert_not_class(&format!("cert:\n{CERT}\n"), "secret.private_key");
    assert_not_class(&format!("pub {SPKI}"), "secret.private_key");
    // Inside a longer base64 run it is not a body start.
    assert_not_class(&format!("xyz{ED25519}"), "secret.private_key");
    // The text after the key is still scanned.
    let t = format!("{ED25519}\nmail jane@corp-mail.net");
    assert_finds(&t, "pii.email", "jane@corp-mail.net");
    // OpenSSH bodies.
    let ssh = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDh6Y2Q5YWMv3RvI0b7mIuJzP1nQxA8dE3wVt2sR9kLzAAAAJg4x1ZaOMdW";
    assert_finds(&format!("id_ed25519:\n{ssh}\n"), "secret.private_key", ssh);
}

#[test]
fn aws_secret_in_prose() {
    const S: &str = "Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o";
    for t in [
        format!("AWS secret key: {S}"),
        format!("aws_secret_access_key={S}"),
        format!("the secret access key is {S}"),
        format!("My AWS Secret Access Key for prod is {S}."),
        format!("AWS-SECRET-KEY \"{S}\""),
    ] {
        assert_finds(&t, "secret.aws_secret_key", S);
    }
    // The documentation's example key is found (and marked as a test value).
    assert_finds(
        "AWS secret key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "secret.aws_secret_key",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    assert_not_class(
        "the secret access key is stored in the vault under prod/aws/key",
        "secret.aws_secret_key",
    );
}

#[test]
fn values_split_across_parts() {
    let r = clf().classify_parts(&["my card is 4539 1488", "0343 6467 thanks"]);
    assert_eq!(r.values.len(), 1, "{:?}", r.values);
    assert_eq!(r.values[0].class.as_str(), CARD);
    assert_eq!(r.values[0].pieces, vec![(0, 11..20), (1, 0..9)]);
    assert_eq!(r.parts[0].items.len(), 1);
    assert_eq!(r.parts[1].items[0].start..r.parts[1].items[0].end, 0..9);

    // A token cut in the middle, across three parts.
    let tok = "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";
    let r = clf().classify_parts(&["use ghp_8asp", "m4G7VmSUfOoD6V1", "vrORcmn0iSH2JWh3d now"]);
    assert_eq!(r.values.len(), 1, "{:?}", r.values);
    assert_eq!(r.values[0].class.as_str(), "secret.github_token");
    let joined: String = r.values[0]
        .pieces
        .iter()
        .map(|(p, rg)| {
            &["use ghp_8asp", "m4G7VmSUfOoD6V1", "vrORcmn0iSH2JWh3d now"][*p][rg.clone()]
        })
        .collect();
    assert_eq!(joined, tok);
    assert!(r.parts.iter().all(|p| p.items.len() == 1));

    // Values inside one part are reported once, as before; unrelated parts stay clean.
    let r = clf().classify_parts(&["mail jane@corp-mail.net", "hello", "world"]);
    assert_eq!(r.values.len(), 1);
    assert_eq!(r.parts[0].items.len(), 1);
    assert!(r.parts[1].items.is_empty() && r.parts[2].items.is_empty());
    // One part: same as classify.
    let t = "card 4539 1488 0343 6467";
    assert_eq!(clf().classify_parts(&[t]).parts[0], clf().classify(t));
}

/// Long adversarial inputs: every pass is linear by construction (one forward fold, a forward
/// cursor in the engine, bounded windows and walks), so these finish; no timing is asserted.
#[test]
fn long_adversarial_inputs_complete() {
    let mb = 1 << 20;
    let zw = "\u{200b}".repeat(mb / 3);
    assert!(clf().classify(&zw).items.is_empty());
    let mixed = "4\u{200b}5\u{a0}".repeat(mb / 6);
    let _ = clf().classify(&mixed);
    let seps = "4539.1488/".repeat(mb / 10);
    let _ = clf().classify(&seps);
    let glued = "a4539148803436467".repeat(mb / 17);
    let _ = clf().classify(&glued);
    let keys = "MIIEvQIBADANBgkq\n".repeat(mb / 17);
    let _ = clf().classify(&keys);
    let fw = "４".repeat(mb / 3);
    let _ = clf().classify(&fw);
    let aws = "aws secret key is ".repeat(mb / 18);
    let _ = clf().classify(&aws);
    let parts: Vec<&str> = std::iter::repeat_n("4539 14", 20_000).collect();
    let _ = clf().classify_parts(&parts);
}
