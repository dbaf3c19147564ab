//! Identifiers with their well-formedness rules: key IDs, account IDs, region names and alias names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A key's identifier: a lowercase hyphenated UUID, as AWS KMS uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(uuid::Uuid);

impl KeyId {
    /// A fresh random key ID.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// A fresh random multi-Region key ID (`mrk-` and 32 hexadecimal digits): its 16 bytes are a UUID whose version
    /// field says 8 (RFC 9562's vendor-specific version) where a single-Region key's says 4, so the bytes in a
    /// ciphertext's header tell which kind of key made it.
    pub fn generate_multi_region() -> Self {
        let mut bytes = *uuid::Uuid::new_v4().as_bytes();
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        Self(uuid::Uuid::from_bytes(bytes))
    }

    /// True for a multi-Region key's ID.
    pub fn is_multi_region(&self) -> bool {
        self.0.get_version_num() == 8
    }

    /// Parses a key ID as AWS prints it: the hyphenated UUID form (`1234abcd-12ab-34cd-56ef-1234567890ab`) of a
    /// single-Region key, or `mrk-` and 32 hexadecimal digits of a multi-Region key Trent could have made; anything
    /// else is `None` (a well-formed `mrk-` ID of another kind names no key here, see [`is_multi_region_key_id`]).
    pub fn parse(text: &str) -> Option<Self> {
        if is_multi_region_key_id(text) {
            let hex = text.get(4..)?;
            let id = uuid::Uuid::try_parse(hex).ok().map(Self)?;
            return id.is_multi_region().then_some(id);
        }
        if text.len() != 36 {
            return None;
        }
        uuid::Uuid::try_parse(text).ok().map(Self).filter(|id| !id.is_multi_region())
    }

    /// The 16 raw bytes, as stored inside ciphertext blobs.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// Rebuilds a key ID from the 16 raw bytes of a ciphertext blob.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(uuid::Uuid::from_bytes(bytes))
    }

    /// The key ID in 16 raw bytes if [`KeyId::generate`] could have made it (a random, version 4 UUID), so that
    /// bytes that only look like a blob's header are told apart from it 63 times in 64.
    pub fn from_generated_bytes(bytes: [u8; 16]) -> Option<Self> {
        let id = uuid::Uuid::from_bytes(bytes);
        (matches!(id.get_version_num(), 4 | 8) && id.get_variant() == uuid::Variant::RFC4122).then_some(Self(id))
    }
}

/// True for a multi-Region key ID as AWS writes it: `mrk-` and 32 lowercase hexadecimal digits. Such an ID is
/// well-formed everywhere a key ID is (AWS answers "does not exist" for an unknown one, not "Invalid keyId"); only one
/// [`KeyId::generate_multi_region`] made names a key here.
pub fn is_multi_region_key_id(text: &str) -> bool {
    text.strip_prefix("mrk-")
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_multi_region() {
            write!(f, "mrk-{}", self.0.simple())
        } else {
            write!(f, "{}", self.0.hyphenated())
        }
    }
}

/// A 12-digit AWS account ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountId(String);

impl AccountId {
    /// Accepts exactly twelve ASCII digits.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())).then(|| Self(text.to_owned()))
    }

    /// The account ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A region name: AWS's (`us-east-1`, `us-gov-west-1`) or Alibaba Cloud's (`cn-hangzhou`, `ap-southeast-1`). A region
/// is the same string on both APIs, so a key made through Alibaba's API in `cn-hangzhou` is the key an AWS client
/// configured for `cn-hangzhou` sees.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Region(String);

impl Region {
    /// Accepts the shape of AWS region names: lowercase partition words separated by hyphens, ending in a number
    /// (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`, and Alibaba's
    /// `cn-shanghai-finance-1`), and Alibaba's mainland regions, which end in a city instead (`cn-hangzhou`,
    /// `cn-zhangjiakou`).
    pub fn parse(text: &str) -> Option<Self> {
        let parts: Vec<&str> = text.split('-').collect();
        if let ["cn", city] = parts.as_slice() {
            let is_city = (2..=16).contains(&city.len()) && city.bytes().all(|b| b.is_ascii_lowercase());
            return is_city.then(|| Self(text.to_owned()));
        }
        let (last, words) = parts.split_last()?;
        let well_formed = (2..=4).contains(&words.len())
            && words.iter().all(|w| !w.is_empty() && w.len() <= 16 && w.bytes().all(|b| b.is_ascii_lowercase()))
            && !last.is_empty()
            && last.len() <= 2
            && last.bytes().all(|b| b.is_ascii_digit());
        well_formed.then(|| Self(text.to_owned()))
    }

    /// The region name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why an alias name was refused; each reason has its own AWS message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasNameError {
    /// The name does not start with `alias/` or has nothing after it.
    MissingPrefix,
    /// The name uses the `alias/aws/` prefix, which AWS reserves for AWS managed keys.
    Reserved,
    /// The name has a character outside `a-zA-Z0-9/_-` or is longer than 256 characters.
    BadCharacters,
}

/// An alias name, always starting with `alias/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AliasName(String);

impl AliasName {
    /// Parses any well-formed alias name, including the reserved `alias/aws/` ones (they can be looked up).
    pub fn parse(text: &str) -> Result<Self, AliasNameError> {
        let Some(rest) = text.strip_prefix("alias/") else {
            return Err(AliasNameError::MissingPrefix);
        };
        if rest.is_empty() {
            return Err(AliasNameError::MissingPrefix);
        }
        if text.len() > 256 || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-')) {
            return Err(AliasNameError::BadCharacters);
        }
        Ok(Self(text.to_owned()))
    }

    /// Parses a name a customer may create: well-formed and outside the reserved `alias/aws/` space.
    pub fn parse_customer(text: &str) -> Result<Self, AliasNameError> {
        let name = Self::parse(text)?;
        if name.is_reserved() {
            return Err(AliasNameError::Reserved);
        }
        Ok(name)
    }

    /// True for names under `alias/aws/`, which belong to AWS managed keys, and `alias/acs/`, which belong to
    /// Alibaba Cloud's service keys: one key store serves both clouds' APIs, so each cloud's reserved names are
    /// reserved on both.
    pub fn is_reserved(&self) -> bool {
        self.0.starts_with("alias/aws/") || self.0.starts_with("alias/acs/")
    }

    /// The alias name as text, with its `alias/` prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_accepts_only_hyphenated_uuids() {
        let id = KeyId::generate();
        assert_eq!(KeyId::parse(&id.to_string()), Some(id));
        assert_eq!(KeyId::parse("1234abcd12ab34cd56ef1234567890ab"), None);
        assert_eq!(KeyId::parse("not-a-key"), None);
        assert_eq!(KeyId::from_bytes(*id.as_bytes()), id);
        assert_eq!(KeyId::from_generated_bytes(*id.as_bytes()), Some(id));
        assert_eq!(KeyId::from_generated_bytes([0; 16]), None, "not a version 4 UUID");
    }

    #[test]
    fn a_multi_region_key_id_prints_as_mrk_and_parses_back_only_in_that_form() {
        let id = KeyId::generate_multi_region();
        let text = id.to_string();
        assert!(is_multi_region_key_id(&text), "{text}");
        assert_eq!(KeyId::parse(&text), Some(id));
        assert_eq!(KeyId::parse(&uuid::Uuid::from_bytes(*id.as_bytes()).hyphenated().to_string()), None);
        assert_eq!(KeyId::from_generated_bytes(*id.as_bytes()), Some(id));
        assert_eq!(KeyId::parse("mrk-d3b95762d3b95762d3b95762d3b95762"), None, "not one Trent made");
        let single = KeyId::generate();
        assert!(!single.is_multi_region() && KeyId::parse(&single.to_string()) == Some(single));
    }

    #[test]
    fn multi_region_ids_are_mrk_and_32_lowercase_hex_digits() {
        assert!(is_multi_region_key_id("mrk-d3b95762d3b95762d3b95762d3b95762"));
        for bad in [
            "mrk-fake-key-id",
            "mrk-D3B95762D3B95762D3B95762D3B95762",
            "mrk-d3b95762d3b95762d3b95762d3b9576",
            "d3b95762d3b95762d3b95762d3b95762",
        ] {
            assert!(!is_multi_region_key_id(bad), "{bad}");
        }
    }

    #[test]
    fn region_names_follow_aws_and_alibaba_shapes() {
        let alibaba = ["cn-hangzhou", "cn-zhangjiakou", "cn-shanghai-finance-1", "ap-southeast-1"];
        for good in
            ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "ap-southeast-5"].into_iter().chain(alibaba)
        {
            assert!(Region::parse(good).is_some(), "{good}");
        }
        let bad_alibaba = ["cn-", "cn-Hangzhou", "cn-hang1", "eu-hangzhou"];
        for bad in ["", "us", "US-EAST-1", "us-east", "us-east-x", "us_east_1", "-east-1", "us--1"]
            .into_iter()
            .chain(bad_alibaba)
        {
            assert!(Region::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(AccountId::parse("111122223333").is_some());
        assert!(AccountId::parse("11112222333").is_none());
        assert!(AccountId::parse("11112222333x").is_none());
    }

    #[test]
    fn alias_names_need_prefix_and_allowed_characters() {
        assert!(AliasName::parse("alias/orders-db_1/x").is_ok());
        assert_eq!(AliasName::parse("orders"), Err(AliasNameError::MissingPrefix));
        assert_eq!(AliasName::parse("alias/"), Err(AliasNameError::MissingPrefix));
        assert_eq!(AliasName::parse("alias/a b"), Err(AliasNameError::BadCharacters));
        assert_eq!(AliasName::parse_customer("alias/aws/s3"), Err(AliasNameError::Reserved));
        assert!(AliasName::parse("alias/aws/s3").is_ok());
    }
}
