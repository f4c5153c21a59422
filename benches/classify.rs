//! Classifier throughput (MB/s) on prose (ASCII, non-ASCII, obfuscated with NBSP / zero-width /
//! full-width chars), source code, JSON logs, secret-dense config text, ordinary prompt text in
//! German, French, Spanish and Japanese (with a name and an address per paragraph) and a 1 MB
//! prompt, each also run
//! through a naive baseline: every detector pattern compiled as its own `regex::Regex` and run
//! separately over the whole text (`find_iter`, no validation) — what a regex-per-class scanner does.

use std::hint::black_box;

use aimsgate::classify::{detector_patterns, Classifier, ClassifierOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const PROSE: &str = "The quarterly review covered the migration of the billing service to the new \
cluster. Most of the discussion was about latency budgets, the rollout plan and how the support \
team should communicate the change to customers. Nobody expected the old queue to hold up as long \
as it did, but the retry logic turned out to be more robust than its reputation. We agreed to keep \
the feature flag for two more weeks, to write a short runbook and to revisit the alert thresholds \
after the holiday period, when traffic is lower and the on-call rotation has more slack. ";

const CODE: &str = "fn parse_config(path: &Path) -> Result<Config, Error> {\n    let raw = \
std::fs::read_to_string(path)?;\n    let cfg: RawConfig = toml::from_str(&raw)?;\n    for (i, rule) \
in cfg.rules.iter().enumerate() {\n        if rule.name.is_empty() {\n            return \
Err(Error::EmptyName { index: i });\n        }\n    }\n    let timeout = \
cfg.timeout_ms.unwrap_or(30_000);\n    Ok(Config { rules: cfg.rules, timeout })\n}\n\n";

const LOG: &str = "{\"ts\":\"2026-11-23T01:22:54.123Z\",\"level\":\"info\",\"msg\":\"request \
done\",\"status\":200,\"latency_ms\":41,\"route\":\"/v1/chat/completions\",\"model\":\"gpt-4o\",\
\"tokens\":{\"prompt\":1234,\"completion\":87},\"trace_id\":\"9f2c1a7e3b5d4f60\"}\n";

/// Ordinary prompt text per locale (meeting notes with a name and an address in each unit).
const DE: &str = "Die Besprechung am Montag behandelte die Migration des Abrechnungsdienstes auf \
den neuen Cluster. Frau Katrin Vogel hat den Plan vorgestellt; die Rechnungen gehen weiterhin an \
die Lindenstraße 12, 10115 Berlin. Wir haben vereinbart, das Feature-Flag zwei weitere Wochen zu \
behalten und nach den Feiertagen die Schwellenwerte der Alarme zu prüfen. ";
const FR: &str = "La réunion de lundi a porté sur la migration du service de facturation vers le \
nouveau cluster. Camille Dubois a présenté le plan ; les factures partent toujours au 12 rue de la \
Paix, 75002 Paris. Nous avons convenu de garder le drapeau deux semaines de plus et de revoir les \
seuils d'alerte après les vacances. ";
const ES: &str = "La reunión del lunes trató la migración del servicio de facturación al nuevo \
clúster. Lucía Fernández presentó el plan; las facturas siguen yendo a la Calle Mayor 5, 28013 \
Madrid. Acordamos mantener la bandera dos semanas más y revisar los umbrales de alerta después de \
las vacaciones. ";
const JA: &str =
    "月曜日の会議では、請求サービスを新しいクラスターへ移行する計画について話し合いました。\
担当の田中さんが手順を説明し、請求書は引き続き〒100-0001 東京都千代田区千代田1-1に送付されます。\
フラグはさらに二週間維持し、休暇明けにアラートのしきい値を見直すことで合意しました。";
/// Secret-dense text: config lines with keys and tokens in most lines.
const SECRETS: &str = "DATABASE_URL=postgres://app:Zr8vQm2LxT9w@db.internal:5432/billing\n\
AWS_ACCESS_KEY_ID=AKIAQ3EGRQZ7V2N5XK4D\nGITHUB_TOKEN=ghp_R7mQ2vLx9TwZ8pKn4YcB6hJd3sFg1aE0uNiX\n\
slack: xoxb-2718281828-3141592653-Zq8Rm2Lx9TvWn4YcB6hJd3sF\napi_key = \"c9f2a7e3b5d4f60819ab3cd7e2f4a6b8\"\n\
STRIPE_SECRET=sk_live_51HqZr8vQm2LxT9wPk4YcB6hJd3sFg1aE0\nemail: ops@example.com\n";

fn repeat_to(unit: &str, size: usize) -> String {
    let mut s = String::with_capacity(size + unit.len());
    while s.len() < size {
        s.push_str(unit);
    }
    s
}

/// A 1 MB mixed prompt: prose and code with a few real-looking values sprinkled in.
fn prompt_1mb() -> String {
    let mut s = String::with_capacity(1 << 20);
    let mut i = 0u32;
    while s.len() < 1 << 20 {
        s.push_str(PROSE);
        if i.is_multiple_of(7) {
            s.push_str(CODE);
        }
        if i.is_multiple_of(50) {
            s.push_str(
                "Contact jane.roe@example.org or +1 415-555-0132 about card 4539 1488 0343 6467. ",
            );
        }
        i += 1;
    }
    s
}

fn naive(regexes: &[regex::Regex], text: &str) -> usize {
    regexes.iter().map(|r| r.find_iter(text).count()).sum()
}

fn bench(c: &mut Criterion) {
    let Ok(clf) = Classifier::new(&ClassifierOptions::default()) else {
        eprintln!("classifier failed to build");
        return;
    };
    let regexes: Vec<regex::Regex> = detector_patterns()
        .iter()
        .filter_map(|(_, p)| regex::Regex::new(p).ok())
        .collect();
    assert_eq!(regexes.len(), detector_patterns().len(), "baseline regexes");
    // Non-ASCII prose with nothing to fold (the fold's slow-path check), and prose with NBSP,
    // zero-width chars and full-width digits sprinkled in (the fold and offset mapping).
    let unicode = PROSE.replace("the ", "the naïve “café” 東京 ");
    let obfuscated = PROSE
        .replace(", ", ",\u{a0}")
        .replace("the ", "the\u{200b} ")
        .replace("two", "２");
    let inputs = [
        ("prose_64k", repeat_to(PROSE, 64 * 1024)),
        ("unicode_prose_64k", repeat_to(&unicode, 64 * 1024)),
        ("obfuscated_prose_64k", repeat_to(&obfuscated, 64 * 1024)),
        ("code_64k", repeat_to(CODE, 64 * 1024)),
        ("json_logs_64k", repeat_to(LOG, 64 * 1024)),
        ("secret_dense_64k", repeat_to(SECRETS, 64 * 1024)),
        ("locale_de_64k", repeat_to(DE, 64 * 1024)),
        ("locale_fr_64k", repeat_to(FR, 64 * 1024)),
        ("locale_es_64k", repeat_to(ES, 64 * 1024)),
        ("locale_ja_64k", repeat_to(JA, 64 * 1024)),
        ("prompt_1mb", prompt_1mb()),
    ];
    let mut g = c.benchmark_group("classify");
    for (name, text) in &inputs {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("aimsgate/{name}"), |b| {
            b.iter(|| clf.classify(black_box(text)).items.len())
        });
        g.bench_function(format!("naive_per_class/{name}"), |b| {
            b.iter(|| naive(&regexes, black_box(text)))
        });
    }
    g.finish();
    // One request of 32 messages of ~2 KiB: each part alone (the old per-segment scan) against
    // `classify_parts` (each part plus the seams between parts, for values split across them).
    let full = prompt_1mb();
    let msgs: Vec<&str> = (0..32)
        .map(|i| {
            let (mut s, mut e) = (i * 2048, i * 2048 + 2048);
            while !full.is_char_boundary(s) {
                s += 1;
            }
            while !full.is_char_boundary(e) {
                e += 1;
            }
            &full[s..e]
        })
        .collect();
    let total: usize = msgs.iter().map(|m| m.len()).sum();
    let mut g = c.benchmark_group("classify_request");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("each_part_32x2k", |b| {
        b.iter(|| {
            msgs.iter()
                .map(|m| clf.classify(black_box(m)).items.len())
                .sum::<usize>()
        })
    });
    g.bench_function("classify_parts_32x2k", |b| {
        b.iter(|| clf.classify_parts(black_box(&msgs)).values.len())
    });
    g.finish();
    // Linear cost: the same mixed prompt at 64 KiB, 256 KiB and 1 MiB.
    let mut g = c.benchmark_group("classify_scaling");
    for kib in [64usize, 256, 1024] {
        let mut end = (kib * 1024).min(full.len());
        while !full.is_char_boundary(end) {
            end -= 1;
        }
        let text = &full[..end];
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("prompt_{kib}k"), |b| {
            b.iter(|| clf.classify(black_box(text)).items.len())
        });
    }
    g.finish();
    // Inputs built to provoke super-linear behaviour: bytes/s at 128 KiB must stay close to
    // bytes/s at 32 KiB (a quadratic engine would fall 4x).
    let units = [
        "-----BEGIN PRIVATE KEY-----\nMIIE ",
        "a@",
        "1 2 ",
        "eyJ.eyJ.",
        "password=password=",
        "+1 (",
        "DE89 ",
        "ab:cd:",
        "Dr. Aa Bb Cc ",
        "sk-sk-",
        "0.0.",
    ];
    let mut g = c.benchmark_group("classify_adversarial");
    for (i, unit) in units.iter().enumerate() {
        for kib in [32usize, 128] {
            let text = unit.repeat(kib * 1024 / unit.len());
            g.throughput(Throughput::Bytes(text.len() as u64));
            g.bench_function(format!("unit{i}_{kib}k"), |b| {
                b.iter(|| clf.classify(black_box(&text)).items.len())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
