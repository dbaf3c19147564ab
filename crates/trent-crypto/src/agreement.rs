//! Key agreement keys (`ECC_NIST_P256`, `ECC_NIST_P384`, `ECC_NIST_P521` with `KEY_AGREEMENT`): ECDH between the
//! key's private key and a peer's public key (DER SubjectPublicKeyInfo), by aws-lc-rs. The shared secret is the raw
//! x-coordinate, as AWS KMS returns it; deriving keys from it is the caller's business.

use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use trent_domain::{KeyId, KeySpec, UsableKey};
use zeroize::Zeroizing;

use crate::key_pair::public_key_der;
use crate::CryptoError;

/// An unwrapped ECDH private key for one key.
pub struct AgreementKey {
    key_id: KeyId,
    private: PrivateKey,
    public_der: Vec<u8>,
}

impl std::fmt::Debug for AgreementKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("AgreementKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

fn curve(spec: KeySpec) -> Result<&'static agreement::Algorithm, CryptoError> {
    match spec {
        KeySpec::EccNistP256 => Ok(&agreement::ECDH_P256),
        KeySpec::EccNistP384 => Ok(&agreement::ECDH_P384),
        KeySpec::EccNistP521 => Ok(&agreement::ECDH_P521),
        _ => Err(CryptoError::Library("not a key agreement key spec")),
    }
}

impl AgreementKey {
    /// The ECDH private key of `spec` for `key_id` from its PKCS #8 document.
    pub fn from_pkcs8(key_id: KeyId, spec: KeySpec, document: &[u8]) -> Result<Self, CryptoError> {
        let private = PrivateKey::from_private_key_der(curve(spec)?, document)
            .map_err(|_| CryptoError::Library("PKCS #8 key of another spec"))?;
        let public = private.compute_public_key().map_err(|_| CryptoError::Library("ECDH public key"))?;
        let public_der = public_key_der(&public)?;
        Ok(Self { key_id, private, public_der })
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.public_der.clone()
    }

    /// The ECDH shared secret with the peer's DER SubjectPublicKeyInfo public key; `None` when that is not a valid
    /// public key on this key's curve.
    pub fn derive(
        &self,
        key: UsableKey<'_>,
        peer_public_key: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, CryptoError> {
        crate::ensure_material_of(key, self.key_id)?;
        // SubjectPublicKeyInfo is a DER SEQUENCE; aws-lc would also take a bare point, which AWS does not.
        if peer_public_key.first() != Some(&0x30) {
            return Ok(None);
        }
        let peer = UnparsedPublicKey::new(self.private.algorithm(), peer_public_key);
        Ok(agreement::agree(&self.private, peer, (), |secret| Ok(Zeroizing::new(secret.to_vec()))).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_domain::{KeyState, KeyUsage};

    fn agreement_key(spec: KeySpec) -> (trent_domain::Key, AgreementKey) {
        let id = KeyId::generate();
        let record = crate::test_keys::key(id, spec, KeyUsage::KeyAgreement, KeyState::Enabled);
        let document = crate::key_pair::generate_private_key(spec).unwrap();
        (record, AgreementKey::from_pkcs8(id, spec, &document).unwrap())
    }

    #[test]
    fn both_sides_derive_the_same_secret() {
        for spec in [KeySpec::EccNistP256, KeySpec::EccNistP384, KeySpec::EccNistP521] {
            let (ours_record, ours) = agreement_key(spec);
            let (theirs_record, theirs) = agreement_key(spec);
            let mine = ours.derive(ours_record.require_usable().unwrap(), &theirs.public_key_der()).unwrap().unwrap();
            let their =
                theirs.derive(theirs_record.require_usable().unwrap(), &ours.public_key_der()).unwrap().unwrap();
            assert_eq!(mine.as_slice(), their.as_slice(), "{spec:?}");
        }
    }

    #[test]
    fn a_peer_key_on_another_curve_or_malformed_is_refused() {
        let (record, ours) = agreement_key(KeySpec::EccNistP256);
        let (_, other_curve) = agreement_key(KeySpec::EccNistP384);
        let proof = record.require_usable().unwrap();
        assert_eq!(ours.derive(proof, &other_curve.public_key_der()).unwrap(), None);
        assert_eq!(ours.derive(proof, b"\x30\x03\x02\x01\x01").unwrap(), None);
        let der = ours.public_key_der();
        let bare_point = &der[der.len() - 65..];
        assert_eq!(ours.derive(proof, bare_point).unwrap(), None, "a bare point is not SubjectPublicKeyInfo");
    }
}
