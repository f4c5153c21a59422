//! Well-known test values: numbers and keys that vendors and agencies publish for testing and
//! documentation. They are found like any other value of their class (a control can be shown
//! with standard test data) and marked [`Finding::test_value`](super::Finding::test_value), so
//! findings and evidence say so; [`TestValues::Ignore`](super::TestValues::Ignore) drops them.
//!
//! Sources (the vendors' own pages):
//! - card numbers: the test cards of Visa, Mastercard, American Express, Discover and Diners
//!   as listed in Stripe's, Adyen's and Braintree's testing documentation;
//! - US Social Security numbers: 078-05-1120 (the Woolworth wallet card), 219-09-9999 (an SSA
//!   pamphlet) and 123-45-6789 (the standard example), all invalidated by the SSA;
//! - AWS: the access key id and secret access key used throughout the AWS documentation.
//!
//! Owns the lists and the comparison; detection itself is the detectors'.

use super::types::Class;

/// Documentation test card numbers (digits only).
const CARDS: &[&str] = &[
    "4111111111111111",
    "4242424242424242",
    "4012888888881881",
    "4000056655665556",
    "5555555555554444",
    "5105105105105100",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "3056930009020004",
    "36227206271667",
];

/// Published example SSNs (digits only).
const SSNS: &[&str] = &["078051120", "219099999", "123456789"];

/// The AWS documentation's example access key id and secret access key.
pub(crate) const AWS_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub(crate) const AWS_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Whether the digits of `value` (separators skipped) spell one of `list`; allocates nothing.
fn digits_in(value: &str, list: &[&str]) -> bool {
    list.iter()
        .any(|d| value.bytes().filter(u8::is_ascii_digit).eq(d.bytes()))
}

/// Whether `value` (the finding's text) is a published test value of `class`.
pub(crate) fn is_test_value(class: &Class, value: &str) -> bool {
    match class.as_str() {
        "financial.credit_card" => digits_in(value, CARDS),
        "pii.us_ssn" => digits_in(value, SSNS),
        "secret.aws_access_key" => value == AWS_ACCESS_KEY_ID,
        "secret.aws_secret_key" => value == AWS_SECRET_ACCESS_KEY,
        _ => false,
    }
}
