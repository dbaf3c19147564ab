//! The ARN format of KMS keys and aliases: `arn:<partition>:kms:<region>:<account>:key/<id>` and `…:alias/<name>`.
//! This is the one place that builds or parses them.

use std::fmt;

use crate::ids::{is_multi_region_key_id, AccountId, AliasName, KeyId, Region};

/// What an ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnResource {
    /// `key/<key id>`
    Key(KeyId),
    /// `alias/<name>`
    Alias(AliasName),
    /// `key/mrk-<32 hex digits>`: a multi-Region key ID, well-formed but naming no key Trent holds yet.
    MultiRegionKey(String),
}

/// A parsed KMS ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    /// The partition: `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    /// The region the resource lives in.
    pub region: Region,
    /// The owning account.
    pub account: AccountId,
    /// The key or alias named.
    pub resource: ArnResource,
}

/// Why a string that starts like an ARN is not a KMS ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidArn;

impl Arn {
    /// The ARN of a key.
    pub fn key(region: &Region, account: &AccountId, key_id: KeyId) -> Self {
        Self {
            partition: partition_of(region).to_owned(),
            region: region.clone(),
            account: account.clone(),
            resource: ArnResource::Key(key_id),
        }
    }

    /// The ARN of a multi-Region key ID in this region and account (see [`is_multi_region_key_id`]).
    pub fn multi_region_key(region: &Region, account: &AccountId, key_id: &str) -> Self {
        Self {
            partition: partition_of(region).to_owned(),
            region: region.clone(),
            account: account.clone(),
            resource: ArnResource::MultiRegionKey(key_id.to_owned()),
        }
    }

    /// The ARN of an alias.
    pub fn alias(region: &Region, account: &AccountId, name: &AliasName) -> Self {
        Self {
            partition: partition_of(region).to_owned(),
            region: region.clone(),
            account: account.clone(),
            resource: ArnResource::Alias(name.clone()),
        }
    }

    /// Parses `arn:…:kms:…`. Callers decide beforehand that the text is meant as an ARN (it starts with `arn:`).
    pub fn parse(text: &str) -> Result<Self, InvalidArn> {
        let mut parts = text.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("kms"), Some(region), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(InvalidArn);
        };
        if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
            return Err(InvalidArn);
        }
        let region = Region::parse(region).ok_or(InvalidArn)?;
        let account = AccountId::parse(account).ok_or(InvalidArn)?;
        let resource = if let Some(id) = resource.strip_prefix("key/") {
            match KeyId::parse(id) {
                Some(id) => ArnResource::Key(id),
                None if is_multi_region_key_id(id) => ArnResource::MultiRegionKey(id.to_owned()),
                None => return Err(InvalidArn),
            }
        } else if resource.starts_with("alias/") {
            ArnResource::Alias(AliasName::parse(resource).map_err(|_| InvalidArn)?)
        } else {
            return Err(InvalidArn);
        };
        Ok(Self { partition: partition.to_owned(), region, account, resource })
    }
}

/// The partition a region belongs to, as botocore's partition table decides (`aws-cn` is `^cn\-\w+\-\d+$`): AWS's
/// China regions (`cn-north-1`) are `aws-cn`; Alibaba's mainland regions (`cn-hangzhou`, `cn-shanghai-finance-1`)
/// match no partition's pattern, and an AWS SDK signs for them in `aws`, the default.
fn partition_of(region: &Region) -> &'static str {
    let name = region.as_str();
    let parts: Vec<&str> = name.split('-').collect();
    if matches!(parts.as_slice(), ["cn", _, number] if number.bytes().all(|b| b.is_ascii_digit())) {
        "aws-cn"
    } else if name.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arn:{}:kms:{}:{}:", self.partition, self.region, self.account)?;
        match &self.resource {
            ArnResource::Key(id) => write!(f, "key/{id}"),
            ArnResource::Alias(name) => f.write_str(name.as_str()),
            ArnResource::MultiRegionKey(id) => write!(f, "key/{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_arn_round_trips() {
        let region = Region::parse("eu-west-1").unwrap();
        let account = AccountId::parse("111122223333").unwrap();
        let id = KeyId::generate();
        let arn = Arn::key(&region, &account, id);
        assert_eq!(arn.to_string(), format!("arn:aws:kms:eu-west-1:111122223333:key/{id}"));
        assert_eq!(Arn::parse(&arn.to_string()), Ok(arn));
    }

    #[test]
    fn alias_arn_round_trips_and_names_partition() {
        let region = Region::parse("cn-north-1").unwrap();
        let account = AccountId::parse("111122223333").unwrap();
        let name = AliasName::parse("alias/orders").unwrap();
        let arn = Arn::alias(&region, &account, &name);
        assert_eq!(arn.to_string(), "arn:aws-cn:kms:cn-north-1:111122223333:alias/orders");
        assert_eq!(Arn::parse(&arn.to_string()), Ok(arn));
        // Alibaba's mainland regions are no AWS China region: botocore signs for them in `aws`.
        let hangzhou = Region::parse("cn-hangzhou").unwrap();
        assert!(Arn::alias(&hangzhou, &account, &name).to_string().starts_with("arn:aws:kms:cn-hangzhou:"));
    }

    #[test]
    fn malformed_arns_are_refused() {
        for bad in [
            "arn:aws:kms",
            "arn:aws:s3:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:111122223333:key/nope",
            "arn:aws:kms:us-east-1:111122223333:grant/x",
            "arn:other:kms:us-east-1:111122223333:alias/x",
        ] {
            assert_eq!(Arn::parse(bad), Err(InvalidArn), "{bad}");
        }
    }
}
