//! Asymmetric key pairs in general: generating a private key of a spec as a PKCS #8 document (how a KMS key's pair is
//! sealed at rest, and what GenerateDataKeyPair hands out; ML-KEM keys, which have no PKCS #8 form here, are in
//! [`crate::kem`]), the curve, modulus or parameter set of each spec, and public keys as DER SubjectPublicKeyInfo.

use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, Ed25519KeyPair, KeyPair, PqdsaKeyPair,
    PqdsaSigningAlgorithm, PqdsaVerificationAlgorithm,
};
use trent_domain::KeySpec;
use zeroize::Zeroizing;

use crate::CryptoError;

/// The aws-lc-rs ML-DSA parameter set of a spec, for signing and verifying; `None` for any other spec.
pub(crate) fn ml_dsa(spec: KeySpec) -> Option<(&'static PqdsaSigningAlgorithm, &'static PqdsaVerificationAlgorithm)> {
    match spec {
        KeySpec::MlDsa44 => Some((&signature::ML_DSA_44_SIGNING, &signature::ML_DSA_44)),
        KeySpec::MlDsa65 => Some((&signature::ML_DSA_65_SIGNING, &signature::ML_DSA_65)),
        KeySpec::MlDsa87 => Some((&signature::ML_DSA_87_SIGNING, &signature::ML_DSA_87)),
        _ => None,
    }
}

/// The aws-lc-rs ECDSA algorithms of an ECC spec (the curve with the hash AWS pairs it with) and that hash.
pub(crate) fn ecdsa_algorithms(
    spec: KeySpec,
) -> Result<
    (&'static EcdsaSigningAlgorithm, &'static EcdsaVerificationAlgorithm, &'static digest::Algorithm),
    CryptoError,
> {
    match spec {
        KeySpec::EccNistP256 => {
            Ok((&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &signature::ECDSA_P256_SHA256_ASN1, &digest::SHA256))
        }
        KeySpec::EccNistP384 => {
            Ok((&signature::ECDSA_P384_SHA384_ASN1_SIGNING, &signature::ECDSA_P384_SHA384_ASN1, &digest::SHA384))
        }
        KeySpec::EccNistP521 => {
            Ok((&signature::ECDSA_P521_SHA512_ASN1_SIGNING, &signature::ECDSA_P521_SHA512_ASN1, &digest::SHA512))
        }
        KeySpec::EccSecgP256k1 => {
            Ok((&signature::ECDSA_P256K1_SHA256_ASN1_SIGNING, &signature::ECDSA_P256K1_SHA256_ASN1, &digest::SHA256))
        }
        _ => Err(CryptoError::Library("not an elliptic-curve key spec")),
    }
}

/// A fresh private key of an RSA, ECC, Ed25519 or ML-DSA `spec`, as an unencrypted PKCS #8 document.
pub fn generate_private_key(spec: KeySpec) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let failed = |_| CryptoError::Library("key pair generation");
    if spec == KeySpec::EccNistEdwards25519 {
        let pair = Ed25519KeyPair::generate().map_err(failed)?;
        return Ok(Zeroizing::new(pair.to_pkcs8v1().map_err(failed)?.as_ref().to_vec()));
    }
    if let Some((signing, _)) = ml_dsa(spec) {
        let pair = PqdsaKeyPair::generate(signing).map_err(failed)?;
        return Ok(Zeroizing::new(pair.to_pkcs8v1().map_err(failed)?.as_ref().to_vec()));
    }
    let document = match spec.rsa_bits() {
        Some(bits) => {
            let size = match bits {
                2048 => rsa::KeySize::Rsa2048,
                3072 => rsa::KeySize::Rsa3072,
                _ => rsa::KeySize::Rsa4096,
            };
            let pair = rsa::KeyPair::generate(size).map_err(failed)?;
            let der = pair.as_der().map_err(failed)?;
            Zeroizing::new(der.as_ref().to_vec())
        }
        None => {
            let (signing, _, _) = ecdsa_algorithms(spec)?;
            let pair = EcdsaKeyPair::generate(signing).map_err(failed)?;
            Zeroizing::new(pair.to_pkcs8v1().map_err(failed)?.as_ref().to_vec())
        }
    };
    Ok(document)
}

/// The public key of a PKCS #8 document of `spec`, as DER SubjectPublicKeyInfo.
pub fn public_key_of(spec: KeySpec, document: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let rejected = |_| CryptoError::Library("PKCS #8 key of another spec");
    if let Some((signing, _)) = ml_dsa(spec) {
        return public_key_der(PqdsaKeyPair::from_pkcs8(signing, document).map_err(rejected)?.public_key());
    }
    if spec == KeySpec::EccNistEdwards25519 {
        return public_key_der(Ed25519KeyPair::from_pkcs8(document).map_err(rejected)?.public_key());
    }
    match spec.rsa_bits() {
        Some(_) => public_key_der(rsa::KeyPair::from_pkcs8(document).map_err(rejected)?.public_key()),
        None => {
            let (signing, _, _) = ecdsa_algorithms(spec)?;
            public_key_der(EcdsaKeyPair::from_pkcs8(signing, document).map_err(rejected)?.public_key())
        }
    }
}

/// A public key as DER SubjectPublicKeyInfo.
pub(crate) fn public_key_der<'a>(key: &impl AsDer<PublicKeyX509Der<'a>>) -> Result<Vec<u8>, CryptoError> {
    let der = key.as_der().map_err(|_| CryptoError::Library("public key encoding"))?;
    Ok(der.as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_private_keys_have_their_specs_size() {
        for (spec, public_len) in
            [(KeySpec::Rsa2048, 294), (KeySpec::Rsa4096, 550), (KeySpec::EccNistP256, 91), (KeySpec::EccNistP521, 158)]
        {
            let document = generate_private_key(spec).unwrap();
            assert_eq!(public_key_of(spec, &document).unwrap().len(), public_len, "{spec:?}");
        }
        assert!(generate_private_key(KeySpec::Hmac256).is_err());
    }
}
