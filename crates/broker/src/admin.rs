//! The HTTP admin endpoint: `/connections` (JSON), `/metrics` (Prometheus text) and
//! `/healthz`.

use crate::Shared;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;
use std::fmt::Write;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The JSON document served at `/connections`.
#[derive(Serialize)]
struct ConnectionsDoc {
    connections: Vec<crate::stats::ConnectionView>,
}

/// Serves the admin endpoint until shutdown.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let shutdown = shared.shutdown.clone();
    let app = Router::new()
        .route("/connections", get(connections))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(shared);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
    if let Err(e) = result {
        tracing::error!("admin endpoint stopped: {e}");
    }
}

async fn connections(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    axum::Json(ConnectionsDoc {
        connections: shared.table.snapshot(),
    })
}

async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        render_metrics(&shared),
    )
}

/// The Prometheus text exposition of every counter and gauge.
pub fn render_metrics(shared: &Shared) -> String {
    let mut out = String::new();
    let mut last = "";
    for (name, label, value) in shared.metrics.counters() {
        if name != last {
            let _ = writeln!(out, "# TYPE marionette_broker_{name} counter");
            last = name;
        }
        match label {
            Some(kind) => {
                let _ = writeln!(out, "marionette_broker_{name}{{kind=\"{kind}\"}} {value}");
            }
            None => {
                let _ = writeln!(out, "marionette_broker_{name} {value}");
            }
        }
    }
    last = "";
    for (name, labels, value) in shared.metrics.security.series() {
        if name != last {
            let _ = writeln!(out, "# TYPE marionette_broker_{name} counter");
            last = name;
        }
        if labels.is_empty() {
            let _ = writeln!(out, "marionette_broker_{name} {value}");
        } else {
            let _ = writeln!(out, "marionette_broker_{name}{{{labels}}} {value}");
        }
    }
    let gauges = shared.metrics.gauges();
    let connections = ("connections", shared.table.len() as u64);
    for (name, value) in std::iter::once(connections).chain(gauges) {
        let _ = writeln!(out, "# TYPE marionette_broker_{name} gauge");
        let _ = writeln!(out, "marionette_broker_{name} {value}");
    }
    out
}
