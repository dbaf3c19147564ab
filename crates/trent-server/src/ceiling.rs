//! The benchmark's ceiling: the same HTTP stack as the real server (accept loop, hyper, axum, request-ID layer),
//! answering every `POST /` with a fixed JSON body after reading the request, and doing nothing else.

use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use tokio::net::TcpListener;

use crate::app::request_id_layer;
use crate::serve::{run_http, shutdown_signal};

/// What the ceiling answers: shaped like an Encrypt response, and about as long.
const FIXED_BODY: &str = r#"{"CiphertextBlob":"AQ==","KeyId":"arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#;

async fn fixed(_body: Bytes) -> Response {
    let mut response = FIXED_BODY.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(trent_aws_api::CONTENT_TYPE));
    response
}

/// The ceiling's router.
pub fn ceiling_app() -> Router {
    request_id_layer(Router::new().route("/", post(fixed)))
}

/// Serves the ceiling on `listen` until SIGINT/SIGTERM, printing the bound address first.
pub async fn serve_ceiling(listen: std::net::SocketAddr) -> Result<(), String> {
    let listener = TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!("Trent ceiling listening on http://{address}");
    run_http(listener, ceiling_app(), shutdown_signal()).await
}
