//! IAM's wildcard matching: `*` matches any run of characters (none included) and `?` any one character, in action
//! names (case-insensitive), resource ARNs and `StringLike`/`ArnLike` values (case-sensitive).

/// True when `text` matches `pattern`, where `*` and `?` are wildcards; `ignore_case` compares ASCII letters without
/// case. Linear in the lengths (no backtracking blow-up on many stars).
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    if !pattern.contains(['*', '?']) {
        return if ignore_case { pattern.eq_ignore_ascii_case(text) } else { pattern == text };
    }
    if pattern.is_ascii() && text.is_ascii() {
        return matches_units(pattern.as_bytes(), text.as_bytes(), ignore_case);
    }
    let (pattern, text): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    matches_units(&pattern, &text, ignore_case)
}

/// A unit of text the matcher compares: a byte of ASCII text, or a character.
trait Unit: Copy + PartialEq {
    fn is(self, wildcard: char) -> bool;
    fn same_ignoring_case(self, other: Self) -> bool;
}

impl Unit for u8 {
    fn is(self, wildcard: char) -> bool {
        char::from(self) == wildcard
    }
    fn same_ignoring_case(self, other: Self) -> bool {
        self.eq_ignore_ascii_case(&other)
    }
}

impl Unit for char {
    fn is(self, wildcard: char) -> bool {
        self == wildcard
    }
    fn same_ignoring_case(self, other: Self) -> bool {
        self.eq_ignore_ascii_case(&other)
    }
}

fn matches_units<U: Unit>(pattern: &[U], text: &[U], ignore_case: bool) -> bool {
    let same = |p: U, t: U| p == t || (ignore_case && p.same_ignoring_case(t));
    let (mut p, mut t) = (0, 0);
    // Where the last star was, and the text position it has been tried against.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match (pattern.get(p), text.get(t)) {
            (Some(&pc), _) if pc.is('*') => {
                star = Some((p, t));
                p += 1;
            }
            (Some(&pc), Some(&tc)) if pc.is('?') || same(pc, tc) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|c| c.is('*')))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn stars_and_question_marks_match_as_iam_documents() {
        let cases = [
            ("kms:*", "kms:Encrypt", true),
            ("kms:Describe*", "kms:DescribeKey", true),
            ("kms:Describe*", "kms:Decrypt", false),
            ("kms:*crypt", "kms:ReEncrypt", true),
            ("kms:?ncrypt", "kms:Encrypt", true),
            ("kms:?ncrypt", "kms:ReEncrypt", false),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:111122223333:key/abc", true),
            ("arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:444455556666:key/abc", false),
            ("**", "anything", true),
            ("a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(matches(pattern, text, false), expected, "{pattern} ~ {text}");
        }
        assert!(matches("KMS:encrypt", "kms:Encrypt", true), "actions ignore case");
        assert!(!matches("KMS:encrypt", "kms:Encrypt", false), "resources do not");
        assert!(matches("caf\u{e9}-*", "caf\u{e9}-cr\u{e8}me", false), "beyond ASCII, by character");
        assert!(matches("?", "\u{e9}", false), "? is one character, not one byte");
    }
}
