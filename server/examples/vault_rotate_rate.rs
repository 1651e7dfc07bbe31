//! How fast `caveman vault rotate` re-encrypts stored secrets, on this
//! machine:
//!
//!     cargo run -p server --release --example vault_rotate_rate
//!
//! Seals 5,000 host credentials under key "a" in a fresh SQLite database,
//! then times three passes of the rotation code the command runs:
//! - **rotate**: re-encrypts all of them with key "b" (batches of 500);
//! - **baseline**: the same walk once everything is current, which reads
//!   every row and checks its key id but decrypts and writes nothing;
//! - **crypto only**: decrypt and re-encrypt the same values in memory.
//!
//! Absolute times depend on the machine and its load; the ratios between
//! passes measured in one run are the figures to compare.

use std::time::Instant;

use server::config::DatabaseUrl;
use server::db::Database;
use server::vault::rotate::{self, RotateOptions};
use server::vault::{Location, Secret, Vault};

const VALUES: usize = 5_000;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let db = Database::connect(&DatabaseUrl::Sqlite(dir.path().join("bench.db"))).await?;
    db.migrate().await?;
    let key_a = Vault::generate_key_entry("a")?;
    let key_b = Vault::generate_key_entry("b")?;
    let old = Vault::from_spec(&key_a)?;
    let both = Vault::from_spec(&Secret::new(format!(
        "{},{}",
        key_b.expose(),
        key_a.expose()
    )))?;

    let Database::Sqlite(pool) = &db else {
        unreachable!("the benchmark opens SQLite")
    };
    sqlx::query("INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES (1, 'b@example.com', 'B', 'x', 0)")
        .execute(pool)
        .await?;
    sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES (1, 'Bench', 0)")
        .execute(pool)
        .await?;
    let mut sealed_values = Vec::with_capacity(VALUES);
    let mut tx = pool.begin().await?;
    for n in 1..=VALUES {
        let row = n.to_string();
        let sealed = old.encrypt_json(
            &std::collections::BTreeMap::from([("token", format!("rpa_benchmark_value_{n:06}"))]),
            location(&row),
        );
        sqlx::query(
            "INSERT INTO hosts (id, workspace_id, name, kind, endpoint, credentials, description, labels, status, created_at, updated_at) \
             VALUES ($1, 1, $2, 'runpod', '{}', $3, '', '[]', 'unknown', 0, 0)",
        )
        .bind(n as i64)
        .bind(format!("host-{n}"))
        .bind(&sealed)
        .execute(&mut *tx)
        .await?;
        sealed_values.push((row, sealed));
    }
    tx.commit().await?;

    let started = Instant::now();
    for (row, sealed) in &sealed_values {
        let plain = both.decrypt(sealed, location(row))?;
        std::hint::black_box(both.encrypt(plain.expose(), location(row)));
    }
    let crypto = started.elapsed().as_secs_f64();

    let options = RotateOptions::default();
    let rotation = rotate::rotate(&db, &both, options, |_| {}).await?;
    assert_eq!(rotation.rotated as usize, VALUES);
    let baseline = rotate::rotate(&db, &both, options, |_| {}).await?;
    assert_eq!(baseline.current as usize, VALUES);

    let rotate_secs = rotation.elapsed.as_secs_f64();
    let baseline_secs = baseline.elapsed.as_secs_f64();
    let report = format!(
        "{VALUES} values: rotate {rotate_secs:.3} s ({:.0}/s); baseline walk {baseline_secs:.3} s; \
         crypto only {crypto:.3} s; rotate / baseline = {:.1}x, rotate / crypto only = {:.1}x",
        rotation.rate(),
        rotate_secs / baseline_secs,
        rotate_secs / crypto,
    );
    // The one line this program exists to print.
    #[allow(clippy::print_stdout)]
    {
        println!("{report}");
    }
    db.close().await;
    Ok(())
}

fn location(row: &str) -> Location<'_> {
    Location {
        table: "hosts",
        column: "credentials",
        row,
    }
}
