//! Docker engines reached over TCP with mutual TLS (`dockerd --tlsverify`):
//! Caveman trusts only the CA the operator gave for that host, and proves
//! itself with the client certificate and key issued by it. All three are
//! kept sealed by the vault with the host's other credentials.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::check::CheckError;

/// The PEM texts of a mutual-TLS host.
#[derive(Debug, Clone, Copy)]
pub struct TlsMaterial<'a> {
    pub ca: &'a str,
    pub cert: &'a str,
    pub key: &'a str,
}

/// Which of the three PEM texts is wrong, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialError {
    /// `tls_ca`, `tls_cert` or `tls_key`: the form field.
    pub field: &'static str,
    pub message: String,
}

fn material_error(field: &'static str, message: &str) -> MaterialError {
    MaterialError {
        field,
        message: message.to_string(),
    }
}

/// A rustls client configuration that trusts only `ca` and presents
/// `cert` and `key`. Also used when a host is added, so a pasting mistake
/// is reported on its field rather than at the first test.
pub fn client_config(material: TlsMaterial<'_>) -> Result<rustls::ClientConfig, MaterialError> {
    let mut roots = rustls::RootCertStore::empty();
    let cas = certificates(material.ca, "tls_ca")?;
    for ca in cas {
        roots.add(ca).map_err(|_| {
            material_error(
                "tls_ca",
                "This CA certificate cannot be used as a trust anchor.",
            )
        })?;
    }
    let chain = certificates(material.cert, "tls_cert")?;
    let key = PrivateKeyDer::from_pem_slice(material.key.as_bytes()).map_err(|_| {
        material_error(
            "tls_key",
            "Paste the client's private key in PEM form (key.pem), including its BEGIN and END lines.",
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| material_error("tls_cert", "No TLS version is available."))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|error| {
            material_error(
                "tls_key",
                &format!("The key does not fit the client certificate: {error}."),
            )
        })
}

fn certificates(
    pem: &str,
    field: &'static str,
) -> Result<Vec<CertificateDer<'static>>, MaterialError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|_| material_error(field, "This is not a PEM certificate."))?;
    if certs.is_empty() {
        return Err(material_error(
            field,
            "Paste the certificate in PEM form, including its BEGIN CERTIFICATE and END CERTIFICATE lines.",
        ));
    }
    Ok(certs)
}

/// The host part of `host:port` (brackets removed from IPv6).
fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Opens a mutual-TLS connection to the engine at `address`.
pub async fn connect(
    address: &str,
    material: TlsMaterial<'_>,
) -> Result<TlsStream<TcpStream>, CheckError> {
    let config = client_config(material).map_err(|error| CheckError::Tls(error.message))?;
    let name = ServerName::try_from(host_of(address).to_string())
        .map_err(|_| CheckError::Tls(format!("{address} has no usable host name for TLS.")))?;
    let tcp = TcpStream::connect(address)
        .await
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::ConnectionRefused => CheckError::Unreachable(format!(
                "{address} refused the connection: is dockerd listening there with --tlsverify?"
            )),
            _ => CheckError::Unreachable(format!("Cannot reach {address}: {error}.")),
        })?;
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|error| tls_error(address, &error))
}

/// A failed handshake, named by its TLS cause when it has one.
fn tls_error(address: &str, error: &std::io::Error) -> CheckError {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => describe(tls),
        None => {
            CheckError::Unreachable(format!("The TLS connection to {address} failed: {error}."))
        }
    }
}

/// A TLS failure in words: whose certificate was refused, and why.
pub fn describe(error: &rustls::Error) -> CheckError {
    CheckError::Tls(match error {
        rustls::Error::InvalidCertificate(reason) => format!(
            "The engine's certificate was refused ({reason:?}): it must be signed by the CA \
             given for this host and name this address."
        ),
        rustls::Error::AlertReceived(alert) => format!(
            "The engine refused Caveman's client certificate (TLS alert {alert:?}): it must be \
             signed by the CA dockerd trusts (--tlscacert)."
        ),
        other => format!("The TLS handshake failed: {other}."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_name_is_the_address_without_its_port() {
        assert_eq!(host_of("docker.example.com:2376"), "docker.example.com");
        assert_eq!(host_of("127.0.0.1:2376"), "127.0.0.1");
        assert_eq!(host_of("[::1]:2376"), "::1");
    }

    #[test]
    fn each_pem_text_is_checked_on_its_own_field() {
        let material = TlsMaterial {
            ca: "not a certificate",
            cert: "",
            key: "",
        };
        assert_eq!(client_config(material).unwrap_err().field, "tls_ca");
    }
}
