//! ListKeyAccess (Trent's extension, `Trent.ListKeyAccess`, `trent key who-can`): the first step of AWS's deletion
//! procedure, "examine key permissions to determine the scope of the potential usage", as a feature. Every principal
//! the key policy names, every user whose identity policies a key policy statement for the account delegates to, and
//! every live grant's grantee, each with the actions on the key, the conditions attached and where it comes from;
//! `Deny` statements are listed too, since they bound the rest. Users' policies and grants are listed only for a
//! caller who may read them.

use serde_json::Value;
use trent_domain::Key;
use trent_policy::document::{Effect, Principals, Statement};
use trent_policy::{PolicyDocument, KMS_KEY_ACTIONS};

use crate::authorize::{authorize, authorize_in_account, parsed_policy};
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::ops::grants::Grant;
use crate::resolve::Aliases;
use crate::Service;

/// Who may do what to a key, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    /// The principal: an ARN, `*` (everyone), or `NOT …` for a statement's `NotPrincipal`.
    pub principal: String,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
    /// The actions on the key, `kms:` names.
    pub actions: Vec<&'static str>,
    /// The conditions that must hold (a statement's `Condition`, or a grant's constraints), if any.
    pub conditions: Vec<Value>,
    /// Where it comes from: `key policy`, `identity policy USER/NAME`, or `grant ID`, with the statement's `Sid`.
    pub source: String,
}

/// The `Condition` member of statement `index` of a policy's text, if any (shown as written).
fn raw_condition(text: &str, index: usize) -> Option<Value> {
    let document: Value = serde_json::from_str(text).ok()?;
    let statement = match document.get("Statement")? {
        Value::Array(statements) => statements.get(index)?,
        one => (index == 0).then_some(one)?,
    };
    statement.get("Condition").cloned()
}

fn effect_name(statement: &Statement) -> &'static str {
    match statement.effect {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    }
}

fn sourced(source: &str, statement: &Statement) -> String {
    match &statement.sid {
        Some(sid) if !sid.is_empty() => format!("{source} ({sid})"),
        _ => source.to_owned(),
    }
}

/// The principals a key policy statement names, account IDs written as their root user's ARN.
fn named_principals(statement: &Statement) -> Vec<String> {
    let Some(principal) = &statement.principal else { return vec!["*".to_owned()] };
    let listed = match &principal.values {
        Principals::Everyone => vec!["*".to_owned()],
        Principals::Listed { aws } => aws
            .iter()
            .map(|entry| {
                if trent_domain::AccountId::parse(entry).is_some() {
                    trent_audit::root_arn(entry)
                } else {
                    entry.clone()
                }
            })
            .collect(),
    };
    if principal.negated {
        vec![format!("NOT {}", listed.join(", "))]
    } else {
        listed
    }
}

impl Service {
    /// ListKeyAccess: the key and who may do what to it.
    pub async fn list_key_access(
        &self,
        ctx: &RequestContext,
        key_id: &str,
    ) -> Result<(Key, Vec<AccessEntry>), ServiceError> {
        let loaded = self.load(ctx, key_id, Aliases::Accepted).await?;
        let key = loaded.key.clone();
        authorize(ctx, "trent:ListKeyAccess", &key)?;
        // Users' policies and the key's grants are shown only to a caller who may read them ("iam:GetUserPolicy",
        // "kms:ListGrants"); the key policy's own statements to whoever may read the policy.
        let sees_users = authorize_in_account(ctx, "iam:GetUserPolicy", "*").is_ok();
        let sees_grants = authorize(ctx, "kms:ListGrants", &key).is_ok();
        let arn = key.arn().to_string();
        let root = trent_audit::root_arn(key.account.as_str());
        let key_policy = parsed_policy(&key.policy)
            .map_err(|e| ServiceError::MalformedPolicy(format!("The key policy does not read: {e}")))?;
        let identities = self.store.identities().await?;
        let mut entries = Vec::new();
        for (index, statement) in key_policy.statements.iter().enumerate() {
            let actions = statement.actions_among(KMS_KEY_ACTIONS);
            if actions.is_empty() || !statement.covers_resource(&arn) {
                continue;
            }
            let condition = raw_condition(&key.policy, index);
            for principal in named_principals(statement) {
                let delegates = statement.effect == Effect::Allow && principal == root;
                entries.push(AccessEntry {
                    principal,
                    effect: effect_name(statement),
                    actions: actions.clone(),
                    conditions: condition.iter().cloned().collect(),
                    source: sourced("key policy", statement),
                });
                if !delegates || !sees_users {
                    continue;
                }
                // The account's root user stands for the account: its users' identity policies decide.
                for policy in identities.policies.iter().filter(|p| p.account == key.account) {
                    let Ok(document) = PolicyDocument::parse(&policy.document) else { continue };
                    for (identity_index, identity) in document.statements.iter().enumerate() {
                        let given = identity.actions_among(&actions);
                        if given.is_empty() || !identity.covers_resource(&arn) {
                            continue;
                        }
                        let conditions =
                            condition.iter().cloned().chain(raw_condition(&policy.document, identity_index)).collect();
                        entries.push(AccessEntry {
                            principal: trent_audit::user_arn(key.account.as_str(), &policy.user_name),
                            effect: effect_name(identity),
                            actions: given,
                            conditions,
                            source: sourced(
                                &format!("identity policy {}/{}", policy.user_name, policy.policy_name),
                                identity,
                            ),
                        });
                    }
                }
            }
        }
        let grants =
            if sees_grants { self.store.key_grants(&key.account, &key.region, key.id).await? } else { Vec::new() };
        for grant in grants.into_iter().filter_map(Grant::read) {
            let actions = KMS_KEY_ACTIONS
                .iter()
                .copied()
                .filter(|action| grant.operations.iter().any(|op| action.strip_prefix("kms:") == Some(op.as_str())))
                .collect();
            let conditions =
                grant.constraints.as_ref().and_then(|c| serde_json::to_value(c).ok()).into_iter().collect();
            entries.push(AccessEntry {
                principal: grant.stored.grantee_principal.clone(),
                effect: "Allow",
                actions,
                conditions,
                source: format!("grant {}", grant.stored.grant_id),
            });
        }
        Ok((key, entries))
    }
}
