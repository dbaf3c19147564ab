//! Imported key material (origin `EXTERNAL`): GetParametersForImport issues a wrapping key and a single-use import
//! token (24 hours); ImportKeyMaterial unwraps the owner's material with them, seals it under the root key and makes
//! a waiting key `Enabled`; DeleteImportedKeyMaterial (and the material worker, at `ValidTo`) takes the material away
//! again, so the key waits in `PendingImport` (a key pending deletion stays pending) until the same material is
//! imported once more. The material's plaintext exists only inside this path: sealed at once, never logged, never in
//! an error.

use std::sync::Arc;

use trent_crypto::{ImportParameters, OpenedImportToken, WrappingAlgorithm, WrappingKeySpec};
use trent_domain::{
    key_material_id, Action, ImportTokenError, ImportedMaterial, IssuedImportToken, Key, Origin, PendingRotation,
    Timestamp, IMPORT_PARAMETERS_VALID_MILLIS,
};

use crate::ops::rotate_key_on_demand::check_on_demand_quota;

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{apply_state, check_state, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

/// Whether the owner means material new to the key or material it had before (ImportKeyMaterial's `ImportType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportType {
    /// `NEW_KEY_MATERIAL`: the default until the key has had material.
    NewKeyMaterial,
    /// `EXISTING_KEY_MATERIAL`: the default once it has.
    ExistingKeyMaterial,
}

/// ImportKeyMaterial's input, after the edge checked the model's constraints and the expiration model.
#[derive(Debug, Clone)]
pub struct ImportInput {
    /// The key ID or key ARN.
    pub key_id: String,
    /// The token GetParametersForImport returned.
    pub import_token: Vec<u8>,
    /// The material, wrapped with the token's public key and algorithm.
    pub encrypted_key_material: Vec<u8>,
    /// `ValidTo` under `KEY_MATERIAL_EXPIRES`; `None` under `KEY_MATERIAL_DOES_NOT_EXPIRE`.
    pub valid_to: Option<Timestamp>,
    /// `ImportType`, if given.
    pub import_type: Option<ImportType>,
    /// `KeyMaterialDescription`, if given (else the last one is kept).
    pub description: Option<String>,
    /// `KeyMaterialId`, if given: the material must be the one it names.
    pub key_material_id: Option<String>,
}

/// What GetParametersForImport answers.
#[derive(Debug)]
pub struct IssuedParameters {
    /// The key.
    pub key: Key,
    /// The wrapping public key and the token.
    pub parameters: ImportParameters,
    /// When both stop being accepted.
    pub valid_to: Timestamp,
}

/// AWS's refusal of an operation the key's origin does not allow (recorded for GetParametersForImport on an
/// `AWS_KMS` key: `… origin is AWS_KMS which is not valid for this operation.`; the key-state page's [6] for rotation
/// of an `EXTERNAL` key).
fn origin_not_valid(key: &Key) -> ServiceError {
    ServiceError::Unsupported(format!(
        "{} origin is {} which is not valid for this operation.",
        key.arn(),
        key.origin.as_str()
    ))
}

/// Refuses a key whose material is not imported (the import operations).
fn require_external(key: &Key) -> Result<(), ServiceError> {
    if key.origin == Origin::External {
        Ok(())
    } else {
        Err(origin_not_valid(key))
    }
}

/// Refuses a key whose material is imported (automatic rotation and its status: AWS rotates no imported material
/// by itself).
pub(crate) fn require_generated(key: &Key) -> Result<(), ServiceError> {
    if key.origin == Origin::External {
        Err(origin_not_valid(key))
    } else {
        Ok(())
    }
}

/// The refusal of an option AWS allows only for symmetric encryption keys.
fn symmetric_only(key: &Key, option: &str) -> ServiceError {
    ServiceError::Validation(format!(
        "{option} is only valid for symmetric encryption keys; {} is a {} key.",
        key.arn(),
        key.spec.as_str()
    ))
}

/// Takes the key's material of `material_version` away (DeleteImportedKeyMaterial, or its expiry): the key waits in
/// `PendingImport` until it comes back, or stays pending deletion. What the key knows of the material stays, so only
/// the same material is accepted again. Material pending rotation is simply dropped; the key's state stays.
pub(crate) fn delete_material(key: &mut Key, material_version: u32) -> Result<(), ServiceError> {
    if key.import.pending.as_ref().is_some_and(|pending| pending.material.material_version == material_version) {
        check_state(key, Action::DeleteKeyMaterial)?;
        key.import.pending = None;
        return Ok(());
    }
    apply_state(key, Action::DeleteKeyMaterial)?;
    if let Some(sealed) = key.wrapped_material_mut(material_version) {
        sealed.clear();
    }
    Ok(())
}

/// AWS's refusal of an import token the key does not hold outstanding.
fn token_refusal(arn: &trent_domain::Arn, refusal: ImportTokenError) -> ServiceError {
    match refusal {
        ImportTokenError::Unknown => ServiceError::InvalidImportToken(format!(
            "The import token is not valid for {arn}: it was used already or never issued for this key."
        )),
        ImportTokenError::Expired => ServiceError::ExpiredImportToken(format!(
            "The import token for {arn} has expired. Call GetParametersForImport for a new one."
        )),
    }
}

/// Imported material, unwrapped and sealed, on its way into a key.
struct Arrival<'a> {
    fingerprint: &'a str,
    sealed: &'a [u8],
    input: &'a ImportInput,
    now: Timestamp,
}

/// Puts imported material where it belongs in `key`: its first material, a known material back in its place, or (a
/// symmetric key's `NEW_KEY_MATERIAL`) new material pending rotation. Returns the material's version; refuses
/// material the key does not expect with AWS's errors.
fn place_material(key: &mut Key, arrival: &Arrival<'_>) -> Result<u32, ServiceError> {
    let arn = key.arn();
    let known = key
        .import
        .materials
        .iter()
        .chain(key.import.pending.as_ref().map(|pending| &pending.material))
        .find(|material| material.fingerprint == arrival.fingerprint)
        .map(|material| material.material_version);
    let first_import = key.import.materials.is_empty();
    let default_type = if first_import { ImportType::NewKeyMaterial } else { ImportType::ExistingKeyMaterial };
    let incorrect = |text: String| Err(ServiceError::IncorrectKeyMaterial(text));
    let version = match (arrival.input.import_type.unwrap_or(default_type), known) {
        (ImportType::NewKeyMaterial, Some(_)) => {
            return incorrect(format!(
                "The key material is already associated with {arn}; import it with ImportType EXISTING_KEY_MATERIAL."
            ))
        }
        (ImportType::NewKeyMaterial, None) if first_import => 0,
        (ImportType::NewKeyMaterial, None) if !key.rotates() => {
            return incorrect(format!(
                "{arn} has its key material; only symmetric encryption keys take new key material."
            ))
        }
        (ImportType::NewKeyMaterial, None) if key.multi_region.is_some() => {
            return Err(ServiceError::Unsupported(format!(
                "New key material for the multi-Region key {arn} is not supported by Trent yet (AWS imports it into the primary and every replica before rotating)."
            )))
        }
        (ImportType::NewKeyMaterial, None) => {
            let next = key.import.next_version(key.current_material_version());
            // Material that could never become current is refused now rather than at the rotation.
            check_on_demand_quota(key)?;
            if let Some(pending) = &key.import.pending {
                // Recorded against AWS (LocalStack's test_import_key_material_raises_if_there_is_already_key_material_pending).
                return Err(ServiceError::InvalidState(format!(
                    "New key material (id: {}) cannot be imported into KMS key {arn}, because another key material (id: {}) is pending rotation.",
                    key_material_id(key.id, next),
                    key_material_id(key.id, pending.material.material_version)
                )));
            }
            next
        }
        (ImportType::ExistingKeyMaterial, None) if first_import => {
            return incorrect(format!("{arn} has no key material yet; import it with ImportType NEW_KEY_MATERIAL."))
        }
        (ImportType::ExistingKeyMaterial, None) => {
            return incorrect(format!("The key material is not key material previously imported into {arn}."))
        }
        (ImportType::ExistingKeyMaterial, Some(version)) => version,
    };
    if let Some(named) = &arrival.input.key_material_id {
        if *named != key_material_id(key.id, version) {
            return incorrect(format!("The key material is not the key material {named} of {arn}."));
        }
    }
    let pending_version = key.import.pending.as_ref().map(|pending| pending.material.material_version);
    let previous = key.import.material(version).or(key.import.pending.as_ref().map(|pending| &pending.material));
    let description = arrival.input.description.clone().or_else(|| previous.map(|known| known.description.clone()));
    let material = ImportedMaterial {
        material_version: version,
        fingerprint: arrival.fingerprint.to_owned(),
        imported_at: arrival.now,
        valid_to: arrival.input.valid_to,
        description: description.unwrap_or_default(),
    };
    key.import.highest_version = key.import.highest_version.max(version);
    if pending_version == Some(version) || (version > key.current_material_version() && !first_import) {
        key.import.pending = Some(PendingRotation { material, wrapped_material: arrival.sealed.to_vec() });
    } else {
        let slot = key
            .wrapped_material_mut(version)
            .ok_or_else(|| ServiceError::Internal(format!("{arn} has no material version {version}")))?;
        arrival.sealed.clone_into(slot);
        key.import.materials.retain(|known| known.material_version != version);
        key.import.materials.push(material);
        key.import.materials.sort_by_key(|known| known.material_version);
    }
    Ok(version)
}

impl Service {
    /// GetParametersForImport: a fresh wrapping key pair of `spec` and its import token, remembered by the key as
    /// outstanding for 24 hours.
    pub async fn get_parameters_for_import(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        algorithm: WrappingAlgorithm,
        spec: WrappingKeySpec,
    ) -> Result<IssuedParameters, ServiceError> {
        let check = |key: &Key| {
            authorize(ctx, "kms:GetParametersForImport", key)?;
            require_external(key)?;
            check_state(key, Action::GetParametersForImport)
        };
        let loaded = self.load(ctx, key_id, Aliases::Refused).await?;
        check(&loaded.key)?;
        // An RSA key pair takes up to seconds of CPU to generate: off the request threads.
        let (root_key, id) = (Arc::clone(&self.root_key), loaded.key.id);
        let parameters = tokio::task::spawn_blocking(move || root_key.issue_import_parameters(id, algorithm, spec))
            .await
            .map_err(|e| ServiceError::Internal(format!("wrapping key generation: {e}")))??;
        let now = self.clock.now();
        let valid_to = Timestamp(now.0.saturating_add(IMPORT_PARAMETERS_VALID_MILLIS));
        let key = self
            .modify_key(ctx, key_id, |key| {
                check(key)?;
                let token = IssuedImportToken { token_id: parameters.token_id.clone(), valid_to };
                key.import.issue(token, now);
                Ok(Some(
                    self.api_event(ctx, "GetParametersForImport", key)
                        .with_parameter("wrappingAlgorithm", algorithm.as_str()),
                ))
            })
            .await?;
        Ok(IssuedParameters { key, parameters, valid_to })
    }

    /// ImportKeyMaterial. Returns the key as now stored, holding the material, and the material's ID.
    pub async fn import_key_material(
        &self,
        ctx: &RequestContext,
        input: ImportInput,
    ) -> Result<(Key, String), ServiceError> {
        let loaded = self.load(ctx, &input.key_id, Aliases::Refused).await?;
        let key = &loaded.key;
        authorize(ctx, "kms:ImportKeyMaterial", key)?;
        require_external(key)?;
        check_state(key, Action::ImportKeyMaterial)?;
        let now = self.clock.now();
        if let Some(valid_to) = input.valid_to {
            let longest = ctx.api.max_imported_material_days();
            if valid_to <= now || longest.is_some_and(|days| valid_to > now.plus_days(days)) {
                let bound = longest.map(|days| format!(" no more than {days} days from now")).unwrap_or_default();
                return Err(ServiceError::Validation(format!("ValidTo must be a future date{bound}.")));
            }
        }
        if !key.rotates() {
            let options = [
                ("ImportType", input.import_type.is_some()),
                ("KeyMaterialDescription", input.description.is_some()),
                ("KeyMaterialId", input.key_material_id.is_some()),
            ];
            if let Some((option, _)) = options.into_iter().find(|(_, given)| *given) {
                return Err(symmetric_only(key, option));
            }
        }
        if input.import_type == Some(ImportType::NewKeyMaterial) && input.key_material_id.is_some() {
            return Err(ServiceError::Validation(
                "KeyMaterialId cannot be specified with ImportType NEW_KEY_MATERIAL.".to_owned(),
            ));
        }
        let arn = key.arn();
        let invalid_token = || ServiceError::InvalidImportToken(format!("The import token is not valid for {arn}."));
        let token = self.root_key.open_import_token(key.id, &input.import_token).ok_or_else(invalid_token)?;
        // The token must be outstanding before anything is unwrapped with it; once it is, any refusal spends it, so
        // a token is never an oracle for more than one try.
        key.import.check_token(&token.token_id, now).map_err(|refusal| token_refusal(&arn, refusal))?;
        let outcome = self.import_with_token(ctx, &input, key, &token, now).await;
        if outcome.is_err() {
            self.spend_token(ctx, &input.key_id, &token.token_id, now).await;
        }
        outcome
    }

    /// Forgets an import token after an import with it was refused. Best effort: the refusal is what the caller hears.
    async fn spend_token(&self, ctx: &RequestContext, key_id: &str, token_id: &str, now: Timestamp) {
        let spent = self
            .modify_key(ctx, key_id, |key| {
                // Used or expired meanwhile: either way it is forgotten now.
                key.import.redeem(token_id, now).ok();
                Ok(None)
            })
            .await;
        if let Err(error) = spent {
            tracing::warn!(%error, "an import token could not be spent after a refused import");
        }
    }

    /// ImportKeyMaterial once the token is known to be outstanding.
    async fn import_with_token(
        &self,
        ctx: &RequestContext,
        input: &ImportInput,
        key: &Key,
        token: &OpenedImportToken,
        now: Timestamp,
    ) -> Result<(Key, String), ServiceError> {
        // RSA decryption is a few milliseconds of CPU at most; the material's plaintext stays in this scope.
        let material = token.unwrap_material(&input.encrypted_key_material)?;
        let (sealed, fingerprint) =
            self.root_key.import_key_material(key.id, key.spec, key.usage, &material).ok_or_else(|| {
                ServiceError::IncorrectKeyMaterial(format!(
                    "The key material is not valid for a {} key: see the key spec's requirements for imported key material.",
                    key.spec.as_str()
                ))
            })?;
        drop(material);
        let key = self
            .modify_key(ctx, &input.key_id, |key| {
                authorize(ctx, "kms:ImportKeyMaterial", key)?;
                require_external(key)?;
                check_state(key, Action::ImportKeyMaterial)?;
                let arn = key.arn();
                key.import.redeem(&token.token_id, now).map_err(|refusal| token_refusal(&arn, refusal))?;
                let arrival = Arrival { fingerprint: &fingerprint, sealed: &sealed, input, now };
                let version = place_material(key, &arrival)?;
                apply_state(key, Action::ImportKeyMaterial)?;
                let expiration =
                    if input.valid_to.is_some() { "KEY_MATERIAL_EXPIRES" } else { "KEY_MATERIAL_DOES_NOT_EXPIRE" };
                Ok(Some(
                    self.api_event(ctx, "ImportKeyMaterial", key)
                        .with_parameter("expirationModel", expiration)
                        .with_response("keyMaterialId", key_material_id(key.id, version)),
                ))
            })
            .await?;
        // The material's version, found again by its fingerprint in the key as stored.
        let version = key
            .materials()
            .into_iter()
            .filter_map(|material| material.imported)
            .find(|imported| imported.fingerprint == fingerprint)
            .map_or(0, |imported| imported.material_version);
        tracing::info!(event = "ImportKeyMaterial", key_arn = %key.arn(), material_version = version, "key material imported");
        self.wake_material_worker();
        let material_id = key_material_id(key.id, version);
        Ok((key, material_id))
    }

    /// DeleteImportedKeyMaterial: the current material, or the one `named_material` names (one the key has had, or
    /// has pending rotation). Returns the key as now stored and the ID of the material deleted (`None` when the key
    /// never had material).
    pub async fn delete_imported_key_material(
        &self,
        ctx: &RequestContext,
        key_id: &str,
        named_material: Option<&str>,
    ) -> Result<(Key, Option<String>), ServiceError> {
        // Which material goes: the one named, or the current one (deleting never changes which is current).
        let chosen = |key: &Key| match named_material {
            None => Ok(key.current_material_version()),
            Some(named) => key
                .materials()
                .into_iter()
                .filter_map(|material| material.imported)
                .map(|imported| imported.material_version)
                .find(|version| key_material_id(key.id, *version) == named)
                .ok_or_else(|| {
                    ServiceError::NotFound(format!("Key material {named} is not associated with {}.", key.arn()))
                }),
        };
        let key = self
            .modify_key(ctx, key_id, |key| {
                authorize(ctx, "kms:DeleteImportedKeyMaterial", key)?;
                require_external(key)?;
                let version = chosen(key)?;
                let known = key.import.material(version).is_some() || named_material.is_some();
                delete_material(key, version)?;
                let event = self.api_event(ctx, "DeleteImportedKeyMaterial", key);
                Ok(Some(if known {
                    event.with_response("keyMaterialId", key_material_id(key.id, version))
                } else {
                    event
                }))
            })
            .await?;
        tracing::info!(event = "DeleteImportedKeyMaterial", key_arn = %key.arn(), "imported key material deleted");
        let version = key.current_material_version();
        let known = named_material.is_some() || key.import.material(version).is_some();
        let deleted = named_material.map(str::to_owned).or_else(|| known.then(|| key_material_id(key.id, version)));
        Ok((key, deleted))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey, OAEP_SHA256_MGF1SHA256};
    use trent_crypto::{EncryptionContext, WrappingAlgorithm, WrappingKeySpec};
    use trent_domain::{key_material_id, Key, KeyState, Origin, StateError, Timestamp};

    use super::{ImportInput, ImportType};
    use crate::material_worker::MaterialWorker;
    use crate::ops::create_key::CreateKeyInput;
    use crate::test_support::TestService;
    use crate::ServiceError;

    async fn external_key(t: &TestService) -> Key {
        let input = CreateKeyInput { origin: Some("EXTERNAL".to_owned()), ..CreateKeyInput::default() };
        t.service.create_key(&t.ctx, input).await.unwrap()
    }

    /// `material` wrapped for `key` as an owner does it: fresh parameters, OAEP-SHA-256 wrapping (aws-lc directly,
    /// not Trent's code). Returns the token and the wrapped material.
    async fn wrapped(t: &TestService, key: &Key, material: &[u8]) -> Result<(Vec<u8>, Vec<u8>), ServiceError> {
        let (algorithm, spec) = (WrappingAlgorithm::RsaesOaepSha256, WrappingKeySpec::Rsa2048);
        let issued = t.service.get_parameters_for_import(&t.ctx, &key.id.to_string(), algorithm, spec).await?;
        let public = PublicEncryptingKey::from_der(&issued.parameters.public_key).unwrap();
        let public = OaepPublicEncryptingKey::new(public).unwrap();
        let mut wrapped = vec![0u8; public.ciphertext_size()];
        let wrapped = public.encrypt(&OAEP_SHA256_MGF1SHA256, material, &mut wrapped, None).unwrap().to_vec();
        Ok((issued.parameters.token, wrapped))
    }

    /// An import of `material` into `key`, wrapped by [`wrapped`].
    async fn import(
        t: &TestService,
        key: &Key,
        material: &[u8],
        valid_to: Option<Timestamp>,
    ) -> Result<Key, ServiceError> {
        let (token, wrapped) = wrapped(t, key, material).await?;
        t.service.import_key_material(&t.ctx, input(key, token, wrapped, valid_to)).await.map(|(key, _)| key)
    }

    fn input(key: &Key, token: Vec<u8>, wrapped: Vec<u8>, valid_to: Option<Timestamp>) -> ImportInput {
        ImportInput {
            key_id: key.id.to_string(),
            import_token: token,
            encrypted_key_material: wrapped,
            valid_to,
            import_type: None,
            description: None,
            key_material_id: None,
        }
    }

    #[tokio::test]
    async fn an_external_key_waits_for_its_material_and_only_the_same_material_brings_it_back() {
        let t = TestService::new();
        let key = external_key(&t).await;
        let id = key.id.to_string();
        assert_eq!((key.origin, key.state, key.has_material()), (Origin::External, KeyState::PendingImport, false));
        let context = EncryptionContext::new();
        let refusal = t.service.encrypt(&t.ctx, &id, b"x", &context, None, false).await.unwrap_err();
        assert!(matches!(refusal, ServiceError::KeyState { error: StateError::PendingImport, .. }), "{refusal:?}");

        let imported = import(&t, &key, &[3u8; 32], None).await.unwrap();
        assert_eq!(imported.state, KeyState::Enabled);
        let sealed = t.service.encrypt(&t.ctx, &id, b"secret", &context, None, false).await.unwrap();

        let (deleted, _) = t.service.delete_imported_key_material(&t.ctx, &id, None).await.unwrap();
        assert_eq!((deleted.state, deleted.has_material()), (KeyState::PendingImport, false));
        let refusal = t.service.decrypt(&t.ctx, &sealed.ciphertext, &context, None, None, false).await.unwrap_err();
        assert!(matches!(refusal, ServiceError::KeyState { error: StateError::PendingImport, .. }), "{refusal:?}");

        let other = import(&t, &key, &[4u8; 32], None).await.unwrap_err();
        assert!(matches!(other, ServiceError::IncorrectKeyMaterial(_)), "{other:?}");
        assert_eq!(t.stored(&key).await.state, KeyState::PendingImport, "a refused import changes nothing");
        import(&t, &key, &[3u8; 32], None).await.unwrap();
        let opened = t.service.decrypt(&t.ctx, &sealed.ciphertext, &context, None, None, false).await.unwrap();
        assert_eq!(opened.plaintext.as_slice(), b"secret");
    }

    #[tokio::test]
    async fn an_import_token_works_once_for_its_key_and_a_generated_key_takes_no_import() {
        let t = TestService::new();
        let key = external_key(&t).await;
        let (token, wrapped) = wrapped(&t, &key, &[1u8; 32]).await.unwrap();
        t.service.import_key_material(&t.ctx, input(&key, token.clone(), wrapped.clone(), None)).await.unwrap();
        let again = t.service.import_key_material(&t.ctx, input(&key, token.clone(), wrapped.clone(), None)).await;
        assert!(matches!(again, Err(ServiceError::InvalidImportToken(_))), "{again:?}");
        let other = external_key(&t).await;
        let elsewhere = t.service.import_key_material(&t.ctx, input(&other, token, wrapped, None)).await;
        assert!(matches!(elsewhere, Err(ServiceError::InvalidImportToken(_))), "{elsewhere:?}");

        let generated = t.create_key().await;
        let refusal = t
            .service
            .get_parameters_for_import(
                &t.ctx,
                &generated.id.to_string(),
                WrappingAlgorithm::RsaesOaepSha256,
                WrappingKeySpec::Rsa2048,
            )
            .await
            .unwrap_err();
        assert_eq!(
            refusal.to_string(),
            format!("{} origin is AWS_KMS which is not valid for this operation.", generated.arn())
        );
        let rotation = t.service.enable_key_rotation(&t.ctx, &key.id.to_string(), None).await.unwrap_err();
        assert!(matches!(rotation, ServiceError::Unsupported(_)), "{rotation:?}");
    }

    #[tokio::test]
    async fn new_material_waits_for_its_rotation_and_a_key_needs_every_material_back() {
        let t = TestService::new();
        let key = external_key(&t).await;
        let id = key.id.to_string();
        let context = EncryptionContext::new();
        import(&t, &key, &[1u8; 32], None).await.unwrap();
        let old = t.service.encrypt(&t.ctx, &id, b"old", &context, None, false).await.unwrap();
        let (token, wrapped) = wrapped(&t, &key, &[2u8; 32]).await.unwrap();
        let mut new = input(&key, token, wrapped, None);
        new.import_type = Some(ImportType::NewKeyMaterial);
        let (pending, second) = t.service.import_key_material(&t.ctx, new).await.unwrap();
        assert_eq!((pending.current_material_version(), pending.state), (0, KeyState::Enabled), "not current yet");
        assert_eq!(second, key_material_id(key.id, 1));
        let third = import(&t, &key, &[3u8; 32], None).await.unwrap_err();
        assert!(matches!(third, ServiceError::IncorrectKeyMaterial(_)), "EXISTING is the default now: {third:?}");

        let rotated = t.service.rotate_key_on_demand(&t.ctx, &id).await.unwrap();
        assert_eq!(rotated.current_material_version(), 1);
        let refusal = t.service.rotate_key_on_demand(&t.ctx, &id).await.unwrap_err();
        assert!(matches!(refusal, ServiceError::InvalidState(_)), "nothing pending: {refusal:?}");
        let newer = t.service.encrypt(&t.ctx, &id, b"new", &context, None, false).await.unwrap();
        assert_eq!(trent_crypto::read_header(&newer.ciphertext).unwrap().material_version, 1);

        let first = key_material_id(key.id, 0);
        let (waiting, deleted) = t.service.delete_imported_key_material(&t.ctx, &id, Some(&first)).await.unwrap();
        assert_eq!((waiting.state, deleted.as_deref()), (KeyState::PendingImport, Some(first.as_str())));
        let refusal = t.service.encrypt(&t.ctx, &id, b"x", &context, None, false).await.unwrap_err();
        assert!(matches!(refusal, ServiceError::KeyState { error: StateError::PendingImport, .. }), "{refusal:?}");
        import(&t, &key, &[1u8; 32], None).await.unwrap();
        for (blob, plaintext) in [(&old.ciphertext, &b"old"[..]), (&newer.ciphertext, &b"new"[..])] {
            let opened = t.service.decrypt(&t.ctx, blob, &context, None, None, false).await.unwrap();
            assert_eq!(opened.plaintext.as_slice(), plaintext);
        }
    }

    #[tokio::test]
    async fn a_refused_import_spends_its_token_and_a_material_id_never_names_two_materials() {
        let t = TestService::new();
        let key = external_key(&t).await;
        import(&t, &key, &[1u8; 32], None).await.unwrap();
        let (token, wrong) = wrapped(&t, &key, &[9u8; 32]).await.unwrap();
        let refused = t.service.import_key_material(&t.ctx, input(&key, token.clone(), wrong, None)).await;
        assert!(matches!(refused, Err(ServiceError::IncorrectKeyMaterial(_))), "{refused:?}");
        let again = t.service.import_key_material(&t.ctx, input(&key, token, Vec::from([0u8; 256]), None)).await;
        assert!(matches!(again, Err(ServiceError::InvalidImportToken(_))), "spent by the refusal: {again:?}");

        let id = key.id.to_string();
        let new = |material: [u8; 32]| {
            let t = &t;
            let key = &key;
            async move {
                let (token, wrapped) = wrapped(t, key, &material).await.unwrap();
                let mut new = input(key, token, wrapped, None);
                new.import_type = Some(ImportType::NewKeyMaterial);
                t.service.import_key_material(&t.ctx, new).await.unwrap().1
            }
        };
        let first_pending = new([2u8; 32]).await;
        let (_, deleted) = t.service.delete_imported_key_material(&t.ctx, &id, Some(&first_pending)).await.unwrap();
        assert_eq!(deleted.as_deref(), Some(first_pending.as_str()));
        assert_eq!(t.stored(&key).await.state, KeyState::Enabled, "dropping pending material leaves the key usable");
        let second_pending = new([3u8; 32]).await;
        assert_ne!(second_pending, first_pending, "other material, another ID");
    }

    #[tokio::test]
    async fn expired_material_is_deleted_once_by_the_worker_and_a_pending_key_stays_pending() {
        let t = TestService::new();
        let key = external_key(&t).await;
        let id = key.id.to_string();
        let now = t.service.clock.now();
        let refusal = import(&t, &key, &[3u8; 32], Some(now.plus_days(366))).await.unwrap_err();
        assert!(matches!(refusal, ServiceError::Validation(_)), "at most 365 days: {refusal:?}");
        import(&t, &key, &[3u8; 32], Some(now.plus_days(2))).await.unwrap();
        let worker = MaterialWorker::new(Arc::clone(&t.service));
        assert_eq!(worker.delete_expired_material().await.unwrap().0, 0, "not yet");
        t.advance_days(2);
        assert_eq!(worker.delete_expired_material().await.unwrap().0, 1);
        assert_eq!(worker.delete_expired_material().await.unwrap().0, 0, "once");
        let stored = t.stored(&key).await;
        assert_eq!((stored.state, stored.has_material()), (KeyState::PendingImport, false));

        import(&t, &key, &[3u8; 32], None).await.unwrap();
        t.service.schedule_key_deletion(&t.ctx, &id, Some(7)).await.unwrap();
        let (pending, _) = t.service.delete_imported_key_material(&t.ctx, &id, None).await.unwrap();
        assert!(pending.state.is_pending_deletion(), "a key pending deletion stays pending");
        let cancelled = t.service.cancel_key_deletion(&t.ctx, &id).await.unwrap();
        assert_eq!(cancelled.state, KeyState::PendingImport, "without material it waits for it");
    }
}
