//! The password policy for accounts made here (registration and `--create-user`): a six-space
//! password was accepted, and so would be `password1`.
//!
//! A password must have at least [`MIN_CHARS`] characters and at most [`MAX_BYTES`] bytes (argon2
//! takes any length, but a megabyte password is a denial of service), must not be only
//! whitespace, must not be the account's email or its part before the `@`, and must not be on
//! the list of the most common passwords (`server/data/`, compared lowercased). Logins never
//! meet the policy: an account made before it keeps its password.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Fewest characters.
pub const MIN_CHARS: usize = 8;
/// Most bytes.
pub const MAX_BYTES: usize = 1024;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// What is wrong with `password` for the account `email`, in words for the person choosing it
/// (empty when it is fine).
pub fn problems(password: &str, email: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if password.chars().count() < MIN_CHARS {
        problems.push(format!(
            "password must be longer than or equal to {MIN_CHARS} characters"
        ));
    }
    if password.len() > MAX_BYTES {
        problems.push(format!("password must be at most {MAX_BYTES} bytes"));
    }
    if !password.is_empty() && password.chars().all(char::is_whitespace) {
        problems.push("password must not be only spaces".to_owned());
    }
    let lower = password.to_lowercase();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if !lower.is_empty() && (lower == email || lower == local) {
        problems.push("password must not be your email".to_owned());
    }
    if COMMON.contains(lower.as_str()) {
        problems.push(
            "password is one of the most common passwords; choose one nobody would guess"
                .to_owned(),
        );
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy() {
        assert!(problems("correct horse battery", "amara@clinic.example").is_empty());
        assert!(problems("Zoë-Ng-2026!", "z@c.example").is_empty());
        for (bad, why) in [
            ("short", "longer than"),
            ("      ", "longer than"),
            ("          ", "only spaces"),
            ("password1", "most common"),
            ("PassWord1", "most common"),
            ("iloveyou2", "most common"),
            ("amara.okafor", "your email"),
            ("Amara.Okafor@Clinic.example", "your email"),
        ] {
            let p = problems(bad, "amara.okafor@clinic.example");
            assert!(p.iter().any(|m| m.contains(why)), "{bad:?}: {p:?}");
        }
        assert!(!problems(&"x".repeat(MAX_BYTES + 1), "a@b.c").is_empty());
        assert!(
            COMMON.len() > 8_000,
            "the list is embedded: {}",
            COMMON.len()
        );
    }
}
