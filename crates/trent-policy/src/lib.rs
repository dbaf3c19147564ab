//! IAM policy documents (the JSON of key policies and of identity policies) and their evaluation, as AWS documents
//! it for KMS: which statements apply to a request (principal, action, resource, conditions), what one document
//! decides, and how KMS combines the key policy, the identity policies it delegates to and grants.
//!
//! Nothing here performs I/O or knows Trent's keys: callers describe a request as a [`Request`] and get a decision.
#![warn(missing_docs)]

pub mod access;
pub mod condition;
pub mod document;
pub mod evaluate;
pub mod pattern;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod table;

pub use access::KMS_KEY_ACTIONS;
pub use condition::RequestContext;
pub use document::{PolicyDocument, PolicyError};
pub use evaluate::{identity_decision, kms_decision, kms_refusal, Decision, KeyAccess, Refusal, Request};
