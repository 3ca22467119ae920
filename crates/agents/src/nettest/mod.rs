//! The `nettest` agent: `ping` (the round trip of one ICMP echo, in ms) and `connect`
//! (whether a TCP connection to a port opens within 2 s, and how long it took), to a
//! host name or an address.
//!
//! Host names are resolved by the system resolver (the first address), on a blocking
//! thread within the request's time limit. ICMP is in [`icmp`].

pub mod icmp;

use crate::input::Inputs;
use crate::{Acting, Reply, Request, RpcError, Standard, unknown_action};
use marionette_wire::Value;
use marionette_wire::simplerpc::set;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long `connect` waits for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long `ping` waits for the echo reply.
pub const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// The `nettest` agent.
pub struct Nettest;

impl Standard for Nettest {
    fn name(&self) -> &'static str {
        "nettest"
    }

    fn call(self: Arc<Self>, request: Request, mut data: Value) -> Acting {
        Box::pin(async move {
            let outcome = match request.action.as_str() {
                "ping" => ping(&request, &mut data).await,
                "connect" => connect(&request, &mut data).await,
                _ => return unknown_action("nettest", &request, data),
            };
            Reply { data, outcome }
        })
    }
}

/// Whether `name` is a host name (letters, digits and `-`, dot-separated labels that
/// start with a letter and do not end with `-`), as the plugin tells names from
/// addresses.
pub fn is_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|label| {
            let bytes = label.as_bytes();
            match (bytes.first(), bytes.last()) {
                (Some(first), Some(last)) => {
                    first.is_ascii_alphabetic()
                        && last.is_ascii_alphanumeric()
                        && bytes
                            .iter()
                            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
                }
                _ => false,
            }
        })
}

/// The address to test for `fqdn`: a literal address as it is, a host name resolved;
/// `Ok(None)` when a name does not resolve.
async fn address(request: &Request, fqdn: &str) -> Result<Option<IpAddr>, RpcError> {
    if let Ok(ip) = fqdn.parse::<IpAddr>() {
        return Ok(Some(ip));
    }
    if !is_hostname(fqdn) {
        return Err(RpcError::InvalidData(format!(
            "{fqdn} is not a valid host name or IP address"
        )));
    }
    let name = fqdn.to_string();
    let lookup = tokio::task::spawn_blocking(move || {
        (name.as_str(), 0)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .map(|a| a.ip())
    });
    match tokio::time::timeout(request.command_limit(), lookup).await {
        Ok(Ok(ip)) => Ok(ip),
        _ => Ok(None),
    }
}

fn fqdn(request: &Request) -> Result<&str, RpcError> {
    Inputs(&request.inputs)
        .string("fqdn")
        .ok_or_else(|| RpcError::MissingData("missing input fqdn".into()))
}

async fn ping(request: &Request, data: &mut Value) -> Result<(), RpcError> {
    let Some(ip) = address(request, fqdn(request)?).await? else {
        return Err(RpcError::Aborted("Cannot resolve hostname".into()));
    };
    let wait = PING_TIMEOUT.min(request.command_limit());
    let echo = tokio::task::spawn_blocking(move || icmp::ping(ip, wait))
        .await
        .map_err(|e| RpcError::Unknown(format!("ping failed: {e}")))?;
    match echo {
        Ok(Some(rtt)) => {
            set(data, "rtt", Value::Float(rtt));
            Ok(())
        }
        Ok(None) => Err(RpcError::Aborted("Cannot reach host".into())),
        Err(e) => Err(RpcError::Aborted(format!("Cannot ping {ip}: {e}"))),
    }
}

/// The outcome of one TCP connection attempt: connected, status text, seconds taken.
pub async fn try_connect(addr: SocketAddr, timeout: Duration) -> (bool, &'static str, Option<f64>) {
    let started = Instant::now();
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => {
            let took = started.elapsed().as_secs_f64();
            drop(stream);
            (true, "Connected", Some(took))
        }
        Ok(Err(_)) => (false, "Connection Refused", None),
        Err(_) => (false, "Connection Timeout", None),
    }
}

async fn connect(request: &Request, data: &mut Value) -> Result<(), RpcError> {
    let fqdn = fqdn(request)?;
    let port = Inputs(&request.inputs).integer("port");
    let Some(port) = port.and_then(|p| u16::try_from(p).ok()).filter(|p| *p != 0) else {
        return Err(RpcError::InvalidData(format!(
            "port {} is not a TCP port (1 to 65535)",
            port.map_or("nil".to_string(), |p| p.to_string())
        )));
    };
    let Some(ip) = address(request, fqdn).await? else {
        return Err(RpcError::Aborted("Cannot resolve hostname".into()));
    };
    let wait = CONNECT_TIMEOUT.min(request.command_limit());
    let (connected, status, took) = try_connect(SocketAddr::new(ip, port), wait).await;
    set(data, "connect", Value::Bool(connected));
    set(data, "connect_status", Value::str(status));
    set(data, "connect_time", took.map_or(Value::Nil, Value::Float));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{call, data, get, request};

    fn agent() -> Arc<dyn Standard> {
        Arc::new(Nettest)
    }

    #[test]
    fn host_names_and_others() {
        for good in ["localhost", "host1.example.com", "a", "a-b.c9"] {
            assert!(is_hostname(good), "{good}");
        }
        for bad in [
            "",
            "not a hostname",
            "1.2.3.4",
            "-a",
            "a-",
            "a..b",
            "a_b",
            "9host",
        ] {
            assert!(!is_hostname(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn connect_to_open_and_closed_ports() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap().port();
        let outputs = ["connect", "connect_status", "connect_time"];
        let input = |port: u16| {
            [
                ("fqdn", Value::str("127.0.0.1")),
                ("port", Value::Int(port.into())),
            ]
        };
        let r = call(agent(), request("connect", &input(open)), data(&outputs)).await;
        assert_eq!(r.outcome, Ok(()));
        assert_eq!(get(&r.data, "connect"), &Value::Bool(true));
        assert_eq!(get(&r.data, "connect_status"), &Value::str("Connected"));
        assert!(matches!(get(&r.data, "connect_time"), Value::Float(t) if *t >= 0.0));

        // A port just freed is closed.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let r = call(agent(), request("connect", &input(closed)), data(&outputs)).await;
        assert_eq!(r.outcome, Ok(()));
        assert_eq!(get(&r.data, "connect"), &Value::Bool(false));
        assert_eq!(
            get(&r.data, "connect_status"),
            &Value::str("Connection Refused")
        );
        assert_eq!(get(&r.data, "connect_time"), &Value::Nil);

        let by_name = [
            ("fqdn", Value::str("localhost")),
            ("port", Value::Int(open.into())),
        ];
        let r = call(agent(), request("connect", &by_name), data(&outputs)).await;
        assert_eq!(r.outcome, Ok(()));
        drop(listener);
    }

    #[tokio::test]
    async fn bad_input_and_unknown_names() {
        let bad = [
            ("fqdn", Value::str("not a hostname")),
            ("port", Value::Int(80)),
        ];
        let r = call(agent(), request("connect", &bad), data(&[])).await;
        assert_eq!(
            r.outcome,
            Err(RpcError::InvalidData(
                "not a hostname is not a valid host name or IP address".into()
            ))
        );
        let port = [
            ("fqdn", Value::str("127.0.0.1")),
            ("port", Value::Int(70000)),
        ];
        let r = call(agent(), request("connect", &port), data(&[])).await;
        assert_eq!(
            r.outcome,
            Err(RpcError::InvalidData(
                "port 70000 is not a TCP port (1 to 65535)".into()
            ))
        );
        let unknown = [("fqdn", Value::str("no-such-host.invalid"))];
        let r = call(agent(), request("ping", &unknown), data(&["rtt"])).await;
        assert_eq!(
            r.outcome,
            Err(RpcError::Aborted("Cannot resolve hostname".into()))
        );
    }

    #[tokio::test]
    async fn ping_loopback_or_say_why_not() {
        let r = call(
            agent(),
            request("ping", &[("fqdn", Value::str("127.0.0.1"))]),
            data(&["rtt"]),
        )
        .await;
        match icmp::ping("127.0.0.1".parse().unwrap(), Duration::from_secs(1)) {
            Err(icmp::PingError::NotPermitted) => {
                eprintln!("ICMP sockets are not permitted here: checking the error");
                assert_eq!(
                    r.outcome,
                    Err(RpcError::Aborted(format!(
                        "Cannot ping 127.0.0.1: {}",
                        icmp::PingError::NotPermitted
                    )))
                );
            }
            _ => {
                assert_eq!(r.outcome, Ok(()));
                assert!(matches!(get(&r.data, "rtt"), Value::Float(ms) if *ms >= 0.0));
            }
        }
    }
}
