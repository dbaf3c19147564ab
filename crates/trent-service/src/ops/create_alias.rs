//! CreateAlias: a new alias in the caller's account and region pointing at a key (not at a key pending deletion).

use trent_domain::ids::AliasNameError;
use trent_domain::{Action, AliasName, Arn};
use trent_store::{Alias, StoreError};

use crate::authorize::{authorize, authorize_in_account};
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::Service;

/// Parses an alias name a customer may create or change, with AWS's refusal for each malformed form.
pub fn customer_alias_name(text: &str) -> Result<AliasName, ServiceError> {
    AliasName::parse_customer(text).map_err(|error| match error {
        // Recorded: LocalStack's test_create_alias (2023).
        AliasNameError::MissingPrefix => ServiceError::Validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html".to_owned(),
        ),
        AliasNameError::Reserved if text.starts_with("alias/acs/") => ServiceError::InvalidAliasName(
            "Alias names starting with alias/acs/ are reserved for Alibaba Cloud service keys.".to_owned(),
        ),
        AliasNameError::Reserved => ServiceError::InvalidAliasName("Alias names starting with alias/aws/ are reserved for AWS managed keys.".to_owned()),
        // The model's pattern already refused every character but ':', which it allows and KMS does not (AWS's
        // answer, quoted in public issues).
        AliasNameError::BadCharacters => ServiceError::Validation(format!("{text} contains invalid characters for an alias")),
    })
}

impl Service {
    /// CreateAlias.
    pub async fn create_alias(
        &self,
        ctx: &RequestContext,
        alias_name: &str,
        target_key_id: &str,
    ) -> Result<(), ServiceError> {
        let name = customer_alias_name(alias_name)?;
        // Both the alias (an identity permission) and its key (the key policy), as AWS requires.
        authorize_in_account(ctx, "kms:CreateAlias", &Arn::alias(&ctx.region, ctx.account(), &name).to_string())?;
        let key = self.load_for_write(ctx, target_key_id).await?;
        authorize(ctx, "kms:CreateAlias", &key)?;
        check_state(&key, Action::CreateAlias)?;
        let now = self.clock.now();
        let alias = Alias {
            account: ctx.account().clone(),
            region: ctx.region.clone(),
            name: name.clone(),
            key_id: key.id,
            created_at: now,
            updated_at: now,
        };
        match self.store.create_alias(&alias).await {
            Ok(()) => Ok(()),
            Err(StoreError::AliasExists) => Err(ServiceError::AlreadyExists(format!(
                "An alias with the name {} already exists",
                Arn::alias(&ctx.region, ctx.account(), &name)
            ))),
            Err(other) => Err(other.into()),
        }
    }
}
