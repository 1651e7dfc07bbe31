//! The integration-test harness: the whole application started in-process
//! on a free port against a fresh database of either engine.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use server::config::{Config, DatabaseUrl};
use server::db::Database;
use server::{http, serve};
use tokio::net::TcpListener;

/// The database engines every persistence test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Defines one `#[tokio::test]` per engine from an `async fn(Engine)`.
#[macro_export]
macro_rules! on_both_engines {
    ($check:ident) => {
        mod $check {
            #[tokio::test]
            async fn on_sqlite() {
                super::$check($crate::support::Engine::Sqlite).await;
            }

            #[tokio::test]
            async fn on_postgres() {
                super::$check($crate::support::Engine::Postgres).await;
            }
        }
    };
}

/// A running application and the fresh database behind it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base_url: String,
    pub db: Database,
    pub client: reqwest::Client,
    pub config: Config,
    _data_dir: tempfile::TempDir,
    postgres: Option<PostgresDatabase>,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        Self::spawn_with(engine, &[]).await
    }

    /// Starts the application with extra settings (`caveman.toml` keys).
    pub async fn spawn_with(engine: Engine, extra: &[(&str, &str)]) -> TestApp {
        // reqwest is built with rustls but no crypto provider; the server
        // installs ring when it starts, and the test clients need it first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data_dir = tempfile::tempdir().unwrap();
        let postgres = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => Some(PostgresDatabase::create().await),
        };
        let mut settings = BTreeMap::from([
            (
                "data_dir".to_string(),
                data_dir.path().display().to_string(),
            ),
            (
                "site_root".to_string(),
                data_dir.path().join("site").display().to_string(),
            ),
        ]);
        if let Some(postgres) = &postgres {
            settings.insert("database_url".to_string(), postgres.url.clone());
        }
        for (key, value) in extra {
            settings.insert((*key).to_string(), (*value).to_string());
        }
        let config = Config::from_sources(settings, |_| None).unwrap();

        let db = serve::open_database(&config).await.unwrap();
        let vault = server::vault::keys::open(&config).unwrap();
        let router = http::router(serve::app_state(&config, db.clone(), vault).unwrap());
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        // The production accept loop, never told to shut down.
        tokio::spawn(http::connections::serve(
            listener,
            router,
            std::future::pending(),
        ));

        TestApp {
            addr,
            base_url: format!("http://{addr}"),
            db,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            config,
            _data_dir: data_dir,
            postgres,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Calls a server function the way the browser does (URL-encoded
    /// arguments in a POST body, from a page of this site), without
    /// cookies.
    pub async fn call(&self, endpoint: &str, args: &str) -> reqwest::Response {
        server_fn_request(&self.client, &self.base_url, &self.base_url, endpoint, args)
            .send()
            .await
            .unwrap()
    }

    /// A new browser: its own cookie jar, so its own session.
    pub fn browser(&self) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_store(true)
                .build()
                .unwrap(),
            base_url: self.base_url.clone(),
            // Pages are served from the public URL: a proxy in front may
            // reach the server on another address.
            origin: self.config.public_url.origin().ascii_serialization(),
        }
    }

    /// Waits for the newest mail to `to` whose subject contains `subject`
    /// to reach the local mailbox, and returns its body.
    pub async fn mail(&self, to: &str, subject: &str) -> String {
        self.mail_since(to, subject, 0).await
    }

    /// The id of the newest mail in the mailbox (0 when empty), to wait for
    /// a mail sent after this point with [`Self::mail_since`].
    pub async fn newest_mail_id(&self) -> i64 {
        server::mailer::Mailbox::new(self.db.clone())
            .list(1)
            .await
            .unwrap()
            .first()
            .map_or(0, |mail| mail.id)
    }

    /// Like [`Self::mail`], for a mail newer than mail id `since`. Mail is
    /// sent in the background, so a test that sends the same kind of mail
    /// twice must wait for the second explicitly.
    pub async fn mail_since(&self, to: &str, subject: &str, since: i64) -> String {
        let mailbox = server::mailer::Mailbox::new(self.db.clone());
        for _ in 0..100 {
            let found = mailbox.list(100).await.unwrap().into_iter().find(|mail| {
                mail.id > since && mail.recipient == to && mail.subject.contains(subject)
            });
            if let Some(mail) = found {
                return mail.body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} about {subject:?} arrived");
    }

    /// How many mails `to` has received.
    pub async fn mail_count(&self, to: &str) -> usize {
        server::mailer::Mailbox::new(self.db.clone())
            .list(500)
            .await
            .unwrap()
            .into_iter()
            .filter(|mail| mail.recipient == to)
            .count()
    }

    /// Signs up `email`, confirms it through the mailed link and signs in
    /// with a new browser.
    pub async fn signed_in(&self, email: &str, name: &str) -> Browser {
        let browser = self.browser();
        let reply = browser
            .call(
                "sign_up",
                &[
                    ("email", email),
                    ("display_name", name),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let token = token_in(&self.mail(email, "Confirm").await);
        let reply = browser.call("confirm_email", &[("token", &token)]).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let reply = browser
            .call("sign_in", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        browser
    }

    /// Signs up `email` and makes them a member of `owner`'s current
    /// workspace, invited and accepted through the mailed link.
    pub async fn member_of(&self, owner: &Browser, email: &str, name: &str) -> Browser {
        let member = self.signed_in(email, name).await;
        let invited = owner
            .call_here("invite_member", &[("email", email), ("role", "member")])
            .await;
        assert_eq!(invited.status, 200, "{}", invited.body);
        let invitation = token_in(&self.mail(email, "invited").await);
        let accepted = member
            .call("accept_invitation", &[("token", &invitation)])
            .await;
        assert_eq!(accepted.status, 200, "{}", accepted.body);
        member
    }
}

/// The password the fixtures sign up with.
pub const PASSWORD: &str = "correct horse battery staple";

/// The token of the first link in a mail body.
pub fn token_in(body: &str) -> String {
    let start = body
        .find("token=")
        .expect("the mail holds a link with a token")
        + "token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

fn server_fn_request(
    client: &reqwest::Client,
    base_url: &str,
    origin: &str,
    endpoint: &str,
    args: &str,
) -> reqwest::RequestBuilder {
    client
        .post(format!("{base_url}/api/{endpoint}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("origin", origin)
        .body(args.to_string())
}

/// A server function's reply: status, body, and the `Set-Cookie` headers.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub set_cookies: Vec<String>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

/// One browser: a cookie jar talking to the application.
pub struct Browser {
    pub client: reqwest::Client,
    pub base_url: String,
    /// The `Origin` its requests carry.
    pub origin: String,
}

impl Browser {
    /// Calls a server function with URL-encoded arguments.
    pub async fn call(&self, endpoint: &str, args: &[(&str, &str)]) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(args)
            .finish();
        let response =
            server_fn_request(&self.client, &self.base_url, &self.origin, endpoint, &body)
                .send()
                .await
                .unwrap();
        let status = response.status().as_u16();
        let set_cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().unwrap().to_string())
            .collect();
        Reply {
            status,
            body: response.text().await.unwrap(),
            set_cookies,
        }
    }

    /// Calls a server function that acts on a workspace, naming the
    /// browser's current one as the page would.
    pub async fn call_here(&self, endpoint: &str, args: &[(&str, &str)]) -> Reply {
        let id = self.viewer().await["workspace"]["id"]
            .as_i64()
            .expect("a signed-in browser")
            .to_string();
        let mut all = vec![("workspace_id", id.as_str())];
        all.extend_from_slice(args);
        self.call(endpoint, &all).await
    }

    /// The signed-in viewer, or `null`.
    pub async fn viewer(&self) -> serde_json::Value {
        let reply = self.call("viewer", &[]).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }
}

/// The test PostgreSQL server; the test command starts one and sets this.
pub fn postgres_admin_url() -> String {
    std::env::var("CAVEMAN_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "CAVEMAN_TEST_POSTGRES_URL is not set: run the tests through `bash .dev/test.sh`, \
             which starts a private PostgreSQL, or point it at a server you may create databases on"
        )
    })
}

/// A database created for one test and dropped when the test ends.
pub struct PostgresDatabase {
    pub url: String,
    name: String,
}

impl PostgresDatabase {
    pub async fn create() -> Self {
        let admin_url = postgres_admin_url();
        let name = format!("caveman_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;

        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        PostgresDatabase {
            url: url.to_string(),
            name,
        }
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        // Drop runs outside any async context guarantee, so the clean-up
        // gets its own thread and runtime. A failure only leaves a stray
        // database in the throw-away test cluster.
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(admin) = sqlx::PgPool::connect(&postgres_admin_url()).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&admin)
                        .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Connects straight to a fresh database, without starting the server.
pub async fn fresh_database(
    engine: Engine,
) -> (Database, Option<PostgresDatabase>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (url, postgres) = match engine {
        Engine::Sqlite => (DatabaseUrl::Sqlite(dir.path().join("caveman.db")), None),
        Engine::Postgres => {
            let postgres = PostgresDatabase::create().await;
            (DatabaseUrl::Postgres(postgres.url.clone()), Some(postgres))
        }
    };
    (Database::connect(&url).await.unwrap(), postgres, dir)
}
