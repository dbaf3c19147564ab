//! The Alibaba Cloud KMS API (RPC style, version `2016-01-20`), as Alibaba's official SDKs speak it
//! (`../shared/reference/alibaba-kms-api.md` holds the wire facts, read out of both official Python SDKs). So far:
//! verifying both request signatures those SDKs send ([`signature`]) and believing a request ([`auth`]: version, time
//! window, body hash, nonce) and its refusals as Alibaba answers them ([`error`]); the listener and the operations
//! build on them.
#![warn(missing_docs)]

pub mod auth;
pub mod error;
pub mod signature;
