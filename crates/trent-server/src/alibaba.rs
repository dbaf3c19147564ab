//! The Alibaba Cloud KMS listener (`--alibaba-listen`): `POST /` and `GET /` with the operation's parameters in the
//! query and form body (`alibaba-kms-api.md` §1, §7). Each request is believed (signature, time, nonce), placed in a
//! region, run over the same service as the AWS API, audited in the same trail (event source `kms.aliyuncs.com`) and
//! answered as Alibaba answers: JSON with a `RequestId`, also in `x-acs-request-id`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::value::RawValue;
use trent_alibaba_api::auth::{self, Arrived, Nonces};
use trent_alibaba_api::error::WireError;
use trent_alibaba_api::ops::{self, Answer};
use trent_alibaba_api::params::Params;
use trent_audit::call_record::{CallRecord, Caller};
use trent_domain::{Clock, Region};
use trent_service::{Principal, RequestContext};

use crate::app::{read_body, AppState, BodyError, PeerAddr, MAX_REQUEST_BYTES};

/// The content type of every answer (never `text/xml`, which the Tea SDK would parse as XML, §2.1).
pub const CONTENT_TYPE: &str = "application/json;charset=utf-8";
/// The header carrying the request ID (the gateway-pop path reads it).
pub const REQUEST_ID_HEADER: &str = "x-acs-request-id";
/// The region of a request that names none, when `--regions` does not name one first: Alibaba's first region.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// What the Alibaba listener shares.
pub struct AlibabaState {
    /// The server's state, shared with the AWS listener: the same service, identities and clock.
    pub app: Arc<AppState>,
    /// The nonces seen within the window.
    pub nonces: Nonces,
    /// The region of a request that names none.
    pub default_region: Region,
    /// The regions DescribeRegions lists: those served, or the default one when any is served.
    pub region_ids: Vec<String>,
}

impl AlibabaState {
    /// The listener's state over the server's; requests signed before now are refused (see [`Nonces`]).
    pub fn new(app: Arc<AppState>) -> Result<Self, String> {
        let default_region = app
            .regions
            .as_ref()
            .and_then(|regions| regions.first().cloned())
            .or_else(|| Region::parse(DEFAULT_REGION))
            .ok_or_else(|| format!("{DEFAULT_REGION} is not a region name"))?;
        let region_ids = match &app.regions {
            Some(regions) => regions.iter().map(|r| r.as_str().to_owned()).collect(),
            None => vec![default_region.as_str().to_owned()],
        };
        let nonces = Nonces::new(app.clock.wall_now());
        Ok(Self { app, nonces, default_region, region_ids })
    }
}

/// The router of the Alibaba listener.
pub fn router(state: AlibabaState) -> Router {
    Router::new().route("/", post(handle).get(handle)).with_state(Arc::new(state))
}

async fn handle(State(state): State<Arc<AlibabaState>>, request: Request) -> Response {
    // Alibaba's request IDs are upper-case UUIDs.
    let request_id = uuid::Uuid::new_v4().hyphenated().to_string().to_uppercase();
    let (parts, body) = request.into_parts();
    let host = parts.headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut call = Call::default();
    let result = answer(&state, &request_id, &parts, body, &mut call).await;
    // A successful change to a key was recorded by the service, in the transaction that made it.
    let audits_itself = result.is_ok() && call.action.as_deref().and_then(ops::kind) == Some(ops::Kind::AuditsItself);
    let result = match state.app.service.audit_writer() {
        Some(audit) if !audits_itself => {
            let written = call.with_record(&state, &parts, &request_id, &result, |record| audit.record_call(record));
            match written.await {
                Ok(()) => result,
                // A call whose record cannot be kept is not answered as a success.
                Err(error) => Err(WireError::from_service(error, None)),
            }
        }
        _ => result,
    };
    let (status, body) = match result {
        Ok(answer) => (StatusCode::OK, answer.body),
        Err(error) => {
            if let Some(detail) = &error.internal_detail {
                tracing::error!(request_id, code = error.code, detail = %detail, "internal error (Alibaba API)");
            }
            let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, error.body(&request_id, &host))
        }
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// What the call's audit record needs, learnt as the request goes.
#[derive(Default)]
struct Call {
    action: Option<String>,
    access_key_id: Option<String>,
    principal: Option<Principal>,
    region: Option<Region>,
    params: Vec<(String, String)>,
}

impl Call {
    /// Gives `use_record` the call's record (journaled as its compact fields, rendered into the record when read).
    fn with_record<R>(
        &self,
        state: &AlibabaState,
        parts: &http::request::Parts,
        request_id: &str,
        result: &Result<Answer, WireError>,
        use_record: impl FnOnce(&CallRecord<'_>) -> R,
    ) -> R {
        let (caller, account) = match &self.principal {
            Some(principal) => (principal.caller(), principal.account.as_str()),
            None => (Caller::Unknown { access_key_id: self.access_key_id.as_deref() }, ""),
        };
        let params = Params(&self.params);
        // The members a record may carry, under the trail's names (the AWS API's, so one query finds both).
        let recorded: Vec<(&str, Box<RawValue>)> = [
            ("keyId", "KeyId"),
            ("aliasName", "AliasName"),
            ("pendingWindowInDays", "PendingWindowInDays"),
            ("keySpec", "KeySpec"),
            ("keyUsage", "KeyUsage"),
        ]
        .into_iter()
        .filter_map(|(name, parameter)| {
            let value = params.optional(parameter)?;
            let raw = RawValue::from_string(serde_json::to_string(value).ok()?).ok()?;
            Some((name, raw))
        })
        .collect();
        let recorded: Vec<(&str, &RawValue)> = recorded.iter().map(|(name, value)| (*name, &**value)).collect();
        let key_arn = match result {
            Ok(answer) => answer.key_arn.clone().or_else(|| self.named_key_arn()),
            Err(error) => error.key_arn.clone().or_else(|| self.named_key_arn()),
        };
        let user_agent = parts.headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok());
        let record = CallRecord {
            event_name: self.action.as_deref().unwrap_or("UnknownOperation"),
            event_source: trent_audit::ALIBABA_EVENT_SOURCE,
            at: state.app.clock.now(),
            account,
            region: self.region.as_ref().map_or("", Region::as_str),
            source_ip: parts.extensions.get::<PeerAddr>().map(|p| p.0.ip()),
            user_agent,
            caller,
            parameters: &recorded,
            response_key_id: result.as_ref().ok().and_then(|answer| answer.key_arn.as_deref()),
            error: result.as_ref().err().map(|error| (error.code, error.recorded_message())),
            request_id,
            read_only: self.action.as_deref().and_then(ops::kind) == Some(ops::Kind::ReadOnly),
            key_arn: key_arn.as_deref(),
            event_id: None,
        };
        use_record(&record)
    }

    /// The key a call named by ID or ARN, when its answer names none: attempts on a disabled or pending key are
    /// evidence of use.
    fn named_key_arn(&self) -> Option<String> {
        let named = Params(&self.params).optional("KeyId")?;
        if let Some(arn) = trent_alibaba_api::names::service_key_arn(named) {
            return Some(arn);
        }
        let (principal, region) = (self.principal.as_ref()?, self.region.as_ref()?);
        let id = trent_domain::KeyId::parse(named)?;
        Some(trent_domain::Arn::key(region, &principal.account, id).to_string())
    }
}

async fn answer(
    state: &AlibabaState,
    request_id: &str,
    parts: &http::request::Parts,
    body: Body,
    call: &mut Call,
) -> Result<Answer, WireError> {
    let body = read_body(body).await.map_err(|error| match error {
        BodyError::TooLarge => {
            WireError::new(413, "InvalidParameter", format!("The request is larger than {MAX_REQUEST_BYTES} bytes."))
        }
        BodyError::Timeout => WireError::new(408, "RequestTimeout", "The client did not send the request in time."),
        BodyError::Unreadable(detail) => {
            WireError::new(400, "InvalidParameter", format!("The request body could not be read: {detail}"))
        }
    })?;
    let arrived = Arrived {
        method: parts.method.as_str(),
        headers: &parts.headers,
        query: parts.uri.query().unwrap_or(""),
        body: &body,
    };
    // Both SDKs name the operation in a header too: a request refused before it is believed is recorded under it.
    call.action = parts.headers.get("x-acs-action").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let directory =
        state.app.service.identities().directory().await.map_err(|error| WireError::from_service(error, None))?;
    let secret_of = |access_key_id: &str| directory.get(access_key_id).map(|c| c.secret.clone());
    let authenticated = auth::authenticate(&arrived, secret_of, &state.nonces, state.app.clock.wall_now())
        .map_err(|error| WireError::from(&error))?;
    call.action = Some(authenticated.action.clone());
    call.access_key_id = Some(authenticated.access_key_id.clone());
    call.params = authenticated.params;
    let credential = directory
        .get(&authenticated.access_key_id)
        .ok_or_else(|| WireError::from(&auth::AuthError::UnknownAccessKey))?;
    let principal = credential.principal.clone();
    call.principal = Some(principal.clone());
    let params = Params(&call.params);
    let region = region_of(state, params, parts)?;
    call.region = Some(region.clone());
    let ctx = RequestContext {
        principal,
        region,
        request_id: request_id.to_owned(),
        // An IPv4 client of a dual-stack listener is written as IPv4, as policies' `aws:SourceIp` ranges expect.
        source_ip: parts.extensions.get::<PeerAddr>().map(|p| p.0.ip().to_canonical().to_string()),
        api: trent_domain::Api::Alibaba,
        received_at: trent_domain::Clock::now(state.app.clock.as_ref()),
    };
    let result = ops::dispatch(&state.app.service, &ctx, &authenticated.action, params, &state.region_ids).await;
    if let Err(error) = &result {
        tracing::debug!(request_id, operation = %authenticated.action, code = error.code, "request refused (Alibaba API)");
    }
    result
}

/// The request's region: its `RegionId` parameter (the legacy SDK always sends one), else the region in an Alibaba
/// endpoint host (`kms.<region>.aliyuncs.com`, `kms-vpc.<region>.aliyuncs.com`), else the default region.
fn region_of(state: &AlibabaState, params: Params<'_>, parts: &http::request::Parts) -> Result<Region, WireError> {
    let host = parts.headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let from_host = host
        .strip_suffix(".aliyuncs.com")
        .and_then(|rest| rest.strip_prefix("kms.").or_else(|| rest.strip_prefix("kms-vpc.")));
    let region = match params.optional("RegionId").filter(|r| !r.is_empty()).or(from_host) {
        Some(text) => Region::parse(text),
        None => Some(state.default_region.clone()),
    };
    // Ours: Alibaba's gateway code for a region it does not serve.
    let unknown = || WireError::new(400, "InvalidRegionId", "The specified region does not exist.");
    let region = region.ok_or_else(unknown)?;
    if state.app.regions.as_ref().is_some_and(|served| !served.contains(&region)) {
        return Err(unknown());
    }
    Ok(region)
}
