//! The one integration-test binary: runs the real `aimsgate` binary against a mock provider.
//! Shared fixtures live in `it/support.rs`; each area has its own file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "it/support.rs"]
mod support;

#[path = "it/archive.rs"]
mod archive;
#[path = "it/bedrock.rs"]
mod bedrock;
#[path = "it/bypass_fields.rs"]
mod bypass_fields;
#[path = "it/bypass_limits.rs"]
mod bypass_limits;
#[path = "it/bypass_obfuscation.rs"]
mod bypass_obfuscation;
#[path = "it/bypass_output.rs"]
mod bypass_output;
#[path = "it/bypass_routing.rs"]
mod bypass_routing;
#[path = "it/bypass_strings.rs"]
mod bypass_strings;
#[path = "it/c2sp_interop.rs"]
mod c2sp_interop;
#[path = "it/clause9.rs"]
mod clause9;
#[path = "it/errors.rs"]
mod errors;
#[path = "it/evidence.rs"]
mod evidence;
#[path = "it/evidence_v2.rs"]
mod evidence_v2;
#[path = "it/export_v2.rs"]
mod export_v2;
#[path = "it/failover.rs"]
mod failover;
#[path = "it/finish.rs"]
mod finish;
#[path = "it/gemini.rs"]
mod gemini;
#[path = "it/guardrail.rs"]
mod guardrail;
#[path = "it/guardrail_e2e.rs"]
mod guardrail_e2e;
#[path = "it/identity.rs"]
mod identity;
#[path = "it/lifecycle.rs"]
mod lifecycle;
#[path = "it/limits.rs"]
mod limits;
#[path = "it/limits_redis.rs"]
mod limits_redis;
#[path = "it/mock_cli.rs"]
mod mock_cli;
#[path = "it/policy.rs"]
mod policy;
#[path = "it/report.rs"]
mod report;
#[path = "it/review.rs"]
mod review;
#[path = "it/routes.rs"]
mod routes;
#[path = "it/sdk_e2e.rs"]
mod sdk_e2e;
#[path = "it/siem.rs"]
mod siem;
#[path = "it/streaming.rs"]
mod streaming;
#[path = "it/tamper_v2.rs"]
mod tamper_v2;
#[path = "it/telemetry.rs"]
mod telemetry;
#[path = "it/tls.rs"]
mod tls;
#[path = "it/witness.rs"]
mod witness;
