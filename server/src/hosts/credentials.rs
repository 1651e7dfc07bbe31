//! Turning what a form sent into what is stored: the non-secret
//! [`Endpoint`] and the secrets that the vault seals as one JSON map bound
//! to (`hosts`, `credentials`, id). PEM texts and keys are parsed here, so a
//! pasting mistake is reported on its field when the host is saved rather
//! than at its first test.

use std::collections::BTreeMap;

use app::AppError;
use app::hosts::{CredentialKind, DockerTransport, NewCredentials, NewTarget, TlsFiles};

use super::check::Credentials;
use super::ssh;
use super::store::Endpoint;
use super::tls;
use crate::vault::{Location, Secret, Vault, VaultError};

pub fn location(row: &str) -> Location<'_> {
    Location {
        table: "hosts",
        column: "credentials",
        row,
    }
}

/// Secrets to seal, by name (see [`Credentials`] for the names).
#[derive(Default)]
pub struct Plain(BTreeMap<&'static str, String>);

impl std::fmt::Debug for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Plain {
    fn one(name: &'static str, value: &str) -> Plain {
        Plain(BTreeMap::from([(name, value.to_string())]))
    }

    fn tls(files: &TlsFiles) -> Result<Plain, AppError> {
        let material = tls::TlsMaterial {
            ca: &files.ca,
            cert: &files.cert,
            key: &files.key,
        };
        tls::client_config(material)
            .map_err(|error| AppError::invalid(error.field, error.message))?;
        Ok(Plain(BTreeMap::from([
            (Credentials::TLS_CA, files.ca.clone()),
            (Credentials::TLS_CERT, files.cert.clone()),
            (Credentials::TLS_KEY, files.key.clone()),
        ])))
    }

    fn private_key(text: &str) -> Result<Plain, AppError> {
        ssh::parse_private_key(&Secret::new(text.to_string()))
            .map_err(|message| AppError::invalid("private_key", message))?;
        Ok(Plain::one(Credentials::PRIVATE_KEY, text))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn seal(&self, vault: &Vault, id: i64) -> Vec<u8> {
        vault.encrypt_json(&self.0, location(&id.to_string()))
    }
}

/// Opens a row's sealed credentials; empty when it has none.
pub fn open(vault: &Vault, id: i64, sealed: Option<&[u8]>) -> Result<Credentials, VaultError> {
    let Some(sealed) = sealed else {
        return Ok(Credentials::default());
    };
    let id = id.to_string();
    let json = vault.decrypt(sealed, location(&id))?;
    let map: BTreeMap<String, String> =
        serde_json::from_slice(json.expose()).map_err(|_| VaultError::Json)?;
    Ok(Credentials(
        map.into_iter()
            .map(|(name, value)| (name, Secret::new(value)))
            .collect(),
    ))
}

/// The endpoint and secrets of a new host. An SSH host's key is pinned by
/// the caller, which scans it; the endpoint has none yet.
pub fn from_target(target: &NewTarget) -> Result<(Endpoint, Plain), AppError> {
    Ok(match target {
        NewTarget::Docker { socket_path } => (
            Endpoint {
                transport: Some(DockerTransport::Unix),
                socket_path: Some(socket_path.clone()),
                ..Endpoint::default()
            },
            Plain::default(),
        ),
        NewTarget::DockerTls { address, tls } => (
            Endpoint {
                transport: Some(DockerTransport::Tls),
                address: Some(address.clone()),
                ..Endpoint::default()
            },
            Plain::tls(tls)?,
        ),
        NewTarget::DockerSsh {
            address,
            user,
            remote_socket,
            private_key,
            ..
        } => (
            Endpoint {
                transport: Some(DockerTransport::Ssh),
                address: Some(address.clone()),
                user: Some(user.clone()),
                socket_path: Some(remote_socket.clone()),
                ..Endpoint::default()
            },
            Plain::private_key(private_key)?,
        ),
        NewTarget::Fly {
            org_slug,
            api_token,
        } => (
            Endpoint {
                org_slug: Some(org_slug.clone()),
                ..Endpoint::default()
            },
            Plain::one(Credentials::TOKEN, api_token),
        ),
        NewTarget::Runpod { api_key } => {
            (Endpoint::default(), Plain::one(Credentials::TOKEN, api_key))
        }
    })
}

/// The replacement secrets for a host whose credential is of `kind`,
/// taking only the fields that kind uses.
pub fn replacement(kind: CredentialKind, sent: &NewCredentials) -> Result<Plain, AppError> {
    let missing = |field: &str, what: &str| AppError::invalid(field, format!("Enter the {what}."));
    match kind {
        CredentialKind::None => Err(AppError::invalid(
            "secret",
            "A Docker engine on a local socket has no credential to replace.",
        )),
        CredentialKind::ApiToken | CredentialKind::ApiKey => {
            let secret = sent
                .secret
                .as_deref()
                .ok_or_else(|| missing("secret", kind.label()))?;
            Ok(Plain::one(Credentials::TOKEN, secret))
        }
        CredentialKind::SshKey => {
            let key = sent
                .private_key
                .as_deref()
                .ok_or_else(|| missing("private_key", "private key"))?;
            Plain::private_key(key)
        }
        CredentialKind::TlsFiles => {
            let files = sent
                .tls
                .as_ref()
                .ok_or_else(|| missing("tls_ca", "CA certificate"))?;
            Plain::tls(files)
        }
    }
}
