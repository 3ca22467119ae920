//! Helpers for the unit tests: private temporary directories, requests, and waiting for
//! a process to be gone.

use crate::{Reply, Request, Standard};
use marionette_wire::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "marionette-agents-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A request for `action` with `inputs` (Symbol keys) and a 20 s limit.
pub fn request(action: &str, inputs: &[(&str, Value)]) -> Request {
    Request {
        action: action.to_string(),
        inputs: Value::Hash(
            inputs
                .iter()
                .map(|(k, v)| (Value::sym(k), v.clone()))
                .collect(),
        ),
        caller: "uid=0".into(),
        limit: Duration::from_secs(20),
        stopping: crate::process::never_stopping(),
    }
}

/// Prefilled data with `keys` set to nil.
pub fn data(keys: &[&str]) -> Value {
    Value::Hash(keys.iter().map(|k| (Value::sym(k), Value::Nil)).collect())
}

/// Calls `agent` with `request` over `data`.
pub async fn call(agent: Arc<dyn Standard>, request: Request, data: Value) -> Reply {
    agent.call(request, data).await
}

/// The value of output `key` in reply data.
pub fn get<'a>(data: &'a Value, key: &str) -> &'a Value {
    data.get_sym(key)
        .unwrap_or_else(|| panic!("no output {key} in {data:?}"))
}

/// Waits until process `pid` is gone or a zombie; panics after 10 s.
pub fn wait_gone(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z ")) {
        assert!(Instant::now() < deadline, "process {pid} lives on");
        std::thread::sleep(Duration::from_millis(20));
    }
}
