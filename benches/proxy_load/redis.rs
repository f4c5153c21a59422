//! The `redis-server` behind the "aimsgate limits (redis)" row: a child on a free port with no
//! persistence, found on PATH or in /usr/bin; `None` (the row is skipped) when not installed.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub fn start(port: u16) -> Option<Child> {
    let bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())?;
    Command::new(bin)
        .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
        .args(["--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}
