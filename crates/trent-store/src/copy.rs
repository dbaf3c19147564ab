//! A copy of a whole store: every table's rows, read in one snapshot while the store serves, and written back into
//! an empty store of either dialect (the way a deployment moves, or outgrows SQLite). Rows travel as typed cells, in
//! the columns of the schema version both stores share; what they mean stays the schema's. The file a copy becomes is
//! the service's (`trent_service::backup`).

use std::collections::HashSet;

use trent_domain::{AccountId, Arn, KeyId, Region, Timestamp};

use crate::driver::{Sql, Tx};
use crate::value::{Param, Value};
use crate::{sql, store, StoreError};

/// A copied table: its columns, in order, and every row.
#[derive(Debug, Clone, PartialEq)]
pub struct TableCopy {
    /// The table's name.
    pub table: String,
    /// Its columns, in the order of each row's cells.
    pub columns: Vec<String>,
    /// Its rows.
    pub rows: Vec<Vec<Value>>,
}

/// Every copied table of a store, at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreCopy {
    /// The schema version the rows are in.
    pub schema_version: i64,
    /// The tables, in the order they are restored.
    pub tables: Vec<TableCopy>,
}

/// A table a copy holds, and the statement reading it.
struct Copied {
    table: &'static str,
    read: Sql,
    /// A row of the table, if it has any.
    any: Sql,
    /// For a table every store has rows in from the start (bookkeeping: the root key pin, the chain's head and
    /// anchor), the column a restored row replaces the target's by; such a table need not be empty.
    replaces_by: Option<&'static str>,
}

/// The first of `names`, if any (what an optional macro fragment gives).
const fn first(names: &[&'static str]) -> Option<&'static str> {
    match names {
        [name, ..] => Some(name),
        [] => None,
    }
}

macro_rules! copied {
    ($($table:literal $(order $order:literal)? $(replacing $key:literal)?;)+) => {
        &[$(Copied {
            table: $table,
            read: Sql::both(concat!("SELECT * FROM ", $table $(, " ORDER BY ", $order)?)),
            any: Sql::both(concat!("SELECT 1 FROM ", $table, " LIMIT 1")),
            replaces_by: first(&[$($key)?]),
        },)+]
    };
}

/// Every table of the store but the node-local ones (PostgreSQL's `nodes`, the schema version). Audit journal markers
/// (meta `audit_journal:<node>`) are node-local too and are left out of `meta`.
const COPIED: &[Copied] = copied! {
    "meta" replacing "name";
    "keys";
    "aliases";
    "grants";
    "retirement_plans";
    "credentials";
    "users";
    "user_policies";
    "key_usage";
    "key_last_use";
    "key_refused_uses" order "seq";
    "audit_segments";
    "audit_segment_keys";
    "audit_head" replacing "id";
    "audit_anchor" replacing "id";
};

/// Rows written at once.
const WRITE_CHUNK: usize = 512;

/// Columns the database numbers itself (an identity in PostgreSQL, AUTOINCREMENT in SQLite): left out of a copy,
/// so the target numbers the rows anew, in the order read.
const IDENTITY_COLUMNS: &[(&str, &str)] = &[("key_refused_uses", "seq")];

/// Meta rows that belong to one node, not to the store: never copied.
const NODE_LOCAL_META: &str = "audit_journal:";

/// The columns of `table`, in order.
const COLUMNS: Sql = Sql::dialects(
    "SELECT column_name::TEXT FROM information_schema.columns WHERE table_schema = current_schema() \
     AND table_name = $1 ORDER BY ordinal_position",
    "SELECT name FROM pragma_table_info($1) ORDER BY cid",
);

/// Reads every copied table in `tx` (a snapshot).
pub(crate) async fn read_all(tx: &mut dyn Tx) -> Result<StoreCopy, StoreError> {
    let schema_version = store::one(tx, &sql::SCHEMA_VERSION, &[]).await?;
    let mut tables = Vec::with_capacity(COPIED.len());
    for copied in COPIED {
        let mut columns = column_names(tx, copied.table).await?;
        let mut rows: Vec<Vec<Value>> =
            tx.query(&copied.read, &[]).await?.into_iter().map(|row| row.values()).collect();
        if let Some((_, identity)) = IDENTITY_COLUMNS.iter().find(|(table, _)| *table == copied.table) {
            if let Some(index) = columns.iter().position(|column| column == identity) {
                columns.remove(index);
                for row in &mut rows {
                    if index < row.len() {
                        row.remove(index);
                    }
                }
            }
        }
        if copied.table == "meta" {
            rows.retain(|row| !matches!(row.first(), Some(Value::Text(name)) if name.starts_with(NODE_LOCAL_META)));
        }
        tables.push(TableCopy { table: copied.table.to_owned(), columns, rows });
    }
    Ok(StoreCopy { schema_version, tables })
}

async fn column_names(tx: &mut dyn Tx, table: &str) -> Result<Vec<String>, StoreError> {
    let rows = tx.query(&COLUMNS, &[Param::from(table)]).await?;
    rows.into_iter().map(|mut row| row.column::<String>("column name")).collect()
}

/// Why a copy was not restored; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum RestoreRefusal {
    /// The target holds data already: a copy is restored into an empty store only.
    #[error("the target store is not empty (its table {0} has rows): a backup is restored into an empty store only")]
    NotEmpty(String),
    /// The copy's schema is not the target's.
    #[error("the backup is in schema version {copy}, this Trent's is {target}: restore it with the Trent version that made it")]
    SchemaMismatch {
        /// The copy's schema version.
        copy: i64,
        /// The target's.
        target: i64,
    },
    /// The copy names a table or columns this store does not have.
    #[error("the backup's table {0} does not match this store's")]
    UnknownTable(String),
}

/// Checks that `copy` fits the store of `tx` and that the store is empty; nothing is written.
pub(crate) async fn check_restorable(
    tx: &mut dyn Tx,
    copy: &StoreCopy,
) -> Result<Result<(), RestoreRefusal>, StoreError> {
    let target = store::one(tx, &sql::SCHEMA_VERSION, &[]).await?;
    if copy.schema_version != target {
        return Ok(Err(RestoreRefusal::SchemaMismatch { copy: copy.schema_version, target }));
    }
    for copied in COPIED.iter().filter(|copied| copied.replaces_by.is_none()) {
        if !tx.query(&copied.any, &[]).await?.is_empty() {
            return Ok(Err(RestoreRefusal::NotEmpty(copied.table.to_owned())));
        }
    }
    for table in &copy.tables {
        if !COPIED.iter().any(|copied| copied.table == table.table) {
            return Ok(Err(RestoreRefusal::UnknownTable(table.table.clone())));
        }
        let known = column_names(tx, &table.table).await?;
        let fits = table.columns.iter().all(|column| known.contains(column))
            && table.rows.iter().all(|row| row.len() == table.columns.len());
        if !fits {
            return Ok(Err(RestoreRefusal::UnknownTable(table.table.clone())));
        }
    }
    Ok(Ok(()))
}

/// Writes `copy`, checked by [`check_restorable`] in the same transaction, into the store of `tx`.
pub(crate) async fn write_all(tx: &mut dyn Tx, copy: &StoreCopy) -> Result<(), StoreError> {
    for table in copy.tables.iter().filter(|table| !table.rows.is_empty()) {
        let replaces_by =
            COPIED.iter().find(|copied| copied.table == table.table).and_then(|copied| copied.replaces_by);
        let insert = insert_statement(&table.table, &table.columns, replaces_by);
        // In chunks, which a driver may send at once (PostgreSQL pipelines them).
        for rows in table.rows.chunks(WRITE_CHUNK) {
            let statements: Vec<_> = rows.iter().map(|row| (insert, row.iter().map(Param::from).collect())).collect();
            tx.execute_all(&statements).await?;
        }
    }
    Ok(())
}

/// `INSERT INTO table (columns) VALUES ($1, …)`, replacing the target's row of the same `replaces_by` if there is
/// one. A restore runs once per process: its handful of statements live until the process ends.
fn insert_statement(table: &str, columns: &[String], replaces_by: Option<&str>) -> &'static Sql {
    let placeholders: Vec<String> = (1..=columns.len()).map(|n| format!("${n}")).collect();
    let conflict = match replaces_by {
        Some(key) => {
            let updates: Vec<String> =
                columns.iter().filter(|c| *c != key).map(|c| format!("{c} = excluded.{c}")).collect();
            format!(" ON CONFLICT ({key}) DO UPDATE SET {}", updates.join(", "))
        }
        None => String::new(),
    };
    let text = format!("INSERT INTO {table} ({}) VALUES ({}){conflict}", columns.join(", "), placeholders.join(", "));
    Box::leak(Box::new(Sql::both(Box::leak(text.into_boxed_str()))))
}

impl TableCopy {
    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column == name)
    }
}

fn text(row: &[Value], index: Option<usize>) -> Option<&str> {
    match row.get(index?)? {
        Value::Text(text) => Some(text),
        _ => None,
    }
}

/// A key's ARN from its stored account, region and ID (in the region's partition, as Trent names keys).
fn key_arn(region: &str, account: &str, key_id: &str) -> Option<String> {
    let (region, account, key_id) = (Region::parse(region)?, AccountId::parse(account)?, KeyId::parse(key_id)?);
    Some(Arn::key(&region, &account, key_id).to_string())
}

impl StoreCopy {
    fn table(&self, name: &str) -> Option<&TableCopy> {
        self.tables.iter().find(|table| table.table == name)
    }

    /// The ARN of every key in the copy, with its state and deletion date (ms; pending keys have one).
    pub fn keys(&self) -> Vec<(String, String, Option<Timestamp>)> {
        let Some(keys) = self.table("keys") else { return Vec::new() };
        let (account, region, id, state, date) = (
            keys.column("account"),
            keys.column("region"),
            keys.column("key_id"),
            keys.column("state"),
            keys.column("deletion_date"),
        );
        keys.rows
            .iter()
            .filter_map(|row| {
                let arn = key_arn(text(row, region)?, text(row, account)?, text(row, id)?)?;
                let deletion = match date.and_then(|index| row.get(index)) {
                    Some(Value::Int(millis)) => Some(Timestamp(*millis)),
                    _ => None,
                };
                Some((arn, text(row, state)?.to_owned(), deletion))
            })
            .collect()
    }

    /// Leaves out every row of the keys whose ARNs are in `deleted` (the key, its aliases, grants, retirement plan and
    /// usage sums; the audit trail keeps their history). Returns how many keys were left out.
    pub fn without_keys(&mut self, deleted: &HashSet<String>) -> usize {
        let before = self.table("keys").map_or(0, |keys| keys.rows.len());
        for table in self.tables.iter_mut().filter(|table| table.table != "audit_segment_keys") {
            let (account, region, id) = (table.column("account"), table.column("region"), table.column("key_id"));
            let by_arn = table.column("key_arn");
            let names_deleted_key = |row: &Vec<Value>| match (text(row, account), text(row, region), text(row, id)) {
                (Some(account), Some(region), Some(id)) => {
                    key_arn(region, account, id).is_some_and(|arn| deleted.contains(&arn))
                }
                _ => text(row, by_arn).is_some_and(|arn| deleted.contains(arn)),
            };
            table.rows.retain(|row| !names_deleted_key(row));
        }
        before - self.table("keys").map_or(0, |keys| keys.rows.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_table_of_the_schema_is_copied_or_known_to_be_node_local() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trent.db");
        drop(crate::KeyStore::open_sqlite(&path).unwrap());
        let connection = rusqlite::Connection::open(&path).unwrap();
        let mut statement =
            connection.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").unwrap();
        let tables: Vec<String> = statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect();
        // SQLite's own AUTOINCREMENT bookkeeping; PostgreSQL's `nodes` and schema version are node-local.
        let uncopied: Vec<&String> =
            tables.iter().filter(|t| *t != "sqlite_sequence" && !COPIED.iter().any(|c| c.table == *t)).collect();
        assert!(uncopied.is_empty(), "tables a backup would miss: {uncopied:?}");
    }
}
