//! Accepting TCP connections and serving HTTP/1.1 on them, with the limits
//! `axum::serve` does not set: a deadline for reading request headers (so a
//! slow client cannot hold a connection open for free), a cap on open
//! connections, and a bounded drain at shutdown.
//!
//! HTTP/2 is not served: Caveman is meant to sit behind a reverse proxy or
//! be reached directly on a private network, where HTTP/1.1 is enough.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use app::auth::ClientAddr;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// A client must send its request headers within this time. hyper restarts
/// the timer after each response, so it also ends idle keep-alive
/// connections after this long.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections beyond this wait in the kernel's accept queue. Kept under
/// the common 1,024 open-file limit, which the database pool and files
/// share.
const MAX_CONNECTIONS: u32 = 768;
/// How long in-flight requests get to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting, asks open connections to close after their current request,
/// and waits for them up to [`DRAIN_TIMEOUT`]. Connections still open then
/// are cut when the process exits.
///
/// An upgraded connection (WebSocket) leaves this accounting once the
/// upgrade is handed over; the probe connections that will use upgrades
/// must hold their own shutdown signal and limit.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS as usize));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);

    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // the semaphore is never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Typically out of file descriptors: back off instead of
                    // spinning on the same error.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };

        // Handlers learn the client's address from this extension (rate
        // limits, the audit log, the sessions list).
        let client = ClientAddr(peer.ip());
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut request: http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(client);
                request
            },
        ));
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut connection = pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                // The guard `wait_for` returns is not `Send`: drop it inside.
                () = async { drop(stopping.wait_for(|stop| *stop).await) } => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }

    drop(listener);
    let _ = stop.send(true);
    // Every open connection holds a slot: having them all back means every
    // connection has closed.
    let drained = slots.acquire_many(MAX_CONNECTIONS);
    if tokio::time::timeout(DRAIN_TIMEOUT, drained).await.is_err() {
        tracing::warn!(
            timeout_s = DRAIN_TIMEOUT.as_secs(),
            "connections still open after the drain timeout; they end with the process"
        );
    }
}
