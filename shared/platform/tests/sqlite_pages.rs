//! SQLite's page size: a new file gets the service's, an existing file keeps its own (a
//! page size cannot change once a file is written in WAL mode).

use gcc_platform::db::{Db, Statement, WriteBatch};
use gcc_testkit::TestDb;
use sqlx::{Connection, SqliteConnection};

/// A SQLite file in a folder removed with the `TestDb`, whatever backend the run selected:
/// page sizes are SQLite's alone.
async fn sqlite_file() -> (TestDb, std::path::PathBuf) {
    let test = TestDb::fresh_on(None).await;
    let path = std::path::PathBuf::from(test.url.trim_start_matches("sqlite://"));
    (test, path)
}

async fn page_size(path: &std::path::Path) -> i64 {
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("open the file");
    sqlx::query_scalar("PRAGMA page_size").fetch_one(&mut conn).await.expect("read the page size")
}

#[tokio::test]
async fn a_new_file_gets_2048_byte_pages_and_an_existing_file_keeps_its_own() {
    let (_new_db, new) = sqlite_file().await;
    let db = Db::connect(&format!("sqlite://{}", new.display()), 2, &sqlx::migrate::Migrator::DEFAULT)
        .await
        .expect("open a new file");
    assert_eq!(page_size(&new).await, 2048);
    drop(db);

    let (_old_db, old) = sqlite_file().await;
    let mut conn =
        SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", old.display())).await.expect("create the old file");
    for sql in ["PRAGMA page_size = 4096", "PRAGMA journal_mode = WAL", "CREATE TABLE kept (id TEXT PRIMARY KEY)"] {
        sqlx::query(sql).execute(&mut conn).await.expect("write the old file");
    }
    conn.close().await.expect("close the old file");
    let db = Db::connect(&format!("sqlite://{}", old.display()), 2, &sqlx::migrate::Migrator::DEFAULT)
        .await
        .expect("open an existing file");
    assert_eq!(page_size(&old).await, 4096);
    let mut batch = WriteBatch::new();
    batch.push(Statement::new("INSERT INTO kept (id) VALUES ($1)").bind("a"));
    db.apply(batch).await.expect("the old file stays writable");
}
