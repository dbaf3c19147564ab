//! The Alibaba Cloud KMS API (RPC style, version `2016-01-20`), as Alibaba's official SDKs speak it
//! (`../shared/reference/alibaba-kms-api.md` holds the wire facts, read out of both official Python SDKs), over the
//! same key service as the AWS API: verifying both request signatures ([`signature`]), believing a request ([`auth`]:
//! version, time window, body hash, nonce), reading its parameters ([`params`]), running the operation ([`ops`]) and
//! answering with Alibaba's shapes ([`shapes`], [`names`]) and errors ([`error`]). The HTTP listener is
//! `trent-server`'s.
#![warn(missing_docs)]

pub mod auth;
pub mod error;
pub mod names;
pub mod ops;
pub mod params;
pub mod shapes;
pub mod signature;
