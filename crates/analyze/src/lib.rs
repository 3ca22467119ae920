//! `mco analyze`: decodes packet captures of STOMP/MCollective traffic into connections,
//! requests with their replies, and findings.
//!
//! Pipeline: [`capture`] reads pcap/pcapng packet by packet (streaming); [`packet`]
//! decodes the link, IP and TCP headers; `reassembly` rebuilds each direction's byte
//! stream; `stomp_stream` decodes STOMP, resynchronising when the stream starts
//! mid-frame; `mc` opens MCollective envelopes. Everything is bounded by [`AnalyzeLimits`]; a
//! damaged file yields a report of what was read, with the error.

mod analyzer;
pub mod capture;
pub mod keepalive;
mod mc;
pub mod packet;
mod reassembly;
pub mod report;
mod roles;
mod stomp_stream;
mod version;

pub use capture::CaptureError;
pub use report::Report;

use std::io::Read;
use std::path::Path;

/// Bounds on what one analysis keeps.
#[derive(Debug, Clone)]
pub struct AnalyzeLimits {
    /// TCP connections tracked; packets of further connections are counted, not analysed.
    pub max_connections: usize,
    /// Requests tracked.
    pub max_requests: usize,
    /// Out-of-order bytes held per direction before a hole is given up.
    pub max_held_bytes: usize,
    /// Largest STOMP frame.
    pub max_frame_bytes: usize,
    /// Findings listed.
    pub max_findings: usize,
    /// Deliveries, targets and replies kept per request.
    pub max_per_request: usize,
    /// A reconnect storm: this many CONNECTs within `storm_window_s`.
    pub storm_connects: usize,
    pub storm_window_s: f64,
}

impl Default for AnalyzeLimits {
    fn default() -> AnalyzeLimits {
        AnalyzeLimits {
            max_connections: 100_000,
            max_requests: 200_000,
            max_held_bytes: 1 << 20,
            max_frame_bytes: 4 << 20,
            max_findings: 10_000,
            max_per_request: 100_000,
            storm_connects: 10,
            storm_window_s: 10.0,
        }
    }
}

/// What to analyse with.
#[derive(Debug, Clone)]
pub struct Options {
    /// The PSK to verify hashes with; without it `hash_ok` is null.
    pub psk: Option<Vec<u8>>,
    /// Bodies are Base64 (`plugin.activemq.base64`); otherwise detected per body.
    pub base64: bool,
    /// Idle gaps longer than these (seconds) are findings.
    pub idle_thresholds: Vec<f64>,
    pub limits: AnalyzeLimits,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            psk: None,
            base64: false,
            idle_thresholds: vec![300.0, 1800.0, 3600.0],
            limits: AnalyzeLimits::default(),
        }
    }
}

/// Analyses a capture read from `reader`. A damaged or truncated capture still gives a
/// report: `capture.complete` is false and `capture.error` says what went wrong.
pub fn analyze_reader<R: Read>(reader: R, opts: Options) -> Report {
    let mut analyzer = analyzer::Analyzer::new(opts);
    let (format, result) = capture::read_packets(reader, |_, p| analyzer.packet(p));
    analyzer.finish(format, result.err())
}

/// Analyses the capture file at `path`.
pub fn analyze_file(path: &Path, opts: Options) -> std::io::Result<Report> {
    let file = std::fs::File::open(path)?;
    Ok(analyze_reader(std::io::BufReader::new(file), opts))
}
