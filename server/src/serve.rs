//! Starting and stopping the application: open the database, migrate, bind,
//! serve until a shutdown signal, then drain.

use std::sync::Arc;
use std::time::Instant;

use leptos::config::{Env, LeptosOptions};
use tokio::net::TcpListener;

use crate::accounts::sessions::DbSessionStore;
use crate::accounts::{Accounts, PasswordError, Passwords};
use crate::api_tokens::ApiTokens;
use crate::config::Config;
use crate::db::{Database, DbError};
use crate::hosts::Hosts;
use crate::hosts::check::{Checker, ProviderUrls};
use crate::http::{self, AppState};
use crate::mailer::{MailError, Mailbox, Mailer, Smtp};
use crate::rate_limit::RateLimiter;
use crate::sources::Sources;
use crate::system::System;
use crate::vault::Vault;
use crate::vault::keys::{self, KeySourceError};
use crate::vault::registry::{self, RegistryError};
use crate::workspaces::Workspaces;

/// How long the database pool may take to close at shutdown.
const DB_CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Base name of the front end's generated files (`pkg/caveman.js`, ...).
pub const OUTPUT_NAME: &str = "caveman";

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Vault(#[from] KeySourceError),
    #[error(transparent)]
    VaultKeys(#[from] RegistryError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read the listening address")]
    LocalAddr(#[source] std::io::Error),
    #[error("cannot set up outgoing mail")]
    Mail(#[from] MailError),
    #[error("cannot set up password hashing")]
    Passwords(#[from] PasswordError),
    #[error("cannot set up the HTTP client for outside APIs")]
    HttpClient(#[source] reqwest::Error),
}

/// How often expired sessions are deleted.
const SESSION_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Opens the database named by the configuration and brings its schema up
/// to date.
pub async fn open_database(config: &Config) -> Result<Database, DbError> {
    let db = Database::connect(&config.database).await?;
    db.migrate().await?;
    Ok(db)
}

/// The Leptos options derived from our own configuration, so that running
/// the server does not depend on cargo-leptos' environment variables.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.bind)
        .env(Env::PROD)
        .build()
}

/// Builds the application state on an open database and vault.
pub fn app_state(config: &Config, db: Database, vault: Vault) -> Result<AppState, ServeError> {
    let system = Arc::new(System::new(db.clone(), Instant::now()));
    let (mailer, mailbox) = match &config.smtp_url {
        Some(url) => (
            Mailer::new(Arc::new(Smtp::new(url, &config.mail_from)?)),
            None,
        ),
        None => {
            let mailbox = Mailbox::new(db.clone());
            (Mailer::new(Arc::new(mailbox.clone())), Some(mailbox))
        }
    };
    let limits = Arc::new(RateLimiter::default());
    let accounts = Accounts::new(
        db.clone(),
        Passwords::new()?,
        mailer.clone(),
        limits.clone(),
        config.public_url.clone(),
    );
    let workspaces = Workspaces::new(db.clone(), mailer, limits, config.public_url.clone());
    let api_tokens = ApiTokens::new(db.clone());
    let vault = Arc::new(vault);
    let checker = Checker::new(
        ProviderUrls {
            fly_api: config.fly_api_url.clone(),
            runpod_api: config.runpod_api_url.clone(),
        },
        config.docker_sockets.clone(),
    )
    .map_err(ServeError::HttpClient)?;
    let hosts = Hosts::new(db.clone(), vault.clone(), checker);
    let sources = Sources::new(db.clone(), vault.clone());
    Ok(AppState {
        leptos: leptos_options(config),
        sessions: DbSessionStore::new(db.clone()),
        db,
        vault,
        system,
        accounts: Arc::new(accounts),
        workspaces: Arc::new(workspaces),
        api_tokens: Arc::new(api_tokens),
        hosts: Arc::new(hosts),
        sources: Arc::new(sources),
        mailbox,
        public_url: config.public_url.clone(),
        secure_cookies: config.secure_cookies,
    })
}

/// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
pub async fn run(config: Config) -> Result<(), ServeError> {
    warn_if_front_end_missing(&config);
    let db = open_database(&config).await?;
    let vault = keys::open(&config)?;
    registry::check_and_record(&db, &vault).await?;
    tracing::info!(vault.current_key = vault.current_key_id(), "vault ready");
    let level = db.migration_level().await?;
    tracing::info!(
        db.engine = db.engine().label(),
        db.migration = level.applied,
        "database ready"
    );

    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.bind,
            source,
        })?;
    // The bound address, which differs from the configured one for port 0.
    let addr = listener.local_addr().map_err(ServeError::LocalAddr)?;
    let state = app_state(&config, db.clone(), vault)?;
    if state.mailbox.is_some() {
        tracing::warn!(
            "SMTP is not configured: mail is kept in the local mailbox, readable at /dev/mailbox from this machine only"
        );
    }
    tokio::spawn(sweep_sessions(state.sessions.clone()));
    let router = http::router(state);
    let shutdown = shutdown_signal();
    tracing::info!(%addr, public_url = %config.public_url, "listening on http://{addr}");

    http::connections::serve(listener, router, shutdown).await;
    // Requests cut off by the drain timeout may still hold connections;
    // closing waits for them, so it gets a deadline of its own.
    if tokio::time::timeout(DB_CLOSE_TIMEOUT, db.close())
        .await
        .is_err()
    {
        tracing::warn!("database connections still in use at exit");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Deletes expired sessions now and then, for the life of the process.
async fn sweep_sessions(sessions: DbSessionStore) {
    let mut ticks = tokio::time::interval(SESSION_SWEEP_INTERVAL);
    loop {
        ticks.tick().await;
        match sessions.delete_expired().await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(sessions.deleted = deleted, "expired sessions deleted"),
            Err(error) => tracing::warn!(%error, "cannot delete expired sessions"),
        }
    }
}

fn warn_if_front_end_missing(config: &Config) {
    let loader = config
        .site_root
        .join("pkg")
        .join(format!("{OUTPUT_NAME}.js"));
    if !loader.exists() {
        tracing::warn!(
            site_root = %config.site_root.display(),
            "front end not found: pages will render but stay inert; build it with `bash .dev/build.sh`"
        );
    }
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this
/// is called, not when the future is first polled: a signal that arrives
/// right after the "listening" line must already find them (otherwise it
/// kills the process without a drain).
fn shutdown_signal() -> impl Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};

    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let wait = |stream: std::io::Result<tokio::signal::unix::Signal>, name: &'static str| async move {
            match stream {
                Ok(mut stream) => {
                    stream.recv().await;
                }
                Err(error) => {
                    tracing::error!(%error, signal = name, "cannot listen for the signal");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            () = wait(interrupt, "SIGINT") => {},
            () = wait(terminate, "SIGTERM") => {},
        }
        tracing::info!("shutdown requested, finishing in-flight requests");
    }
}
