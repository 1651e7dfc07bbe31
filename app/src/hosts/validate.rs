//! The rules for host forms, shared by the browser and the server (which
//! enforces them). Each message names what to change.

use super::{DockerTransport, HostChanges, NewHost, NewTarget, TlsFiles};
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
/// Longest PEM text accepted (a 4096-bit RSA key is about 3.3 KiB; a CA
/// bundle of a few certificates fits easily).
pub const PEM_MAX_BYTES: usize = 32 * 1024;
pub const HOST_NAME_MAX_BYTES: usize = 253;
pub const DEFAULT_SSH_PORT: u16 = 22;
/// The port `dockerd --tlsverify` listens on by convention.
pub const DEFAULT_DOCKER_TLS_PORT: u16 = 2376;
pub const DEFAULT_REMOTE_SOCKET: &str = "/var/run/docker.sock";

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

/// A PEM text as pasted (a key or certificates): trimmed, bounded, with
/// its armour. The server parses it.
pub fn pem(field: &str, what: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, format!("Paste the {what}.")));
    }
    if value.len() > PEM_MAX_BYTES {
        return Err(AppError::invalid(
            field,
            format!("The {what} has at most {} KiB.", PEM_MAX_BYTES / 1024),
        ));
    }
    if !value.contains("-----BEGIN ") || !value.contains("-----END ") {
        return Err(AppError::invalid(
            field,
            format!("Paste the whole {what}, including its -----BEGIN and -----END lines."),
        ));
    }
    Ok(format!("{value}\n"))
}

/// A network address `host[:port]` (IPv6 in brackets), as `host:port`.
/// Scheme prefixes people copy from docker contexts are dropped.
pub fn address(field: &str, value: &str, default_port: u16) -> Result<String, AppError> {
    let value = value.trim();
    let value = ["ssh://", "tcp://", "https://"]
        .iter()
        .find_map(|scheme| value.strip_prefix(scheme))
        .unwrap_or(value)
        .trim_end_matches('/');
    let invalid = || {
        AppError::invalid(
            field,
            format!("Enter a host name or IP address, with :port if it is not {default_port}."),
        )
    };
    if value.contains('@') {
        return Err(AppError::invalid(
            field,
            "Enter the user in its own field, and only the host here.",
        ));
    }
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(invalid)?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(invalid());
        }
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err(invalid()),
        };
        (format!("[{host}]"), port)
    } else {
        let (host, port) = match value.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (value, None),
        };
        let host_ok = !host.is_empty()
            && host.len() <= HOST_NAME_MAX_BYTES
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
            && !host.starts_with(['-', '.']);
        if !host_ok {
            return Err(invalid());
        }
        (host.to_ascii_lowercase(), port)
    };
    let port = match port {
        None => default_port,
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|port| *port > 0)
            .ok_or_else(|| AppError::invalid(field, "A port is a number from 1 to 65535."))?,
    };
    Ok(format!("{host}:{port}"))
}

/// A user name on a remote machine.
pub fn ssh_user(field: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.len() <= 64
        && !value.starts_with('-')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(value.to_string())
    } else {
        Err(AppError::invalid(
            field,
            "Enter the user Caveman signs in as, like deploy (letters, digits, '.', '-', '_').",
        ))
    }
}

/// An SSH host key fingerprint as `ssh-keygen -lf` prints it.
pub fn fingerprint(field: &str, value: &str) -> Result<String, AppError> {
    let value = value.trim();
    let ok = value.strip_prefix("SHA256:").is_some_and(|digest| {
        digest.len() == 43
            && digest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
    });
    if ok {
        Ok(value.to_string())
    } else {
        Err(AppError::invalid(
            field,
            "Fetch the host's key and confirm its fingerprint first.",
        ))
    }
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
    /// For Docker: `unix` (the default), `tls` or `ssh`.
    pub transport: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub labels: &'a str,
    /// The local socket, or for SSH the socket on the remote machine.
    pub socket_path: &'a str,
    pub address: &'a str,
    pub user: &'a str,
    pub private_key: &'a str,
    pub host_key_fingerprint: &'a str,
    pub tls_ca: &'a str,
    pub tls_cert: &'a str,
    pub tls_key: &'a str,
    pub org_slug: &'a str,
    pub secret: &'a str,
}

fn docker_target(form: &HostForm<'_>) -> Result<NewTarget, AppError> {
    let transport = if form.transport.is_empty() {
        Some(DockerTransport::Unix)
    } else {
        DockerTransport::parse(form.transport)
    };
    Ok(match transport {
        Some(DockerTransport::Unix) => NewTarget::Docker {
            socket_path: socket_path("socket_path", form.socket_path)?,
        },
        Some(DockerTransport::Tls) => NewTarget::DockerTls {
            address: address("address", form.address, DEFAULT_DOCKER_TLS_PORT)?,
            tls: tls_files(form.tls_ca, form.tls_cert, form.tls_key)?,
        },
        Some(DockerTransport::Ssh) => NewTarget::DockerSsh {
            address: address("address", form.address, DEFAULT_SSH_PORT)?,
            user: ssh_user("user", form.user)?,
            remote_socket: if form.socket_path.trim().is_empty() {
                DEFAULT_REMOTE_SOCKET.to_string()
            } else {
                socket_path("socket_path", form.socket_path)?
            },
            private_key: pem("private_key", "private key", form.private_key)?,
            host_key_fingerprint: fingerprint("host_key_fingerprint", form.host_key_fingerprint)?,
        },
        None => {
            return Err(AppError::invalid(
                "transport",
                "Choose how Caveman reaches the engine.",
            ));
        }
    })
}

/// The three PEM texts of a mutual-TLS host.
pub fn tls_files(ca: &str, cert: &str, key: &str) -> Result<TlsFiles, AppError> {
    Ok(TlsFiles {
        ca: pem("tls_ca", "CA certificate", ca)?,
        cert: pem("tls_cert", "client certificate", cert)?,
        key: pem("tls_key", "client key", key)?,
    })
}

/// Checks the add-host form, field by field.
pub fn new_host(form: &HostForm<'_>) -> Result<NewHost, AppError> {
    let target = match super::HostKind::parse(form.kind) {
        Some(super::HostKind::Docker) => docker_target(form)?,
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
        assert_eq!(
            secret("secret", "API token", "FlyV1 fm2_a,fm2_b").unwrap(),
            "fm2_a,fm2_b"
        );
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
    fn addresses_get_a_default_port_and_lose_their_scheme() {
        assert_eq!(
            address("a", "Docker.example.com", 22).unwrap(),
            "docker.example.com:22"
        );
        assert_eq!(
            address("a", "ssh://10.0.0.5:2222", 22).unwrap(),
            "10.0.0.5:2222"
        );
        assert_eq!(
            address("a", "tcp://[::1]:2376", 2376).unwrap(),
            "[::1]:2376"
        );
        assert_eq!(address("a", "[::1]", 22).unwrap(), "[::1]:22");
        assert!(address("a", "root@host", 22).is_err());
        assert!(address("a", "host:0", 22).is_err());
        assert!(address("a", "host:99999", 22).is_err());
        assert!(address("a", "bad host", 22).is_err());
        assert!(address("a", "", 22).is_err());
    }

    #[test]
    fn fingerprints_have_the_shape_ssh_keygen_prints() {
        let good = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
        assert_eq!(fingerprint("f", good).unwrap(), good);
        assert!(fingerprint("f", "MD5:aa:bb").is_err());
        assert!(fingerprint("f", "").is_err());
    }

    #[test]
    fn pem_texts_keep_their_armour_and_are_bounded() {
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----";
        assert_eq!(
            pem("k", "private key", &format!("  {key}\n\n")).unwrap(),
            format!("{key}\n")
        );
        assert!(pem("k", "private key", "abc").is_err());
        assert!(pem("k", "private key", &"x".repeat(PEM_MAX_BYTES + 1)).is_err());
    }

    #[test]
    fn an_ssh_host_needs_a_confirmed_fingerprint() {
        let form = HostForm {
            kind: "docker",
            transport: "ssh",
            name: "Remote",
            address: "203.0.113.7",
            user: "deploy",
            private_key: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
            ..HostForm::default()
        };
        let error = new_host(&form).unwrap_err();
        assert!(
            matches!(error, AppError::Invalid { ref field, .. } if field.as_deref() == Some("host_key_fingerprint")),
            "{error:?}"
        );
        let form = HostForm {
            host_key_fingerprint: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
            ..form
        };
        let NewTarget::DockerSsh {
            address,
            remote_socket,
            ..
        } = new_host(&form).unwrap().target
        else {
            panic!("an SSH target");
        };
        assert_eq!(address, "203.0.113.7:22");
        assert_eq!(remote_socket, DEFAULT_REMOTE_SOCKET);
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
