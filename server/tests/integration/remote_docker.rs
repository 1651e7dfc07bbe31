//! Docker engines that are not on a local socket, against real servers:
//! OpenSSH's sshd on loopback, forwarding to this machine's Docker socket,
//! and a mutual-TLS terminator (rustls, requiring client certificates) in
//! front of the same socket. Host-key pinning, a changed host key, wrong
//! keys and wrong certificates.

use std::sync::Arc;

use end2end::sshd::{Sshd, keygen, user};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use tokio::net::{TcpListener, UnixStream};

use crate::on_both_engines;
use crate::support::{Browser, Engine, TestApp};

const DOCKER_SOCKET: &str = "/var/run/docker.sock";

use end2end::free_port;

/// The engine's version as the docker CLI reports it.
fn docker_cli_version() -> String {
    let output = std::process::Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .expect("the docker CLI runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

async fn test_host(browser: &Browser, id: i64) -> serde_json::Value {
    let reply = browser
        .call_here("test_host", &[("id", &id.to_string())])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

async fn scan(browser: &Browser, address: &str) -> serde_json::Value {
    let reply = browser
        .call_here("scan_host_key", &[("address", address)])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

async fn add_ssh(
    browser: &Browser,
    sshd: &Sshd,
    name: &str,
    key: &str,
    fingerprint: &str,
) -> crate::support::Reply {
    browser
        .call_here(
            "add_host",
            &[
                ("kind", "docker"),
                ("transport", "ssh"),
                ("name", name),
                ("address", &sshd.address()),
                ("user", &user()),
                ("private_key", key),
                ("host_key_fingerprint", fingerprint),
            ],
        )
        .await
}

async fn docker_over_ssh_with_a_pinned_host_key(engine: Engine) {
    let sshd = Sshd::start().await;
    let app = TestApp::spawn(engine).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;

    // The fingerprint shown is the one ssh-keygen reads from the host key.
    let scanned = scan(&owner, &sshd.address()).await;
    assert_eq!(scanned["fingerprint"], sshd.host_fingerprint());
    assert_eq!(scanned["algorithm"], "ssh-ed25519");
    assert_eq!(scanned["address"], sshd.address());

    let reply = add_ssh(
        &owner,
        &sshd,
        "Remote",
        &sshd.client_key(),
        &sshd.host_fingerprint(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let id = reply.json().as_i64().unwrap();

    let tested = test_host(&owner, id).await;
    assert_eq!(tested["summary"]["status"], "reachable", "{tested}");
    assert_eq!(
        tested["facts"]["engine_version"],
        docker_cli_version().as_str()
    );
    assert_eq!(tested["summary"]["transport"], "ssh");
    assert_eq!(
        tested["summary"]["target"],
        format!("ssh://{}@{}{DOCKER_SOCKET}", user(), sshd.address())
    );
    assert_eq!(tested["host_key_fingerprint"], sshd.host_fingerprint());
    assert_eq!(tested["credential_kind"], "ssh_key");
    let key_body = sshd.client_key();
    let key_line = key_body.lines().nth(1).unwrap();
    assert!(
        !tested.to_string().contains(key_line),
        "the key never comes back"
    );
}
on_both_engines!(docker_over_ssh_with_a_pinned_host_key);

#[tokio::test]
async fn a_changed_host_key_is_refused_until_an_admin_pins_the_new_one() {
    let mut sshd = Sshd::start().await;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let first = sshd.host_fingerprint();

    // A fingerprint the host does not present is never pinned.
    let wrong = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
    let refused = add_ssh(&owner, &sshd, "Remote", &sshd.client_key(), wrong).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.json()["field"], "host_key_fingerprint");

    let reply = add_ssh(&owner, &sshd, "Remote", &sshd.client_key(), &first).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let id = reply.json().as_i64().unwrap();
    assert_eq!(
        test_host(&owner, id).await["summary"]["status"],
        "reachable"
    );

    sshd.change_host_key().await;
    let second = sshd.host_fingerprint();
    assert_ne!(first, second);
    let tested = test_host(&owner, id).await;
    assert_eq!(tested["summary"]["status"], "unreachable");
    let error = tested["check_error"].as_str().unwrap();
    assert!(error.starts_with("Host key mismatch: "), "{error}");
    assert!(error.contains(&first) && error.contains(&second), "{error}");
    // Refused again on the next try: nothing was pinned silently.
    let tested = test_host(&owner, id).await;
    assert_eq!(tested["summary"]["status"], "unreachable");

    // A member cannot pin; an admin pins the key it presents now.
    let pin = [
        ("id", id.to_string()),
        ("host_key_fingerprint", second.clone()),
    ];
    let pin: Vec<(&str, &str)> = pin.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let pinned = owner.call_here("pin_host_key", &pin).await;
    assert_eq!(pinned.status, 200, "{}", pinned.body);
    assert_eq!(pinned.json()["host_key_fingerprint"], second);
    assert_eq!(
        test_host(&owner, id).await["summary"]["status"],
        "reachable"
    );
    let audit = owner.call("audit_log", &[]).await.body;
    assert!(audit.contains("host_key_pinned"), "{audit}");
}

#[tokio::test]
async fn a_key_the_server_does_not_authorize_and_a_key_that_is_not_a_key_are_named() {
    let sshd = Sshd::start().await;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let fingerprint = sshd.host_fingerprint();

    let garbage =
        "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----";
    let refused = add_ssh(&owner, &sshd, "Garbage", garbage, &fingerprint).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.json()["field"], "private_key");

    let stranger = tempfile::tempdir().unwrap();
    keygen(&stranger.path().join("key"));
    let stranger_key = std::fs::read_to_string(stranger.path().join("key")).unwrap();
    let reply = add_ssh(&owner, &sshd, "Stranger", &stranger_key, &fingerprint).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let tested = test_host(&owner, reply.json().as_i64().unwrap()).await;
    assert_eq!(tested["summary"]["status"], "unreachable");
    let error = tested["check_error"].as_str().unwrap();
    assert!(error.starts_with("Bad credentials: "), "{error}");
    assert!(error.contains("refused the private key"), "{error}");

    // Nothing listens: the scan says so on the address field.
    let closed = owner
        .call_here(
            "scan_host_key",
            &[("address", &format!("127.0.0.1:{}", free_port()))],
        )
        .await;
    assert_eq!(closed.status, 422, "{}", closed.body);
    assert_eq!(closed.json()["field"], "address");
    assert!(
        closed.body.contains("refused the connection"),
        "{}",
        closed.body
    );
}

/// A CA, and a certificate it signed for `127.0.0.1`, as PEM.
struct Pki {
    ca_pem: String,
    issuer: rcgen::Issuer<'static, KeyPair>,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&key).unwrap();
        Pki {
            ca_pem: ca.pem(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// (certificate, key) PEM for `names`.
    fn issue(&self, names: &[&str]) -> (String, String) {
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let params = CertificateParams::new(names).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// A mutual-TLS terminator for the local Docker socket: what
/// `dockerd --tlsverify` does, on a port of its own.
async fn tls_docker(pki: &Pki) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (cert, key) = pki.issue(&["127.0.0.1"]);
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca_pem.as_bytes()).unwrap())
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let mut tls = match acceptor.accept(tcp).await {
                    Ok(tls) => tls,
                    Err(error) => {
                        eprintln!("TLS terminator: handshake refused: {error}");
                        return;
                    }
                };
                let mut engine = UnixStream::connect(DOCKER_SOCKET).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut engine).await;
            });
        }
    });
    address
}

async fn add_tls(
    browser: &Browser,
    name: &str,
    address: &str,
    ca: &str,
    cert: &str,
    key: &str,
) -> crate::support::Reply {
    browser
        .call_here(
            "add_host",
            &[
                ("kind", "docker"),
                ("transport", "tls"),
                ("name", name),
                ("address", address),
                ("tls_ca", ca),
                ("tls_cert", cert),
                ("tls_key", key),
            ],
        )
        .await
}

#[tokio::test]
async fn docker_over_mutual_tls_trusts_only_its_own_ca() {
    let pki = Pki::new("Docker CA");
    let address = tls_docker(&pki).await;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let (cert, key) = pki.issue(&["caveman"]);

    let reply = add_tls(&owner, "TLS", &address, &pki.ca_pem, &cert, &key).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let tested = test_host(&owner, reply.json().as_i64().unwrap()).await;
    assert_eq!(tested["summary"]["status"], "reachable", "{tested}");
    assert_eq!(
        tested["facts"]["engine_version"],
        docker_cli_version().as_str()
    );
    assert_eq!(tested["summary"]["target"], format!("tcp+tls://{address}"));
    assert_eq!(tested["credential_kind"], "tls_files");

    // A client certificate from another CA: the engine refuses it.
    let other = Pki::new("Other CA");
    let (other_cert, other_key) = other.issue(&["caveman"]);
    let reply = add_tls(
        &owner,
        "Wrong client",
        &address,
        &pki.ca_pem,
        &other_cert,
        &other_key,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let tested = test_host(&owner, reply.json().as_i64().unwrap()).await;
    assert_eq!(tested["summary"]["status"], "unreachable");
    let error = tested["check_error"].as_str().unwrap();
    assert!(error.starts_with("TLS failure: "), "{error}");

    // Trusting another CA: the engine's certificate is refused.
    let reply = add_tls(&owner, "Wrong CA", &address, &other.ca_pem, &cert, &key).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let tested = test_host(&owner, reply.json().as_i64().unwrap()).await;
    let error = tested["check_error"].as_str().unwrap();
    assert!(error.starts_with("TLS failure: "), "{error}");
    assert!(error.contains("certificate was refused"), "{error}");

    // A key that does not belong to the certificate is refused on its field.
    let (_, stray_key) = pki.issue(&["stray"]);
    let reply = add_tls(&owner, "Mismatch", &address, &pki.ca_pem, &cert, &stray_key).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.json()["field"], "tls_key");
}
