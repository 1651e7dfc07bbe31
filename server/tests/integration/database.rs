//! Connecting and migrating on both engines.

use crate::on_both_engines;
use crate::support::{Engine, fresh_database};

async fn a_fresh_database_has_no_migrations_until_migrated(engine: Engine) {
    let (db, _postgres, _dir) = fresh_database(engine).await;

    let before = db.migration_level().await.unwrap();
    db.migrate().await.unwrap();
    let after = db.migration_level().await.unwrap();

    assert_eq!(before.applied, None);
    assert!(before.latest_known.is_some());
    assert_eq!(after.applied, before.latest_known);
    assert!(after.is_current());
}
on_both_engines!(a_fresh_database_has_no_migrations_until_migrated);

async fn migrating_twice_changes_nothing(engine: Engine) {
    let (db, _postgres, _dir) = fresh_database(engine).await;

    db.migrate().await.unwrap();
    let installed = db.installed_at().await.unwrap();
    db.migrate().await.unwrap();

    assert!(db.migration_level().await.unwrap().is_current());
    assert_eq!(db.installed_at().await.unwrap(), installed);
}
on_both_engines!(migrating_twice_changes_nothing);

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_enforced() {
    let (db, _postgres, _dir) = fresh_database(Engine::Sqlite).await;
    let server::db::Database::Sqlite(pool) = &db else {
        unreachable!()
    };

    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    let busy_timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await
        .unwrap();

    assert_eq!(journal, "wal");
    assert_eq!(foreign_keys, 1);
    assert!(busy_timeout >= 1000, "{busy_timeout}");
}
