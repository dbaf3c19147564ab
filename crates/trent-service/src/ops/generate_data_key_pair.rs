//! GenerateDataKeyPair: a fresh RSA or ECC key pair for use outside the service; the private key (PKCS #8) returned in
//! plaintext and encrypted under a usable symmetric key, bound to an encryption context, and the public key (DER
//! SubjectPublicKeyInfo).

use trent_crypto::EncryptionContext;
use trent_domain::KeySpec;
use zeroize::Zeroizing;

use crate::authorize::Permission;
use crate::context::RequestContext;
use crate::error::{require_usable, ServiceError};
use crate::ops::generate_material;
use crate::resolve::Aliases;
use crate::Service;

/// What GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext ask for.
#[derive(Debug, Clone, Copy)]
pub struct DataKeyPairRequest<'a> {
    /// The symmetric key to encrypt the private key under (any identifier form).
    pub key_id: &'a str,
    /// `KeyPairSpec`.
    pub pair_spec: &'a str,
    /// The encryption context to bind.
    pub context: &'a EncryptionContext,
    /// DryRun.
    pub dry_run: bool,
}

/// A data key pair.
#[derive(Debug)]
pub struct DataKeyPair {
    /// The private key as PKCS #8 DER.
    pub private_key: Zeroizing<Vec<u8>>,
    /// The private key encrypted under the KMS key (a Trent ciphertext blob).
    pub private_key_ciphertext: Vec<u8>,
    /// The public key as DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    /// The KMS key's ARN.
    pub key_arn: String,
}

/// The key pair specs GenerateDataKeyPair makes (RSA, ECC and Ed25519; the model also lists SM2 and ML-KEM).
fn pair_spec(text: &str) -> Result<KeySpec, ServiceError> {
    match KeySpec::parse(text) {
        Some(
            spec @ (KeySpec::Rsa2048
            | KeySpec::Rsa3072
            | KeySpec::Rsa4096
            | KeySpec::EccNistP256
            | KeySpec::EccNistP384
            | KeySpec::EccNistP521
            | KeySpec::EccSecgP256k1
            | KeySpec::EccNistEdwards25519),
        ) => Ok(spec),
        _ => Err(ServiceError::Unsupported(format!("KeyPairSpec {text} is not supported by Trent yet."))),
    }
}

impl Service {
    /// GenerateDataKeyPair.
    pub async fn generate_data_key_pair(
        &self,
        ctx: &RequestContext,
        request: DataKeyPairRequest<'_>,
    ) -> Result<DataKeyPair, ServiceError> {
        self.make_data_key_pair(ctx, request, "GenerateDataKeyPair").await
    }

    /// Makes a data key pair under a usable symmetric key for `operation` (which names the permission).
    pub(crate) async fn make_data_key_pair(
        &self,
        ctx: &RequestContext,
        request: DataKeyPairRequest<'_>,
        operation: &str,
    ) -> Result<DataKeyPair, ServiceError> {
        let loaded = self
            .usable_key(
                ctx,
                request.key_id,
                Aliases::Accepted,
                Permission::with_encryption_context(&format!("kms:{operation}"), request.context),
            )
            .await?;
        let material = loaded.symmetric(operation)?;
        let spec = pair_spec(request.pair_spec)?;
        let proof = require_usable(&loaded.key)?;
        if request.dry_run {
            return Err(ServiceError::DryRun);
        }
        let private_key = generate_material(spec, move || trent_crypto::generate_private_key(spec)).await?;
        let public_key = trent_crypto::public_key_of(spec, &private_key)?;
        let private_key_ciphertext = trent_crypto::encrypt(proof, material, &private_key, request.context)?;
        Ok(DataKeyPair { private_key, private_key_ciphertext, public_key, key_arn: loaded.arn.clone() })
    }
}
