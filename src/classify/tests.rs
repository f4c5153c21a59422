//! Unit tests: one block per detector and validator, hard negatives, redaction and streaming.

use std::sync::Arc;

use super::validate::{entropy, github_checksum_ok, iban_mod97, ipv4_ok, luhn};
use super::*;
use crate::taxonomy::{ClassPattern, OutputAction};

/// A default classifier of one's own (to share through an `Arc`).
fn owned() -> Classifier {
    Classifier::new(&ClassifierOptions::default()).unwrap()
}

/// The default classifier, built once for all classifier unit tests.
pub(super) fn clf() -> &'static Classifier {
    static C: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    C.get_or_init(|| Classifier::new(&ClassifierOptions::default()).unwrap())
}

/// (class, matched text) for every finding.
pub(super) fn found(text: &str) -> Vec<(String, String)> {
    clf()
        .classify(text)
        .items
        .iter()
        .map(|f| (f.class.as_str().to_owned(), text[f.start..f.end].to_owned()))
        .collect()
}

pub(super) fn assert_finds(text: &str, class: &str, value: &str) {
    let f = found(text);
    assert!(
        f.iter().any(|(c, v)| c == class && v == value),
        "expected {class} `{value}` in {text:?}, got {f:?}"
    );
}

pub(super) fn assert_none(text: &str) {
    let f = found(text);
    assert!(f.is_empty(), "expected nothing in {text:?}, got {f:?}");
}

pub(super) fn assert_not_class(text: &str, class: &str) {
    let f = found(text);
    assert!(
        !f.iter().any(|(c, _)| c == class),
        "unexpected {class} in {text:?}: {f:?}"
    );
}

#[test]
fn validators() {
    assert!(luhn(b"4539148803436467"));
    assert!(!luhn(b"4539148803436468"));
    assert!(!luhn(b""));
    assert!(iban_mod97(b"DE89370400440532013000"));
    assert!(!iban_mod97(b"DE89370400440532013001"));
    assert!(iban_mod97(b"FR1420041010050500013M02606"));
    assert!(ipv4_ok("192.168.10.1"));
    assert!(!ipv4_ok("256.1.1.1"));
    assert!(!ipv4_ok("01.2.3.4"));
    assert!(super::numeric::npi_ok(b"1234567893"));
    assert!(!super::numeric::npi_ok(b"1234567894"));
    assert!(entropy(b"aaaa") < 0.01);
    assert!(entropy(b"abcdefgh") > 2.9);
    let t = b"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";
    assert!(github_checksum_ok(&t[4..34], &t[34..]));
    assert!(!github_checksum_ok(&t[4..34], b"000000"));
}

#[test]
fn email() {
    assert_finds(
        "mail jane.roe+ai@corp.example.co.uk now",
        "pii.email",
        "jane.roe+ai@corp.example.co.uk",
    );
    assert_none("logo@2x.png and @scope/pkg and user@localhost");
    // Top-level domains are written in one case; a camel-cased one is random text.
    assert_finds(
        "write to Jane@Corp.Example.COM",
        "pii.email",
        "Jane@Corp.Example.COM",
    );
    assert_finds("write to ops@example.Com", "pii.email", "ops@example.Com");
    assert_not_class("x-d_+x@U9H.TwqoIAn and q@b.exAmple", "pii.email");
}

#[test]
fn cards() {
    assert_finds(
        "card 4539 1488 0343 6467 exp",
        "financial.credit_card",
        "4539 1488 0343 6467",
    );
    assert_finds(
        "pan=5200828282828210;",
        "financial.credit_card",
        "5200828282828210",
    );
    assert_not_class("card 4539 1488 0343 6468", "financial.credit_card");
    assert_not_class("0000 0000 0000 0000", "financial.credit_card");
}

#[test]
fn iban() {
    assert_finds(
        "IBAN: DE89 3704 0044 0532 0130 00.",
        "financial.iban",
        "DE89 3704 0044 0532 0130 00",
    );
    assert_finds(
        "pay FR1420041010050500013M02606 today",
        "financial.iban",
        "FR1420041010050500013M02606",
    );
    assert_not_class("IBAN DE89 3704 0044 0532 0130 01", "financial.iban");
}

#[test]
fn ssn() {
    assert_finds("SSN 536-22-8714", "pii.us_ssn", "536-22-8714");
    assert_finds("ssn: 536228714", "pii.us_ssn", "536228714");
    for bad in [
        "666-22-8714",
        "000-22-8714",
        "536-00-8714",
        "536-22-0000",
        "912-22-8714",
    ] {
        assert_not_class(&format!("SSN {bad}"), "pii.us_ssn");
    }
    assert_not_class("id 536228714", "pii.us_ssn");
}

#[test]
fn npi_needs_context() {
    assert_finds("NPI: 1234567893", "health.us_npi", "1234567893");
    assert_not_class("order 1234567893", "health.us_npi");
}

#[test]
fn phones() {
    for p in [
        "+1 415-555-0132",
        "(415) 555-0132",
        "415.555.0132",
        "+44 20 7946 0958",
        "020 7946 0958",
        "07700 900123",
        "030 12345678",
        "+49 30 12345678",
        "01 23 45 67 89",
        "612 345 678",
        "+91 98765 43210",
        "98765 43210",
    ] {
        assert_finds(&format!("call {p} today"), "pii.phone", p);
    }
    assert_none("uuid 123e4567-e89b-12d3-a456-426614174000 ok");
    assert_none("on 2024-01-15 at 10:30, build 1.2.3");
}

#[test]
fn ip_addresses() {
    assert_finds("from 203.0.113.42:443", "pii.ip_address", "203.0.113.42");
    assert_finds(
        "addr 2001:db8:85a3::8a2e:370:7334 up",
        "pii.ip_address",
        "2001:db8:85a3::8a2e:370:7334",
    );
    assert_none("version 10.2.3.4 and v1.2.3.4 and 999.1.1.1 and std::vec and 12:30:45");
}

#[test]
fn provider_keys() {
    assert_finds(
        "t=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",
        "secret.github_token",
        "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",
    );
    assert_none("ghp_8aspm4G7VmSUfOoD6V1vrORcmn0iSH2JWh3e");
    assert_finds(
        "GITLAB glpat-Zx8kQ2mP7vR4tY9wB3nL",
        "secret.gitlab_token",
        "glpat-Zx8kQ2mP7vR4tY9wB3nL",
    );
    assert_finds(
        "x xoxb-2048123456-4096123456789-Qw3rTy8uIo1pAs5dFg7hJk9L y",
        "secret.slack_token",
        "xoxb-2048123456-4096123456789-Qw3rTy8uIo1pAs5dFg7hJk9L",
    );
    assert_finds(
        "k sk_live_51Hq8ZkJm2xV7nB4cR9tY3wPq",
        "secret.stripe_key",
        "sk_live_51Hq8ZkJm2xV7nB4cR9tY3wPq",
    );
    let ant =
        "sk-ant-api03-Jq7vX2mK9pR4tW8yB3nL6cF1hD5gS0aZ-Qe2Ru7Ty4Ui9Op3As6Df1Gh8Jk5Lz0Xc7Vb2Nm4Qw";
    assert_finds(&format!("key {ant}"), "secret.anthropic_key", ant);
    let oai = "sk-proj-Ab3dE9fGh2jK7mN4pQ8rS1tU6vW0xY5zA2bC7dE4fG9hJ3kL";
    assert_finds(&format!("OPENAI_API_KEY={oai}"), "secret.openai_key", oai);
    assert_finds(
        "AKIA2E4G6J7K3M5N7P2Q here",
        "secret.aws_access_key",
        "AKIA2E4G6J7K3M5N7P2Q",
    );
    assert_finds(
        "key=AIzaSyB7x2Kq9Lm4Np6Rt8Vw1Xz3Ab5Cd7Ef9Gh",
        "secret.google_api_key",
        "AIzaSyB7x2Kq9Lm4Np6Rt8Vw1Xz3Ab5Cd7Ef9Gh",
    );
    assert_finds(
        "aws_secret_access_key = k8Jd2nQ7vX4mZ9pL3tR6wY1bF5hS0cG8eA2uN7iO",
        "secret.aws_secret_key",
        "k8Jd2nQ7vX4mZ9pL3tR6wY1bF5hS0cG8eA2uN7iO",
    );
}

#[test]
fn placeholders_are_not_credentials() {
    assert_none("AKIAXXXXXXXXEXAMPLE2 and sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_none("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYSAMPLEKEY");
    assert_none("pip install sk-learn; the task-force; sk-your-key-here");
    assert_none("sk_test_4eC39HqLyjWDarjtT1zdp7dc");
    assert_none("postgres://user:password@localhost/db and mysql://root:${DB_PASS}@db/app");
}

#[test]
fn jwt() {
    let t = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIiwiZXhwIjoxOTAwMDAwMDAwfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_finds(&format!("Authorization: Bearer {t}"), "secret.jwt", t);
    assert_none("eyJub3RhIjoiand0In0.eyJzdWIiOiIxIn0.abc");
}

#[test]
fn private_keys_with_real_newlines() {
    let body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQABAoIBAQCKvA7FzCR4OlPyp2WNzl6sVGt3NMhBkQsE7Qaeo8eUcqY1Xa1Ul3cJyfXe";
    let pem = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----");
    let text = format!("here:\n{pem}\nthanks");
    assert_finds(&text, "secret.private_key", &pem);
    for ty in ["", "EC ", "OPENSSH ", "ENCRYPTED ", "DSA ", "PGP "] {
        let p =
            format!("-----BEGIN {ty}PRIVATE KEY-----\r\n{body}\r\n-----END {ty}PRIVATE KEY-----");
        assert_finds(&p, "secret.private_key", &p);
    }
    assert_none("-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----");
    assert_none("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0\n-----END PUBLIC KEY-----");
}

#[test]
fn db_urls_and_generic() {
    assert_finds(
        "DATABASE_URL=postgres://app:Xk9#mQ2vL7p@db.internal:5432/prod",
        "secret.db_connection_string",
        "postgres://app:Xk9#mQ2vL7p@db.internal:5432/prod",
    );
    assert_finds("password=Tr0ub4dor&3xq", "secret.generic", "Tr0ub4dor&3xq");
    assert_finds(
        "\"client_secret\": \"q8Zt2Lm9Vx4Kp7Rw\"",
        "secret.generic",
        "q8Zt2Lm9Vx4Kp7Rw",
    );
    assert_finds(
        "token = eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIn0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "secret.jwt",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQyIn0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    );
    assert_none("password = getUserPassword; max_tokens: 4096; secret: os.environ.SECRET_VALUE");
    assert_none(
        "integrity=\"sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC\"",
    );
    assert_none("commit 9fceb02d0ae598e95dc970b74767f19372d61af8 sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_none("token: ${GITHUB_TOKEN} password: <your password> secret: \"********\"");
}

#[test]
fn context_classes() {
    assert_finds("Passport No: X12345678 issued", "pii.passport", "X12345678");
    assert_finds("パスポート番号：TK1234567", "pii.passport", "TK1234567");
    assert_finds(
        "MRN: 00482913 admitted",
        "health.medical_record_number",
        "00482913",
    );
    assert_finds("DOB: 03/14/1985.", "pii.date_of_birth", "03/14/1985");
    assert_finds(
        "born on March 14, 1985 in",
        "pii.date_of_birth",
        "March 14, 1985",
    );
    assert_finds("geboren am 14.03.1985", "pii.date_of_birth", "14.03.1985");
    assert_finds(
        "生年月日：1985年3月14日",
        "pii.date_of_birth",
        "1985年3月14日",
    );
    assert_finds(
        "seen by Dr. Amelia Okafor today",
        "pii.person_name",
        "Amelia Okafor",
    );
    assert_finds(
        "Patient: José García Pérez, 54",
        "pii.person_name",
        "José García Pérez",
    );
    assert_none("filename: Report Final; Dear Customer Service");
    assert_finds(
        "{\"customer\":\"Olamide Brenner\",\"id\":7}",
        "pii.person_name",
        "Olamide Brenner",
    );
    assert_finds(
        "(beneficiary Priya Fernández)",
        "pii.person_name",
        "Priya Fernández",
    );
    assert_finds(
        "ship to 1600 Maple Street, Springfield, IL 62704",
        "pii.address",
        "1600 Maple Street, Springfield, IL 62704",
    );
    assert_finds(
        "Musterstraße 12, 10115 Berlin",
        "pii.address",
        "Musterstraße 12, 10115 Berlin",
    );
}

#[test]
fn markings() {
    assert_finds(
        "CONFIDENTIAL - Q3 plan",
        "confidential.marking",
        "CONFIDENTIAL",
    );
    assert_finds(
        "For Internal Use Only.",
        "confidential.marking",
        "For Internal Use Only",
    );
    assert_finds("【社外秘】資料", "confidential.marking", "社外秘");
    assert_none("CONFIDENTIAL_FLAG=1 and a confidential chat");
}

#[test]
fn dictionaries() {
    let opts = ClassifierOptions {
        dictionaries: vec![Dictionary {
            name: "projects".into(),
            terms: (0..5000)
                .map(|i| format!("Project Term{i}"))
                .chain(["Bluebird".into()])
                .collect(),
        }],
        ..ClassifierOptions::default()
    };
    let c = Classifier::new(&opts).unwrap();
    let t = "the BLUEBIRD launch, project term42 and bluebirds";
    let f = c.classify(t);
    let got: Vec<&str> = f.items.iter().map(|x| &t[x.start..x.end]).collect();
    assert_eq!(got, vec!["BLUEBIRD", "project term42"]);
    assert_eq!(f.items[0].class.as_str(), "custom.projects");
    let bad = ClassifierOptions {
        dictionaries: vec![Dictionary {
            name: "Bad-Name".into(),
            terms: vec![],
        }],
        ..ClassifierOptions::default()
    };
    assert!(matches!(
        Classifier::new(&bad),
        Err(ClassifyError::InvalidDictionaryName(_))
    ));
}

#[test]
fn unscanned_tail_is_reported() {
    let c = Classifier::new(&ClassifierOptions {
        max_scan_bytes: 10,
        ..ClassifierOptions::default()
    })
    .unwrap();
    let f = c.classify("héllo wörld a@b.co");
    assert_eq!(
        f.scanned_bytes + f.unscanned_bytes,
        "héllo wörld a@b.co".len()
    );
    assert!(f.unscanned_bytes > 0);
    assert!(f.items.is_empty());
    assert!(f.counts().is_empty());
}

#[test]
fn counts_per_class() {
    let f = clf().classify("a@b.co c@d.co SSN 536-22-8714");
    let counts: Vec<(String, u32)> = f
        .counts()
        .into_iter()
        .map(|c| (c.class.as_str().to_owned(), c.count))
        .collect();
    assert_eq!(
        counts,
        vec![("pii.email".into(), 2), ("pii.us_ssn".into(), 1)]
    );
}

#[test]
fn redactor_reuses_placeholders() {
    let text = "a@b.co wrote to c@d.co, cc a@b.co; SSN 536-22-8714";
    let f = clf().classify(text);
    let mut r = Redactor::new();
    let out = r.redact(text, &f.items, &|c| c.starts_with("pii.email"));
    assert_eq!(
        out,
        "[PII.EMAIL_1] wrote to [PII.EMAIL_2], cc [PII.EMAIL_1]; SSN 536-22-8714"
    );
}

fn scanner(mode: OutputAction) -> StreamScanner {
    StreamScanner::new(
        Arc::new(owned()),
        mode,
        vec![ClassPattern::parse("secret.*").unwrap()],
    )
}

#[test]
fn stream_finds_values_split_across_chunks() {
    let mut s = scanner(OutputAction::Redact);
    let mut out = String::new();
    let mut findings = Vec::new();
    for chunk in [
        "here is ghp_8aspm4G7Vm",
        "SUfOoD6V1vrORcmn0iSH2JWh3d ok ",
        "bye",
    ] {
        let st = s.push(chunk);
        out.push_str(&st.text);
        findings.extend(st.findings);
    }
    let st = s.finish();
    out.push_str(&st.text);
    findings.extend(st.findings);
    assert_eq!(out, "here is [SECRET.GITHUB_TOKEN_1] ok bye");
    assert_eq!((findings[0].start, findings[0].end), (8, 48));
    let r = s.report();
    assert_eq!((r.scanned_bytes, r.unscanned_bytes), (55, 0));
}

#[test]
fn stream_block_stops_release() {
    let mut s = scanner(OutputAction::Block);
    let a = s.push("safe text. AKIA2E4G6J7K3M5N7P2Q and more");
    let b = s.finish();
    assert!(!a.blocked || a.text.is_empty());
    assert!(b.blocked);
    let released = format!("{}{}", a.text, b.text);
    assert!(!released.contains("AKIA"));
    assert!(s.report().blocked);
    assert!(s.push("later").text.is_empty());
}

#[test]
fn stream_observe_releases_immediately() {
    let mut s = scanner(OutputAction::Observe);
    assert_eq!(
        s.push("token AKIA2E4G6J7K3M5N7P2Q").text,
        "token AKIA2E4G6J7K3M5N7P2Q"
    );
    let fin = s.finish();
    assert_eq!(fin.findings.len(), 1);
    let r = s.report();
    assert_eq!(r.scanned_bytes, 26);
    assert_eq!(r.counts.len(), 1);
}

#[test]
fn prose_without_anchors_opens_no_window() {
    let e = super::engine::Engine::new().unwrap();
    let prose = "The quarterly review covered the migration of the billing service. Most of the \
                 discussion was about latency budgets and the rollout plan for customers; nobody expected the \
                 old queue to hold up as long as it did.";
    assert!(e.debug_windows(prose).is_empty());
    let w = e.debug_windows("mail me at a@b.co");
    assert_eq!(w.len(), 1);
    assert!(w[0].0 == 0 && w[0].1 == 17);
}

#[test]
fn stream_redact_releases_prose_promptly() {
    let mut s = scanner(OutputAction::Redact);
    let prose = "All systems nominal, nothing to report here. ".repeat(40);
    let step = s.push(&prose);
    assert!(step.text.len() >= prose.len() - super::stream::TAIL - 64);
    assert_eq!(format!("{}{}", step.text, s.finish().text), prose);
    // A long token at the end is held back entirely while it may still grow.
    let mut s = scanner(OutputAction::Redact);
    let head = format!("{}key ghp_8aspm4G7VmSUfOoD6V1vrORcmn0iS", "x ".repeat(300));
    let a = s.push(&head);
    assert!(!a.text.contains("ghp_"));
    let b = s.push("H2JWh3d done");
    let c = s.finish();
    let all = format!("{}{}{}", a.text, b.text, c.text);
    assert!(all.ends_with("key [SECRET.GITHUB_TOKEN_1] done"), "{all}");
}

#[test]
fn stream_regression_iban_email_pem() {
    let text = "DE89 3704 0044 0532 0130 00DE89 3704 0044 0532 0130 00a@b.co==0a_-aA=aaA0A_a0aaAAA0==0=a-0AA-=0_-----BEGIN PRIVATE KEY-----\nDE89 3704 0044 0532 0130 00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  ߀\u{cca}Aa￼a0 \u{a8e0}®AΣa🌀ἘaਲAa¡𑲩𖬀\u{f71}🌀🇦🌀𝓅";
    let whole = clf().classify(text);
    let mut s = StreamScanner::new(Arc::new(owned()), OutputAction::Observe, vec![]);
    let a = s.push(text);
    let b = s.finish();
    let mut got = a.findings;
    got.extend(b.findings);
    assert_eq!(got, whole.items);
}

#[test]
fn classifier_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Classifier>();
    assert_send_sync::<StreamScanner>();
    let c = Arc::new(owned());
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let c = Arc::clone(&c);
            std::thread::spawn(move || c.classify(&format!("user{i}@example.com")).items.len())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 1);
    }
}

/// (class, value, marked as a test value) of every finding in `text`.
fn marked(c: &Classifier, text: &str) -> Vec<(String, String, bool)> {
    c.classify(text)
        .items
        .iter()
        .map(|f| {
            (
                f.class.as_str().to_owned(),
                text[f.start..f.end].to_owned(),
                f.test_value,
            )
        })
        .collect()
}

#[test]
fn published_test_values_are_found_and_marked_and_real_ones_are_not_marked() {
    let c = clf();
    for (text, class, value) in [
        (
            "pay with 4111 1111 1111 1111 please",
            "financial.credit_card",
            "4111 1111 1111 1111",
        ),
        (
            "card 4242-4242-4242-4242",
            "financial.credit_card",
            "4242-4242-4242-4242",
        ),
        (
            "amex 378282246310005",
            "financial.credit_card",
            "378282246310005",
        ),
        ("SSN 123-45-6789", "pii.us_ssn", "123-45-6789"),
        ("SSN 078-05-1120", "pii.us_ssn", "078-05-1120"),
        (
            "key AKIAIOSFODNN7EXAMPLE",
            "secret.aws_access_key",
            "AKIAIOSFODNN7EXAMPLE",
        ),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "secret.aws_secret_key",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
    ] {
        let got = marked(c, text);
        assert!(
            got.contains(&(class.to_owned(), value.to_owned(), true)),
            "{text:?}: {got:?}"
        );
    }
    // Real values of the same classes are not marked.
    for (text, class, value) in [
        (
            "card 4539 1488 0343 6467",
            "financial.credit_card",
            "4539 1488 0343 6467",
        ),
        ("SSN 536-22-8714", "pii.us_ssn", "536-22-8714"),
    ] {
        let got = marked(c, text);
        assert!(
            got.contains(&(class.to_owned(), value.to_owned(), false)),
            "{text:?}: {got:?}"
        );
    }
}

#[test]
fn ignoring_test_values_drops_them_and_keeps_real_ones() {
    let c = Classifier::new(&ClassifierOptions {
        test_values: crate::classify::TestValues::Ignore,
        ..ClassifierOptions::default()
    })
    .unwrap();
    let text = "test 4111 1111 1111 1111, real 4539 1488 0343 6467, key AKIAIOSFODNN7EXAMPLE";
    let got = marked(&c, text);
    assert_eq!(
        got,
        vec![(
            "financial.credit_card".to_owned(),
            "4539 1488 0343 6467".to_owned(),
            false
        )],
        "{got:?}"
    );
}

#[test]
fn every_slack_token_family_and_webhook_urls_are_found() {
    let refresh = "xoxe-1-My0xLTQ4MjE3NjE5NzYtNzIyOTEyMjkxNjMyMi03MjM0NzE4ODI3NTU0LWQ4YjFmZGVl";
    let rotating = "xoxe.xoxp-1-Mi0yLTQ4MjE3NjE5NzYtNzIyOTEyMjkxNjMyMi03MjM0NzE4ODI3NTU0";
    let bot_rotating = "xoxe.xoxb-1-MS0yLTQ4MjE3NjE5NzYtNzIyOTEyMjkxNjMyMi1rVGd2bk1qSlBy";
    let app = "xapp-1-A04KD9QW3JF-4824876419315-9f2c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e";
    let legacy = "xoxa-2-4821761976-7229122916322-7234718827554-d8b1fdee3c7a4c2b9e1f0a6d5c8b7e4f";
    for tok in [refresh, rotating, bot_rotating, app, legacy] {
        assert_finds(&format!("token: {tok}"), "secret.slack_token", tok);
    }
    let hook = "https://hooks.slack.com/services/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";
    assert_finds(
        &format!("curl -X POST {hook} -d @msg.json"),
        "secret.slack_token",
        hook,
    );
    let flow = "https://hooks.slack.com/workflows/T04KD9QW3JF/A06RZ8M2LQX/512345678901234567/Qw3rTy8uIo1pAs5dFg7hJk9L";
    assert_finds(
        &format!("webhook_url = \"{flow}\""),
        "secret.slack_token",
        flow,
    );
    // Slack's own documentation placeholders are not credentials.
    assert_not_class(
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "secret.slack_token",
    );
    assert_not_class(
        "see https://hooks.slack.com/services/ for setup",
        "secret.slack_token",
    );
    assert_not_class("xoxe-1-example", "secret.slack_token");
}

#[test]
fn connection_strings_with_passwords_in_every_common_form_are_found() {
    for conn in [
        "postgresql+psycopg2://app:Kx9vQ2mT7rL4@db.internal:5432/orders",
        "mysql+pymysql://svc:Zq7!pL3mW9@10.0.4.12/billing",
        "couchbases://admin:Tr8mQ2vX9k@cb.internal",
        "neo4j+s://neo4j:Vb6nM3qZ8w@graph.internal:7687",
        "snowflake://etl:Hn4kP9sW2q@acme-xy12345/analytics",
        "Server=tcp:acme.database.windows.net,1433;Initial Catalog=orders;Persist Security Info=False;User ID=svc_app;Password=Kx9vQ2mT7rL4pW;MultipleActiveResultSets=False",
        "Driver={ODBC Driver 18 for SQL Server};Server=sql01;Database=hr;Uid=etl;Pwd=Zq7pL3mW9xR2",
        "Data Source=sql01.corp.local;Initial Catalog=crm;User Id=crm_app;Password=Tr8mQ2vX9kLp",
        "jdbc:sqlserver://sql01.corp.local:1433;databaseName=crm;user=crm_app;password=Vb6nM3qZ8wJk",
    ] {
        let text = format!("conn = \"{conn}\"");
        let got = marked(clf(), &text);
        assert!(
            got.iter().any(|(c, v, _)| c == "secret.db_connection_string" && conn.starts_with(v.as_str()) && v.len() + 1 >= conn.len()),
            "{conn}: {got:?}"
        );
    }
    for fake in [
        "Server=sql01;Database=hr;User Id=etl;Password=${DB_PASSWORD};",
        "Server=sql01;Database=hr;User Id=etl;Password=<your password>;",
        "Server=sql01;Database=hr;Integrated Security=true;",
    ] {
        assert_not_class(fake, "secret.db_connection_string");
    }
}
