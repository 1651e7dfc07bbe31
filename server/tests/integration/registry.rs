//! The registry client against a real registry: Debian's docker-registry
//! (distribution 2.8.2, installed by `.dev/setup.sh`) on a free loopback
//! port, holding images pushed by the Docker engine of this machine.
//!
//! Two set-ups: htpasswd (Basic) sign-in, and token sign-in, where the
//! test itself is the token service: it checks Basic credentials and signs
//! JWTs (ES256) with a key whose certificate is the registry's only trusted
//! root. Docker treats registries on 127.0.0.0/8 as plain-HTTP registries,
//! so no TLS is involved.
//!
//! The registry itself and the Docker client that pushes to it are
//! `end2end::registry`'s, shared with the browser tests. Missing docker,
//! docker-registry or htpasswd fails these tests with a message saying so;
//! they never pass by skipping.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use end2end::registry::{Auth, LocalRegistry};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::json;
use server::sources::registry::{
    Credentials, Digest, Page, Registry, RegistryError, RepositoryName, Tag,
};
use server::vault::Secret;
use tokio::net::TcpListener;

/// The account that pushes, with every right.
pub const ADMIN: &str = "alice";
pub const ADMIN_PASSWORD: &str = "alice-correct-horse";
/// An account that may only pull `team/app` (under token sign-in; htpasswd
/// has no per-repository rights).
pub const READER: &str = "reader";
pub const READER_PASSWORD: &str = "reader-battery-staple";
/// Names the registry and the token service agree on.
const SERVICE: &str = "caveman-test-registry";
const ISSUER: &str = "caveman-test-issuer";

/// The two ways the registry signs clients in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    Htpasswd,
    Token,
}

/// Defines one `#[tokio::test]` per sign-in set-up from an
/// `async fn(SignIn)`.
macro_rules! with_both_sign_ins {
    ($check:ident) => {
        mod $check {
            #[tokio::test]
            async fn with_htpasswd() {
                super::$check(super::SignIn::Htpasswd).await;
            }

            #[tokio::test]
            async fn with_tokens() {
                super::$check(super::SignIn::Token).await;
            }
        }
    };
}

/// A running registry, the token service in front of it (token set-up
/// only), and a Docker client signed in to it as [`ADMIN`].
pub struct TestRegistry {
    pub url: url::Url,
    local: LocalRegistry,
    tokens: Option<TokenService>,
}

impl TestRegistry {
    pub async fn start(sign_in: SignIn) -> TestRegistry {
        // reqwest is built with rustls but no crypto provider; the client
        // under test installs ring itself, the harness's own client first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (auth, tokens) = match sign_in {
            SignIn::Htpasswd => {
                let accounts = [(ADMIN, ADMIN_PASSWORD), (READER, READER_PASSWORD)]
                    .map(|(user, password)| (user.to_string(), password.to_string()));
                (Auth::Htpasswd(accounts.to_vec()), None)
            }
            SignIn::Token => {
                let tokens = TokenService::start().await;
                let auth = Auth::Token {
                    realm: tokens.realm.clone(),
                    service: SERVICE.to_string(),
                    issuer: ISSUER.to_string(),
                    root_certificate_pem: tokens.issuer.certificate_pem.clone(),
                };
                (auth, Some(tokens))
            }
        };
        let local = LocalRegistry::start(auth, (ADMIN, ADMIN_PASSWORD)).await;
        TestRegistry {
            url: url::Url::parse(&local.url).unwrap(),
            local,
            tokens,
        }
    }

    /// A client signed in as `user`.
    fn client(&self, user: &str, password: &str) -> Registry {
        let credentials = Credentials {
            username: user.to_string(),
            password: Secret::new(password.to_string()),
        };
        Registry::new(self.url.clone(), Some(credentials)).unwrap()
    }

    fn admin(&self) -> Registry {
        self.client(ADMIN, ADMIN_PASSWORD)
    }

    /// Builds a one-file image and pushes it as each `repository:tag`;
    /// returns the digest `docker push` reported for each.
    pub async fn push(&mut self, content: &str, references: &[&str]) -> HashMap<String, Digest> {
        self.local
            .push(content, references)
            .await
            .into_iter()
            .map(|(reference, digest)| (reference, Digest::parse(&digest).unwrap()))
            .collect()
    }

    /// How many tokens the token service has issued so far.
    fn tokens_issued(&self) -> usize {
        self.tokens
            .as_ref()
            .expect("the token set-up")
            .state
            .issued
            .load(Ordering::SeqCst)
    }
}

fn repository(name: &str) -> RepositoryName {
    RepositoryName::parse(name).unwrap()
}

fn tag(name: &str) -> Tag {
    Tag::parse(name).unwrap()
}

/// The test's token service: Basic credentials in, a signed JWT out,
/// granting what the account's rights allow of the scopes asked for.
struct TokenService {
    realm: String,
    issuer: Arc<Issuer>,
    state: Arc<TokenState>,
}

struct TokenState {
    issuer: Arc<Issuer>,
    issued: AtomicUsize,
    /// Every token issued, to prove none leaks into messages.
    tokens: Mutex<Vec<String>>,
}

impl TokenService {
    async fn start() -> TokenService {
        let issuer = Arc::new(Issuer::new());
        let state = Arc::new(TokenState {
            issuer: issuer.clone(),
            issued: AtomicUsize::new(0),
            tokens: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/token", get(issue))
            .with_state(state.clone());
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        TokenService {
            realm: format!("http://{addr}/token"),
            issuer,
            state,
        }
    }
}

/// `GET /token?service=…&scope=…` with Basic credentials, as the
/// distribution token protocol has it.
async fn issue(
    State(state): State<Arc<TokenState>>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = basic_user(&headers) else {
        let body = json!({"details": "incorrect username or password"});
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    };
    let service = query.iter().find(|(name, _)| name == "service");
    if service.map(|(_, value)| value.as_str()) != Some(SERVICE) {
        return (StatusCode::BAD_REQUEST, "unknown service").into_response();
    }
    let access: Vec<serde_json::Value> = query
        .iter()
        .filter(|(name, _)| name == "scope")
        .filter_map(|(_, scope)| grant(user, scope))
        .collect();
    let token = state.issuer.sign(user, access);
    state.issued.fetch_add(1, Ordering::SeqCst);
    state.tokens.lock().unwrap().push(token.clone());
    axum::Json(json!({"token": token, "access_token": token, "expires_in": 300})).into_response()
}

/// The account named by valid Basic credentials.
fn basic_user(headers: &HeaderMap) -> Option<&'static str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let decoded = STANDARD.decode(value.strip_prefix("Basic ")?).ok()?;
    let (user, password) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    [(ADMIN, ADMIN_PASSWORD), (READER, READER_PASSWORD)]
        .into_iter()
        .find(|(known, known_password)| *known == user && *known_password == password)
        .map(|(known, _)| known)
}

/// The part of `scope` (`type:name:actions`) that `user` may have: the
/// admin everything, the reader pulls of `team/app` only.
fn grant(user: &str, scope: &str) -> Option<serde_json::Value> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let allowed: Vec<&str> = actions
        .split(',')
        .filter(|action| match user {
            ADMIN => true,
            _ => kind == "repository" && name == "team/app" && *action == "pull",
        })
        .collect();
    (!allowed.is_empty()).then(|| json!({"type": kind, "name": name, "actions": allowed}))
}

/// The token signer: an ES256 key and its self-signed certificate, which
/// the registry trusts through `rootcertbundle` and finds through the
/// token's `x5c` header.
struct Issuer {
    certificate_pem: String,
    certificate_der: Vec<u8>,
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl Issuer {
    fn new() -> Issuer {
        let key = rcgen::KeyPair::generate().unwrap();
        let certificate = rcgen::CertificateParams::new(vec![ISSUER.to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let rng = SystemRandom::new();
        let signing =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.serialize_der(), &rng)
                .unwrap();
        Issuer {
            certificate_pem: certificate.pem(),
            certificate_der: certificate.der().to_vec(),
            key: signing,
            rng,
        }
    }

    /// A JWT for `subject` granting `access`, valid for five minutes.
    fn sign(&self, subject: &str, access: Vec<serde_json::Value>) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header = json!({
            "typ": "JWT",
            "alg": "ES256",
            "x5c": [STANDARD.encode(&self.certificate_der)],
        });
        let claims = json!({
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid::Uuid::new_v4().to_string(),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // FIXED signing gives r || s, the JWS form of an ES256 signature.
        let signature = self.key.sign(&self.rng, signing_input.as_bytes()).unwrap();
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }
}

/// Reads every page of the catalogue, `size` at a time.
async fn all_repository_pages(registry: &Registry, size: u32) -> Vec<Page<RepositoryName>> {
    let mut pages = Vec::new();
    let mut last = None;
    loop {
        let page = registry.repositories(size, last.as_ref()).await.unwrap();
        last = page.next.clone();
        pages.push(page);
        if last.is_none() || pages.len() > 10 {
            return pages;
        }
    }
}

async fn all_tag_pages(registry: &Registry, name: &RepositoryName, size: u32) -> Vec<Page<Tag>> {
    let mut pages = Vec::new();
    let mut last = None;
    loop {
        let page = registry.tags(name, size, last.as_ref()).await.unwrap();
        last = page.next.clone();
        pages.push(page);
        if last.is_none() || pages.len() > 10 {
            return pages;
        }
    }
}

async fn ping_takes_the_right_password_and_refuses_a_wrong_one(sign_in: SignIn) {
    let registry = TestRegistry::start(sign_in).await;

    registry.admin().ping().await.unwrap();
    registry
        .client(READER, READER_PASSWORD)
        .ping()
        .await
        .unwrap();

    let refused = registry.client(ADMIN, "not-the-password").ping().await;
    let Err(RegistryError::BadCredentials(message)) = &refused else {
        panic!("expected BadCredentials, got {refused:?}");
    };
    assert!(message.contains(ADMIN), "{message}");
    assert!(!message.contains("not-the-password"), "{message}");

    let anonymous = Registry::new(registry.url.clone(), None).unwrap();
    let refused = anonymous.ping().await;
    assert!(
        matches!(refused, Err(RegistryError::BadCredentials(_))),
        "{refused:?}"
    );
}
with_both_sign_ins!(ping_takes_the_right_password_and_refuses_a_wrong_one);

async fn catalogue_and_tags_page_through_exactly_what_was_pushed(sign_in: SignIn) {
    let mut registry = TestRegistry::start(sign_in).await;
    let app_tags = ["v1", "v2", "v3", "v4", "v5", "v6", "v7"];
    let references: Vec<String> = app_tags.iter().map(|t| format!("team/app:{t}")).collect();
    let references: Vec<&str> = references.iter().map(String::as_str).collect();
    registry.push("app", &references).await;
    registry
        .push("tools", &["team/web:v1", "tools/cli:1.0"])
        .await;
    let client = registry.admin();

    let pages = all_repository_pages(&client, 2).await;
    assert_eq!(
        pages,
        [
            Page {
                items: vec![repository("team/app"), repository("team/web")],
                next: Some(repository("team/web")),
            },
            Page {
                items: vec![repository("tools/cli")],
                next: None,
            },
        ]
    );
    let everything = client.repositories(100, None).await.unwrap();
    assert_eq!(everything.items.len(), 3);
    assert_eq!(everything.next, None);

    let pages = all_tag_pages(&client, &repository("team/app"), 3).await;
    let shown: Vec<(Vec<&str>, Option<&str>)> = pages
        .iter()
        .map(|page| {
            (
                page.items.iter().map(Tag::as_str).collect(),
                page.next.as_ref().map(Tag::as_str),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (vec!["v1", "v2", "v3"], Some("v3")),
            (vec!["v4", "v5", "v6"], Some("v6")),
            (vec!["v7"], None),
        ]
    );
    let cli = client
        .tags(&repository("tools/cli"), 3, None)
        .await
        .unwrap();
    assert_eq!(
        cli,
        Page {
            items: vec![tag("1.0")],
            next: None
        }
    );

    let unknown = client.tags(&repository("team/nothing"), 3, None).await;
    assert!(
        matches!(&unknown, Err(RegistryError::NotFound(message)) if message.contains("team/nothing")),
        "{unknown:?}"
    );
}
with_both_sign_ins!(catalogue_and_tags_page_through_exactly_what_was_pushed);

async fn a_tag_resolves_to_exactly_the_digest_docker_pushed(sign_in: SignIn) {
    let mut registry = TestRegistry::start(sign_in).await;
    let app = registry
        .push("app v1", &["team/app:v1", "team/app:stable"])
        .await;
    let web = registry.push("web v1", &["team/web:v1"]).await;
    assert_ne!(app["team/app:v1"], web["team/web:v1"]);
    let client = registry.admin();

    for (reference, pushed) in app.iter().chain(web.iter()) {
        let (name, tag_name) = reference.split_once(':').unwrap();
        let resolved = client.resolve(&repository(name), &tag(tag_name)).await;
        assert_eq!(resolved.as_ref(), Ok(pushed), "{reference}");
    }

    let unknown_tag = client.resolve(&repository("team/app"), &tag("v9")).await;
    let Err(RegistryError::NotFound(message)) = &unknown_tag else {
        panic!("expected NotFound, got {unknown_tag:?}");
    };
    assert!(message.contains("no tag v9"), "{message}");
    let unknown_repository = client.resolve(&repository("team/none"), &tag("v1")).await;
    assert!(
        matches!(&unknown_repository, Err(RegistryError::NotFound(message)) if message.contains("team/none")),
        "{unknown_repository:?}"
    );

    // Names that could reach into another path never become a request:
    // there is no way to call the client with them.
    for invalid in ["Team/App", "team/../app", "team/app?n=1", "team//app"] {
        let refused = RepositoryName::parse(invalid).map_err(RegistryError::from);
        assert!(
            matches!(refused, Err(RegistryError::Invalid(_))),
            "{invalid}: {refused:?}"
        );
    }
    assert!(Tag::parse("v1/../../x").is_err());
}
with_both_sign_ins!(a_tag_resolves_to_exactly_the_digest_docker_pushed);

#[tokio::test]
async fn a_token_with_too_little_scope_is_reported_as_denied() {
    let mut registry = TestRegistry::start(SignIn::Token).await;
    registry.push("app", &["team/app:v1"]).await;
    let pushed = registry.push("web", &["team/web:v1"]).await;
    let reader = registry.client(READER, READER_PASSWORD);

    // The reader may pull team/app, so that works...
    let tags = reader
        .tags(&repository("team/app"), 10, None)
        .await
        .unwrap();
    assert_eq!(tags.items, [tag("v1")]);

    // ...but its tokens carry no catalogue access and no team/web.
    let catalogue = reader.repositories(10, None).await;
    assert!(
        matches!(&catalogue, Err(RegistryError::Denied(message)) if message.contains("list of repositories")),
        "{catalogue:?}"
    );
    let web = reader.resolve(&repository("team/web"), &tag("v1")).await;
    assert!(
        matches!(&web, Err(RegistryError::Denied(message)) if message.contains("team/web:v1")),
        "{web:?}"
    );
    // The admin still resolves it: the denial is the reader's.
    assert_eq!(
        registry
            .admin()
            .resolve(&repository("team/web"), &tag("v1"))
            .await,
        Ok(pushed["team/web:v1"].clone())
    );
}

#[tokio::test]
async fn a_token_is_fetched_once_per_scope_and_reused() {
    let mut registry = TestRegistry::start(SignIn::Token).await;
    registry.push("app", &["team/app:v1", "team/web:v1"]).await;
    let client = registry.admin();
    let before = registry.tokens_issued();

    client
        .tags(&repository("team/app"), 10, None)
        .await
        .unwrap();
    client
        .tags(&repository("team/app"), 10, None)
        .await
        .unwrap();
    client
        .resolve(&repository("team/app"), &tag("v1"))
        .await
        .unwrap();
    assert_eq!(registry.tokens_issued() - before, 1, "one scope, one token");

    // A clone shares the cache; another repository is another scope.
    let clone = client.clone();
    clone.tags(&repository("team/app"), 10, None).await.unwrap();
    clone.tags(&repository("team/web"), 10, None).await.unwrap();
    clone.repositories(10, None).await.unwrap();
    assert_eq!(registry.tokens_issued() - before, 3);
}

#[tokio::test]
async fn neither_the_password_nor_a_token_shows_in_errors_or_debug_output() {
    let mut registry = TestRegistry::start(SignIn::Token).await;
    registry.push("app", &["team/app:v1"]).await;
    let client = registry.admin();
    client
        .tags(&repository("team/app"), 10, None)
        .await
        .unwrap();
    let reader = registry.client(READER, READER_PASSWORD);
    let denied = reader.repositories(10, None).await.unwrap_err();
    let wrong = registry
        .client(ADMIN, "a-wrong-password")
        .ping()
        .await
        .unwrap_err();

    let shown = format!("{client:?} {reader:?} {denied} {denied:?} {wrong} {wrong:?}");
    let issued = registry
        .tokens
        .as_ref()
        .unwrap()
        .state
        .tokens
        .lock()
        .unwrap()
        .clone();
    assert!(!issued.is_empty());
    for secret in [ADMIN_PASSWORD, READER_PASSWORD, "a-wrong-password"]
        .into_iter()
        .chain(issued.iter().map(String::as_str))
    {
        assert!(!shown.contains(secret), "{secret} appears in {shown}");
    }
}

/// A registry that redirects to another server, which then asks for a
/// token from a realm of its own: the credentials must not go there.
#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_server() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let asked = Arc::new(AtomicUsize::new(0));
    // The other server: a challenge naming its own token endpoint, which
    // counts every request that carries credentials.
    let other = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_address = other.local_addr().unwrap();
    let counter = asked.clone();
    let other_router = Router::new()
        .route(
            "/token",
            get(move |headers: HeaderMap| {
                let counter = counter.clone();
                async move {
                    if headers.contains_key(header::AUTHORIZATION) {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    axum::Json(json!({"token": "t"}))
                }
            }),
        )
        .fallback(move || async move {
            (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    format!("Bearer realm=\"http://{other_address}/token\",service=\"x\""),
                )],
            )
        });
    tokio::spawn(async move { axum::serve(other, other_router).await.unwrap() });
    // The registry: every path moves to the other server.
    let registry = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let registry_address = registry.local_addr().unwrap();
    let registry_router = Router::new().fallback(move || async move {
        (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, format!("http://{other_address}/v2/"))],
        )
    });
    tokio::spawn(async move { axum::serve(registry, registry_router).await.unwrap() });

    let client = Registry::new(
        url::Url::parse(&format!("http://{registry_address}")).unwrap(),
        Some(Credentials {
            username: ADMIN.to_string(),
            password: Secret::new(ADMIN_PASSWORD.to_string()),
        }),
    )
    .unwrap();
    let refused = client.ping().await;
    assert!(
        matches!(&refused, Err(RegistryError::Protocol(message)) if message.contains("only to the registry itself")),
        "{refused:?}"
    );
    assert_eq!(
        asked.load(Ordering::SeqCst),
        0,
        "credentials reached the other server"
    );
}
