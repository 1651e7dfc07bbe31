//! The rules for host forms, shared by the browser and the server (which
//! enforces them). Each message names what to change.

use super::{HostChanges, NewHost, NewTarget};
use crate::AppError;
use crate::accounts::validate;

pub const DESCRIPTION_MAX_CHARS: usize = 1000;
pub const LABELS_MAX: usize = 20;
pub const LABEL_KEY_MAX_CHARS: usize = 63;
pub const LABEL_VALUE_MAX_CHARS: usize = 128;
/// Longest credential accepted: far above any provider's tokens (Fly.io
/// macaroons run to a few hundred characters), small enough to bound work.
pub const SECRET_MAX_CHARS: usize = 4096;
/// Unix socket paths are limited to 108 bytes by the kernel.
pub const SOCKET_PATH_MAX_BYTES: usize = 107;

/// Labels typed as `key=value` or `key`, separated by commas, spaces or
/// new lines: keys of lower-case letters, digits and `.-_/`, values of
/// printable characters without spaces or commas.
pub fn labels(field: &str, value: &str) -> Result<Vec<String>, AppError> {
    let mut labels: Vec<String> = Vec::new();
    for label in value.split([',', ' ', '\n', '\r', '\t']) {
        if label.is_empty() {
            continue;
        }
        let (key, val) = label.split_once('=').unwrap_or((label, ""));
        let key_ok = !key.is_empty()
            && key.len() <= LABEL_KEY_MAX_CHARS
            && key.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'-' | b'_' | b'/')
            });
        if !key_ok {
            return Err(AppError::invalid(
                field,
                format!(
                    "Label {label:?}: a key has 1 to {LABEL_KEY_MAX_CHARS} of a-z, 0-9, '.', '-', '_' and '/'."
                ),
            ));
        }
        if val.chars().count() > LABEL_VALUE_MAX_CHARS || val.chars().any(char::is_control) {
            return Err(AppError::invalid(
                field,
                format!(
                    "Label {key:?}: a value has at most {LABEL_VALUE_MAX_CHARS} printable characters."
                ),
            ));
        }
        if !labels.iter().any(|existing| existing == label) {
            labels.push(label.to_string());
        }
    }
    if labels.len() > LABELS_MAX {
        return Err(AppError::invalid(
            field,
            format!("Use at most {LABELS_MAX} labels."),
        ));
    }
    Ok(labels)
}

pub fn description(field: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Use at most {DESCRIPTION_MAX_CHARS} characters."),
        ));
    }
    Ok(value.to_string())
}

/// A credential as pasted: trimmed, without inner whitespace. The scheme
/// that `fly tokens create` prints before its tokens (`FlyV1 `) is
/// dropped; the client adds the right one.
pub fn secret(field: &str, what: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    let value = value.strip_prefix("FlyV1 ").unwrap_or(value).trim_start();
    if value.is_empty() {
        return Err(AppError::invalid(field, format!("Enter the {what}.")));
    }
    if value.chars().count() > SECRET_MAX_CHARS {
        return Err(AppError::invalid(
            field,
            format!("An {what} has at most {SECRET_MAX_CHARS} characters."),
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid(
            field,
            format!("The {what} cannot contain spaces or line breaks; paste it again."),
        ));
    }
    Ok(value.to_string())
}

/// An absolute path to a unix socket. Whether the installation allows it
/// is the server's decision.
pub fn socket_path(field: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    let value = value.strip_prefix("unix://").unwrap_or(value);
    if !value.starts_with('/') {
        return Err(AppError::invalid(
            field,
            "Enter the socket's absolute path, like /var/run/docker.sock.",
        ));
    }
    if value.len() > SOCKET_PATH_MAX_BYTES || value.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            format!("A socket path has at most {SOCKET_PATH_MAX_BYTES} bytes."),
        ));
    }
    Ok(value.to_string())
}

/// A Fly.io organisation slug: lower-case letters, digits and hyphens.
pub fn org_slug(field: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(value.to_string())
    } else {
        Err(AppError::invalid(
            field,
            "Enter the organisation's slug, like personal or acme-inc (see `fly orgs list`).",
        ))
    }
}

/// The fields of the add-host form, as sent.
#[derive(Debug, Clone, Default)]
pub struct HostForm<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub labels: &'a str,
    pub socket_path: &'a str,
    pub org_slug: &'a str,
    pub secret: &'a str,
}

/// Checks the add-host form, field by field.
pub fn new_host(form: &HostForm<'_>) -> Result<NewHost, AppError> {
    let target = match super::HostKind::parse(form.kind) {
        Some(super::HostKind::Docker) => NewTarget::Docker {
            socket_path: socket_path("socket_path", form.socket_path)?,
        },
        Some(super::HostKind::Fly) => NewTarget::Fly {
            org_slug: org_slug("org_slug", form.org_slug)?,
            api_token: secret("secret", "API token", form.secret)?,
        },
        Some(super::HostKind::Runpod) => NewTarget::Runpod {
            api_key: secret("secret", "API key", form.secret)?,
        },
        None => {
            return Err(AppError::invalid(
                "kind",
                "Choose what kind of host this is.",
            ));
        }
    };
    Ok(NewHost {
        name: validate::name("name", form.name)?,
        description: description("description", form.description)?,
        labels: labels("labels", form.labels)?,
        target,
    })
}

pub fn changes(
    name: &str,
    description_text: &str,
    labels_text: &str,
) -> Result<HostChanges, AppError> {
    Ok(HostChanges {
        name: validate::name("name", name)?,
        description: description("description", description_text)?,
        labels: labels("labels", labels_text)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_split_dedupe_and_name_the_bad_one() {
        assert_eq!(
            labels("labels", "env=prod, gpu\nenv=prod  zone=eu-1").unwrap(),
            ["env=prod", "gpu", "zone=eu-1"]
        );
        assert!(labels("labels", "").unwrap().is_empty());
        let error = labels("labels", "ok, Bad=x").unwrap_err().to_string();
        assert!(error.contains("\"Bad=x\""), "{error}");
        let many: Vec<String> = (0..=LABELS_MAX).map(|n| format!("l{n}")).collect();
        assert!(labels("labels", &many.join(",")).is_err());
    }

    #[test]
    fn secrets_are_trimmed_and_bounded() {
        assert_eq!(secret("secret", "API key", "  abc \n").unwrap(), "abc");
        assert_eq!(secret("secret", "API token", "FlyV1 fm2_a,fm2_b").unwrap(), "fm2_a,fm2_b");
        assert!(secret("secret", "API key", "").is_err());
        assert!(secret("secret", "API key", "a b").is_err());
        assert!(secret("secret", "API key", &"x".repeat(SECRET_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn socket_paths_are_absolute_and_short() {
        assert_eq!(
            socket_path("p", "unix:///var/run/docker.sock").unwrap(),
            "/var/run/docker.sock"
        );
        assert!(socket_path("p", "docker.sock").is_err());
        assert!(socket_path("p", &format!("/{}", "a".repeat(200))).is_err());
    }

    #[test]
    fn each_kind_needs_its_own_fields() {
        let form = HostForm {
            kind: "fly",
            name: "Fly",
            org_slug: "acme",
            ..HostForm::default()
        };
        let error = new_host(&form).unwrap_err();
        assert_eq!(error, AppError::invalid("secret", "Enter the API token."));
        let form = HostForm {
            secret: "fm2_abc",
            ..form
        };
        assert_eq!(
            new_host(&form).unwrap().target.kind(),
            super::super::HostKind::Fly
        );
        assert!(
            new_host(&HostForm {
                kind: "ftp",
                ..form
            })
            .is_err()
        );
    }
}
