//! How Alibaba's API names what the one key store holds: key and alias ARNs (`acs:kms:<region>:<uid>:key/<id>`), key
//! specs and usages (`Aliyun_AES_256`, `ENCRYPT/DECRYPT`), origins, and key version IDs. Sources:
//! `alibaba-kms-api.md` §3.1 (ARNs, fields) and §4 (specs, usages, origins).

use trent_domain::{AccountId, Arn, KeyId, KeySpec, KeyUsage, Origin, Region};

/// A key's ARN as Alibaba writes it.
pub fn key_arn(region: &Region, account: &AccountId, id: KeyId) -> String {
    format!("acs:kms:{region}:{account}:key/{id}")
}

/// An alias's ARN as Alibaba writes it: the name without its `alias/` prefix.
pub fn alias_arn(region: &Region, account: &AccountId, alias_name: &str) -> String {
    format!("acs:kms:{region}:{account}:alias/{}", alias_name.strip_prefix("alias/").unwrap_or(alias_name))
}

/// What a `KeyId` parameter names, for the service: an Alibaba key ARN becomes the service's own ARN of that key
/// (so that region and account are checked by the one resolver); a key ID or alias name, or anything else, passes as
/// it is (and the service finds no such key).
pub fn key_reference(text: &str) -> String {
    service_key_arn(text).unwrap_or_else(|| text.to_owned())
}

/// The service's ARN of the key an Alibaba key ARN (`acs:kms:<region>:<uid>:key/<id>`) names.
pub fn service_key_arn(text: &str) -> Option<String> {
    let mut parts = text.strip_prefix("acs:kms:")?.splitn(3, ':');
    let (region, account, resource) = (parts.next()?, parts.next()?, parts.next()?);
    let id = KeyId::parse(resource.strip_prefix("key/")?)?;
    Some(Arn::key(&Region::parse(region)?, &AccountId::parse(account)?, id).to_string())
}

/// Alibaba's key specs and the service's: (Alibaba's name, Trent's spec). AES-256 is AWS's symmetric default.
const KEY_SPECS: [(&str, KeySpec); 7] = [
    ("Aliyun_AES_256", KeySpec::SymmetricDefault),
    ("Aliyun_AES_128", KeySpec::Aes128),
    ("Aliyun_AES_192", KeySpec::Aes192),
    ("RSA_2048", KeySpec::Rsa2048),
    ("RSA_3072", KeySpec::Rsa3072),
    ("EC_P256", KeySpec::EccNistP256),
    ("EC_P256K", KeySpec::EccSecgP256k1),
];

/// Key specs Alibaba documents that Trent does not build: SM4 and SM2, which aws-lc (Trent's one cryptography library)
/// does not implement.
pub const UNSUPPORTED_KEY_SPECS: [&str; 2] = ["Aliyun_SM4", "EC_SM2"];

/// The service's spec for Alibaba's name.
pub fn key_spec(name: &str) -> Option<KeySpec> {
    KEY_SPECS.iter().find(|(alibaba, _)| *alibaba == name).map(|(_, spec)| *spec)
}

/// Alibaba's name for a spec; a spec Alibaba has no name for (HMAC, ML-DSA, …, made through AWS's API) keeps AWS's.
pub fn key_spec_name(spec: KeySpec) -> &'static str {
    KEY_SPECS.iter().find(|(_, s)| *s == spec).map_or(spec.as_str(), |(alibaba, _)| alibaba)
}

/// The service's usage for Alibaba's name.
pub fn key_usage(name: &str) -> Option<KeyUsage> {
    match name {
        "ENCRYPT/DECRYPT" => Some(KeyUsage::EncryptDecrypt),
        "SIGN/VERIFY" => Some(KeyUsage::SignVerify),
        _ => None,
    }
}

/// Alibaba's name for a usage; one Alibaba has no name for keeps AWS's.
pub fn key_usage_name(usage: KeyUsage) -> &'static str {
    match usage {
        KeyUsage::EncryptDecrypt => "ENCRYPT/DECRYPT",
        KeyUsage::SignVerify => "SIGN/VERIFY",
        other => other.as_str(),
    }
}

/// Alibaba's name for an origin.
pub fn origin_name(origin: Origin) -> &'static str {
    match origin {
        Origin::AwsKms => "Aliyun_KMS",
        Origin::External => "EXTERNAL",
    }
}

/// The ID of version `material_version` of a key (its first material is version 0, each rotation makes one more): a
/// UUID derived from the key ID and the version, so that it is stable, unique and needs nothing stored. Version 8
/// (RFC 9562's vendor-specific form).
pub fn key_version_id(id: KeyId, material_version: u32) -> String {
    let ordinal = u64::from(material_version) + 1;
    let digest = trent_sigv4::sha256_hex(format!("trent key version {ordinal} of {id}").as_bytes());
    let mut hex: Vec<u8> = digest.into_bytes();
    hex.truncate(32);
    if let Some(version) = hex.get_mut(12) {
        *version = b'8';
    }
    if let Some(variant) = hex.get_mut(16) {
        // 10xx: the RFC's variant.
        *variant = match *variant {
            b'0'..=b'3' => b'8',
            b'4'..=b'7' => b'9',
            b'8' | b'9' | b'a' | b'b' => *variant,
            _ => b'a',
        };
    }
    let text = String::from_utf8_lossy(&hex).into_owned();
    let part = |range: std::ops::Range<usize>| text.get(range).unwrap_or_default().to_owned();
    format!("{}-{}-{}-{}-{}", part(0..8), part(8..12), part(12..16), part(16..20), part(20..32))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn arns_read_as_alibaba_writes_them() {
        let region = Region::parse("cn-hangzhou").unwrap();
        let account = AccountId::parse("111122223333").unwrap();
        let id = KeyId::generate();
        assert_eq!(key_arn(&region, &account, id), format!("acs:kms:cn-hangzhou:111122223333:key/{id}"));
        assert_eq!(alias_arn(&region, &account, "alias/app"), "acs:kms:cn-hangzhou:111122223333:alias/app");
        assert_eq!(
            key_reference(&key_arn(&region, &account, id)),
            format!("arn:aws:kms:cn-hangzhou:111122223333:key/{id}")
        );
        assert_eq!(key_reference("alias/app"), "alias/app");
        assert_eq!(
            key_reference("acs:kms:cn-hangzhou:111122223333:key/nope"),
            "acs:kms:cn-hangzhou:111122223333:key/nope"
        );
    }

    #[test]
    fn specs_and_usages_translate_both_ways() {
        for (name, spec) in KEY_SPECS {
            assert_eq!(key_spec(name), Some(spec));
            assert_eq!(key_spec_name(spec), name);
        }
        assert_eq!(key_spec_name(KeySpec::Hmac256), "HMAC_256");
        assert_eq!(key_usage("ENCRYPT/DECRYPT").map(key_usage_name), Some("ENCRYPT/DECRYPT"));
        assert_eq!(key_usage("SIGN/VERIFY").map(key_usage_name), Some("SIGN/VERIFY"));
        assert_eq!(key_usage("ENCRYPT_DECRYPT"), None);
    }

    #[test]
    fn a_key_version_id_is_a_stable_uuid_of_its_own() {
        let id = KeyId::generate();
        let version = key_version_id(id, 0);
        let parsed = uuid_shape(&version);
        assert!(parsed, "{version}");
        assert_eq!(version, key_version_id(id, 0));
        assert_ne!(version, key_version_id(id, 1), "each material has its own");
        assert_ne!(version, key_version_id(KeyId::generate(), 0));
        assert_ne!(version, id.to_string());
    }

    fn uuid_shape(text: &str) -> bool {
        let groups: Vec<&str> = text.split('-').collect();
        groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && text.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit())
            && text.as_bytes()[14] == b'8'
    }
}
