//! Fuzz the configuration loader: arbitrary bytes as a TOML config file must give a config or a
//! `ConfigError`, never a panic.
#![no_main]

use aimsgate::config::{Config, MapEnv, Overrides};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Config::from_toml(text, "fuzz.toml", &Overrides::default(), &MapEnv::default(), None);
    }
});
