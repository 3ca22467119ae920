//! Running a broker as a program (`mco broker`): start it, say where it listens on
//! stdout, and stop it cleanly on SIGTERM or Ctrl-C.

use crate::{Broker, BrokerConfig, StartError};
use std::io::Write;
use std::time::Duration;

/// How long connections get to close at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why a served broker stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("cannot write the ready line: {0}")]
    Stdout(std::io::Error),
    #[error("cannot watch for signals: {0}")]
    Signal(std::io::Error),
}

/// The line printed on stdout once every listener is bound.
pub fn ready_line(broker: &Broker) -> String {
    let admin = broker
        .admin_addr
        .map_or_else(|| "off".to_string(), |a| a.to_string());
    match broker.tls_addr {
        Some(tls) => format!(
            "listening stomp={} tls={tls} admin={admin}",
            broker.stomp_addr
        ),
        None => format!("listening stomp={} admin={admin}", broker.stomp_addr),
    }
}

/// Starts the broker, prints [`ready_line`] to `out`, and runs until SIGTERM or Ctrl-C.
pub async fn serve(config: BrokerConfig, mut out: impl Write) -> Result<(), ServeError> {
    let logins = config.users.len();
    let anonymous = config.anonymous;
    let broker = Broker::start(config).await?;
    writeln!(out, "{}", ready_line(&broker)).map_err(ServeError::Stdout)?;
    out.flush().map_err(ServeError::Stdout)?;
    drop(out);
    tracing::info!(
        stomp = %broker.stomp_addr,
        tls = ?broker.tls_addr,
        admin = ?broker.admin_addr,
        logins,
        anonymous,
        "broker ready"
    );
    wait_for_signal().await.map_err(ServeError::Signal)?;
    tracing::info!("shutting down");
    broker.shutdown(SHUTDOWN_GRACE).await;
    Ok(())
}

/// Waits for SIGTERM or Ctrl-C.
pub async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => Ok(()),
        r = tokio::signal::ctrl_c() => r,
    }
}
