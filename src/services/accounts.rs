//! The accounts, as admins keep them: made with a temporary password (shown once), given a role,
//! disabled and enabled again, their password reset; and each person's own new password.

use super::staff::{generate_password, hash_off_thread, Actor, StaffDesk, StaffPass};
use super::{random_token, ServiceError, Setup};
use crate::account::{account_name, check_password, login_id, Account, Role, PASSWORD_MIN};
use crate::problem::Problem;
use crate::store::{self, Store, StoredAccount};
use std::sync::Arc;

/// How often a change is tried again when another admin's change came in between.
const TRIES: usize = 3;

/// The accounts. Handed out by [`super::WaitingRoom::accounts`].
#[derive(Clone)]
pub struct Accounts {
    account_records: store::AccountRecords,
    setup: Arc<Setup>,
    staff: StaffDesk,
}

impl Accounts {
    pub(super) fn new(store: &Store, setup: Arc<Setup>, staff: StaffDesk) -> Self {
        Self {
            account_records: store.account_records(),
            setup,
            staff,
        }
    }

    /// Every account, the owner first, then by login.
    pub async fn accounts(&self) -> Result<Vec<Account>, ServiceError> {
        let mut accounts: Vec<Account> = self
            .account_records
            .accounts()
            .await?
            .into_iter()
            .map(|(id, stored, seen)| account_of(id, stored, seen))
            .collect();
        accounts.sort_by(|a, b| {
            (b.role == Role::Owner, &a.login).cmp(&(a.role == Role::Owner, &b.login))
        });
        Ok(accounts)
    }

    /// `by` makes an account for `login` and `name` with `role`: answers it and its temporary
    /// password (shown once; the first sign-in asks for a new one).
    pub async fn create_account(
        &self,
        by: &Actor,
        login: &str,
        name: &str,
        role: Role,
    ) -> Result<(Account, String), ServiceError> {
        if !by.role.may_give(role) {
            return Err(if role == Role::Owner {
                Problem::OwnerIsKept
            } else {
                Problem::NotAllowed { needs: Role::Admin }
            }
            .into());
        }
        let login = login_id(login).map_err(|_| Problem::BadLogin)?;
        let name = account_name(name).map_err(|_| Problem::BadAccountName)?;
        let password = generate_password();
        let stored = StoredAccount {
            login,
            name,
            role,
            password: Some(hash_off_thread(password.clone()).await?),
            disabled: false,
            must_change_password: true,
            epoch: 0,
            rev: 0,
            created_at: self.setup.calendar.now().now_ms,
        };
        let id = random_token().to_string();
        if !self.account_records.add_account(&id, &stored).await? {
            return Err(Problem::LoginTaken.into());
        }
        tracing::info!(account = %id, login = %stored.login, role = role.as_str(), by = ?by.account, "account made");
        Ok((account_of(id, stored, None), password))
    }

    /// `by` gives account `id` the role `role`.
    pub async fn set_role(
        &self,
        by: &Actor,
        id: &str,
        role: Role,
    ) -> Result<Account, ServiceError> {
        if !by.role.may_give(role) {
            return Err(Problem::OwnerIsKept.into());
        }
        self.change(id, |account| {
            if account.role == Role::Owner {
                return Err(Problem::OwnerIsKept);
            }
            account.role = role;
            Ok(())
        })
        .await
        .map(|stored| account_of(id.to_owned(), stored, None))
    }

    /// `by` disables account `id` (its sessions end at once) or enables it again.
    pub async fn set_disabled(
        &self,
        by: &Actor,
        id: &str,
        disabled: bool,
    ) -> Result<Account, ServiceError> {
        if by.account.as_deref() == Some(id) && disabled {
            // nobody locks themselves out
            return Err(Problem::OwnerIsKept.into());
        }
        self.change(id, |account| {
            if account.role == Role::Owner {
                return Err(Problem::OwnerIsKept);
            }
            account.disabled = disabled;
            Ok(())
        })
        .await
        .map(|stored| account_of(id.to_owned(), stored, None))
    }

    /// `by` gives account `id` a new temporary password (answered, shown once); its sessions end.
    pub async fn reset_password(&self, by: &Actor, id: &str) -> Result<String, ServiceError> {
        if by.account.as_deref() == Some(id) {
            // one's own password is changed knowing the current one
            return Err(Problem::NotAllowed { needs: Role::Owner }.into());
        }
        let password = generate_password();
        let hashed = hash_off_thread(password.clone()).await?;
        self.change(id, |account| {
            if account.role == Role::Owner {
                return Err(Problem::OwnerIsKept);
            }
            account.password = Some(hashed.clone());
            account.must_change_password = true;
            account.epoch += 1;
            Ok(())
        })
        .await?;
        Ok(password)
    }

    /// The person signed in with `pass` chooses `new` after showing `current`: answers the pass
    /// their session keeps from now on (their other sessions end).
    pub async fn change_password(
        &self,
        pass: &StaffPass,
        current: &str,
        new: &str,
    ) -> Result<StaffPass, ServiceError> {
        let stored = self
            .account_records
            .account(&pass.account)
            .await?
            .ok_or(Problem::AccountNotFound)?;
        if stored.role == Role::Owner {
            // the owner's password is the server's setting (`ADMIN_PASSWORD`)
            return Err(Problem::OwnerIsKept.into());
        }
        if !self
            .staff
            .matches(stored.password.as_deref(), current)
            .await?
        {
            return Err(Problem::WrongPassword.into());
        }
        check_password(new).map_err(|_| Problem::WeakPassword { min: PASSWORD_MIN })?;
        let hashed = hash_off_thread(new.to_owned()).await?;
        let account = self
            .change(&pass.account, |account| {
                account.password = Some(hashed.clone());
                account.must_change_password = false;
                account.epoch += 1;
                Ok(())
            })
            .await?;
        tracing::info!(account = %pass.account, "password changed");
        Ok(StaffPass {
            account_epoch: account.epoch,
            ..pass.clone()
        })
    }

    /// Applies `change` to account `id` as read now, and writes it unless another change came
    /// in between (then reads it again, a few times).
    async fn change(
        &self,
        id: &str,
        change: impl Fn(&mut StoredAccount) -> Result<(), Problem>,
    ) -> Result<StoredAccount, ServiceError> {
        for _ in 0..TRIES {
            let mut account = self
                .account_records
                .account(id)
                .await?
                .ok_or(Problem::AccountNotFound)?;
            let read = account.rev;
            change(&mut account)?;
            if self.account_records.put_account(id, read, &account).await? {
                tracing::info!(account = %id, role = account.role.as_str(), disabled = account.disabled, "account changed");
                account.rev = read + 1;
                return Ok(account);
            }
        }
        Err(Problem::AccountChanged.into())
    }
}

fn account_of(id: String, stored: StoredAccount, last_sign_in_at: Option<u64>) -> Account {
    Account {
        id,
        login: stored.login,
        name: stored.name,
        role: stored.role,
        disabled: stored.disabled,
        must_change_password: stored.must_change_password,
        created_at: stored.created_at,
        last_sign_in_at,
    }
}
