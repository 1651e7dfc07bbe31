//! Where the vault's keys come from: `CAVEMAN_VAULT_KEYS`, or a key file in
//! the data folder that is generated on first start.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{Secret, Vault, VaultError};
use crate::config::Config;
use crate::data_dir::create_private_dir;

/// The key file's name inside the data folder.
pub const KEY_FILE: &str = "vault.keys";

#[derive(Debug, thiserror::Error)]
pub enum KeySourceError {
    #[error("CAVEMAN_VAULT_KEYS is invalid")]
    Env(#[source] VaultError),
    #[error("cannot read or create the vault key file {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "vault key file {path} is readable by other users (mode {mode:o}); run chmod 600 on it"
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("vault key file {path} is invalid")]
    Invalid { path: PathBuf, source: VaultError },
}

/// Opens the vault named by the configuration, generating a key file on
/// first start when no keys are configured.
///
/// A data folder that is thrown away on every start (a container without a
/// volume) gets a new key each time; `registry` then refuses to start
/// against a database that was used with other keys.
pub fn open(config: &Config) -> Result<Vault, KeySourceError> {
    if let Some(keys) = &config.vault_keys {
        return Vault::from_spec(keys).map_err(KeySourceError::Env);
    }
    let path = config.data_dir.join(KEY_FILE);
    if !path.exists() {
        create_key_file(&config.data_dir, &path)?;
    }
    read_key_file(&path)
}

/// Writes a new key to a temporary file, then links it into place, so that
/// a crash never leaves an empty key file and two processes starting at
/// once agree on one key (the second link fails and that process reads the
/// first one's file).
fn create_key_file(dir: &Path, path: &Path) -> Result<(), KeySourceError> {
    let io = |source| KeySourceError::Io {
        path: path.to_path_buf(),
        source,
    };
    create_private_dir(dir).map_err(io)?;
    let id = Vault::random_key_id();
    let entry = Vault::generate_key_entry(&id).map_err(|source| KeySourceError::Invalid {
        path: path.to_path_buf(),
        source,
    })?;
    let temporary = dir.join(format!(".{KEY_FILE}.{}", uuid::Uuid::new_v4().simple()));
    let written = write_private(&temporary, entry.expose().as_bytes());
    let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                key.id = %id,
                "generated a new vault key; back this file up: without it, encrypted credentials cannot be read"
            );
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(io(error)),
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn read_key_file(path: &Path) -> Result<Vault, KeySourceError> {
    let io = |source| KeySourceError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeySourceError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    let spec = Secret::new(std::fs::read_to_string(path).map_err(io)?);
    Vault::from_spec(&spec).map_err(|source| KeySourceError::Invalid {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn config_in(dir: &Path) -> Config {
        let file = BTreeMap::from([("data_dir".to_string(), dir.display().to_string())]);
        Config::from_sources(file, |_| None).expect("valid")
    }

    #[test]
    fn the_first_start_generates_a_private_key_file_and_later_starts_reuse_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = config_in(dir.path());

        let first = open(&config).expect("generated");
        let second = open(&config).expect("reused");

        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(first.current_key_id(), second.current_key_id());
        let location = super::super::Location {
            table: "t",
            column: "c",
            row: "1",
        };
        let sealed = first.encrypt(b"x", location);
        assert_eq!(
            second.decrypt(&sealed, location).expect("opens").expose(),
            b"x"
        );
    }

    #[test]
    fn a_key_file_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = config_in(dir.path());
        open(&config).expect("generated");
        let path = dir.path().join(KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");

        let error = open(&config).expect_err("refused");

        assert!(
            matches!(error, KeySourceError::Permissions { mode: 0o644, .. }),
            "{error}"
        );
    }
}
