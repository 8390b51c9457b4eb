//! The staff password and sign-in: argon2 hash kept in Redis, from `ADMIN_PASSWORD` or generated
//! once at first start (shown once by the caller); failed sign-ins limited per address; a
//! bounded number of argon2 checks at once; staff sessions that end with a changed password,
//! "sign out everywhere", or their lifetime.

use super::{ServiceError, Setup};
use crate::account::{login_id, ApiScope, Capability, Role, OWNER_LOGIN};
use crate::problem::Problem;
use crate::store;
use crate::store::StoredAccount;
use crate::store::{Store, StoreError};
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored staff password hash is unreadable")]
    BadHash,
    #[error("no password check can run")]
    Unavailable,
}

fn hash(password: &str) -> Result<String, StaffError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| StaffError::BadHash)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| StaffError::BadHash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| StaffError::BadHash)
}

pub(super) async fn hash_off_thread(password: String) -> Result<String, StaffError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|_| StaffError::BadHash)?
}

/// A password of 16 characters a person can type (no 0/O, 1/l/I).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// Failed sign-ins one address may make per [`FAILURE_WINDOW`] before it must wait. Per address,
/// never global: an attacker cannot lock the tablets of the shop out.
pub const MAX_FAILURES: u32 = 10;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// argon2 checks running at once (each takes ~19 MiB and a core for ~50 ms): that many threads
/// of their own do every check, so a flood of sign-ins waits its turn instead of taking the
/// memory and the cores of the queue.
pub const CONCURRENT_CHECKS: usize = 2;
/// Checks waiting for a thread, at most; more sign-ins than that wait to be queued.
const CHECKS_QUEUED: usize = 64;

/// Staff sign-in's section of the configuration. No `Debug`: it holds secrets.
#[derive(Clone)]
pub struct StaffSettings {
    /// `ADMIN_PASSWORD`: the staff password; `None`: one is generated at first start.
    pub password: Option<String>,
    /// `STAFF_API_TOKEN`: the bearer token of the staff API; `None`: the staff API is closed.
    pub api_token: Option<String>,
    /// `SESSION_HOURS`: a staff login ends after this long without activity.
    pub session_hours: u32,
    /// `SESSION_MAX_DAYS`: a staff login ends this long after its sign-in, active or not.
    pub session_max_days: u32,
}

impl StaffSettings {
    /// How long a staff session lasts at most, active or not.
    pub fn session_lifetime(&self) -> Duration {
        Duration::from_secs(u64::from(self.session_max_days) * 86_400)
    }
}

/// What a staff session remembers of its sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPass {
    /// The staff epoch it signed in under (see `keys::STAFF_EPOCH`).
    pub epoch: u64,
    /// Milliseconds since the Unix epoch.
    pub signed_in_at: u64,
    /// The account signed in (a session of an earlier version has none: it is not admitted).
    #[serde(default)]
    pub account: String,
    /// The account's epoch it signed in under.
    #[serde(default)]
    pub account_epoch: u64,
}

/// Who a staff request comes from: an account signed in, or the staff API's token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The account (`None`: the staff API's token, `STAFF_API_TOKEN`).
    pub account: Option<String>,
    /// How the console names it.
    pub name: String,
    pub role: Role,
    /// Signed in with a temporary password: may only choose a new one.
    pub must_change_password: bool,
    /// An API token made in the console: what it may (its role says nothing then).
    pub scopes: Option<Vec<ApiScope>>,
}

impl Actor {
    /// The staff API's token: an admin.
    pub fn api_token() -> Self {
        Self {
            account: None,
            name: "API".to_owned(),
            role: Role::Admin,
            must_change_password: false,
            scopes: None,
        }
    }

    /// Refused unless this actor may do `what`.
    pub fn may(&self, what: Capability) -> Result<(), Problem> {
        if let Some(scopes) = &self.scopes {
            return match ApiScope::of(what) {
                Some(needs) if scopes.contains(&needs) => Ok(()),
                Some(needs) => Err(Problem::MissingScope { needs }),
                None => Err(Problem::NotAllowed {
                    needs: what.least_role(),
                }),
            };
        }
        if self.must_change_password {
            return Err(Problem::PasswordChangeRequired);
        }
        if !self.role.may(what) {
            return Err(Problem::NotAllowed {
                needs: what.least_role(),
            });
        }
        Ok(())
    }
}

/// One password check for the checking threads: the stored hash, the candidate, the answer.
struct Check {
    stored: String,
    candidate: String,
    answer: oneshot::Sender<Result<bool, StaffError>>,
}

/// Staff sign-in: the password, the password check and its limits, the lifetime of what it
/// grants, and signing out. Handed out by [`super::WaitingRoom::staff`].
#[derive(Clone)]
pub struct StaffDesk {
    staff_records: store::StaffRecords,
    account_records: store::AccountRecords,
    setup: Arc<Setup>,
    checks: mpsc::Sender<Check>,
}

impl StaffDesk {
    /// Starts the [`CONCURRENT_CHECKS`] password-checking threads.
    pub(super) fn new(store: &Store, setup: Arc<Setup>) -> Self {
        let (checks, queue) = mpsc::channel::<Check>(CHECKS_QUEUED);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..CONCURRENT_CHECKS {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("password-check-{i}"))
                .spawn(move || loop {
                    let next = queue.lock().map(|mut q| q.blocking_recv());
                    let Ok(Some(check)) = next else { return };
                    let _ = check.answer.send(verify(&check.stored, &check.candidate));
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "no password-check thread");
            }
        }
        Self {
            staff_records: store.staff_records(),
            account_records: store.account_records(),
            setup,
            checks,
        }
    }

    /// Sets the staff password at start: the configured one (`ADMIN_PASSWORD`) replaces the
    /// stored one, and a changed password ends every staff session; without it a password is
    /// generated when none is stored yet, and answered so it can be shown once.
    pub async fn init_staff_password(&self) -> Result<Option<String>, StaffError> {
        self.ensure_owner().await?;
        let store = &self.staff_records;
        if let Some(password) = self.setup.staff.password.as_deref() {
            if self.matches(None, password).await? {
                return Ok(None);
            }
            let hashed = hash_off_thread(password.to_owned()).await?;
            store.set_staff_password_hash(&hashed, false).await?;
            store.next_staff_epoch().await?;
            return Ok(None);
        }
        if store.staff_password_hash().await?.is_some() {
            return Ok(None);
        }
        let generated = generate_password();
        let hashed = hash_off_thread(generated.clone()).await?;
        let set = store.set_staff_password_hash(&hashed, true).await?;
        Ok(set.then_some(generated))
    }

    /// The owner's account, made at first start (an installation of an earlier version gets it
    /// at its first start after the upgrade); its password is the staff password.
    async fn ensure_owner(&self) -> Result<(), StaffError> {
        if self
            .account_records
            .account_id(OWNER_LOGIN)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let owner = StoredAccount {
            login: OWNER_LOGIN.to_owned(),
            name: OWNER_LOGIN.to_owned(),
            role: Role::Owner,
            password: None,
            disabled: false,
            must_change_password: false,
            epoch: 0,
            rev: 0,
            created_at: self.setup.calendar.now().now_ms,
        };
        let id = super::random_token().to_string();
        if self.account_records.add_account(&id, &owner).await? {
            tracing::info!(account = %id, "the owner's account was made");
        }
        Ok(())
    }

    /// Checks `login` (empty: the owner's) and `candidate` for a sign-in from `client`.
    pub async fn sign_in(
        &self,
        login: &str,
        candidate: &str,
        client: IpAddr,
    ) -> Result<StaffPass, ServiceError> {
        let store = &self.staff_records;
        // counted before the (slow) check, in one step: parallel guesses cannot all slip under
        // the limit; per IPv6 /64, /56 and /48, as one customer holds a whole prefix
        let networks = crate::store::networks(client);
        if let Some(retry_after_s) = store
            .take_sign_in_attempt(&networks, MAX_FAILURES, FAILURE_WINDOW)
            .await?
        {
            return Err(Problem::too_many_attempts(retry_after_s).into());
        }
        let login = match login.trim() {
            "" => OWNER_LOGIN.to_owned(),
            typed => login_id(typed).map_err(|_| Problem::WrongPassword)?,
        };
        let found = match self.account_records.account_id(&login).await? {
            Some(id) => self.account_records.account(&id).await?.map(|a| (id, a)),
            None => None,
        };
        let Some((id, account)) = found else {
            // the same check's time as for a known login: the answer tells nothing either way
            let _ = self.matches(None, candidate).await;
            tracing::warn!(%client, "staff sign-in with an unknown login");
            return Err(Problem::WrongPassword.into());
        };
        if !self.matches(account.password.as_deref(), candidate).await? {
            tracing::warn!(%client, account = %id, "staff sign-in failed");
            return Err(Problem::WrongPassword.into());
        }
        store.give_back_sign_in_attempt(&networks).await?;
        if account.disabled {
            tracing::warn!(%client, account = %id, "a disabled account tried to sign in");
            return Err(Problem::AccountDisabled.into());
        }
        let now_ms = self.setup.calendar.now().now_ms;
        self.account_records.account_seen(&id, now_ms).await?;
        Ok(StaffPass {
            epoch: store.staff_epoch().await?,
            signed_in_at: now_ms,
            account_epoch: account.epoch,
            account: id,
        })
    }

    /// Who a session's pass signs in, if it still holds: the same staff epoch, within its
    /// lifetime, its account there, not disabled, at the same account epoch.
    pub async fn admits(&self, pass: &StaffPass) -> Result<Option<Actor>, ServiceError> {
        let now_ms = self.setup.calendar.now().now_ms;
        let age = Duration::from_millis(now_ms.saturating_sub(pass.signed_in_at));
        if age >= self.setup.staff.session_lifetime() || pass.account.is_empty() {
            return Ok(None);
        }
        let check = self
            .account_records
            .staff_check(Some(&pass.account))
            .await?;
        Ok(check
            .account
            .filter(|a| {
                check.staff_epoch == pass.epoch && !a.disabled && a.epoch == pass.account_epoch
            })
            .map(|a| Actor {
                account: Some(pass.account.clone()),
                name: a.name,
                role: a.role,
                must_change_password: a.must_change_password,
                scopes: None,
            }))
    }

    /// Ends every session of `actor`'s account, on every tablet (the API's token: every staff
    /// session).
    pub async fn sign_out_everywhere(&self, actor: &Actor) -> Result<(), ServiceError> {
        let Some(id) = &actor.account else {
            self.staff_records.next_staff_epoch().await?;
            return Ok(());
        };
        for _ in 0..3 {
            let Some(mut account) = self.account_records.account(id).await? else {
                return Err(Problem::AccountNotFound.into());
            };
            let read = account.rev;
            account.epoch += 1;
            if self.account_records.put_account(id, read, &account).await? {
                return Ok(());
            }
        }
        Err(Problem::AccountChanged.into())
    }

    /// Whether `candidate` is the password whose hash is `stored` (`None`: the staff password,
    /// the owner's), checked by the password-checking threads.
    pub(super) async fn matches(
        &self,
        stored: Option<&str>,
        candidate: &str,
    ) -> Result<bool, StaffError> {
        let stored = match stored {
            Some(hash) => hash.to_owned(),
            None => match self.staff_records.staff_password_hash().await? {
                Some(hash) => hash,
                None => return Ok(false),
            },
        };
        let (answer, answered) = oneshot::channel();
        let check = Check {
            stored,
            candidate: candidate.to_owned(),
            answer,
        };
        self.checks
            .send(check)
            .await
            .map_err(|_| StaffError::Unavailable)?;
        answered.await.map_err(|_| StaffError::Unavailable)?
    }
}

fn verify(stored: &str, candidate: &str) -> Result<bool, StaffError> {
    // a hash asking more than the bounds is never checked (one from an altered backup would make
    // every sign-in allocate gigabytes)
    let parsed = crate::secret::bounded_argon2(stored).map_err(|why| {
        tracing::error!(%why, "the stored staff password hash is refused");
        StaffError::BadHash
    })?;
    Ok(Argon2::default()
        .verify_password(candidate.as_bytes(), &parsed)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHash;

    #[test]
    fn hashes_verify_and_generated_passwords_differ() {
        let h = hash("correct horse").unwrap();
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"wrong", &parsed)
            .is_err());
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
    }
}
