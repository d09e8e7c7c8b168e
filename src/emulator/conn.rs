//! One client connection: requests in turn over keep-alive, and the faults that need the
//! connection itself (closing it unanswered, holding it open).

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use super::cfs::{self, LATE_CREATE_MAX_WAIT};
use super::counters::Counter;
use super::http::{Conn, Incoming};
use super::reply::Reply;
use super::response::{self, ApiError};
use super::service::Service;

/// How long to drain a connection that is closing after an error, so the client reads the
/// answer instead of a reset.
const DRAIN: Duration = Duration::from_secs(2);

/// Serves one connection until it closes.
pub(crate) async fn serve_connection(service: Arc<Service>, stream: TcpStream) {
    let mut conn = Conn::new(stream);
    loop {
        let head = match conn.next().await {
            Incoming::Request(head) => head,
            Incoming::Closed => return,
            Incoming::Malformed => {
                conn.bad_request().await;
                conn.wait_for_close(DRAIN).await;
                return;
            }
            Incoming::TooLarge => {
                service.bump(Counter::Rejected);
                let err = ApiError::new(
                    "RequestSizeLimitExceeded",
                    "The request body is larger than 1 MiB.",
                );
                let body = response::error(&service.request_id(), &err);
                if conn.respond("200 OK", &body, true).await.is_ok() {
                    conn.wait_for_close(DRAIN).await;
                }
                return;
            }
        };
        let keep_alive = head.keep_alive();
        let reply = cfs::handle(&service, conn.request(&head)).await;
        match reply {
            Reply::Answer(status, body) => {
                if conn.respond(status, &body, !keep_alive).await.is_err() || !keep_alive {
                    return;
                }
            }
            Reply::Lose => return,
            Reply::Late(effect) => {
                conn.wait_for_close(LATE_CREATE_MAX_WAIT).await;
                drop(conn);
                tokio::time::sleep(Duration::from_millis(service.config().late_create_delay_ms))
                    .await;
                // The state may have changed meanwhile (the directory taken, the flow deleted);
                // then nothing happens, and no one is told.
                let _ = service.apply(*effect);
                return;
            }
        }
    }
}
