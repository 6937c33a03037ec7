//! SQLite's page size: a new file gets the service's, an existing file keeps its own (a
//! page size cannot change once a file is written in WAL mode).

use gcc_platform::db::{Db, Statement, WriteBatch};
use sqlx::{Connection, SqliteConnection};

fn file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gcc-pages-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir.join(name)
}

async fn page_size(path: &std::path::Path) -> i64 {
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("open the file");
    sqlx::query_scalar("PRAGMA page_size").fetch_one(&mut conn).await.expect("read the page size")
}

#[tokio::test]
async fn a_new_file_gets_2048_byte_pages_and_an_existing_file_keeps_its_own() {
    let new = file("new.db");
    let db = Db::connect(&format!("sqlite://{}", new.display()), 2, &sqlx::migrate::Migrator::DEFAULT)
        .await
        .expect("open a new file");
    assert_eq!(page_size(&new).await, 2048);
    drop(db);

    let old = file("old.db");
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
