//! The router: `POST /` is the AWS KMS JSON 1.1 edge (bounded body, SigV4, dispatch); `/_trent/*` holds the dev
//! controls (dev mode only) and the worker status; `/console/` the web console's files. Every response carries an
//! `x-amzn-RequestId`.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use trent_audit::call_record::{CallRecord, Caller};
use trent_aws_api::error::{invalid_region, unrecognized_client};
use trent_aws_api::shapes::Reply;
use trent_aws_api::{AwsError, AwsErrorCode, Target, CONTENT_TYPE};
use trent_domain::{Clock, Region, SystemClock};
use trent_service::deletion_worker::DeletionWorker;
use trent_service::material_worker::MaterialWorker;
use trent_service::retention_worker::RetentionWorker;
use trent_service::retirement_worker::RetirementWorker;
use trent_service::worker::Worker;
use trent_service::{Principal, RequestContext, Service};

use crate::dev;

/// The largest request body accepted (AWS's largest member, a 131,072-character policy, escaped, fits).
pub const MAX_REQUEST_BYTES: usize = 512 * 1024;
/// How long a client may take to send its body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The header carrying the request ID.
pub const REQUEST_ID_HEADER: &str = "x-amzn-RequestId";
/// The service name in SigV4 credential scopes.
pub const SIGNING_SERVICE: &str = "kms";

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The KMS service.
    pub service: Arc<Service>,
    /// The clock (concrete, so dev mode can move it).
    pub clock: Arc<SystemClock>,
    /// Regions served; `None` = any well-formed name.
    pub regions: Option<Arc<Vec<Region>>>,
    /// Dev mode.
    pub dev: bool,
    /// The web console is served under `/console/`.
    pub console: bool,
    /// The deletion worker, for its status.
    pub deletion_worker: Arc<DeletionWorker>,
    /// The retirement worker, for its status.
    pub retirement_worker: Arc<RetirementWorker>,
    /// The audit retention worker, for its status.
    pub retention_worker: Arc<RetentionWorker>,
    /// The key rotation worker, for its status.
    pub material_worker: Arc<MaterialWorker>,
    /// SigV4 signing keys derived so far.
    pub signing_keys: Arc<trent_sigv4::SigningKeyCache>,
}

/// The request ID of the current request, put in the extensions by the request-ID middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The peer address of the connection, put in the extensions by the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Builds the router over `state`.
pub fn app(state: impl Into<Arc<AppState>>) -> Router {
    let state: Arc<AppState> = state.into();
    let mut router =
        Router::new().route("/", post(kms)).route("/_trent/status", get(status)).route("/metrics", get(metrics));
    if state.dev {
        router = router
            .route("/_trent/reset", post(dev::reset))
            .route("/_trent/clock", get(dev::clock).post(dev::advance_clock));
    }
    if state.console {
        router = crate::console::routes(router);
    }
    // One Arc for the whole state: each request clones it once, not each of its parts.
    request_id_layer(router.with_state(state))
}

/// Adds the request-ID middleware: every response gets an `x-amzn-RequestId`.
pub fn request_id_layer(router: Router) -> Router {
    router.layer(middleware::from_fn(request_id))
}

async fn request_id(mut request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    name_request(&mut response, &id);
    response
}

/// Names the request a response answers (`x-amzn-RequestId`).
fn name_request(response: &mut Response, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
}

/// A port's front door, which answers each request of its connections. On the AWS port, the API's own requests
/// (`POST /`, nearly all of them) go straight to their handler, through none of the router's matching, middleware and
/// boxed services, and are named (`x-amzn-RequestId`) as the router names every other; every other request, and
/// every request of another port, goes through its router (which names its requests its API's way).
#[derive(Clone)]
pub struct Front {
    router: Router,
    /// The state of the AWS API's handler, on the AWS port.
    aws: Option<Arc<AppState>>,
}

impl Front {
    /// The AWS port's door over `state`: [`app`]'s router, and the API's handler directly.
    pub fn aws(state: Arc<AppState>) -> Self {
        Self { router: app(Arc::clone(&state)), aws: Some(state) }
    }

    /// A door that sends every request through `router`.
    pub fn router(router: Router) -> Self {
        Self { router, aws: None }
    }

    /// The answer to `request`, which came from `peer`.
    pub async fn answer<B>(self, mut request: http::Request<B>, peer: SocketAddr) -> Response
    where
        B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        request.extensions_mut().insert(PeerAddr(peer));
        match self.aws {
            Some(state) if request.method() == http::Method::POST && request.uri().path() == "/" => {
                let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
                let request_id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
                let mut response = answer_kms(&state, request_id, request.map(Body::new)).await;
                name_request(&mut response, request_id);
                response
            }
            _ => match tower::ServiceExt::oneshot(self.router, request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            },
        }
    }
}

/// `GET /metrics`: Prometheus counters (attempted uses of disabled or pending keys).
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut response = crate::metrics::render(&state.service.alarms().attempts()).into_response();
    response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(crate::metrics::CONTENT_TYPE));
    response
}

async fn status(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(
        serde_json::json!({ "workers": [state.deletion_worker.status(), state.retirement_worker.status(), state.retention_worker.status(), state.material_worker.status()], "dev": state.dev }),
    )
}

/// The JSON 1.1 response for a result.
fn aws_response(result: Result<Reply, AwsError>, request_id: &str) -> Response {
    let (status, body) = match result {
        Ok(reply) => (StatusCode::OK, reply.body),
        Err(error) => {
            if let Some(detail) = &error.internal_detail {
                tracing::error!(request_id, code = error.code.code(), detail = %detail, "internal error");
            }
            (StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), error.body())
        }
    };
    let mut response = (status, body).into_response();
    response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// `POST /` through the router.
async fn kms(
    State(state): State<Arc<AppState>>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    request: Request,
) -> Response {
    answer_kms(&state, &request_id, request).await
}

/// The answer to an AWS API request (`POST /`) named `request_id`.
async fn answer_kms(state: &AppState, request_id: &str, request: Request) -> Response {
    // What the audit event needs is gathered only when calls are audited: the hot path pays nothing otherwise.
    let mut call = Call::default();
    if state.service.audit_writer().is_some() {
        call.source_ip = request.extensions().get::<PeerAddr>().map(|p| p.0.ip());
        call.user_agent = request.headers().get(http::header::USER_AGENT).cloned();
    }
    // Boxed: the handler's own future stays small, so the router moves a few words per request instead of every
    // state the call may pass through.
    let mut result = Box::pin(handle_kms(state, request_id, request, &mut call)).await;
    if let Some(audit) = state.service.audit_writer() {
        if !(result.is_ok() && call.target.is_some_and(Target::audits_itself)) {
            let written = call.with_record(state, request_id, &result, |record| audit.record_call(record));
            if let Err(error) = written.await {
                // A call whose record cannot be kept is not answered as a success.
                result = Err(error.into());
            }
        }
    } else {
        // An unaudited call yields once before it is answered, as an audited one does while its entry is journaled:
        // the thread takes the other calls that are ready before it writes any answer, and answers them together.
        // Fewer wake-ups of the thread and of its clients; a GenerateDataKey took 11.4 µs of CPU instead of 12.6.
        tokio::task::yield_now().await;
    }
    aws_response(result, request_id)
}

/// What the edge learns about a call as it goes, for its audit record.
#[derive(Default)]
struct Call {
    source_ip: Option<std::net::IpAddr>,
    user_agent: Option<HeaderValue>,
    target: Option<Target>,
    access_key_id: Option<String>,
    principal: Option<Principal>,
    region: Option<String>,
    members: Option<trent_aws_api::audited::AuditedMembers>,
}

impl Call {
    /// Gives `use_record` the call's record, borrowed from what the edge learnt (nothing of it is copied into an
    /// owned event): it is journaled as its compact fields, from which the record is rendered when the trail is read.
    fn with_record<R>(
        &self,
        state: &AppState,
        request_id: &str,
        result: &Result<Reply, AwsError>,
        use_record: impl FnOnce(&CallRecord<'_>) -> R,
    ) -> R {
        let (caller, account) = match &self.principal {
            Some(principal) => (principal.caller(), principal.account.as_str()),
            None => (Caller::Unknown { access_key_id: self.access_key_id.as_deref() }, ""),
        };
        let members: Vec<(&str, &serde_json::value::RawValue)> =
            self.members.iter().flat_map(|m| m.0.iter()).map(|(name, value)| (*name, &**value)).collect();
        let key_arn: Option<Cow<'_, str>> = match result {
            Ok(reply) => reply.key_arn().map(Cow::Borrowed),
            // A refused call names the key it was about: the key the service refused (a Decrypt names it only inside
            // its ciphertext), else the key the caller named by ID or ARN. Attempts on a disabled or pending key are
            // evidence of use.
            Err(AwsError { key_arn: Some(arn), .. }) => Some(Cow::Borrowed(arn.as_str())),
            Err(_) => {
                let named = self
                    .members
                    .as_ref()
                    .and_then(|m| m.get("keyId"))
                    .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok());
                match (named, &self.principal, self.region.as_deref().and_then(Region::parse)) {
                    (Some(arn), _, _) if arn.starts_with("arn:") => Some(Cow::Owned(arn)),
                    (Some(id), Some(principal), Some(region)) => trent_domain::KeyId::parse(&id)
                        .map(|id| Cow::Owned(trent_domain::Arn::key(&region, &principal.account, id).to_string())),
                    _ => None,
                }
            }
        };
        let record = CallRecord {
            event_name: self.target.map_or("UnknownOperation", Target::event_name),
            event_source: trent_audit::EVENT_SOURCE,
            at: state.clock.now(),
            account,
            region: self.region.as_deref().unwrap_or(""),
            source_ip: self.source_ip,
            user_agent: self.user_agent.as_ref().and_then(|v| v.to_str().ok()),
            caller,
            parameters: &members,
            response_key_id: result.as_ref().ok().and_then(|reply| reply.key_id.as_deref()),
            error: result.as_ref().err().map(|error| (error.code.code(), error.message.as_str())),
            request_id,
            read_only: self.target.is_some_and(Target::is_read_only),
            key_arn: key_arn.as_deref(),
            event_id: None,
        };
        use_record(&record)
    }
}

/// Why a request body could not be read; each listener answers it in its own API's words.
#[derive(Debug)]
pub enum BodyError {
    /// The client did not send it within [`BODY_TIMEOUT`].
    Timeout,
    /// It is larger than [`MAX_REQUEST_BYTES`].
    TooLarge,
    /// The connection failed while it was read.
    Unreadable(String),
}

/// Reads a request body of at most [`MAX_REQUEST_BYTES`] within [`BODY_TIMEOUT`].
pub async fn read_body(body: Body) -> Result<bytes::Bytes, BodyError> {
    let limited = Limited::new(body, MAX_REQUEST_BYTES);
    match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
        Err(_) => Err(BodyError::Timeout),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Ok(Err(error)) => Err(BodyError::Unreadable(error.to_string())),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

impl From<BodyError> for AwsError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::Timeout => AwsError::new(
                AwsErrorCode::RequestTimeoutException,
                "The client did not send the request body in time.",
            ),
            BodyError::TooLarge => AwsError::new(
                AwsErrorCode::RequestEntityTooLargeException,
                format!("The request body is larger than {MAX_REQUEST_BYTES} bytes."),
            ),
            BodyError::Unreadable(detail) => AwsError::new(
                AwsErrorCode::SerializationException,
                format!("The request body could not be read: {detail}"),
            ),
        }
    }
}

async fn handle_kms(state: &AppState, request_id: &str, request: Request, call: &mut Call) -> Result<Reply, AwsError> {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_REQUEST_BYTES) {
        return Err(AwsError::new(
            AwsErrorCode::RequestEntityTooLargeException,
            format!("The request body is larger than {MAX_REQUEST_BYTES} bytes."),
        ));
    }
    let body = read_body(body).await?;
    if state.service.audit_writer().is_none() {
        return authenticate_and_dispatch(state, request_id, &parts, &body, call).await;
    }
    call.target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).and_then(|t| Target::parse(t).ok());
    let result = authenticate_and_dispatch(state, request_id, &parts, &body, call).await;
    if call.members.is_none() {
        // Refused before an operation parsed the body: its members are read for the record here.
        call.members = trent_aws_api::audited::members_of(&body);
    }
    result
}

/// Authenticates a request whose body was read and runs its operation; with every call audited, the operation's
/// parse of the body also keeps the members its record may carry.
async fn authenticate_and_dispatch(
    state: &AppState,
    request_id: &str,
    parts: &http::request::Parts,
    body: &[u8],
    call: &mut Call,
) -> Result<Reply, AwsError> {
    // Authenticate before anything else is looked at.
    let authorization = trent_sigv4::parse_authorization(&parts.headers)?;
    if state.service.audit_writer().is_some() {
        call.access_key_id = Some(authorization.access_key_id.to_owned());
        call.region = Some(authorization.region.to_owned());
    }
    let directory = state.service.identities().directory().await?;
    let credential = directory.get(authorization.access_key_id).ok_or_else(unrecognized_client)?;
    let region = Region::parse(authorization.region).ok_or_else(invalid_region)?;
    if state.regions.as_ref().is_some_and(|allowed| !allowed.contains(&region)) {
        return Err(invalid_region());
    }
    let request_parts = trent_sigv4::RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        body,
    };
    trent_sigv4::verify_with_cache(
        &request_parts,
        &authorization,
        &credential.secret,
        SIGNING_SERVICE,
        state.clock.wall_now(),
        &state.signing_keys,
    )?;

    let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
    let target = Target::parse(target)?;
    let principal = credential.principal.clone();
    let ctx = RequestContext {
        principal,
        region,
        request_id: request_id.to_owned(),
        // An IPv4 client of a dual-stack listener is written as IPv4, as policies' `aws:SourceIp` ranges expect.
        source_ip: parts.extensions.get::<PeerAddr>().map(|p| p.0.ip().to_canonical().to_string()),
        api: trent_domain::Api::Aws,
        received_at: trent_domain::Clock::now(state.clock.as_ref()),
    };
    let dispatched = match target {
        Target::Aws(operation) => trent_aws_api::dispatch(&state.service, &ctx, operation, body),
        Target::Trent(extension) => trent_aws_api::extensions::dispatch(&state.service, &ctx, extension, body),
    };
    let result = if state.service.audit_writer().is_some() {
        let (result, members) = trent_aws_api::audited::keeping_members(dispatched).await;
        call.members = members;
        result
    } else {
        dispatched.await
    };
    if let Err(error) = &result {
        tracing::debug!(request_id, operation = %target.name(), code = error.code.code(), "request refused");
    }
    if state.service.audit_writer().is_some() {
        call.principal = Some(ctx.principal);
    }
    result
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;
    use crate::config::{Config, Settings};

    async fn router(dir: &Path, dev: bool) -> Router {
        router_with(dir, Settings { dev: Some(dev), ..Settings::defaults() }).await
    }

    async fn router_with(dir: &Path, settings: Settings) -> Router {
        let settings =
            Settings { data_dir: Some(dir.to_path_buf()), listen: Some("127.0.0.1:0".to_owned()), ..settings };
        let config = Config::resolve(settings).unwrap();
        app(crate::serve::build_state(&config).await.unwrap())
    }

    async fn send(router: &Router, request: http::Request<Body>) -> (StatusCode, http::HeaderMap, String) {
        let response = router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn unsigned_requests_get_missing_authentication_token_with_a_request_id() {
        let dir = tempfile::tempdir().unwrap();
        let router = router(dir.path(), true).await;
        let request =
            http::Request::post("/").header("x-amz-target", "TrentService.ListKeys").body(Body::from("{}")).unwrap();
        let (status, headers, body) = send(&router, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("MissingAuthenticationTokenException"), "{body}");
        assert!(headers.get(REQUEST_ID_HEADER).is_some());
        assert_eq!(headers.get(http::header::CONTENT_TYPE).unwrap(), CONTENT_TYPE);
    }

    #[tokio::test]
    async fn bodies_over_the_limit_without_a_declared_length_are_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let router = router(dir.path(), true).await;
        // A streamed body with no Content-Length: the limit applies while reading.
        let chunks = futures_chunks(MAX_REQUEST_BYTES / 1024 + 2);
        let request = http::Request::post("/")
            .header("x-amz-target", "TrentService.ListKeys")
            .body(Body::from_stream(chunks))
            .unwrap();
        let (status, _, body) = send(&router, request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert!(body.contains("RequestEntityTooLargeException"));
    }

    fn futures_chunks(count: usize) -> impl futures_core::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
        let chunk = bytes::Bytes::from(vec![b' '; 1024]);
        tokio_stream_iter((0..count).map(move |_| Ok(chunk.clone())))
    }

    fn tokio_stream_iter<I: Iterator + Unpin>(iter: I) -> impl futures_core::Stream<Item = I::Item> {
        struct Iter<I>(I);
        impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
            type Item = I::Item;
            fn poll_next(
                mut self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<I::Item>> {
                std::task::Poll::Ready(self.0.next())
            }
        }
        Iter(iter)
    }

    #[tokio::test]
    async fn dev_routes_are_absent_without_dev_mode_and_present_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let production = router(dir.path(), false).await;
        for (method, path) in [("GET", "/_trent/clock"), ("POST", "/_trent/clock"), ("POST", "/_trent/reset")] {
            let request = http::Request::builder().method(method).uri(path).body(Body::empty()).unwrap();
            assert_eq!(send(&production, request).await.0, StatusCode::NOT_FOUND, "{method} {path}");
        }
        let dev_dir = tempfile::tempdir().unwrap();
        let dev = router(dev_dir.path(), true).await;
        let request = http::Request::post("/_trent/clock").body(Body::from(r#"{"advance_seconds": 60}"#)).unwrap();
        let (status, _, body) = send(&dev, request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let request = http::Request::post("/_trent/clock").body(Body::from(r#"{"advance_seconds": "soon"}"#)).unwrap();
        assert_eq!(send(&dev, request).await.0, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn the_console_is_served_with_a_strict_policy_by_default_and_absent_when_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let served = router(dir.path(), false).await;
        let (status, headers, body) = send(&served, http::Request::get("/console/").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("<script type=\"module\" src=\"./app.js\">"), "{body}");
        assert_eq!(
            headers.get(http::header::CONTENT_SECURITY_POLICY).unwrap(),
            crate::console::CONTENT_SECURITY_POLICY
        );
        assert_eq!(headers.get(http::header::X_FRAME_OPTIONS).unwrap(), "DENY");
        let (status, headers, _) =
            send(&served, http::Request::get("/console/api.js").body(Body::empty()).unwrap()).await;
        assert_eq!(
            (status, headers.get(http::header::CONTENT_TYPE).unwrap().to_str().unwrap()),
            (StatusCode::OK, "text/javascript; charset=utf-8")
        );
        let missing = send(&served, http::Request::get("/console/secrets.txt").body(Body::empty()).unwrap()).await;
        assert_eq!(missing.0, StatusCode::NOT_FOUND);
        let posted = send(&served, http::Request::post("/console/").body(Body::empty()).unwrap()).await;
        assert_eq!(posted.0, StatusCode::METHOD_NOT_ALLOWED, "nothing under /console/ changes state");

        let off_dir = tempfile::tempdir().unwrap();
        let off = router_with(off_dir.path(), Settings { console: Some(false), ..Settings::defaults() }).await;
        let (status, _, _) = send(&off, http::Request::get("/console/").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn status_shows_the_workers() {
        let dir = tempfile::tempdir().unwrap();
        let router = router(dir.path(), true).await;
        let (status, _, body) = send(&router, http::Request::get("/_trent/status").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("\"name\":\"deletion\""), "{body}");
        assert!(body.contains("\"name\":\"retirement\""), "{body}");
    }
}
