//! `caveman vault rotate`: re-encrypts every stored secret with the current
//! key, so that older keys can be dropped from the configuration.
//!
//! Rotation walks each encrypted column in batches of rows ordered by id.
//! Every value carries the id of the key that sealed it, so a value already
//! under the current key is skipped; that makes a rerun after an
//! interruption (a crash, a kill, a lost connection) pick up where the last
//! committed batch ended without tracking any state of its own. Each value
//! is replaced only if it is still the value that was read, so a secret
//! changed by a running server meanwhile is never overwritten with an old
//! one.

use std::time::{Duration, Instant};

use super::{Location, Vault, VaultError};
use crate::db::Database;

/// A column that holds vault-sealed values, each bound to
/// (`table`, `column`, the row's integer `id`).
#[derive(Debug, Clone, Copy)]
pub struct EncryptedColumn {
    pub table: &'static str,
    pub column: &'static str,
}

/// Every encrypted column in the schema. A column missing here would keep
/// values under an old key after rotation, and dropping that key would
/// lose them; a test compares this list with the schema's binary columns.
pub const ENCRYPTED_COLUMNS: &[EncryptedColumn] = &[
    EncryptedColumn {
        table: "hosts",
        column: "credentials",
    },
    EncryptedColumn {
        table: "sources",
        column: "credentials",
    },
];

/// How rotation proceeds.
#[derive(Debug, Clone, Copy)]
pub struct RotateOptions {
    /// Rows read and rewritten per transaction.
    pub batch_size: u32,
    /// A pause after each batch, to spare a busy database.
    pub pause: Duration,
}

impl Default for RotateOptions {
    fn default() -> Self {
        RotateOptions {
            batch_size: 500,
            pause: Duration::ZERO,
        }
    }
}

/// Progress after one batch, for the operator.
#[derive(Debug, Clone)]
pub struct Progress {
    pub column: EncryptedColumn,
    /// Values of this column looked at so far.
    pub seen: u64,
    /// Values in this column when rotation started.
    pub total: u64,
    /// Values re-encrypted so far, over all columns.
    pub rotated: u64,
}

/// A value rotation could not re-encrypt.
#[derive(Debug, Clone)]
pub struct Failure {
    pub column: EncryptedColumn,
    pub row: i64,
    pub error: VaultError,
}

/// What a rotation did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Values re-encrypted with the current key.
    pub rotated: u64,
    /// Values that were already under the current key.
    pub current: u64,
    /// Values changed by someone else between reading and rewriting; the
    /// new value was written by a running server, with its own keys.
    pub changed_meanwhile: u64,
    /// Values that cannot be decrypted with any configured key.
    pub failures: Vec<Failure>,
    pub elapsed: Duration,
}

impl Report {
    /// Values re-encrypted per second.
    pub fn rate(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.rotated as f64 / seconds
        } else {
            0.0
        }
    }
}

/// Re-encrypts every value of [`ENCRYPTED_COLUMNS`] not yet under the
/// vault's current key, calling `progress` after each committed batch.
/// Values that cannot be decrypted are left as they are and reported;
/// they never become empty.
pub async fn rotate(
    db: &Database,
    vault: &Vault,
    options: RotateOptions,
    mut progress: impl FnMut(&Progress),
) -> Result<Report, sqlx::Error> {
    let started = Instant::now();
    let mut report = Report::default();
    for column in ENCRYPTED_COLUMNS {
        rotate_column(db, vault, *column, options, &mut report, &mut progress).await?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

async fn rotate_column(
    db: &Database,
    vault: &Vault,
    column: EncryptedColumn,
    options: RotateOptions,
    report: &mut Report,
    progress: &mut impl FnMut(&Progress),
) -> Result<(), sqlx::Error> {
    let EncryptedColumn {
        table,
        column: name,
    } = column;
    // The names come from the constant list above, never from input.
    let count_sql = format!("SELECT COUNT(*) FROM {table} WHERE {name} IS NOT NULL");
    let select_sql = format!(
        "SELECT id, {name} FROM {table} WHERE id > $1 AND {name} IS NOT NULL ORDER BY id LIMIT $2"
    );
    let update_sql = format!("UPDATE {table} SET {name} = $1 WHERE id = $2 AND {name} = $3");

    let total: i64 = with_pool!(db, pool => {
        sqlx::query_scalar(&count_sql).fetch_one(pool).await
    })?;
    let mut seen: u64 = 0;
    let mut after: i64 = 0;
    loop {
        let rows: Vec<(i64, Vec<u8>)> = with_pool!(db, pool => {
            sqlx::query_as(&select_sql)
                .bind(after)
                .bind(i64::from(options.batch_size))
                .fetch_all(pool)
                .await
        })?;
        let Some(&(last, _)) = rows.last() else {
            break;
        };
        let mut updates: Vec<(i64, Vec<u8>, Vec<u8>)> = Vec::new();
        for (row, sealed) in rows {
            seen += 1;
            match reseal(vault, column, row, &sealed) {
                Ok(Some(resealed)) => updates.push((row, resealed, sealed)),
                Ok(None) => report.current += 1,
                Err(error) => report.failures.push(Failure { column, row, error }),
            }
        }
        let written: Vec<u64> = with_pool!(db, pool => {
            let mut tx = pool.begin().await?;
            let mut written = Vec::with_capacity(updates.len());
            for (row, resealed, old) in &updates {
                let done = sqlx::query(&update_sql)
                    .bind(resealed)
                    .bind(row)
                    .bind(old)
                    .execute(&mut *tx)
                    .await?;
                written.push(done.rows_affected());
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(written)
        })?;
        for rows_affected in written {
            if rows_affected == 1 {
                report.rotated += 1;
            } else {
                report.changed_meanwhile += 1;
            }
        }
        progress(&Progress {
            column,
            seen,
            total: u64::try_from(total).unwrap_or(0),
            rotated: report.rotated,
        });
        after = last;
        if !options.pause.is_zero() {
            tokio::time::sleep(options.pause).await;
        }
    }
    Ok(())
}

/// The value re-sealed with the current key, or `None` when it already is.
fn reseal(
    vault: &Vault,
    column: EncryptedColumn,
    row: i64,
    sealed: &[u8],
) -> Result<Option<Vec<u8>>, VaultError> {
    if !vault.needs_rotation(sealed)? {
        return Ok(None);
    }
    let row = row.to_string();
    let location = Location {
        table: column.table,
        column: column.column,
        row: &row,
    };
    let plaintext = vault.decrypt(sealed, location)?;
    Ok(Some(vault.encrypt(plaintext.expose(), location)))
}

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(transparent)]
    Database(#[from] crate::db::DbError),
    #[error(transparent)]
    Keys(#[from] super::keys::KeySourceError),
    #[error(transparent)]
    Registry(#[from] super::registry::RegistryError),
    #[error("rotation stopped: a database statement failed")]
    Query(#[from] sqlx::Error),
    #[error("{count} stored values could not be decrypted and were left as they are")]
    Undecryptable { count: usize },
}

/// `caveman vault rotate`: opens the database and vault of `config`,
/// rotates, records the rotation in the audit log, and tells the operator
/// through `say` how it goes.
pub async fn run(
    config: &crate::config::Config,
    options: RotateOptions,
    mut say: impl FnMut(&str),
) -> Result<Report, RotateError> {
    let db = crate::serve::open_database(config).await?;
    let vault = super::keys::open(config)?;
    super::registry::check_and_record(&db, &vault).await?;
    say(&format!(
        "re-encrypting stored secrets with vault key {:?}",
        vault.current_key_id()
    ));
    let report = rotate(&db, &vault, options, |progress| {
        say(&format!(
            "{}.{}: {}/{} checked, {} re-encrypted in all",
            progress.column.table,
            progress.column.column,
            progress.seen,
            progress.total,
            progress.rotated
        ));
    })
    .await?;
    for failure in &report.failures {
        say(&format!(
            "{}.{} row {}: {}",
            failure.column.table, failure.column.column, failure.row, failure.error
        ));
    }
    say(&format!(
        "done: {} re-encrypted, {} already current, {} changed meanwhile, {} failed, in {:.1} s ({:.0}/s)",
        report.rotated,
        report.current,
        report.changed_meanwhile,
        report.failures.len(),
        report.elapsed.as_secs_f64(),
        report.rate()
    ));
    let event = crate::audit::Event {
        action: crate::audit::Action::VaultRotated,
        workspace_id: None,
        actor_id: None,
        actor_email: None,
        detail: serde_json::json!({
            "key_id": vault.current_key_id(),
            "rotated": report.rotated,
            "failed": report.failures.len(),
        }),
        client: &app::auth::Client::default(),
    };
    crate::audit::record(&db, event).await?;
    db.close().await;
    if report.failures.is_empty() {
        Ok(report)
    } else {
        Err(RotateError::Undecryptable {
            count: report.failures.len(),
        })
    }
}
