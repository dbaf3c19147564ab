//! GetRandomPassword: a password of `PasswordLength` (8 to 128, default 32) characters drawn uniformly from the
//! lower-case letters, upper-case letters, digits and punctuation that are not excluded, with one of each included
//! kind unless `RequireEachIncludedType` is `false` (`alibaba-kms-api.md` §3). The randomness is the service's.

use trent_service::{RequestContext, Service, ServiceError};

use super::{answer, Outcome};
use crate::error::WireError;
use crate::params::Params;
use crate::shapes;

/// The kinds of character, each with the parameter that excludes it.
const KINDS: [(&str, &str); 4] = [
    ("ExcludeLowercase", "abcdefghijklmnopqrstuvwxyz"),
    ("ExcludeUppercase", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    ("ExcludeNumbers", "0123456789"),
    ("ExcludePunctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
];

/// How many passwords are drawn, at most, to find one with every required kind (each draw of 8 or more characters
/// misses a kind with a probability well under one half, so this many never all miss in practice).
const MOST_DRAWS: usize = 64;

pub(super) async fn get_random_password(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let length = usize::try_from(p.integer("PasswordLength", 8..=128)?.unwrap_or(32)).unwrap_or(32);
    let excluded = p.optional("ExcludeCharacters").unwrap_or_default();
    let mut kinds: Vec<Vec<char>> = Vec::new();
    for (parameter, characters) in KINDS {
        if p.boolean(parameter)? != Some(true) {
            let kept: Vec<char> = characters.chars().filter(|c| !excluded.contains(*c)).collect();
            if !kept.is_empty() {
                kinds.push(kept);
            }
        }
    }
    let require_each = p.boolean("RequireEachIncludedType")?.unwrap_or(true);
    if kinds.is_empty() || (require_each && kinds.len() > length) {
        return Err(WireError::invalid_parameter("ExcludeCharacters").into());
    }
    let alphabet: Vec<char> = kinds.concat();
    for _ in 0..MOST_DRAWS {
        let password = draw(service, ctx, &alphabet, length).await?;
        if !require_each || kinds.iter().all(|kind| password.chars().any(|c| kind.contains(&c))) {
            return answer(ctx, &shapes::RandomPassword { random_password: password }, None);
        }
    }
    Err(ServiceError::Internal("no password with every required kind of character was drawn".to_owned()).into())
}

/// `length` characters drawn uniformly from `alphabet` (at most 94 characters), by rejecting the bytes that would
/// favour its first characters.
async fn draw(
    service: &Service,
    ctx: &RequestContext,
    alphabet: &[char],
    length: usize,
) -> Result<String, ServiceError> {
    let size = alphabet.len();
    let limit = 256 - 256 % size;
    let mut password = String::with_capacity(length);
    while password.len() < length {
        let bytes = service.generate_random(ctx, length.saturating_mul(2), None).await?;
        for byte in bytes.iter().map(|b| usize::from(*b)).filter(|b| *b < limit) {
            if password.len() == length {
                break;
            }
            if let Some(c) = alphabet.get(byte % size) {
                password.push(*c);
            }
        }
    }
    Ok(password)
}
