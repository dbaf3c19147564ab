//! The signed HTTP client shared by `trent bench` and the client commands (`trent key …`, `trent audit …`): SigV4
//! with aws-sigv4 over keep-alive HTTP, and finding the server and credentials the way the aws CLI does.

use std::time::SystemTime;

use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Signs and sends KMS requests.
#[derive(Clone)]
pub struct Signer {
    client: Client<HttpConnector, Full<Bytes>>,
    endpoint: String,
    host: String,
    access_key: String,
    secret_key: String,
    region: String,
}

/// A call the server refused, with its AWS error code.
#[derive(Debug)]
pub struct CallError {
    /// `__type`, or `HTTP <status>` when the body had none.
    pub code: String,
    /// The message.
    pub message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl Signer {
    /// A client of `endpoint` signing as `access_key` in `region`, keeping up to `pool` idle connections.
    pub fn new(endpoint: &str, access_key: &str, secret_key: &str, region: &str, pool: usize) -> Result<Self, String> {
        let uri: http::Uri = endpoint.parse().map_err(|e| format!("{endpoint}: {e}"))?;
        let host = uri.authority().map(|a| a.to_string()).ok_or_else(|| format!("{endpoint} has no host"))?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(pool).build(connector);
        Ok(Self {
            client,
            endpoint: format!("{}/", endpoint.trim_end_matches('/')),
            host,
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            region: region.to_owned(),
        })
    }

    /// A request calling `target` with `body`, signed now.
    pub fn signed(&self, target: &str, body: &[u8]) -> Result<http::Request<Bytes>, String> {
        use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
        let identity =
            aws_credential_types::Credentials::new(&self.access_key, &self.secret_key, None, None, "trent").into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("kms")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let headers =
            [("host", self.host.as_str()), ("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)];
        let signable = SignableRequest::new("POST", &self.endpoint, headers.into_iter(), SignableBody::Bytes(body))
            .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(signable, &params).map_err(|e| e.to_string())?.into_parts();
        let mut request = http::Request::builder()
            .method("POST")
            .uri(&self.endpoint)
            .header("host", &self.host)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", target)
            .header("user-agent", concat!("trent-cli/", env!("CARGO_PKG_VERSION")))
            .body(Bytes::copy_from_slice(body))
            .map_err(|e| e.to_string())?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }

    /// Sends one signed request; returns the status and body.
    pub async fn call(&self, target: &str, body: &[u8]) -> Result<(u16, Bytes), String> {
        let response = self
            .client
            .request(self.signed(target, body)?.map(Full::new))
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.endpoint))?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok((status, body))
    }

    /// Sends a JSON request; the JSON answer, or the server's error with its code.
    pub async fn call_api(&self, target: &str, body: &Value) -> Result<Value, CallError> {
        let (status, bytes) = self
            .call(target, body.to_string().as_bytes())
            .await
            .map_err(|message| CallError { code: "ConnectionError".to_owned(), message })?;
        let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status == 200 {
            return Ok(answer);
        }
        let code = answer.get("__type").and_then(Value::as_str).map_or_else(|| format!("HTTP {status}"), str::to_owned);
        let message = answer.get("message").and_then(Value::as_str).unwrap_or_default().to_owned();
        Err(CallError { code, message })
    }

    /// [`Signer::call_api`] with the error as text.
    pub async fn call_json(&self, target: &str, body: &Value) -> Result<Value, String> {
        self.call_api(target, body).await.map_err(|e| format!("{target}: {e}"))
    }
}

/// How a client command finds its server and credentials, as the aws CLI does.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The server [default: http://127.0.0.1:8300].
    #[arg(long, env = "TRENT_ENDPOINT_URL", global = true)]
    endpoint_url: Option<String>,
    /// The region [default: AWS_REGION, AWS_DEFAULT_REGION, or us-east-1].
    #[arg(long, global = true)]
    region: Option<String>,
    /// A profile of the aws credentials file [default: AWS_PROFILE or default].
    #[arg(long, global = true)]
    profile: Option<String>,
    /// `table` for people, `json` for scripts.
    #[arg(long, global = true, default_value = "table", value_parser = ["table", "json"])]
    pub output: String,
}

impl ClientArgs {
    /// The signed client these settings describe.
    pub fn signer(&self) -> Result<Signer, String> {
        let endpoint = self.endpoint_url.clone().unwrap_or_else(|| "http://127.0.0.1:8300".to_owned());
        let region = self
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let (access_key, secret) = self.credentials()?;
        Signer::new(&endpoint, &access_key, &secret, &region, 1)
    }

    /// The explicit profile, else the environment's keys, else `AWS_PROFILE` or `default` from the credentials file.
    fn credentials(&self) -> Result<(String, String), String> {
        if self.profile.is_none() {
            if let (Ok(key), Ok(secret)) = (std::env::var("AWS_ACCESS_KEY_ID"), std::env::var("AWS_SECRET_ACCESS_KEY"))
            {
                return Ok((key, secret));
            }
        }
        let profile =
            self.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok()).unwrap_or_else(|| "default".to_owned());
        let path = std::env::var("AWS_SHARED_CREDENTIALS_FILE")
            .map(std::path::PathBuf::from)
            .or_else(|_| std::env::var("HOME").map(|home| std::path::Path::new(&home).join(".aws").join("credentials")))
            .map_err(|_| {
                "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use --profile".to_owned()
            })?;
        let text = std::fs::read_to_string(&path).map_err(|e| format!("no credentials: {}: {e}", path.display()))?;
        profile_keys(&text, &profile)
            .ok_or_else(|| format!("no access key for profile '{profile}' in {}", path.display()))
    }
}

/// The access key and secret of `profile` in a credentials file (INI, as the aws CLI writes it).
fn profile_keys(text: &str, profile: &str) -> Option<(String, String)> {
    let (mut in_profile, mut key, mut secret) = (false, None, None);
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = name.trim() == profile;
        } else if in_profile {
            if let Some((name, value)) = line.split_once('=') {
                match name.trim() {
                    "aws_access_key_id" => key = Some(value.trim().to_owned()),
                    "aws_secret_access_key" => secret = Some(value.trim().to_owned()),
                    _ => {}
                }
            }
        }
    }
    Some((key?, secret?))
}

#[cfg(test)]
mod tests {
    use super::profile_keys;

    #[test]
    fn credentials_files_are_read_per_profile() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key = B\n\n[trent]\naws_access_key_id=C\naws_secret_access_key=D\n";
        assert_eq!(profile_keys(text, "default"), Some(("A".to_owned(), "B".to_owned())));
        assert_eq!(profile_keys(text, "trent"), Some(("C".to_owned(), "D".to_owned())));
        assert_eq!(profile_keys(text, "other"), None);
    }
}
