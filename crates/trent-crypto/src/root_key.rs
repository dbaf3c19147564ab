//! The root key: a 256-bit key file that seals every key's material (and stored secrets) at rest.
//!
//! Sealed record format, version 1 (documented in `docs/formats.md`):
//! `0x01 || kind (1 byte) || id length (1 byte) || id || nonce (12) || AES-256-GCM ciphertext || tag (16)`,
//! with everything before the nonce as additional authenticated data, so a record cannot be moved to another key.

use std::fs;
use std::io::Write;
use std::path::Path;

use aws_lc_rs::hmac;
use trent_domain::{KeyId, KeySpec, KeyUsage};
use zeroize::Zeroizing;

use crate::agreement::AgreementKey;
use crate::import::{
    identifying_form, new_wrapping_key, parse_token_record_id, ImportParameters, OpenedImportToken, WrappingAlgorithm,
    WrappingKeySpec,
};
use crate::kem::KemKey;
use crate::key_pair::generate_private_key;
use crate::mac::MacKey;
use crate::rsa_encryption::RsaEncryptionKey;
use crate::signing::SigningKey;
use crate::symmetric::{SymmetricKey, MATERIAL_LEN};
use crate::{random_bytes, CryptoError, KeyMaterial};

const RECORD_VERSION: u8 = 1;
const KIND_KEY_MATERIAL: u8 = 1;
const KIND_SECRET: u8 = 2;
const KIND_CHECK: u8 = 3;
const KIND_IMPORT_TOKEN: u8 = 4;
/// What the root key's fingerprint key is derived with (HMAC-SHA-256 of this label under the root key).
const FINGERPRINT_LABEL: &[u8] = b"trent imported key material fingerprint v1";
const CHECK_PLAINTEXT: &[u8] = b"trent root key check v1";
/// What the key authenticating backups is derived with (HMAC-SHA-256 of this label under the root key).
const BACKUP_LABEL: &[u8] = b"trent backup authentication v1";

/// The root key, held only in aws-lc's memory, with the HMAC key derived from it that fingerprints imported material.
pub struct RootKey {
    sealer: SymmetricKey,
    fingerprinter: hmac::Key,
    backup_authenticator: hmac::Key,
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootKey(..)")
    }
}

/// Why the root key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RootKeyFileError {
    /// Reading or writing the file failed.
    #[error("root key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not exactly 32 bytes.
    #[error("root key file {path} must hold exactly 32 bytes, it holds {len}")]
    WrongLength {
        /// The file.
        path: String,
        /// Its length.
        len: usize,
    },
    /// The crypto library failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// Builds the usable key of `spec` and `usage` from its raw material: secret bytes, or a key pair's PKCS #8 document.
fn material_of(key_id: KeyId, spec: KeySpec, usage: KeyUsage, raw: &[u8]) -> Result<KeyMaterial, CryptoError> {
    match (spec, usage) {
        (KeySpec::SymmetricDefault | KeySpec::Aes128 | KeySpec::Aes192, _) => {
            if !spec.fits_secret_len(raw.len()) {
                return Err(CryptoError::Library("symmetric key material of the wrong length"));
            }
            Ok(KeyMaterial::Symmetric(SymmetricKey::from_secret(key_id, raw)?))
        }
        (KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512, _) => {
            Ok(KeyMaterial::Mac(Box::new(MacKey::from_material(key_id, spec, raw)?)))
        }
        (KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096, KeyUsage::EncryptDecrypt) => {
            Ok(KeyMaterial::RsaEncryption(Box::new(RsaEncryptionKey::from_pkcs8(key_id, spec, raw)?)))
        }
        (KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521, KeyUsage::KeyAgreement) => {
            Ok(KeyMaterial::Agreement(Box::new(AgreementKey::from_pkcs8(key_id, spec, raw)?)))
        }
        (KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024, _) => {
            Ok(KeyMaterial::Kem(Box::new(KemKey::from_material(key_id, spec, raw)?)))
        }
        (
            KeySpec::Rsa2048
            | KeySpec::Rsa3072
            | KeySpec::Rsa4096
            | KeySpec::EccNistP256
            | KeySpec::EccNistP384
            | KeySpec::EccNistP521
            | KeySpec::EccSecgP256k1
            | KeySpec::EccNistEdwards25519
            | KeySpec::MlDsa44
            | KeySpec::MlDsa65
            | KeySpec::MlDsa87,
            KeyUsage::SignVerify
            | KeyUsage::GenerateVerifyMac
            | KeyUsage::EncryptDecrypt
            | KeyUsage::KeyAgreement
            | KeyUsage::EncapsulateDecapsulate,
        ) => Ok(KeyMaterial::Signing(Box::new(SigningKey::from_pkcs8(key_id, spec, raw)?))),
    }
}

impl RootKey {
    /// Loads the root key from `path`, creating a fresh random one with mode 0600 if the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, RootKeyFileError> {
        let io = |source| RootKeyFileError::Io { path: path.display().to_string(), source };
        if !path.exists() {
            let material = random_bytes(MATERIAL_LEN)?;
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(io)?;
            file.write_all(&material).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        let bytes = Zeroizing::new(fs::read(path).map_err(io)?);
        let material: [u8; MATERIAL_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| RootKeyFileError::WrongLength { path: path.display().to_string(), len: bytes.len() })?;
        Ok(Self::from_material(&Zeroizing::new(material))?)
    }

    /// Builds the root key from raw bytes (tests and key files).
    pub fn from_material(material: &Zeroizing<[u8; MATERIAL_LEN]>) -> Result<Self, CryptoError> {
        // The root key is not a KMS key; the nil ID only satisfies SymmetricKey's bookkeeping.
        let root = hmac::Key::new(hmac::HMAC_SHA256, material.as_slice());
        let derived = |label: &[u8]| hmac::Key::new(hmac::HMAC_SHA256, hmac::sign(&root, label).as_ref());
        Ok(Self {
            sealer: SymmetricKey::from_material(KeyId::from_bytes([0; 16]), material)?,
            fingerprinter: derived(FINGERPRINT_LABEL),
            backup_authenticator: derived(BACKUP_LABEL),
        })
    }

    /// Generates fresh key material of `spec` for a key `key_id` of `usage`: the usable key, and its sealed record
    /// for the store.
    pub fn generate_key_material(
        &self,
        key_id: KeyId,
        spec: KeySpec,
        usage: KeyUsage,
    ) -> Result<(KeyMaterial, Vec<u8>), CryptoError> {
        let raw = match (spec.secret_len(), crate::kem::ml_kem(spec)) {
            (Some(len), _) => random_bytes(len)?,
            (None, Some(_)) => crate::kem::generate_material(spec)?,
            (None, None) => generate_private_key(spec)?,
        };
        let key = material_of(key_id, spec, usage, &raw)?;
        let record = self.seal(KIND_KEY_MATERIAL, key_id.as_bytes(), raw.as_slice())?;
        Ok((key, record))
    }

    /// Opens a key's sealed material record, of the key's `spec` and `usage`.
    pub fn open_key_material(
        &self,
        key_id: KeyId,
        spec: KeySpec,
        usage: KeyUsage,
        record: &[u8],
    ) -> Result<KeyMaterial, CryptoError> {
        let raw = self.open(KIND_KEY_MATERIAL, key_id.as_bytes(), record)?;
        if spec.secret_len().is_some() && !spec.fits_secret_len(raw.len()) {
            return Err(CryptoError::WrongRootKey);
        }
        material_of(key_id, spec, usage, &raw)
    }

    /// A fresh wrapping key pair of `spec` and its import token for the key `key_id` (GetParametersForImport). RSA
    /// key generation takes up to seconds: call it off the request threads.
    pub fn issue_import_parameters(
        &self,
        key_id: KeyId,
        algorithm: WrappingAlgorithm,
        spec: WrappingKeySpec,
    ) -> Result<ImportParameters, CryptoError> {
        let fresh = new_wrapping_key(key_id, algorithm, spec)?;
        let token = self.seal(KIND_IMPORT_TOKEN, &fresh.record_id, &fresh.private_key)?;
        Ok(ImportParameters { token_id: fresh.token_id, token, public_key: fresh.public_key })
    }

    /// Opens an import token that this root key issued for the key `key_id`; `None` for anything else (another key's
    /// token, another root key's, a changed byte).
    pub fn open_import_token(&self, key_id: KeyId, token: &[u8]) -> Option<OpenedImportToken> {
        let id = record_id(KIND_IMPORT_TOKEN, token)?;
        let (token_id, algorithm) = parse_token_record_id(key_id, id)?;
        let private_key = self.open(KIND_IMPORT_TOKEN, id, token).ok()?;
        OpenedImportToken::new(&token_id, algorithm, &private_key).ok()
    }

    /// Takes `raw`, the plaintext material an owner imported for the key `key_id` of `spec` and `usage`: the sealed
    /// record for the store and the material's fingerprint (64 lower-case hexadecimal digits, the same for the same
    /// material of the same key, however a key pair was encoded); `None` when the material does not fit the key.
    pub fn import_key_material(
        &self,
        key_id: KeyId,
        spec: KeySpec,
        usage: KeyUsage,
        raw: &[u8],
    ) -> Option<(Vec<u8>, String)> {
        let material = material_of(key_id, spec, usage, raw).ok()?;
        let identifying = identifying_form(spec, raw, &material).ok()?;
        let mut fingerprint = hmac::Context::with_key(&self.fingerprinter);
        fingerprint.update(key_id.as_bytes());
        fingerprint.update(&identifying);
        let fingerprint = trent_domain::hex::lower_hex(fingerprint.sign().as_ref());
        let record = self.seal(KIND_KEY_MATERIAL, key_id.as_bytes(), raw).ok()?;
        Some((record, fingerprint))
    }

    /// Seals a stored secret (such as an access key's secret) under a name that binds it to its owner.
    pub fn seal_secret(&self, name: &str, secret: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.seal(KIND_SECRET, name.as_bytes(), secret)
    }

    /// Opens a secret sealed by [`RootKey::seal_secret`] under the same name.
    pub fn open_secret(&self, name: &str, record: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.open(KIND_SECRET, name.as_bytes(), record)
    }

    /// The tag authenticating a backup's bytes (HMAC-SHA-256 under a key derived from the root key).
    pub fn backup_tag(&self, bytes: &[u8]) -> Vec<u8> {
        hmac::sign(&self.backup_authenticator, bytes).as_ref().to_vec()
    }

    /// True when `tag` is [`RootKey::backup_tag`] of `bytes` under this root key (compared in constant time).
    pub fn verifies_backup_tag(&self, bytes: &[u8], tag: &[u8]) -> bool {
        hmac::verify(&self.backup_authenticator, bytes, tag).is_ok()
    }

    /// A record that only this root key opens, kept in the store so that a different root key is detected at start.
    pub fn check_record(&self) -> Result<Vec<u8>, CryptoError> {
        self.seal(KIND_CHECK, b"", CHECK_PLAINTEXT)
    }

    /// True when `record` was made by [`RootKey::check_record`] with this root key.
    pub fn verifies_check_record(&self, record: &[u8]) -> bool {
        self.open(KIND_CHECK, b"", record).is_ok_and(|plain| plain.as_slice() == CHECK_PLAINTEXT)
    }

    fn header(kind: u8, id: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // The layout `record_id` reads back.
        let id_len =
            u8::try_from(id.len()).map_err(|_| CryptoError::Library("sealed record id longer than 255 bytes"))?;
        let mut header = Vec::with_capacity(3 + id.len());
        header.extend_from_slice(&[RECORD_VERSION, kind, id_len]);
        header.extend_from_slice(id);
        Ok(header)
    }

    fn seal(&self, kind: u8, id: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut record = Self::header(kind, id)?;
        let sealed = self.sealer.seal(&record, plaintext)?;
        record.extend_from_slice(&sealed);
        Ok(record)
    }

    fn open(&self, kind: u8, id: &[u8], record: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let header = Self::header(kind, id)?;
        let body = record.strip_prefix(header.as_slice()).ok_or(CryptoError::WrongRootKey)?;
        self.sealer.open(&header, body).map_err(|_| CryptoError::WrongRootKey)
    }
}

/// The ID of a sealed record of `kind` (read from its header, not yet authenticated).
fn record_id(kind: u8, record: &[u8]) -> Option<&[u8]> {
    match record {
        [RECORD_VERSION, record_kind, id_len, rest @ ..] if *record_kind == kind => rest.get(..usize::from(*id_len)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(byte: u8) -> RootKey {
        RootKey::from_material(&Zeroizing::new([byte; MATERIAL_LEN])).unwrap()
    }

    #[test]
    fn key_material_round_trips_and_is_not_stored_in_clear() {
        let root = root(1);
        let id = KeyId::generate();
        let (key, record) =
            root.generate_key_material(id, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt).unwrap();
        assert_eq!(record[0], RECORD_VERSION);
        assert_eq!(&record[3..19], id.as_bytes());
        let (KeyMaterial::Symmetric(key), KeyMaterial::Symmetric(reopened)) =
            (key, root.open_key_material(id, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, &record).unwrap())
        else {
            panic!("a symmetric key's material is symmetric")
        };
        let sealed = key.seal(b"", b"x").unwrap();
        assert_eq!(reopened.open(b"", &sealed).unwrap().as_slice(), b"x");
    }

    #[test]
    fn hmac_material_has_its_spec_length_and_opens_only_as_that_spec() {
        let root = root(1);
        for spec in [KeySpec::Hmac224, KeySpec::Hmac256, KeySpec::Hmac384, KeySpec::Hmac512] {
            let id = KeyId::generate();
            let (key, record) = root.generate_key_material(id, spec, KeyUsage::GenerateVerifyMac).unwrap();
            assert!(matches!(key, KeyMaterial::Mac(_)), "{spec:?}");
            assert!(matches!(
                root.open_key_material(id, spec, KeyUsage::GenerateVerifyMac, &record),
                Ok(KeyMaterial::Mac(_))
            ));
            if spec != KeySpec::Hmac512 {
                assert!(
                    root.open_key_material(id, KeySpec::Hmac512, KeyUsage::GenerateVerifyMac, &record).is_err(),
                    "material of {spec:?} is too short for an HMAC_512 key"
                );
            }
        }
    }

    #[test]
    fn a_key_pair_opens_as_the_material_of_its_usage() {
        let root = root(1);
        let id = KeyId::generate();
        for (spec, usage) in [
            (KeySpec::Rsa2048, KeyUsage::EncryptDecrypt),
            (KeySpec::Rsa2048, KeyUsage::SignVerify),
            (KeySpec::EccNistP256, KeyUsage::KeyAgreement),
            (KeySpec::EccNistP256, KeyUsage::SignVerify),
        ] {
            let (key, record) = root.generate_key_material(id, spec, usage).unwrap();
            let reopened = root.open_key_material(id, spec, usage, &record).unwrap();
            assert_eq!(key.public_key_der().unwrap().unwrap(), reopened.public_key_der().unwrap().unwrap());
            let expected = match usage {
                KeyUsage::EncryptDecrypt => matches!(reopened, KeyMaterial::RsaEncryption(_)),
                KeyUsage::KeyAgreement => matches!(reopened, KeyMaterial::Agreement(_)),
                _ => matches!(reopened, KeyMaterial::Signing(_)),
            };
            assert!(expected, "{spec:?} {usage:?}");
        }
    }

    #[test]
    fn key_material_record_is_bound_to_its_key_id() {
        let root = root(1);
        let (_, record) =
            root.generate_key_material(KeyId::generate(), KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt).unwrap();
        assert!(matches!(
            root.open_key_material(KeyId::generate(), KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, &record),
            Err(CryptoError::WrongRootKey)
        ));
    }

    #[test]
    fn another_root_key_cannot_open_records() {
        let id = KeyId::generate();
        let (_, record) =
            root(1).generate_key_material(id, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt).unwrap();
        assert!(matches!(
            root(2).open_key_material(id, KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt, &record),
            Err(CryptoError::WrongRootKey)
        ));
        let check = root(1).check_record().unwrap();
        assert!(root(1).verifies_check_record(&check));
        assert!(!root(2).verifies_check_record(&check));
    }

    #[test]
    fn secrets_are_bound_to_their_name() {
        let root = root(3);
        let record = root.seal_secret("AKIA1", b"secret").unwrap();
        assert_eq!(root.open_secret("AKIA1", &record).unwrap().as_slice(), b"secret");
        assert!(root.open_secret("AKIA2", &record).is_err());
    }

    #[test]
    fn key_file_is_created_with_owner_only_mode_and_reloaded() {
        let dir = std::env::temp_dir().join(format!("trent-root-{}", KeyId::generate()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("root.key");
        let first = RootKey::load_or_create(&path).unwrap();
        let check = first.check_record().unwrap();
        let second = RootKey::load_or_create(&path).unwrap();
        assert!(second.verifies_check_record(&check));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
