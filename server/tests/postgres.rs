//! The tests' PostgreSQL (support::postgres): each database it gives is
//! real, empty and apart from the others.

mod support;

use postgres::{Client, NoTls};
use support::postgres::{database, with_database};

#[test]
fn two_databases_are_real_and_apart() {
    let Some(first_url) = database() else { return };
    let Some(second_url) = database() else { return };
    assert_ne!(first_url, second_url);
    let mut first = Client::connect(&first_url, NoTls).unwrap();
    let mut second = Client::connect(&second_url, NoTls).unwrap();
    for (client, word) in [(&mut first, "first"), (&mut second, "second")] {
        let tables: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(tables, 0, "the {word} database is not empty");
        client
            .batch_execute("CREATE TABLE note (id bigint PRIMARY KEY, text text NOT NULL)")
            .unwrap();
        client
            .execute("INSERT INTO note VALUES (1, $1)", &[&word])
            .unwrap();
    }
    let read = |client: &mut Client| -> Vec<(i64, String)> {
        let rows = client
            .query("SELECT id, text FROM note ORDER BY id", &[])
            .unwrap();
        rows.iter().map(|row| (row.get(0), row.get(1))).collect()
    };
    assert_eq!(read(&mut first), [(1, "first".to_owned())]);
    assert_eq!(read(&mut second), [(1, "second".to_owned())]);
    let name = |client: &mut Client| -> String {
        client
            .query_one("SELECT current_database()", &[])
            .unwrap()
            .get(0)
    };
    assert_ne!(name(&mut first), name(&mut second));
}

#[test]
fn a_database_replaces_the_urls_own() {
    let cases = [
        (
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://postgres@127.0.0.1:5432/t",
        ),
        (
            "postgres://postgres@127.0.0.1:5432",
            "postgres://postgres@127.0.0.1:5432/t",
        ),
        (
            "postgresql://u:p@h/db?sslmode=disable",
            "postgresql://u:p@h/t?sslmode=disable",
        ),
        (
            "postgres://h:1/?application_name=x",
            "postgres://h:1/t?application_name=x",
        ),
        (
            "host=h port=1 dbname=db",
            "host=h port=1 dbname=db dbname=t",
        ),
    ];
    for (url, expected) in cases {
        let replaced = with_database(url, "t");
        assert_eq!(replaced, expected, "from {url}");
        let config: postgres::Config = replaced.parse().unwrap();
        assert_eq!(config.get_dbname(), Some("t"), "from {url}");
    }
}
