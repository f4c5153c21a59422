//! The demo's second half: what the signed evidence log says about each sample call, what the
//! provider actually received, and an offline verification of the log — read back through the
//! same library calls `aimsgate export` and `aimsgate verify` use.

use std::path::Path;

use aimsgate::evidence::{export, verify_dir, ExportFilter, ExportFormat};
use aimsgate::mock_provider::MockProvider;

/// Print one line per call from its decision record.
pub fn decisions(data_dir: &Path, calls: &[(&str, String)]) -> anyhow::Result<()> {
    let mut out = Vec::new();
    export(
        data_dir,
        &ExportFilter::default(),
        ExportFormat::Jsonl,
        &mut out,
    )?;
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "entry")
        .map(|v| v["record"]["kind"]["Decision"].clone())
        .filter(|d| d.is_object())
        .collect();
    println!("\nwhat the signed evidence log recorded (no prompt text, no credentials):");
    println!(
        "{:<38} {:<7} {:<28} {:<18} data classes",
        "call", "effect", "rules", "AI system"
    );
    for (name, id) in calls {
        let Some(d) = records.iter().find(|d| d["decision_id"] == id.as_str()) else {
            println!("{name:<38} (no decision record)");
            continue;
        };
        // The export names effects as the proto does (`EFFECT_BLOCK`).
        let effect = d["effect"]
            .as_str()
            .and_then(|e| e.strip_prefix("EFFECT_"))
            .map_or("?".to_owned(), str::to_ascii_lowercase);
        let list = |key: &str, field: &str| -> String {
            let v: Vec<String> = d[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x[field].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if v.is_empty() {
                "-".to_owned()
            } else {
                v.join(",")
            }
        };
        let system = match (
            d["ai_system_id"].as_str(),
            d["ai_system_registered"].as_bool(),
        ) {
            (Some(s), Some(true)) if !s.is_empty() => s.to_owned(),
            (Some(s), _) if !s.is_empty() => format!("{s} (unregistered)"),
            _ => "-".to_owned(),
        };
        println!(
            "{:<38} {:<7} {:<28} {:<18} {}",
            name,
            effect,
            list("matched_rules", "rule_id"),
            system,
            list("findings", "class")
        );
    }
    Ok(())
}

/// Show the prompt the provider received for the call whose prompt mentions `marker`.
pub fn provider_view(mock: &MockProvider, marker: &str) {
    for r in mock.received() {
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let Some(text) = v["messages"][0]["content"].as_str() else {
            continue;
        };
        if text.contains(marker) {
            println!("\nthe provider received this prompt for the PII call (redacted by policy):\n  {text}");
        }
    }
}

/// Verify the log offline and print the verifier's summary.
pub fn verify(data_dir: &Path) -> bool {
    match verify_dir(data_dir) {
        Ok(s) => {
            println!("\noffline verification: {s}");
            true
        }
        Err(f) => {
            println!("\noffline verification FAILED: {f}");
            false
        }
    }
}
