//! The edge of the identity operations, each with IAM's member names and shapes (as IAM's JSON answers name them):
//! `Trent.CreateUser {UserName}` → `{User}`; `Trent.ListUsers {}` → `{Users}`; `Trent.DeleteUser {UserName}`;
//! `Trent.CreateAccessKey {UserName}` → `{AccessKey}` (its `SecretAccessKey` in this answer only);
//! `Trent.ListAccessKeys {UserName}` → `{AccessKeyMetadata}`; `Trent.DeleteAccessKey {UserName, AccessKeyId}`;
//! `Trent.PutUserPolicy {UserName, PolicyName, PolicyDocument}`; `Trent.GetUserPolicy {UserName, PolicyName}` →
//! `{UserName, PolicyName, PolicyDocument}`; `Trent.ListUserPolicies {UserName}` → `{PolicyNames}`;
//! `Trent.DeleteUserPolicy {UserName, PolicyName}`. Answers without members are `{}`.

use serde::{Deserialize, Serialize};
use trent_service::{RequestContext, Service};
use trent_store::{StoredCredential, StoredUser};

use crate::error::AwsError;
use crate::shapes::{parse_body, response, Reply, Shape};
use crate::validate::Validator;

/// One of the identity operations, each `Trent.` and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityOperation {
    /// `Trent.CreateAccessKey`.
    CreateAccessKey,
    /// `Trent.CreateUser`.
    CreateUser,
    /// `Trent.DeleteAccessKey`.
    DeleteAccessKey,
    /// `Trent.DeleteUser`.
    DeleteUser,
    /// `Trent.DeleteUserPolicy`.
    DeleteUserPolicy,
    /// `Trent.GetUserPolicy`.
    GetUserPolicy,
    /// `Trent.ListAccessKeys`.
    ListAccessKeys,
    /// `Trent.ListUserPolicies`.
    ListUserPolicies,
    /// `Trent.ListUsers`.
    ListUsers,
    /// `Trent.PutUserPolicy`.
    PutUserPolicy,
}

impl IdentityOperation {
    /// Every identity operation.
    pub const ALL: &'static [IdentityOperation] = &[
        IdentityOperation::CreateAccessKey,
        IdentityOperation::CreateUser,
        IdentityOperation::DeleteAccessKey,
        IdentityOperation::DeleteUser,
        IdentityOperation::DeleteUserPolicy,
        IdentityOperation::GetUserPolicy,
        IdentityOperation::ListAccessKeys,
        IdentityOperation::ListUserPolicies,
        IdentityOperation::ListUsers,
        IdentityOperation::PutUserPolicy,
    ];

    /// The operation's name after `Trent.`.
    pub fn name(self) -> &'static str {
        match self {
            IdentityOperation::CreateAccessKey => "CreateAccessKey",
            IdentityOperation::CreateUser => "CreateUser",
            IdentityOperation::DeleteAccessKey => "DeleteAccessKey",
            IdentityOperation::DeleteUser => "DeleteUser",
            IdentityOperation::DeleteUserPolicy => "DeleteUserPolicy",
            IdentityOperation::GetUserPolicy => "GetUserPolicy",
            IdentityOperation::ListAccessKeys => "ListAccessKeys",
            IdentityOperation::ListUserPolicies => "ListUserPolicies",
            IdentityOperation::ListUsers => "ListUsers",
            IdentityOperation::PutUserPolicy => "PutUserPolicy",
        }
    }
}

/// IAM's longest policy document, in characters.
const MAX_POLICY_DOCUMENT_CHARS: usize = 131_072;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    user_name: Option<String>,
    access_key_id: Option<String>,
    policy_name: Option<String>,
    policy_document: Option<String>,
}

/// A user, as IAM's `User` shape.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserAnswer<'a> {
    user_name: &'a str,
    user_id: &'a str,
    arn: String,
    path: &'static str,
    create_date: f64,
}

impl<'a> UserAnswer<'a> {
    fn of(user: &'a StoredUser) -> Self {
        Self {
            user_name: &user.name,
            user_id: &user.user_id,
            arn: trent_audit::user_arn(user.account.as_str(), &user.name),
            path: "/",
            create_date: user.created_at.epoch_seconds(),
        }
    }
}

/// An access key, as IAM's `AccessKey` (with its secret) and `AccessKeyMetadata` (without) shapes.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccessKeyAnswer<'a> {
    user_name: &'a str,
    access_key_id: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_access_key: Option<&'a str>,
    create_date: f64,
}

impl<'a> AccessKeyAnswer<'a> {
    fn of(key: &'a StoredCredential, secret: Option<&'a str>) -> Self {
        Self {
            user_name: key.user_name.as_deref().unwrap_or_default(),
            access_key_id: &key.access_key_id,
            status: "Active",
            secret_access_key: secret,
            create_date: key.created_at.epoch_seconds(),
        }
    }
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<UserAnswer<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    users: Option<Vec<UserAnswer<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key: Option<AccessKeyAnswer<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_metadata: Option<Vec<AccessKeyAnswer<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_document: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_names: Option<Vec<String>>,
}

impl Shape for Answer<'_> {}

/// The members each operation requires, checked as the edge checks every request (missing ones listed at once).
fn check(operation: IdentityOperation, request: &Request) -> Result<(), AwsError> {
    let mut v = Validator::new();
    let needs_user = operation != IdentityOperation::ListUsers;
    let needs_policy = matches!(
        operation,
        IdentityOperation::PutUserPolicy | IdentityOperation::GetUserPolicy | IdentityOperation::DeleteUserPolicy
    );
    if needs_user {
        v.required("userName", &request.user_name);
    }
    v.length("userName", request.user_name.as_deref(), 1, 64);
    if needs_policy {
        v.required("policyName", &request.policy_name);
    }
    v.length("policyName", request.policy_name.as_deref(), 1, 128);
    if operation == IdentityOperation::DeleteAccessKey {
        v.required("accessKeyId", &request.access_key_id);
    }
    v.length("accessKeyId", request.access_key_id.as_deref(), 16, 128);
    if operation == IdentityOperation::PutUserPolicy {
        v.required("policyDocument", &request.policy_document);
    }
    v.length("policyDocument", request.policy_document.as_deref(), 1, MAX_POLICY_DOCUMENT_CHARS);
    v.finish()
}

/// Handles one of the identity operations.
pub async fn handle(
    service: &Service,
    ctx: &RequestContext,
    operation: IdentityOperation,
    body: &[u8],
) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    check(operation, &request)?;
    let user_name = request.user_name.as_deref().unwrap_or_default();
    let policy_name = request.policy_name.as_deref().unwrap_or_default();
    match operation {
        IdentityOperation::CreateUser => {
            let user = service.create_user(ctx, user_name).await?;
            response(&Answer { user: Some(UserAnswer::of(&user)), ..Answer::default() })
        }
        IdentityOperation::ListUsers => {
            let users = service.list_users(ctx).await?;
            response(&Answer { users: Some(users.iter().map(UserAnswer::of).collect()), ..Answer::default() })
        }
        IdentityOperation::DeleteUser => {
            service.delete_user(ctx, user_name).await?;
            response(&Answer::default())
        }
        IdentityOperation::CreateAccessKey => {
            let (key, secret) = service.create_access_key(ctx, user_name).await?;
            response(&Answer {
                access_key: Some(AccessKeyAnswer::of(&key, Some(secret.as_str()))),
                ..Answer::default()
            })
        }
        IdentityOperation::ListAccessKeys => {
            let keys = service.list_access_keys(ctx, user_name).await?;
            let metadata = keys.iter().map(|key| AccessKeyAnswer::of(key, None)).collect();
            response(&Answer { access_key_metadata: Some(metadata), ..Answer::default() })
        }
        IdentityOperation::DeleteAccessKey => {
            let access_key_id = request.access_key_id.as_deref().unwrap_or_default();
            service.delete_access_key(ctx, user_name, access_key_id).await?;
            response(&Answer::default())
        }
        IdentityOperation::PutUserPolicy => {
            let document = request.policy_document.as_deref().unwrap_or_default();
            service.put_user_policy(ctx, user_name, policy_name, document).await?;
            response(&Answer::default())
        }
        IdentityOperation::GetUserPolicy => {
            let document = service.get_user_policy(ctx, user_name, policy_name).await?;
            response(&Answer {
                user_name: Some(user_name),
                policy_name: Some(policy_name),
                policy_document: Some(document.as_str()),
                ..Answer::default()
            })
        }
        IdentityOperation::ListUserPolicies => {
            let names = service.list_user_policies(ctx, user_name).await?;
            response(&Answer { policy_names: Some(names), ..Answer::default() })
        }
        IdentityOperation::DeleteUserPolicy => {
            service.delete_user_policy(ctx, user_name, policy_name).await?;
            response(&Answer::default())
        }
    }
}
