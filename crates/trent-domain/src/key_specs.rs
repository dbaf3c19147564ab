//! Which key usages AWS KMS allows with each key spec (the model's CreateKey `KeyUsage` documentation): the one
//! table of valid pairs. Whether Trent has built a pair yet is a separate question ([`crate::KeySpec::parse`]).

/// The key usages a key spec may be created with, or `None` for a name that is not a key spec.
pub fn usages_for(spec: &str) -> Option<&'static [&'static str]> {
    const ENCRYPT: &str = "ENCRYPT_DECRYPT";
    const SIGN: &str = "SIGN_VERIFY";
    const MAC: &str = "GENERATE_VERIFY_MAC";
    const AGREE: &str = "KEY_AGREEMENT";
    const ENCAPSULATE: &str = "ENCAPSULATE_DECAPSULATE";
    let usages: &'static [&'static str] = match spec {
        "SYMMETRIC_DEFAULT" => &[ENCRYPT],
        // Alibaba Cloud's, made only through its API: the AWS API's enum check refuses these names first.
        "Aliyun_AES_128" | "Aliyun_AES_192" => &[ENCRYPT],
        "HMAC_224" | "HMAC_256" | "HMAC_384" | "HMAC_512" => &[MAC],
        "RSA_2048" | "RSA_3072" | "RSA_4096" => &[ENCRYPT, SIGN],
        "ECC_NIST_P256" | "ECC_NIST_P384" | "ECC_NIST_P521" => &[SIGN, AGREE],
        "ECC_SECG_P256K1" | "ECC_NIST_EDWARDS25519" | "ML_DSA_44" | "ML_DSA_65" | "ML_DSA_87" => &[SIGN],
        "ML_KEM_512" | "ML_KEM_768" | "ML_KEM_1024" => &[ENCAPSULATE],
        "SM2" => &[ENCRYPT, SIGN, AGREE],
        _ => return None,
    };
    Some(usages)
}

/// True when a key of `spec` may have `usage`.
pub fn allows(spec: &str, usage: &str) -> bool {
    usages_for(spec).is_some_and(|usages| usages.contains(&usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_allows_exactly_its_usages() {
        assert!(allows("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"));
        assert!(!allows("SYMMETRIC_DEFAULT", "SIGN_VERIFY"));
        assert!(allows("HMAC_384", "GENERATE_VERIFY_MAC") && !allows("HMAC_384", "ENCRYPT_DECRYPT"));
        assert!(
            allows("RSA_4096", "ENCRYPT_DECRYPT")
                && allows("RSA_4096", "SIGN_VERIFY")
                && !allows("RSA_4096", "KEY_AGREEMENT")
        );
        assert!(allows("ECC_NIST_P521", "KEY_AGREEMENT") && !allows("ECC_NIST_P256", "ENCRYPT_DECRYPT"));
        assert!(allows("ECC_SECG_P256K1", "SIGN_VERIFY") && !allows("ECC_SECG_P256K1", "KEY_AGREEMENT"));
        assert!(allows("ML_KEM_768", "ENCAPSULATE_DECAPSULATE") && !allows("ML_DSA_65", "ENCAPSULATE_DECAPSULATE"));
        assert_eq!(usages_for("AES_256"), None);
    }
}
