//! The accounts of the people who sign in to the console. Only argon2 hashes of passwords are
//! kept; the owner's is `wr:staff:password` (so `ADMIN_PASSWORD` stays the owner's password).

use super::keys::{ACCOUNTS, ACCOUNTS_SEEN, ACCOUNT_LOGINS, STAFF_EPOCH};
use super::scripts::{AccountAddArgs, AccountPutArgs};
use super::{Store, StoreError};
use crate::account::Role;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

/// An account as `wr:{accounts}:all` keeps it (JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredAccount {
    pub login: String,
    pub name: String,
    pub role: Role,
    /// The argon2 hash of its password (`None`: the owner's, kept as the staff password).
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub must_change_password: bool,
    /// Goes up when its sessions must end (its password was reset or changed, "sign out
    /// everywhere"); a session remembers the value it signed in under.
    #[serde(default)]
    pub epoch: u64,
    /// Goes up with every change (what a change read must still be there when it is written).
    #[serde(default)]
    pub rev: u64,
    pub created_at: u64,
}

/// What a staff request's check reads at once: the staff epoch and, for an account, its record.
pub struct StaffCheck {
    pub staff_epoch: u64,
    pub account: Option<StoredAccount>,
}

/// The store's accounts: a handle on [`Store`], from [`Store::account_records`].
#[derive(Clone)]
pub struct AccountRecords {
    store: Store,
}

impl AccountRecords {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// Adds account `id`, unless its login is taken: whether it was added.
    pub async fn add_account(&self, id: &str, account: &StoredAccount) -> Result<bool, StoreError> {
        let call = AccountAddArgs {
            all: ACCOUNTS.to_owned(),
            logins: ACCOUNT_LOGINS.to_owned(),
            id: id.to_owned(),
            login: account.login.clone(),
            record: to_json(account)?,
        };
        let mut conn = self.store.conn.clone();
        let added: u64 = call
            .invocation(&self.store.scripts)
            .invoke_async(&mut conn)
            .await?;
        Ok(added == 1)
    }

    /// Writes `account` (its `rev` one above the one read) unless it changed since it was read
    /// at `read_rev`: whether it was written.
    pub async fn put_account(
        &self,
        id: &str,
        read_rev: u64,
        account: &StoredAccount,
    ) -> Result<bool, StoreError> {
        let mut account = account.clone();
        account.rev = read_rev + 1;
        let call = AccountPutArgs {
            all: ACCOUNTS.to_owned(),
            id: id.to_owned(),
            read_rev,
            record: to_json(&account)?,
        };
        let mut conn = self.store.conn.clone();
        let written: u64 = call
            .invocation(&self.store.scripts)
            .invoke_async(&mut conn)
            .await?;
        Ok(written == 1)
    }

    pub async fn account(&self, id: &str) -> Result<Option<StoredAccount>, StoreError> {
        let mut conn = self.store.conn.clone();
        let raw: Option<String> = conn.hget(ACCOUNTS, id).await?;
        raw.map(|json| from_json(&json)).transpose()
    }

    /// The id of the account whose login is `login`.
    pub async fn account_id(&self, login: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.store.conn.clone();
        Ok(conn.hget(ACCOUNT_LOGINS, login).await?)
    }

    /// Every account with when it last signed in, by id.
    pub async fn accounts(&self) -> Result<Vec<(String, StoredAccount, Option<u64>)>, StoreError> {
        self.store.records_with_seen(ACCOUNTS, ACCOUNTS_SEEN).await
    }

    pub async fn account_seen(&self, id: &str, at_ms: u64) -> Result<(), StoreError> {
        let mut conn = self.store.conn.clone();
        let _: () = conn.hset(ACCOUNTS_SEEN, id, at_ms).await?;
        Ok(())
    }

    /// The staff epoch and (for `account`) its record, both asked at once (two hash slots: on a
    /// cluster they may live on two nodes, so not one pipeline).
    pub async fn staff_check(&self, account: Option<&str>) -> Result<StaffCheck, StoreError> {
        let (mut epoch_conn, mut account_conn) = (self.store.conn.clone(), self.store.conn.clone());
        let epoch = async move {
            let epoch: Option<u64> = epoch_conn.get(STAFF_EPOCH).await?;
            Ok::<_, StoreError>(epoch)
        };
        let record = async move {
            let raw: Option<String> = match account {
                Some(id) => account_conn.hget(ACCOUNTS, id).await?,
                None => None,
            };
            Ok::<_, StoreError>(raw)
        };
        let (epoch, raw) = tokio::try_join!(epoch, record)?;
        Ok(StaffCheck {
            staff_epoch: epoch.unwrap_or(0),
            account: raw.map(|json| from_json(&json)).transpose()?,
        })
    }
}

fn to_json(account: &StoredAccount) -> Result<String, StoreError> {
    serde_json::to_string(account).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json(json: &str) -> Result<StoredAccount, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("account: {e}")))
}
