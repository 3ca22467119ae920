//! A minimal HTTP/1.0 GET, enough to read the broker's admin endpoint on loopback
//! without pulling an HTTP client library into the binary.

use anyhow::{Context, bail};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Largest response accepted.
const MAX_RESPONSE: u64 = 64 * 1024 * 1024;

/// GETs `path` from `addr` (with `token` as a bearer token) and returns the body of a
/// 200 response.
pub fn get(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("cannot reach the broker admin endpoint at {addr}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE)
        .read_to_end(&mut raw)
        .with_context(|| format!("reading {path} from {addr}"))?;
    let text = String::from_utf8(raw).context("admin endpoint sent non-UTF-8")?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("admin endpoint sent a malformed HTTP response")?;
    let status = head.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("200") {
        bail!("admin endpoint answered {status:?} for {path}");
    }
    Ok(body.to_string())
}
