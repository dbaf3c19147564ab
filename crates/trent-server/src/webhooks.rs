//! Alarm webhooks: every alarm is POSTed as JSON to each configured URL (plain `http://`), retried with exponential
//! back-off when the receiver fails or does not answer. Delivery runs apart from requests: a failing webhook never
//! slows or fails a call.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;
use trent_service::alarm::Alarm;

/// Attempts per alarm and URL.
const ATTEMPTS: u32 = 5;
/// The first pause between attempts; it doubles each time.
const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Delivers every alarm from `alarms` to every URL, each delivery in its own task.
pub async fn deliver(mut alarms: mpsc::UnboundedReceiver<Alarm>, urls: Vec<String>) {
    let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    while let Some(alarm) = alarms.recv().await {
        let Ok(body) = serde_json::to_vec(&alarm) else {
            continue;
        };
        let body = Bytes::from(body);
        for url in &urls {
            tokio::spawn(post_with_retry(client.clone(), url.clone(), body.clone()));
        }
    }
}

async fn post_with_retry(client: Client<HttpConnector, Full<Bytes>>, url: String, body: Bytes) {
    let mut pause = FIRST_PAUSE;
    for attempt in 1..=ATTEMPTS {
        let request = http::Request::post(&url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body.clone()));
        let outcome = match request {
            Ok(request) => tokio::time::timeout(ATTEMPT_TIMEOUT, client.request(request))
                .await
                .map_err(|_| "timed out".to_owned())
                .and_then(|r| {
                    r.map_err(|e| e.to_string()).and_then(|response| {
                        if response.status().is_success() {
                            Ok(())
                        } else {
                            Err(format!("answered {}", response.status()))
                        }
                    })
                }),
            Err(error) => {
                tracing::warn!(%url, %error, "alarm webhook URL is unusable");
                return;
            }
        };
        match outcome {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%url, attempt, %error, "alarm webhook failed; retrying");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
        }
    }
    tracing::error!(%url, "alarm webhook failed {ATTEMPTS} times; alarm not delivered there");
}
