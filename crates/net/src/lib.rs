//! The link layer shared by the broker, the connector and the daemon: TLS, TCP
//! keepalive settings, and the process's descriptor limit.
//!
//! # Layout
//! - [`tls`]: certificates and keys, rustls configurations, peer certificate names,
//!   handshake failure reasons.
//! - [`keepalive`]: [`Keepalive`], TCP keepalive written `IDLE,INTERVAL,COUNT` or `off`.
//! - [`nofile`]: raising the soft descriptor limit to the hard one.
//! - [`read`]: reading a whole file under a size bound.
//! - [`secret_file`]: the warning for a secret file readable by others.

pub mod keepalive;
pub mod nofile;
pub mod read;
pub mod secret_file;
pub mod tls;

pub use keepalive::Keepalive;
pub use rustls;
