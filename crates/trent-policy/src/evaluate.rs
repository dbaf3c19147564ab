//! Which statements apply to a request, what one document decides, and what KMS decides from the key policy, the
//! identity policies it may delegate to, and grants ("Determining access to an AWS KMS key", AWS KMS developer guide):
//! an explicit `Deny` in any policy wins; otherwise the key policy must allow the request, either naming the caller
//! (or everyone) or allowing the caller's account, which delegates to the account's identity policies (the account's
//! root user needs none); a grant for the operation allows it too. A caller of another account needs, besides the key
//! policy, its own account's identity policies to allow the request.

use crate::condition::RequestContext;
use crate::document::{Effect, Either, PolicyDocument, Principals, Statement};
use crate::pattern::matches;

/// A request as policies see it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The caller's ARN (`arn:aws:iam::111122223333:root`, `arn:aws:iam::111122223333:user/alice`).
    pub principal: &'a str,
    /// The caller's account ID.
    pub account: &'a str,
    /// The action, `kms:` and the operation (`kms:ScheduleKeyDeletion`).
    pub action: &'a str,
    /// The resource: the key's ARN.
    pub resource: &'a str,
    /// The condition keys and their values.
    pub context: &'a RequestContext,
}

impl Request<'_> {
    /// True when `arn` is the root user of the caller's account (`arn:PARTITION:iam::ACCOUNT:root`).
    fn is_account_root(&self, arn: &str) -> bool {
        let mut parts = arn.splitn(6, ':');
        let partition = self.principal.split(':').nth(1).unwrap_or("aws");
        parts.next() == Some("arn")
            && parts.next() == Some(partition)
            && parts.next() == Some("iam")
            && parts.next() == Some("")
            && parts.next() == Some(self.account)
            && parts.next() == Some("root")
    }

    /// True when the caller is its account's root user.
    fn is_root(&self) -> bool {
        self.is_account_root(self.principal)
    }
}

/// What a document (or KMS) decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No statement applies: denied unless something else allows.
    NotApplicable,
    /// An `Allow` applies and no `Deny` does.
    Allow,
    /// An explicit `Deny` applies.
    Deny,
}

/// How a statement's principal covers the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Covered {
    /// Not at all.
    No,
    /// By name, or as everyone.
    Directly,
    /// Through the caller's account (its ID or its root user's ARN): the account's identity policies decide.
    ThroughAccount,
}

fn principal_coverage(principal: &Either<Principals>, request: &Request<'_>) -> Covered {
    let listed = match &principal.values {
        Principals::Everyone => Covered::Directly,
        Principals::Listed { aws } => {
            if aws.iter().any(|entry| entry == request.principal && !request.is_account_root(entry)) {
                Covered::Directly
            } else if aws.iter().any(|entry| request.is_account_root(entry) || entry == request.account) {
                Covered::ThroughAccount
            } else {
                Covered::No
            }
        }
    };
    match (principal.negated, listed) {
        (false, covered) => covered,
        (true, Covered::No) => Covered::Directly,
        (true, Covered::Directly | Covered::ThroughAccount) => Covered::No,
    }
}

pub(crate) fn covers(list: &Either<Vec<String>>, value: &str, ignore_case: bool) -> bool {
    list.values.iter().any(|pattern| matches(pattern, value, ignore_case)) != list.negated
}

/// How `statement` covers `request`: `Covered::No` when it does not apply (principal, action, resource or a
/// condition), else how its principal covers the caller (`Directly` for a statement without one).
fn coverage(statement: &Statement, request: &Request<'_>) -> Covered {
    let covered = match &statement.principal {
        Some(principal) => principal_coverage(principal, request),
        None => Covered::Directly,
    };
    let applies = covered != Covered::No
        && covers(&statement.action, request.action, true)
        && statement.resource.as_ref().is_none_or(|resource| covers(resource, request.resource, false))
        && statement.conditions.iter().all(|condition| condition.holds(request.context));
    if applies {
        covered
    } else {
        Covered::No
    }
}

/// What one document says of a request: whether a `Deny` applies, and how an `Allow` covers the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Verdict {
    denied: bool,
    allowed_directly: bool,
    allowed_through_account: bool,
}

fn verdict(document: &PolicyDocument, request: &Request<'_>) -> Verdict {
    let mut verdict = Verdict::default();
    for statement in &document.statements {
        match (statement.effect, coverage(statement, request)) {
            (_, Covered::No) => {}
            (Effect::Deny, _) => verdict.denied = true,
            (Effect::Allow, Covered::Directly) => verdict.allowed_directly = true,
            (Effect::Allow, Covered::ThroughAccount) => verdict.allowed_through_account = true,
        }
    }
    verdict
}

impl PolicyDocument {
    /// What this document alone decides of `request`.
    pub fn decide(&self, request: &Request<'_>) -> Decision {
        let verdict = verdict(self, request);
        if verdict.denied {
            Decision::Deny
        } else if verdict.allowed_directly || verdict.allowed_through_account {
            Decision::Allow
        } else {
            Decision::NotApplicable
        }
    }
}

impl PolicyDocument {
    /// True when this key policy lets the root user of `account` do every `kms:` action whatever the request says: no
    /// statement denies anything, and one allows that account (by ID, by its root user's ARN, or as everyone) `kms:*`
    /// on every resource without a condition. AWS's default key policy is such a policy; a caller can then skip the
    /// evaluation, whose answer is known.
    pub fn allows_root_everything(&self, account: &str) -> bool {
        let names_root = |entry: &String| {
            entry == account
                || entry
                    .strip_suffix(":root")
                    .and_then(|head| head.rsplit_once(':'))
                    .is_some_and(|(arn, id)| id == account && arn.starts_with("arn:") && arn.ends_with(":iam:"))
        };
        self.statements.iter().all(|statement| statement.effect == Effect::Allow)
            && self.statements.iter().any(|statement| {
                statement.conditions.is_empty()
                    && !statement.action.negated
                    && statement.action.values.iter().any(|action| action == "kms:*" || action == "*")
                    && statement
                        .resource
                        .as_ref()
                        .is_none_or(|resource| !resource.negated && resource.values.iter().any(|value| value == "*"))
                    && statement.principal.as_ref().is_some_and(|principal| {
                        !principal.negated
                            && match &principal.values {
                                Principals::Everyone => true,
                                Principals::Listed { aws } => aws.iter().any(names_root),
                            }
                    })
            })
    }
}

/// What KMS weighs for one request on one key.
#[derive(Debug, Clone, Copy)]
pub struct KeyAccess<'a> {
    /// The key policy.
    pub key_policy: &'a PolicyDocument,
    /// The account that owns the key.
    pub key_account: &'a str,
    /// The identity policies of the caller (of its own account).
    pub identity_policies: &'a [PolicyDocument],
    /// Whether a live grant gives the caller this operation on the key (with its constraints met).
    pub granted: bool,
}

/// Why KMS refuses a request it does not allow, as AWS's `AccessDeniedException` messages tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A `Deny` in the key policy applies: "with an explicit deny in a resource-based policy".
    DeniedByResourcePolicy,
    /// A `Deny` in an identity policy applies: "with an explicit deny in an identity-based policy".
    DeniedByIdentityPolicy,
    /// The key policy delegates to identity policies, and none allows: "because no identity-based policy allows".
    NotAllowedByIdentityPolicy,
    /// Nothing in the key policy covers the caller: "because no resource-based policy allows".
    NotAllowedByResourcePolicy,
}

/// Why KMS refuses `request`, for one that [`kms_decision`] does not allow.
pub fn kms_refusal(access: &KeyAccess<'_>, request: &Request<'_>) -> Refusal {
    let key = verdict(access.key_policy, request);
    if key.denied {
        return Refusal::DeniedByResourcePolicy;
    }
    let identities: Vec<Verdict> = access.identity_policies.iter().map(|policy| verdict(policy, request)).collect();
    if identities.iter().any(|verdict| verdict.denied) {
        Refusal::DeniedByIdentityPolicy
    } else if key.allowed_through_account || (key.allowed_directly && request.account != access.key_account) {
        Refusal::NotAllowedByIdentityPolicy
    } else {
        Refusal::NotAllowedByResourcePolicy
    }
}

/// What a caller's identity policies alone decide of `request` (an action no key policy governs, such as
/// `kms:CreateKey` or `kms:ListKeys`): the root user may do everything; anyone else needs an `Allow` and no `Deny`.
pub fn identity_decision(identity_policies: &[PolicyDocument], request: &Request<'_>) -> Decision {
    let decisions: Vec<Decision> = identity_policies.iter().map(|policy| policy.decide(request)).collect();
    if decisions.contains(&Decision::Deny) {
        Decision::Deny
    } else if request.is_root() || decisions.contains(&Decision::Allow) {
        Decision::Allow
    } else {
        Decision::NotApplicable
    }
}

/// KMS's decision on `request` (see the module's documentation): `Allow`, or `Deny` (explicit) or `NotApplicable`
/// (nothing allows it), both refusals.
pub fn kms_decision(access: &KeyAccess<'_>, request: &Request<'_>) -> Decision {
    let key = verdict(access.key_policy, request);
    let mut identity = Verdict::default();
    for policy in access.identity_policies {
        let one = verdict(policy, request);
        identity.denied |= one.denied;
        identity.allowed_directly |= one.allowed_directly || one.allowed_through_account;
    }
    if key.denied || identity.denied {
        return Decision::Deny;
    }
    // The root user has every permission its account's identity policies could give.
    let identity_allows = request.is_root() || identity.allowed_directly;
    let same_account = request.account == access.key_account;
    let key_allows = if same_account {
        key.allowed_directly || (key.allowed_through_account && identity_allows)
    } else {
        (key.allowed_directly || key.allowed_through_account) && identity_allows
    };
    if key_allows || access.granted {
        Decision::Allow
    } else {
        Decision::NotApplicable
    }
}
