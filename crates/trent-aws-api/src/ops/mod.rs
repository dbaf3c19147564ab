//! One handler per AWS KMS operation, each named after it.

pub mod cancel_key_deletion;
pub mod create_alias;
pub mod create_key;
pub mod decrypt;
pub mod delete_alias;
pub mod describe_key;
pub mod disable_key;
pub mod enable_key;
pub mod encrypt;
pub mod generate_data_key;
pub mod generate_data_key_without_plaintext;
pub mod generate_random;
pub mod get_key_last_usage;
pub mod get_key_policy;
pub mod list_aliases;
pub mod list_key_policies;
pub mod list_keys;
pub mod list_resource_tags;
pub mod put_key_policy;
pub mod re_encrypt;
pub mod schedule_key_deletion;
pub mod tag_resource;
pub mod untag_resource;
pub mod update_alias;
pub mod update_key_description;
