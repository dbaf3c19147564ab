//! GetRandomPassword: a password of `PasswordLength` (8 to 128, default 32) characters drawn uniformly from the
//! lower-case letters, upper-case letters, digits and punctuation that are not excluded, with one of each included
//! kind unless `RequireEachIncludedType` is `false` (`alibaba-kms-api.md` §3), in a uniformly random order. The
//! randomness is the service's.

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
    if kinds.is_empty() {
        return Err(WireError::invalid_parameter("ExcludeCharacters").into());
    }
    let require_each = p.boolean("RequireEachIncludedType")?.unwrap_or(true);
    let alphabet: Vec<char> = kinds.concat();
    // One character of each required kind, the rest from every kind, then shuffled: every draw succeeds, however few
    // characters a kind keeps.
    let mut password: Vec<char> = Vec::with_capacity(length);
    if require_each {
        for kind in &kinds {
            password.extend(draw(service, ctx, kind, 1).await?);
        }
    }
    let rest = length.saturating_sub(password.len());
    password.extend(draw(service, ctx, &alphabet, rest).await?);
    for i in (1..password.len()).rev() {
        let j = uniform_below(service, ctx, i + 1).await?;
        password.swap(i, j);
    }
    answer(ctx, &shapes::RandomPassword { random_password: password.into_iter().collect() }, None)
}

/// `count` characters drawn uniformly from `alphabet` (at most 94 characters).
async fn draw(
    service: &Service,
    ctx: &RequestContext,
    alphabet: &[char],
    count: usize,
) -> Result<Vec<char>, ServiceError> {
    let mut drawn = Vec::with_capacity(count);
    while drawn.len() < count {
        let index = uniform_below(service, ctx, alphabet.len()).await?;
        if let Some(c) = alphabet.get(index) {
            drawn.push(*c);
        }
    }
    Ok(drawn)
}

/// A number drawn uniformly below `bound` (1 to 256) from the service's randomness, rejecting the bytes that would
/// favour the small numbers.
async fn uniform_below(service: &Service, ctx: &RequestContext, bound: usize) -> Result<usize, ServiceError> {
    let bound = bound.clamp(1, 256);
    let limit = 256 - 256 % bound;
    loop {
        let bytes = service.generate_random(ctx, 16, None).await?;
        if let Some(byte) = bytes.iter().map(|b| usize::from(*b)).find(|b| *b < limit) {
            return Ok(byte % bound);
        }
    }
}
