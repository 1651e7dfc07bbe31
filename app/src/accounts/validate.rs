//! The rules for what a user may type into account forms, shared by the
//! browser (to explain a rule before submitting) and the server (which
//! enforces it). Each rule has its own message, naming the form field.

use crate::AppError;

/// Shortest password accepted.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password accepted. Hashing cost grows with length, so an
/// unbounded password would be a way to make the server work for free.
pub const PASSWORD_MAX_CHARS: usize = 256;
/// RFC 5321's limit for a forward path.
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest display or workspace name.
pub const NAME_MAX_CHARS: usize = 80;

/// An email address, trimmed and lower-cased, with one `@` between a
/// non-empty local part and a dotted domain. Deliverability is checked by
/// sending the confirmation mail, not here.
pub fn email(field: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, "Enter your email address."));
    }
    if value.chars().count() > EMAIL_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("An email address has at most {EMAIL_MAX_CHARS} characters."),
        ));
    }
    let well_formed = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    if !well_formed {
        return Err(AppError::invalid(
            field,
            "Enter an email address like name@example.com.",
        ));
    }
    Ok(value.to_lowercase())
}

/// A new password: long enough to resist guessing, short enough to hash
/// cheaply, and not the account's own address.
pub fn new_password(field: &str, value: &str, email: &str) -> Result<(), AppError> {
    let chars = value.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at least {PASSWORD_MIN_CHARS} characters for your password."),
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at most {PASSWORD_MAX_CHARS} characters for your password."),
        ));
    }
    if value.trim().to_lowercase() == email.trim().to_lowercase() {
        return Err(AppError::invalid(
            field,
            "Your password must not be your email address.",
        ));
    }
    let mut distinct = value.chars().collect::<Vec<_>>();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err(AppError::invalid(
            field,
            "Use at least four different characters in your password.",
        ));
    }
    Ok(())
}

/// A password typed to prove who you are: only bounded, never judged, so
/// that old passwords keep working when the rules for new ones change.
pub fn given_password(field: &str, value: &str) -> Result<(), AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(field, "Enter your password."));
    }
    if value.chars().count() > PASSWORD_MAX_CHARS {
        return Err(AppError::invalid(field, "That password is too long."));
    }
    Ok(())
}

/// A person's or a workspace's name: trimmed, 1 to 80 characters, no
/// control characters.
pub fn name(field: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, "Enter a name."));
    }
    if value.chars().count() > NAME_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at most {NAME_MAX_CHARS} characters."),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            "Names cannot contain control characters.",
        ));
    }
    Ok(value.to_string())
}

/// A token from an emailed link: URL-safe base64 of 32 bytes. Anything
/// else is refused before it reaches the database.
pub fn token(value: &str) -> Result<&str, AppError> {
    let value = value.trim();
    let shaped = value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if shaped {
        Ok(value)
    } else {
        Err(AppError::invalid(
            "token",
            "This link is not valid. Copy the whole link from the mail, or ask for a new one.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl std::fmt::Debug, AppError>) -> String {
        match result {
            Err(AppError::Invalid { message, .. }) => message,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            email("email", "  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused_with_a_reason() {
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(
                message(email("email", bad)).contains("like name@example.com"),
                "{bad}"
            );
        }
        assert_eq!(message(email("email", " ")), "Enter your email address.");
    }

    #[test]
    fn each_password_rule_has_its_own_message() {
        assert!(message(new_password("password", "short", "a@b.co")).contains("at least 12"));
        assert!(message(new_password("password", &"x".repeat(300), "a@b.co")).contains("at most"));
        assert!(
            message(new_password(
                "password",
                "ada@example.com",
                "ADA@example.com"
            ))
            .contains("email address")
        );
        assert!(message(new_password("password", "abababababab", "a@b.co")).contains("four"));
        new_password("password", "correct horse battery", "a@b.co").unwrap();
    }

    #[test]
    fn tokens_must_have_the_generated_shape() {
        token(&"A".repeat(43)).unwrap();
        assert!(token("short").is_err());
        assert!(token(&format!("{}'", "A".repeat(42))).is_err());
    }
}
