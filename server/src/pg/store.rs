//! One call's store: [`Store`] over one PostgreSQL transaction.
//!
//! The world reads through `&self` and gets references back, so rows read
//! are kept for the rest of the call in append-only maps, which hand out
//! references that stay valid while the map grows. A failed statement is
//! remembered (the first one wins) and read as "nothing there": the caller
//! rolls the transaction back and answers the failure, never what the
//! world decided from the empty read.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use ecs_image_copy::store::{
    AccountHandle, CopyOf, Details, Image, Orphan, RegionHandle, Replay, Statuses, Store,
};
use ecs_image_copy::{Config, CopyPhase, CopyTask, ImageId, ImageStatus, SnapshotId, Timestamp};
use elsa::FrozenMap;
use postgres::Row;
use postgres::types::ToSql;
use serde::{Deserialize, Serialize};

use super::{Connection, Failure};

/// The columns of an image, in the order [`read_image`] reads them.
macro_rules! image_columns {
    () => {
        "id, seq, owner, region, created, size_gib, name, status, phase, source, task, details"
    };
}

const QUEUED: i16 = CopyPhase::Queued as i16;
const RUNNING: [i16; 2] = [CopyPhase::Copying as i16, CopyPhase::Finalizing as i16];

/// Accounts by name and number, as every replica has them: an account,
/// once made, never changes or goes, so what any call read is good for
/// all.
#[derive(Default)]
pub(crate) struct Accounts {
    by_name: RwLock<HashMap<String, AccountHandle>>,
    by_number: RwLock<HashMap<u32, Arc<str>>>,
}

impl Accounts {
    fn learn(&self, name: &str, account: AccountHandle) {
        let mut by_name = self.by_name.write().unwrap_or_else(|e| e.into_inner());
        by_name.insert(name.to_owned(), account);
        let mut by_number = self.by_number.write().unwrap_or_else(|e| e.into_inner());
        by_number.insert(account.get(), name.into());
    }

    fn number(&self, name: &str) -> Option<AccountHandle> {
        let by_name = self.by_name.read().unwrap_or_else(|e| e.into_inner());
        by_name.get(name).copied()
    }

    fn name(&self, account: AccountHandle) -> Option<Arc<str>> {
        let by_number = self.by_number.read().unwrap_or_else(|e| e.into_inner());
        by_number.get(&account.get()).cloned()
    }
}

/// A [`Store`] over one transaction of the database: what
/// [`Database::transact`](super::Database::transact) gives its call.
pub struct Transaction<'c> {
    connection: RefCell<&'c mut Connection>,
    config: &'c Config,
    known: &'c Accounts,
    /// Whether the call may change the world: its image reads then lock
    /// the rows they read, so that no other call changes them before this
    /// one commits.
    writing: bool,
    failure: RefCell<Option<Failure>>,
    images: FrozenMap<u64, Box<Option<Image>>>,
    names: FrozenMap<u32, Arc<str>>,
    replays: FrozenMap<(u32, String), Box<Option<Replay>>>,
    /// The account and region rows this transaction holds locked.
    locked: RefCell<Vec<(i32, i16)>>,
    /// The accounts this call made, known to all once it commits.
    made: Vec<(String, AccountHandle)>,
}

/// An image's attributes as a row keeps them, as JSON.
#[derive(Serialize, Deserialize)]
struct DetailsRow {
    description: String,
    tags: Vec<(String, String)>,
    encrypted: bool,
    kms_key_id: String,
    deprecated: bool,
    shares: Vec<(u32, u64)>,
}

impl<'c> Transaction<'c> {
    /// A store over `connection`, on which a transaction is open.
    pub(crate) fn new(
        connection: &'c mut Connection,
        config: &'c Config,
        known: &'c Accounts,
        writing: bool,
    ) -> Transaction<'c> {
        Transaction {
            connection: RefCell::new(connection),
            config,
            known,
            writing,
            failure: RefCell::new(None),
            images: FrozenMap::new(),
            names: FrozenMap::new(),
            replays: FrozenMap::new(),
            locked: RefCell::new(Vec::new()),
            made: Vec::new(),
        }
    }

    /// Ends the transaction with `COMMIT` or `ROLLBACK`.
    pub(crate) fn end(&self, how: &str) -> Result<(), postgres::Error> {
        self.connection.borrow_mut().batch(how)
    }

    /// Tells every call of the accounts this one made: once it committed.
    pub(crate) fn committed(self) {
        for (name, account) in &self.made {
            self.known.learn(name, *account);
        }
    }

    /// The first failure of the call, if any: then its answer must not be
    /// kept.
    pub fn failure(&self) -> Option<Failure> {
        self.failure.borrow().clone()
    }

    /// Spends a signature nonce at `now`: `false` if any replica spent it
    /// before.
    pub fn spend_nonce(&self, nonce: &str, now: Timestamp) -> bool {
        let sql =
            "INSERT INTO ecs_nonces (nonce, spent) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING";
        let spent = now.unix_seconds() as i64;
        self.execute(sql, &[&nonce, &spent]) == Some(1)
    }

    fn fail(&self, failure: Failure) {
        self.failure.borrow_mut().get_or_insert(failure);
    }

    fn query(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Vec<Row> {
        if self.failure.borrow().is_some() {
            return Vec::new();
        }
        let result = self.connection.borrow_mut().query(sql, params);
        result.unwrap_or_else(|error| {
            self.fail(Failure::of(&error));
            Vec::new()
        })
    }

    fn execute(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Option<u64> {
        if self.failure.borrow().is_some() {
            return None;
        }
        let result = self.connection.borrow_mut().execute(sql, params);
        result.map_err(|error| self.fail(Failure::of(&error))).ok()
    }

    /// Changes exactly one row, or fails the call as a conflict: the row
    /// went since this call read it.
    fn change_one(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) {
        if self.execute(sql, params) == Some(0) {
            self.fail(Failure::Conflict);
        }
    }

    fn count(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> usize {
        let rows = self.query(sql, params);
        let count: Option<i64> = rows.first().and_then(|row| row.try_get(0).ok());
        count.unwrap_or(0) as usize
    }

    /// Locks `owner`'s row for `region` until the transaction ends, making
    /// it first if need be.
    fn lock_shelf(&self, owner: AccountHandle, region: RegionHandle) {
        let key = shelf_key(owner, region);
        if self.locked.borrow().contains(&key) {
            return;
        }
        let sql = "INSERT INTO ecs_shelves (owner, region) VALUES ($1, $2) \
                   ON CONFLICT (owner, region) DO UPDATE SET owner = excluded.owner";
        self.execute(sql, &[&key.0, &key.1]);
        self.locked.borrow_mut().push(key);
    }

    fn image_of(&self, row: &Row) -> Option<(ImageId, Image)> {
        match read_image(row, self.config) {
            Ok(image) => Some(image),
            Err(why) => {
                self.fail(Failure::Corrupt(why));
                None
            }
        }
    }

    /// Keeps `rows` of images for the rest of the call, and gives them back.
    fn keep_images(&self, rows: &[Row]) -> Vec<(ImageId, &Image)> {
        let images = rows.iter().filter_map(|row| self.image_of(row));
        let kept = images.filter_map(|(id, image)| {
            let image = self.images.insert(id.number(), Box::new(Some(image)));
            Some((id, image.as_ref()?))
        });
        kept.collect()
    }

    fn write(&self, id: ImageId, image: &Image) {
        let (status, phase, task, details) = columns(image);
        let sql = "UPDATE ecs_images SET status = $2, phase = $3, task = $4, details = $5 \
                   WHERE id = $1";
        let id = id.number() as i64;
        self.change_one(sql, &[&id, &status, &phase, &task, &details]);
    }
}

impl Store for Transaction<'_> {
    fn account(&self, name: &str) -> Option<AccountHandle> {
        if let Some(account) = self.known.number(name) {
            return Some(account);
        }
        if let Some((_, account)) = self.made.iter().find(|(made, _)| made == name) {
            return Some(*account);
        }
        let rows = self.query("SELECT id FROM ecs_accounts WHERE name = $1", &[&name]);
        let id: Option<i32> = rows.first().and_then(|row| row.try_get(0).ok());
        let account = AccountHandle::from_number(id? as u32);
        self.known.learn(name, account);
        Some(account)
    }

    fn intern(&mut self, name: &str) -> AccountHandle {
        if let Some(account) = self.account(name) {
            return account;
        }
        let sql = "INSERT INTO ecs_accounts (id, name) VALUES (nextval('ecs_account_ids'), $1) \
                   ON CONFLICT (name) DO NOTHING RETURNING id";
        let rows = self.query(sql, &[&name]);
        let id: Option<i32> = rows.first().and_then(|row| row.try_get(0).ok());
        let Some(id) = id else {
            // Another call made it first: this one runs again, and finds it.
            self.fail(Failure::Conflict);
            return AccountHandle::from_number(0);
        };
        let account = AccountHandle::from_number(id as u32);
        // Known to all only once committed: a rolled back call's account
        // must not be.
        self.made.push((name.to_owned(), account));
        account
    }

    fn account_name(&self, account: AccountHandle) -> &str {
        if let Some(name) = self.names.get(&account.get()) {
            return name;
        }
        if let Some(name) = self.known.name(account) {
            return self.names.insert(account.get(), name);
        }
        let id = account.get() as i32;
        let rows = self.query("SELECT name FROM ecs_accounts WHERE id = $1", &[&id]);
        let name: Option<String> = rows.first().and_then(|row| row.try_get(0).ok());
        match name {
            Some(name) => {
                self.known.learn(&name, account);
                self.names.insert(account.get(), name.into())
            }
            None => {
                self.fail(Failure::Corrupt(format!("account {id} has no name")));
                ""
            }
        }
    }

    fn image(&self, id: ImageId) -> Option<&Image> {
        if let Some(image) = self.images.get(&id.number()) {
            return image.as_ref();
        }
        let sql = match self.writing {
            true => concat!(
                "SELECT ",
                image_columns!(),
                " FROM ecs_images WHERE id = $1 FOR UPDATE"
            ),
            false => concat!(
                "SELECT ",
                image_columns!(),
                " FROM ecs_images WHERE id = $1"
            ),
        };
        let rows = self.query(sql, &[&(id.number() as i64)]);
        let image = rows.first().and_then(|row| self.image_of(row));
        let image = image.map(|(_, image)| image);
        self.images.insert(id.number(), Box::new(image)).as_ref()
    }

    fn image_count(&self) -> usize {
        self.count("SELECT count(*) FROM ecs_images", &[])
    }

    fn is_full(&self) -> bool {
        // 2^63 keys: a sequence runs out long after anyone cares.
        false
    }

    fn named(&self, owner: AccountHandle, region: RegionHandle, name: &str) -> Option<ImageId> {
        let sql = "SELECT id FROM ecs_images WHERE owner = $1 AND region = $2 AND name = $3";
        let (owner, region) = shelf_key(owner, region);
        let rows = self.query(sql, &[&owner, &region, &name]);
        let id: Option<i64> = rows.first().and_then(|row| row.try_get(0).ok());
        id.map(|id| ImageId::from_number(id as u64))
    }

    fn insert(&mut self, mut image: Image) -> Option<ImageId> {
        // Locked before the creation number is drawn: creation order is
        // commit order within an account and region, so queues are fair.
        self.lock_shelf(image.owner, image.region);
        let rows = self.query(
            "SELECT nextval('ecs_image_keys'), nextval('ecs_image_seqs')",
            &[],
        );
        let numbers: Option<(i64, i64)> = rows
            .first()
            .and_then(|row| Some((row.try_get(0).ok()?, row.try_get(1).ok()?)));
        let (key, seq) = numbers?;
        let id = ImageId::keyed(self.config.id_seed(), key as u64);
        image.seq = seq as u64;
        let (status, phase, task, details) = columns(&image);
        let name = (!image.name.is_empty()).then_some(&*image.name);
        let source = image.copy.map(|copy| copy.source.number() as i64);
        let sql = concat!(
            "INSERT INTO ecs_images (",
            image_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        self.execute(
            sql,
            &[
                &(id.number() as i64),
                &seq,
                &(image.owner.get() as i32),
                &(image.region.get() as i16),
                &(image.created.unix_seconds() as i64),
                &(image.size_gib as i32),
                &name,
                &status,
                &phase,
                &source,
                &task,
                &details,
            ],
        )?;
        self.images
            .as_mut()
            .insert(id.number(), Box::new(Some(image)));
        Some(id)
    }

    fn update<R>(&mut self, id: ImageId, change: impl FnOnce(&mut Image) -> R) -> Option<R> {
        let mut image = self.image(id)?.clone();
        let answer = change(&mut image);
        self.write(id, &image);
        self.images
            .as_mut()
            .insert(id.number(), Box::new(Some(image)));
        Some(answer)
    }

    fn rename(&mut self, id: ImageId, name: &str) {
        let name_column = (!name.is_empty()).then_some(name);
        let sql = "UPDATE ecs_images SET name = $2 WHERE id = $1";
        self.change_one(sql, &[&(id.number() as i64), &name_column]);
        if let Some(Some(image)) = self.images.as_mut().get_mut(&id.number()).map(|b| &mut **b) {
            image.name = name.into();
        }
    }

    fn remove(&mut self, id: ImageId) -> Option<Image> {
        let image = self.image(id)?.clone();
        let sql = "DELETE FROM ecs_images WHERE id = $1";
        self.change_one(sql, &[&(id.number() as i64)]);
        self.images.as_mut().insert(id.number(), Box::new(None));
        Some(image)
    }

    fn count(&self, owner: AccountHandle, region: RegionHandle, statuses: &Statuses) -> usize {
        let sql = "SELECT count(*) FROM ecs_images \
                   WHERE owner = $1 AND region = $2 AND status = ANY($3)";
        let (owner, region) = shelf_key(owner, region);
        Transaction::count(self, sql, &[&owner, &region, &admitted(statuses)])
    }

    fn newer_than(
        &self,
        owner: AccountHandle,
        region: RegionHandle,
        statuses: &Statuses,
        seq: u64,
    ) -> usize {
        let sql = "SELECT count(*) FROM ecs_images \
                   WHERE owner = $1 AND region = $2 AND status = ANY($3) AND seq > $4";
        let (owner, region) = shelf_key(owner, region);
        let seq = seq as i64;
        Transaction::count(self, sql, &[&owner, &region, &admitted(statuses), &seq])
    }

    fn newest(
        &self,
        owner: AccountHandle,
        region: RegionHandle,
        statuses: &Statuses,
        skip: usize,
        size: usize,
    ) -> Vec<(ImageId, &Image)> {
        let sql = concat!(
            "SELECT ",
            image_columns!(),
            " FROM ecs_images WHERE owner = $1 AND region = $2 AND status = ANY($3) \
             ORDER BY seq DESC OFFSET $4 LIMIT $5"
        );
        let (owner, region) = shelf_key(owner, region);
        let (skip, size) = (skip as i64, size as i64);
        let rows = self.query(sql, &[&owner, &region, &admitted(statuses), &skip, &size]);
        self.keep_images(&rows)
    }

    fn images_of(&self, owner: AccountHandle, region: RegionHandle) -> Vec<(ImageId, &Image)> {
        let sql = concat!(
            "SELECT ",
            image_columns!(),
            " FROM ecs_images WHERE owner = $1 AND region = $2 ORDER BY seq"
        );
        let (owner, region) = shelf_key(owner, region);
        let rows = self.query(sql, &[&owner, &region]);
        self.keep_images(&rows)
    }

    fn running_count(&mut self, owner: AccountHandle, region: RegionHandle) -> usize {
        self.lock_shelf(owner, region);
        let sql = "SELECT count(*) FROM ecs_images \
                   WHERE owner = $1 AND region = $2 AND phase = ANY($3)";
        let (owner, region) = shelf_key(owner, region);
        Transaction::count(self, sql, &[&owner, &region, &&RUNNING[..]])
    }

    fn next_queued(&mut self, owner: AccountHandle, region: RegionHandle) -> Option<ImageId> {
        self.lock_shelf(owner, region);
        let sql = "SELECT id FROM ecs_images WHERE owner = $1 AND region = $2 AND phase = $3 \
                   ORDER BY seq LIMIT 1";
        let (owner, region) = shelf_key(owner, region);
        let rows = self.query(sql, &[&owner, &region, &QUEUED]);
        let id: Option<i64> = rows.first().and_then(|row| row.try_get(0).ok());
        id.map(|id| ImageId::from_number(id as u64))
    }

    fn all_running(&self) -> Vec<(AccountHandle, RegionHandle, Vec<ImageId>)> {
        let sql = "SELECT owner, region, id FROM ecs_images WHERE phase = ANY($1) \
                   ORDER BY owner, region, seq";
        let rows = self.query(sql, &[&&RUNNING[..]]);
        let mut running: Vec<(AccountHandle, RegionHandle, Vec<ImageId>)> = Vec::new();
        for row in &rows {
            let read = || -> Option<(u32, u32, u64)> {
                let owner: i32 = row.try_get(0).ok()?;
                let region: i16 = row.try_get(1).ok()?;
                let id: i64 = row.try_get(2).ok()?;
                Some((owner as u32, region as u32, id as u64))
            };
            let Some((owner, region, id)) = read() else {
                continue;
            };
            let Some(region) = RegionHandle::from_index(region, self.config) else {
                self.fail(Failure::Corrupt(format!(
                    "region {region} is not configured"
                )));
                continue;
            };
            let owner = AccountHandle::from_number(owner);
            let id = ImageId::from_number(id);
            match running.last_mut() {
                Some((o, r, ids)) if *o == owner && *r == region => ids.push(id),
                _ => running.push((owner, region, vec![id])),
            }
        }
        running
    }

    fn replay(&self, owner: AccountHandle, token: &str) -> Option<&Replay> {
        let key = (owner.get(), token.to_owned());
        if let Some(replay) = self.replays.get(&key) {
            return replay.as_ref();
        }
        let sql = "SELECT parameters, image FROM ecs_tokens WHERE owner = $1 AND token = $2";
        let rows = self.query(sql, &[&(owner.get() as i32), &token]);
        let replay = rows.first().and_then(|row| {
            let parameters: String = row.try_get(0).ok()?;
            let image: i64 = row.try_get(1).ok()?;
            let parameters: Vec<String> = serde_json::from_str(&parameters).ok()?;
            Some(Replay {
                parameters: parameters.into_iter().map(Box::from).collect(),
                image: ImageId::from_number(image as u64),
            })
        });
        self.replays.insert(key, Box::new(replay)).as_ref()
    }

    fn remember(&mut self, owner: AccountHandle, token: &str, replay: Replay) {
        let parameters: Vec<&str> = replay.parameters.iter().map(|p| &**p).collect();
        let parameters = serde_json::to_string(&parameters).unwrap_or_default();
        let sql =
            "INSERT INTO ecs_tokens (owner, token, parameters, image) VALUES ($1, $2, $3, $4)";
        let image = replay.image.number() as i64;
        self.execute(sql, &[&(owner.get() as i32), &token, &parameters, &image]);
        let key = (owner.get(), token.to_owned());
        self.replays.as_mut().insert(key, Box::new(Some(replay)));
    }

    fn granted(&self, grantee: AccountHandle, region: RegionHandle) -> Vec<ImageId> {
        let sql =
            "SELECT image FROM ecs_grants WHERE grantee = $1 AND region = $2 ORDER BY position";
        let rows = self.query(sql, &[&(grantee.get() as i32), &(region.get() as i16)]);
        let ids = rows.iter().filter_map(|row| row.try_get::<_, i64>(0).ok());
        ids.map(|id| ImageId::from_number(id as u64)).collect()
    }

    fn grant(&mut self, grantee: AccountHandle, region: RegionHandle, id: ImageId) {
        let sql = "INSERT INTO ecs_grants (grantee, region, image, position) \
                   VALUES ($1, $2, $3, nextval('ecs_grant_order')) ON CONFLICT DO NOTHING";
        let (grantee, region, id) = (
            grantee.get() as i32,
            region.get() as i16,
            id.number() as i64,
        );
        self.execute(sql, &[&grantee, &region, &id]);
    }

    fn revoke(&mut self, grantee: AccountHandle, region: RegionHandle, id: ImageId) {
        let sql = "DELETE FROM ecs_grants WHERE grantee = $1 AND region = $2 AND image = $3";
        let (grantee, region, id) = (
            grantee.get() as i32,
            region.get() as i16,
            id.number() as i64,
        );
        self.execute(sql, &[&grantee, &region, &id]);
    }

    fn orphan(&self, id: SnapshotId) -> Option<Orphan> {
        let sql = match self.writing {
            true => "SELECT owner, region FROM ecs_orphans WHERE snapshot = $1 FOR UPDATE",
            false => "SELECT owner, region FROM ecs_orphans WHERE snapshot = $1",
        };
        let rows = self.query(sql, &[&(id.image().number() as i64)]);
        let row = rows.first()?;
        let owner: i32 = row.try_get(0).ok()?;
        let region: i16 = row.try_get(1).ok()?;
        Some(Orphan {
            owner: AccountHandle::from_number(owner as u32),
            region: RegionHandle::from_index(region as u32, self.config)?,
        })
    }

    fn keep_orphan(&mut self, id: SnapshotId, orphan: Orphan) {
        let sql = "INSERT INTO ecs_orphans (snapshot, owner, region) VALUES ($1, $2, $3)";
        let id = id.image().number() as i64;
        let (owner, region) = (orphan.owner.get() as i32, orphan.region.get() as i16);
        self.execute(sql, &[&id, &owner, &region]);
    }

    fn drop_orphan(&mut self, id: SnapshotId) {
        let sql = "DELETE FROM ecs_orphans WHERE snapshot = $1";
        self.change_one(sql, &[&(id.image().number() as i64)]);
    }
}

/// An account and region as the tables' `owner` and `region` columns
/// hold them.
fn shelf_key(owner: AccountHandle, region: RegionHandle) -> (i32, i16) {
    (owner.get() as i32, region.get() as i16)
}

/// The statuses a query admits, as the `status` column has them.
fn admitted(statuses: &Statuses) -> Vec<i16> {
    let all = ImageStatus::ALL.iter().zip(statuses);
    all.filter(|(_, admitted)| **admitted)
        .map(|(status, _)| *status as i16)
        .collect()
}

/// The columns an image's changes touch: status, phase, task and details.
fn columns(image: &Image) -> (i16, Option<i16>, Option<String>, Option<String>) {
    let status = image.status() as i16;
    let phase = image.copy.map(|copy| copy.task.phase() as i16);
    let task = image
        .copy
        .and_then(|copy| serde_json::to_string(&copy.task).ok());
    let details = image.details.as_deref().map(|details| {
        let row = DetailsRow {
            description: details.description.to_string(),
            tags: (details.tags.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            encrypted: details.encrypted,
            kms_key_id: details.kms_key_id.to_string(),
            deprecated: details.deprecated,
            shares: (details.shares.iter())
                .map(|(account, since)| (account.get(), since.unix_seconds()))
                .collect(),
        };
        serde_json::to_string(&row).unwrap_or_default()
    });
    (status, phase, task, details)
}

/// An image from a row of `image_columns!()`, or why the row is no image
/// this server could have written.
fn read_image(row: &Row, config: &Config) -> Result<(ImageId, Image), String> {
    let id: i64 = row.try_get(0).map_err(|e| e.to_string())?;
    let id = ImageId::from_number(id as u64);
    let get = |e: postgres::Error| format!("image {id}: {e}");
    let seq: i64 = row.try_get(1).map_err(get)?;
    let owner: i32 = row.try_get(2).map_err(get)?;
    let region: i16 = row.try_get(3).map_err(get)?;
    let created: i64 = row.try_get(4).map_err(get)?;
    let size_gib: i32 = row.try_get(5).map_err(get)?;
    let name: Option<String> = row.try_get(6).map_err(get)?;
    let source: Option<i64> = row.try_get(9).map_err(get)?;
    let task: Option<String> = row.try_get(10).map_err(get)?;
    let details: Option<String> = row.try_get(11).map_err(get)?;
    let region = RegionHandle::from_index(region as u32, config)
        .ok_or_else(|| format!("image {id}: region {region} is not configured"))?;
    let copy = match (source, task) {
        (Some(source), Some(task)) => {
            let task: CopyTask =
                serde_json::from_str(&task).map_err(|e| format!("image {id}: {e}"))?;
            Some(CopyOf {
                source: ImageId::from_number(source as u64),
                task,
            })
        }
        _ => None,
    };
    let details = match details {
        Some(details) => {
            let row: DetailsRow =
                serde_json::from_str(&details).map_err(|e| format!("image {id}: {e}"))?;
            Details {
                description: row.description.into(),
                tags: (row.tags.into_iter())
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
                encrypted: row.encrypted,
                kms_key_id: row.kms_key_id.into(),
                deprecated: row.deprecated,
                shares: (row.shares.into_iter())
                    .map(|(account, since)| {
                        let since = Timestamp::from_unix_seconds(since);
                        (AccountHandle::from_number(account), since)
                    })
                    .collect(),
            }
            .boxed()
        }
        None => None,
    };
    let image = Image {
        seq: seq as u64,
        owner: AccountHandle::from_number(owner as u32),
        region,
        created: Timestamp::from_unix_seconds(created as u64),
        size_gib: size_gib as u32,
        name: name.unwrap_or_default().into(),
        details,
        copy,
    };
    Ok((id, image))
}
