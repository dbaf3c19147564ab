//! Key encapsulation keys (`ML_KEM_512`, `ML_KEM_768`, `ML_KEM_1024` with `ENCAPSULATE_DECAPSULATE`, FIPS 203), by
//! aws-lc-rs: encapsulating a fresh shared secret to the public (encapsulation) key and decapsulating it with the
//! private (decapsulation) key, and the public key as DER SubjectPublicKeyInfo.
//!
//! aws-lc-rs has no PKCS #8 form for ML-KEM keys, so a key's material is its raw decapsulation key followed by its raw
//! encapsulation key (a decapsulation key rebuilt from raw bytes cannot give its encapsulation key back).

use aws_lc_rs::kem::{
    Algorithm, AlgorithmId, Ciphertext, DecapsulationKey, EncapsulationKey, ML_KEM_1024, ML_KEM_512, ML_KEM_768,
};
use trent_domain::{KeyId, KeySpec, UsableKey};
use zeroize::Zeroizing;

use crate::CryptoError;

/// An unwrapped ML-KEM key pair for one key.
pub struct KemKey {
    key_id: KeyId,
    decapsulation: DecapsulationKey<AlgorithmId>,
    encapsulation: EncapsulationKey<AlgorithmId>,
    public_der: Vec<u8>,
}

impl std::fmt::Debug for KemKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("KemKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// The parameters of an ML-KEM spec: the aws-lc-rs algorithm, the length of its decapsulation key (FIPS 203,
/// table 3) and the last arc of its object identifier (2.16.840.1.101.3.4.4.n).
pub(crate) fn ml_kem(spec: KeySpec) -> Option<(&'static Algorithm<AlgorithmId>, usize, u8)> {
    match spec {
        KeySpec::MlKem512 => Some((&ML_KEM_512, 1632, 1)),
        KeySpec::MlKem768 => Some((&ML_KEM_768, 2400, 2)),
        KeySpec::MlKem1024 => Some((&ML_KEM_1024, 3168, 3)),
        _ => None,
    }
}

/// A DER length.
fn der_length(len: usize, out: &mut Vec<u8>) {
    match len {
        0..=0x7f => out.push(len as u8),
        0x80..=0xff => out.extend_from_slice(&[0x81, len as u8]),
        _ => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
    }
}

/// A DER element: tag, length, contents.
fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    der_length(contents.len(), &mut out);
    out.extend_from_slice(contents);
    out
}

/// The SubjectPublicKeyInfo of a raw ML-KEM encapsulation key (RFC 5280 framing; the algorithm identifier of the
/// IETF LAMPS ML-KEM certificate profile, with no parameters).
fn subject_public_key_info(oid_arc: u8, encapsulation_key: &[u8]) -> Vec<u8> {
    let oid = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, oid_arc];
    let algorithm = der(0x30, &der(0x06, &oid));
    let mut bits = Vec::with_capacity(encapsulation_key.len() + 1);
    bits.push(0); // no unused bits
    bits.extend_from_slice(encapsulation_key);
    let mut contents = algorithm;
    contents.extend_from_slice(&der(0x03, &bits));
    der(0x30, &contents)
}

/// Fresh material of an ML-KEM spec: the raw decapsulation key followed by the raw encapsulation key.
pub(crate) fn generate_material(spec: KeySpec) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (algorithm, _, _) = ml_kem(spec).ok_or(CryptoError::Library("not an ML-KEM key spec"))?;
    let failed = |_| CryptoError::Library("ML-KEM key generation");
    let decapsulation = DecapsulationKey::generate(algorithm).map_err(failed)?;
    let mut material = Zeroizing::new(decapsulation.key_bytes().map_err(failed)?.as_ref().to_vec());
    material
        .extend_from_slice(decapsulation.encapsulation_key().map_err(failed)?.key_bytes().map_err(failed)?.as_ref());
    Ok(material)
}

impl KemKey {
    /// The ML-KEM key pair of `spec` for `key_id` from its material.
    pub fn from_material(key_id: KeyId, spec: KeySpec, material: &[u8]) -> Result<Self, CryptoError> {
        let (algorithm, private_len, oid_arc) = ml_kem(spec).ok_or(CryptoError::Library("not an ML-KEM key spec"))?;
        let rejected = |_| CryptoError::Library("ML-KEM material of another spec");
        let (private, public) =
            material.split_at_checked(private_len).ok_or(CryptoError::Library("ML-KEM material too short"))?;
        let decapsulation = DecapsulationKey::new(algorithm, private).map_err(rejected)?;
        let encapsulation = EncapsulationKey::new(algorithm, public).map_err(rejected)?;
        Ok(Self { key_id, decapsulation, encapsulation, public_der: subject_public_key_info(oid_arc, public) })
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.public_der.clone()
    }

    /// A fresh shared secret and its ciphertext (what only this key's private key recovers).
    pub fn encapsulate(&self, key: UsableKey<'_>) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>), CryptoError> {
        crate::ensure_material_of(key, self.key_id)?;
        let (ciphertext, secret) =
            self.encapsulation.encapsulate().map_err(|_| CryptoError::Library("ML-KEM encapsulation"))?;
        Ok((ciphertext.as_ref().to_vec(), Zeroizing::new(secret.as_ref().to_vec())))
    }

    /// The shared secret in `ciphertext`; `InvalidCiphertext` when its length does not fit the spec. Any ciphertext of
    /// the right length gives 32 bytes (FIPS 203's implicit rejection): a wrong one gives a pseudo-random secret.
    pub fn decapsulate(&self, key: UsableKey<'_>, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        crate::ensure_material_of(key, self.key_id)?;
        let secret =
            self.decapsulation.decapsulate(Ciphertext::from(ciphertext)).map_err(|_| CryptoError::InvalidCiphertext)?;
        Ok(Zeroizing::new(secret.as_ref().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_domain::{KeyState, KeyUsage};

    #[test]
    fn a_decapsulated_secret_is_the_encapsulated_one() {
        for spec in [KeySpec::MlKem512, KeySpec::MlKem768, KeySpec::MlKem1024] {
            let id = KeyId::generate();
            let record = crate::test_keys::key(id, spec, KeyUsage::EncapsulateDecapsulate, KeyState::Enabled);
            let proof = record.require_usable().unwrap();
            let key = KemKey::from_material(id, spec, &generate_material(spec).unwrap()).unwrap();
            let (ciphertext, secret) = key.encapsulate(proof).unwrap();
            assert_eq!(secret.len(), 32);
            assert_eq!(key.decapsulate(proof, &ciphertext).unwrap().as_slice(), secret.as_slice(), "{spec:?}");
            let mut changed = ciphertext.clone();
            changed[0] ^= 1;
            assert_ne!(key.decapsulate(proof, &changed).unwrap().as_slice(), secret.as_slice(), "implicit rejection");
            assert_eq!(key.decapsulate(proof, &ciphertext[1..]), Err(CryptoError::InvalidCiphertext));
        }
    }

    #[test]
    fn the_public_key_is_framed_as_subject_public_key_info() {
        let key =
            KemKey::from_material(KeyId::generate(), KeySpec::MlKem768, &generate_material(KeySpec::MlKem768).unwrap())
                .unwrap();
        let der = key.public_key_der();
        // SEQUENCE (1202) { SEQUENCE { OID 2.16.840.1.101.3.4.4.2 } BIT STRING (1185) { 0, key } }
        assert_eq!(&der[..4], &[0x30, 0x82, 0x04, 0xb2]);
        assert_eq!(&der[4..17], &[0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, 0x02]);
        assert_eq!(&der[17..22], &[0x03, 0x82, 0x04, 0xa1, 0x00]);
        assert_eq!(der.len(), 22 + 1184);
    }
}
