//! Runtime configuration: an optional `caveman.toml`, overridden by
//! environment variables, validated into typed settings before anything
//! starts.
//!
//! Every setting has one key in the file and one environment variable. A
//! bad value stops start-up with a single line naming both, so an operator
//! can fix it without reading code.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use url::Url;

use crate::vault::{Secret, Vault};

/// The validated configuration of one `caveman` process.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Where the database lives.
    pub database: DatabaseUrl,
    /// Folder for the SQLite database and other local state.
    pub data_dir: PathBuf,
    /// The address users reach Caveman at (links in mail, cookie scope).
    pub public_url: Url,
    /// Whether session cookies carry the `Secure` attribute.
    pub secure_cookies: bool,
    /// Human-readable lines or one JSON object per line.
    pub log_format: LogFormat,
    /// A `tracing` env-filter directive, such as `info,sqlx=warn`.
    pub log_filter: String,
    /// Folder holding the built front end (`pkg/`, CSS, static assets).
    pub site_root: PathBuf,
    /// Vault keys as `id:base64key,...`, current key first; when absent the
    /// server keeps a generated key in the data folder.
    pub vault_keys: Option<Secret<String>>,
    /// Where mail goes out, as `smtp://` (STARTTLS when offered) or
    /// `smtps://` with optional `user:password@`; when absent, mail is kept
    /// in the local mailbox instead.
    pub smtp_url: Option<Secret<String>>,
    /// The sender of Caveman's mail, like `Caveman <caveman@example.com>`.
    pub mail_from: String,
    /// Unix sockets of local Docker engines that workspace admins may
    /// register as hosts. Access to a Docker socket is root on that
    /// machine, so only sockets the operator lists are allowed.
    pub docker_sockets: Vec<PathBuf>,
    /// The Fly.io Machines API (a fake one in tests).
    pub fly_api_url: Url,
    /// The RunPod REST API v2 (a fake one in tests).
    pub runpod_api_url: Url,
}

/// A database location, by engine.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl fmt::Debug for DatabaseUrl {
    /// Never prints a PostgreSQL password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
            DatabaseUrl::Postgres(url) => write!(f, "Postgres({})", redact_password(url)),
        }
    }
}

/// `postgres://user:secret@host/db?password=x` ->
/// `postgres://user:***@host/db?password=***`: the password may sit in the
/// user part or, for PostgreSQL, in the query.
pub fn redact_password(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return "<unparseable url>".to_string();
    };
    if parsed.password().is_some() {
        // Cannot fail: a URL with a password has a host.
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(key, _)| key == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if key == "password" {
                    "***".into()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Why the configuration was refused. `Display` is the one line shown to
/// the operator.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("config file {path}: unknown setting `{key}` (known: {known})")]
    UnknownKey {
        path: PathBuf,
        key: String,
        known: String,
    },
    #[error("invalid setting `{key}` ({env}) = {value:?}: {reason}")]
    Invalid {
        key: &'static str,
        env: &'static str,
        value: String,
        reason: String,
    },
}

/// One setting: its key in `caveman.toml` and its environment variable.
struct Setting {
    key: &'static str,
    env: &'static str,
}

const fn setting(key: &'static str, env: &'static str) -> Setting {
    Setting { key, env }
}

const BIND: Setting = setting("bind", "CAVEMAN_BIND");
const DATABASE_URL: Setting = setting("database_url", "DATABASE_URL");
const DATA_DIR: Setting = setting("data_dir", "CAVEMAN_DATA_DIR");
const PUBLIC_URL: Setting = setting("public_url", "CAVEMAN_PUBLIC_URL");
const SECURE_COOKIES: Setting = setting("secure_cookies", "CAVEMAN_SECURE_COOKIES");
const LOG_FORMAT: Setting = setting("log_format", "CAVEMAN_LOG_FORMAT");
const LOG: Setting = setting("log", "CAVEMAN_LOG");
const SITE_ROOT: Setting = setting("site_root", "CAVEMAN_SITE_ROOT");
const VAULT_KEYS: Setting = setting("vault_keys", "CAVEMAN_VAULT_KEYS");
const SMTP_URL: Setting = setting("smtp_url", "CAVEMAN_SMTP_URL");
const MAIL_FROM: Setting = setting("mail_from", "CAVEMAN_MAIL_FROM");
const DOCKER_SOCKETS: Setting = setting("docker_sockets", "CAVEMAN_DOCKER_SOCKETS");
const FLY_API_URL: Setting = setting("fly_api_url", "CAVEMAN_FLY_API_URL");
const RUNPOD_API_URL: Setting = setting("runpod_api_url", "CAVEMAN_RUNPOD_API_URL");

/// The local Docker socket allowed when the operator names none.
pub const DEFAULT_DOCKER_SOCKET: &str = "/var/run/docker.sock";

const ALL: [&Setting; 14] = [
    &BIND,
    &DATABASE_URL,
    &DATA_DIR,
    &PUBLIC_URL,
    &SECURE_COOKIES,
    &LOG_FORMAT,
    &LOG,
    &SITE_ROOT,
    &VAULT_KEYS,
    &SMTP_URL,
    &MAIL_FROM,
    &DOCKER_SOCKETS,
    &FLY_API_URL,
    &RUNPOD_API_URL,
];

/// The name of the file read from the working directory when no
/// `--config` is given.
pub const DEFAULT_FILE: &str = "caveman.toml";

/// Raw values gathered from the file and the environment, before
/// validation. The environment wins over the file.
struct Sources {
    file: BTreeMap<String, String>,
    env: EnvLookup,
}

/// Reads one environment variable; the process environment in production,
/// a fixed map in tests.
type EnvLookup = Box<dyn Fn(&str) -> Option<String>>;

impl Sources {
    fn get(&self, setting: &Setting) -> Option<String> {
        (self.env)(setting.env)
            .filter(|value| !value.is_empty())
            .or_else(|| self.file.get(setting.key).cloned())
    }

    fn invalid(setting: &Setting, value: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key: setting.key,
            env: setting.env,
            value: if setting.key == DATABASE_URL.key || setting.key == SMTP_URL.key {
                redact_password(value)
            } else {
                value.to_string()
            },
            reason: reason.into(),
        }
    }
}

impl Config {
    /// Loads the configuration of this process: `file` (or `caveman.toml`
    /// in the working directory, when present) overridden by the process
    /// environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = match file {
            Some(path) => Some(read_file(path)?),
            None if Path::new(DEFAULT_FILE).exists() => Some(read_file(Path::new(DEFAULT_FILE))?),
            None => None,
        };
        Self::from_sources(file.unwrap_or_default(), |name| std::env::var(name).ok())
    }

    /// Builds a configuration from explicit file values and an environment
    /// lookup; the seam the tests use.
    pub fn from_sources(
        file: BTreeMap<String, String>,
        env: impl Fn(&str) -> Option<String> + 'static,
    ) -> Result<Self, ConfigError> {
        let sources = Sources {
            file,
            env: Box::new(env),
        };

        let bind = match sources.get(&BIND) {
            Some(value) => value.parse().map_err(|_| {
                Sources::invalid(
                    &BIND,
                    &value,
                    "expected an address and port like 127.0.0.1:3000",
                )
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };

        let data_dir = PathBuf::from(sources.get(&DATA_DIR).unwrap_or_else(|| "data".into()));

        let database = match sources.get(&DATABASE_URL) {
            Some(value) => parse_database_url(&value)
                .map_err(|reason| Sources::invalid(&DATABASE_URL, &value, reason))?,
            None => DatabaseUrl::Sqlite(data_dir.join("caveman.db")),
        };

        let public_url = match sources.get(&PUBLIC_URL) {
            Some(value) => parse_public_url(&value)
                .map_err(|reason| Sources::invalid(&PUBLIC_URL, &value, reason))?,
            None => default_public_url(bind),
        };

        let secure_cookies = match sources.get(&SECURE_COOKIES) {
            Some(value) => parse_bool(&value).ok_or_else(|| {
                Sources::invalid(&SECURE_COOKIES, &value, "expected true or false")
            })?,
            None => public_url.scheme() == "https",
        };

        let log_format = match sources.get(&LOG_FORMAT).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(Sources::invalid(
                    &LOG_FORMAT,
                    other,
                    "expected text or json",
                ));
            }
        };

        let log_filter = sources.get(&LOG).unwrap_or_else(|| "info".into());
        if let Err(error) = tracing_subscriber::EnvFilter::builder().parse(&log_filter) {
            return Err(Sources::invalid(&LOG, &log_filter, error.to_string()));
        }

        let site_root = PathBuf::from(
            sources
                .get(&SITE_ROOT)
                .unwrap_or_else(|| "target/site".into()),
        );

        let vault_keys = match sources.get(&VAULT_KEYS) {
            Some(value) => {
                let keys = Secret::new(value);
                if let Err(error) = Vault::from_spec(&keys) {
                    return Err(ConfigError::Invalid {
                        key: VAULT_KEYS.key,
                        env: VAULT_KEYS.env,
                        value: "[redacted]".into(),
                        reason: error.to_string(),
                    });
                }
                Some(keys)
            }
            None => None,
        };

        let smtp_url = match sources.get(&SMTP_URL) {
            Some(value) => {
                parse_smtp_url(&value)
                    .map_err(|reason| Sources::invalid(&SMTP_URL, &value, reason))?;
                Some(Secret::new(value))
            }
            None => None,
        };

        let mail_from = sources
            .get(&MAIL_FROM)
            .unwrap_or_else(|| "Caveman <caveman@localhost>".into());
        if let Err(error) = mail_from.parse::<lettre::message::Mailbox>() {
            return Err(Sources::invalid(&MAIL_FROM, &mail_from, error.to_string()));
        }

        let docker_sockets = match sources.get(&DOCKER_SOCKETS) {
            Some(value) => parse_sockets(&value)
                .map_err(|reason| Sources::invalid(&DOCKER_SOCKETS, &value, reason))?,
            None => vec![PathBuf::from(DEFAULT_DOCKER_SOCKET)],
        };
        let api_url = |setting: &Setting, default: &str| match sources.get(setting) {
            Some(value) => {
                parse_api_url(&value).map_err(|reason| Sources::invalid(setting, &value, reason))
            }
            None => Ok(Url::parse(default).unwrap_or_else(|_| unreachable!("valid default URL"))),
        };
        let fly_api_url = api_url(&FLY_API_URL, "https://api.machines.dev/v1")?;
        let runpod_api_url = api_url(&RUNPOD_API_URL, "https://api.runpod.io/v2")?;

        Ok(Config {
            bind,
            database,
            data_dir,
            public_url,
            secure_cookies,
            log_format,
            log_filter,
            site_root,
            vault_keys,
            smtp_url,
            mail_from,
            docker_sockets,
            fly_api_url,
            runpod_api_url,
        })
    }
}

fn read_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    parse_file(path, &text)
}

/// Parses `caveman.toml`: a flat table of known keys with string, boolean
/// or integer values.
fn parse_file(path: &Path, text: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        let line = error
            .span()
            .map_or(1, |span| text[..span.start].matches('\n').count() + 1);
        ConfigError::Syntax {
            path: path.to_path_buf(),
            message: format!("line {line}: {}", error.message()),
        }
    })?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
        // A config file is often shared or committed; keys belong in the
        // environment or the 0600 key file.
        if key == VAULT_KEYS.key {
            return Err(ConfigError::Syntax {
                path: path.to_path_buf(),
                message: "`vault_keys` cannot be set in the file: use CAVEMAN_VAULT_KEYS or the generated key file".into(),
            });
        }
        if !ALL.iter().any(|setting| setting.key == key) {
            let known = ALL.iter().map(|s| s.key).collect::<Vec<_>>().join(", ");
            return Err(ConfigError::UnknownKey {
                path: path.to_path_buf(),
                key,
                known,
            });
        }
        let text = match value {
            toml::Value::String(text) => text,
            toml::Value::Boolean(flag) => flag.to_string(),
            toml::Value::Integer(number) => number.to_string(),
            other => {
                return Err(ConfigError::Syntax {
                    path: path.to_path_buf(),
                    message: format!(
                        "`{key}` must be a string, boolean or number, not {}",
                        other.type_str()
                    ),
                });
            }
        };
        values.insert(key, text);
    }
    Ok(values)
}

fn parse_database_url(value: &str) -> Result<DatabaseUrl, String> {
    if let Some(rest) = value
        .strip_prefix("sqlite://")
        .or_else(|| value.strip_prefix("sqlite:"))
    {
        // Options after `?` are ours to set (WAL, foreign keys), not the URL's.
        if rest.contains('?') {
            return Err("SQLite options are set by Caveman; give only the file path".into());
        }
        if rest.is_empty() {
            return Err("the SQLite URL names no file".into());
        }
        return Ok(DatabaseUrl::Sqlite(PathBuf::from(rest)));
    }
    if value.starts_with("postgres://") || value.starts_with("postgresql://") {
        let parsed = Url::parse(value).map_err(|error| format!("not a valid URL: {error}"))?;
        if parsed.host_str().is_none_or(str::is_empty) && !value.contains("host=") {
            return Err("the PostgreSQL URL names no host".into());
        }
        return Ok(DatabaseUrl::Postgres(value.to_string()));
    }
    Err("expected a sqlite:// or postgres:// URL".into())
}

/// Comma-separated absolute socket paths, or `none` to allow no local
/// Docker engine.
fn parse_sockets(value: &str) -> Result<Vec<PathBuf>, String> {
    if value.trim() == "none" {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(str::trim)
        .filter(|path| !path.is_empty())
        .map(|path| {
            if path.starts_with('/') {
                Ok(PathBuf::from(path))
            } else {
                Err(format!("{path:?} is not an absolute path (or use `none`)"))
            }
        })
        .collect()
}

/// An outside API's base URL: http(s), with a host.
fn parse_api_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|error| format!("not a valid URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("expected an http:// or https:// URL with a host".into());
    }
    Ok(url)
}

fn parse_smtp_url(value: &str) -> Result<(), String> {
    let url = Url::parse(value).map_err(|error| format!("not a valid URL: {error}"))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the SMTP URL names no host".into());
    }
    lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(value)
        .map(drop)
        .map_err(|_| {
            "expected smtps://host:port, smtp://host:port?tls=required, \
             or smtp://host:port for a server on a trusted network"
                .into()
        })
}

fn parse_public_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|error| format!("not a valid URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("expected an http:// or https:// URL".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the public URL takes no query or fragment".into());
    }
    Ok(url)
}

fn default_public_url(bind: SocketAddr) -> Url {
    let host = if bind.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        bind.ip().to_string()
    };
    let host = if bind.is_ipv6() && !bind.ip().is_unspecified() {
        format!("[{host}]")
    } else {
        host
    };
    // Cannot fail: built from a valid address and port.
    Url::parse(&format!("http://{host}:{}", bind.port())).unwrap_or_else(|_| unreachable!())
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
