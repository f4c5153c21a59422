//! aimsgate: an inline enforcement proxy for the AI request layer.
//!
//! The four cores — [`identity`], [`classify`], [`policy`] and [`evidence`] — know no HTTP
//! and nothing of each other; [`proxy`] wires them into the request pipeline.
#![forbid(unsafe_code)]

pub mod classify;
pub mod config;
pub mod error;
pub mod evidence;
pub mod identity;
pub mod mock_provider;
pub mod policy;
pub mod providers;
pub mod proxy;
pub mod report;
pub mod taxonomy;
pub mod telemetry;
pub mod tls_client;
pub mod witness;
