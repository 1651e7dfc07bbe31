//! `caveman vault rotate` against a running server: killed midway, rerun,
//! and every value readable with only the new key afterwards.

use std::process::Stdio;

use server::config::DatabaseUrl;
use server::db::Database;
use server::vault::rotate::{self, ENCRYPTED_COLUMNS, RotateOptions};
use server::vault::{Location, Secret, Vault, VaultError, key_id_of};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::on_both_engines;
use crate::support::{Browser, Engine, TestApp};

fn key(id: &str) -> String {
    Vault::generate_key_entry(id).unwrap().expose().clone()
}

fn database_url(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => url.clone(),
    }
}

/// Every host's id, sealed credentials and name.
async fn stored(db: &Database) -> Vec<(i64, Vec<u8>, String)> {
    let sql = "SELECT id, credentials, name FROM hosts WHERE credentials IS NOT NULL ORDER BY id";
    match db {
        Database::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
        Database::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
    }
}

fn under(rows: &[(i64, Vec<u8>, String)], key_id: &str) -> usize {
    rows.iter()
        .filter(|(_, sealed, _)| key_id_of(sealed).unwrap() == key_id)
        .count()
}

fn rotate_command(app: &TestApp, keys: &str, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::from(crate::cli::caveman());
    command
        .args(["vault", "rotate"])
        .args(args)
        .env("DATABASE_URL", database_url(&app.config.database))
        .env("CAVEMAN_VAULT_KEYS", keys)
        .env("CAVEMAN_DATA_DIR", app.config.data_dir.as_os_str())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

async fn add_runpod_host(owner: &Browser, n: usize) {
    let reply = owner
        .call_here(
            "add_host",
            &[
                ("kind", "runpod"),
                ("name", &format!("gpu-{n}")),
                ("secret", &format!("rpa_value_{n}")),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

const HOSTS: usize = 40;

async fn rotation_survives_a_kill_and_leaves_everything_readable_with_the_new_key_alone(
    engine: Engine,
) {
    let (key_a, key_b) = (key("a"), key("b"));
    // The server keeps running with key A throughout.
    let app = TestApp::spawn_with(engine, &[("vault_keys", &key_a)]).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    for n in 0..HOSTS {
        add_runpod_host(&owner, n).await;
    }
    assert_eq!(under(&stored(&app.db).await, "a"), HOSTS);

    // Slow batches, killed once the first one is committed.
    let both = format!("{key_b},{key_a}");
    let mut first = rotate_command(&app, &both, &["--batch-size", "4", "--pause-ms", "400"])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(first.stdout.take().unwrap()).lines();
    loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("progress before the end");
        if line.contains("checked") {
            break;
        }
    }
    first.kill().await.unwrap();
    let rows = stored(&app.db).await;
    let rotated = under(&rows, "b");
    assert!(
        (4..HOSTS).contains(&rotated),
        "killed midway: {rotated} of {HOSTS} under the new key"
    );

    // The running server still writes with A meanwhile.
    add_runpod_host(&owner, HOSTS).await;

    let rerun = rotate_command(&app, &both, &[]).output().await.unwrap();
    let stdout = String::from_utf8(rerun.stdout).unwrap();
    assert!(
        rerun.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let expected = format!(
        "done: {} re-encrypted, {} already current, 0 changed meanwhile, 0 failed",
        HOSTS + 1 - rotated,
        rotated
    );
    assert!(stdout.contains(&expected), "{stdout}");

    // Only key B is needed now.
    let only_b = Vault::from_spec(&Secret::new(key_b)).unwrap();
    let rows = stored(&app.db).await;
    assert_eq!(rows.len(), HOSTS + 1);
    for (id, sealed, name) in &rows {
        let row = id.to_string();
        let location = Location {
            table: "hosts",
            column: "credentials",
            row: &row,
        };
        let value: std::collections::BTreeMap<String, String> =
            only_b.decrypt_json(sealed, location).unwrap();
        let n = name.trim_start_matches("gpu-");
        assert_eq!(value["token"], format!("rpa_value_{n}"));
    }
    let audit = owner.call("audit_log", &[]).await.body;
    assert!(audit.contains("host_created"), "{audit}");
}
on_both_engines!(rotation_survives_a_kill_and_leaves_everything_readable_with_the_new_key_alone);

#[tokio::test]
async fn a_value_no_configured_key_opens_is_reported_by_key_id_and_left_alone() {
    let (key_a, key_b) = (key("a"), key("b"));
    let app = TestApp::spawn_with(Engine::Sqlite, &[("vault_keys", &key_a)]).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    add_runpod_host(&owner, 0).await;
    add_runpod_host(&owner, 1).await;
    let before = stored(&app.db).await;

    // Key A is gone: nothing can open what it sealed.
    let only_b = Vault::from_spec(&Secret::new(key_b)).unwrap();
    let report = rotate::rotate(&app.db, &only_b, RotateOptions::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(report.rotated, 0);
    assert_eq!(report.failures.len(), 2);
    assert_eq!(
        report.failures[0].error,
        VaultError::UnknownKey { id: "a".into() }
    );
    assert_eq!(
        report.failures[0].error.to_string(),
        "the value was encrypted with vault key \"a\", which is not configured"
    );
    assert_eq!(
        stored(&app.db).await,
        before,
        "values are left as they were"
    );
}

/// Every binary column of the schema is a sealed value (except sqlx's own
/// migration checksums), so the list that rotation walks must name them
/// all.
async fn every_binary_column_is_rotated(engine: Engine) {
    let (db, _postgres, _dir) = crate::support::fresh_database(engine).await;
    db.migrate().await.unwrap();
    let columns: Vec<(String, String)> = match &db {
        Database::Sqlite(pool) => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND upper(p.type) = 'BLOB' \
             AND m.name <> '_sqlx_migrations' ORDER BY 1, 2",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        Database::Postgres(pool) => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND data_type = 'bytea' \
             AND table_name <> '_sqlx_migrations' ORDER BY 1, 2",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    let listed: Vec<(String, String)> = ENCRYPTED_COLUMNS
        .iter()
        .map(|column| (column.table.to_string(), column.column.to_string()))
        .collect();
    assert_eq!(columns, listed);
}
on_both_engines!(every_binary_column_is_rotated);
