//! The people who sign in to the console: an account for each, with a role that says what it may
//! do. The owner's account is there from the start (its password is `ADMIN_PASSWORD`, or the one
//! generated at first start); admins make the others.

use serde::{Deserialize, Serialize};

/// What an account may do, from least to most. Each role may do everything the one before may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The line: call, recall, no-show, done, cancel, move back, call a customer's phone.
    Staff,
    /// Also the store's settings, kiosks, history and exports, the log of texts and calls.
    Manager,
    /// Also accounts and roles, and the audit trail.
    Admin,
    /// An admin that cannot be removed, disabled or demoted (no organization locks itself out).
    Owner,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 4] = [Role::Staff, Role::Manager, Role::Admin, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Manager => "manager",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// Whether this role may do `what`.
    pub fn may(self, what: Capability) -> bool {
        self >= what.least_role()
    }

    /// The roles an account of this role may give (an admin makes staff, managers and admins;
    /// nobody makes another owner).
    pub fn may_give(self, role: Role) -> bool {
        self.may(Capability::Accounts) && role != Role::Owner
    }
}

/// What the door checks before a use case: each server function, API route and live channel of
/// the staff needs one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// The console's line and its actions on tickets (call, recall, no-show, done, cancel, move
    /// back), and the staff's call of a customer's phone.
    Line,
    /// The queue's settings: intake, opening hours, the automatic call, late arrivals, a new day.
    Settings,
    /// Kiosks set up and revoked.
    Devices,
    /// The history and the log of texts and calls, read.
    History,
    /// The history and the day's tickets downloaded as files.
    Export,
    /// Accounts and their roles.
    Accounts,
    /// The audit trail, read and downloaded.
    Audit,
}

impl Capability {
    /// The least role that may do it.
    pub fn least_role(self) -> Role {
        match self {
            Capability::Line => Role::Staff,
            Capability::Settings
            | Capability::Devices
            | Capability::History
            | Capability::Export => Role::Manager,
            Capability::Accounts | Capability::Audit => Role::Admin,
        }
    }
}

/// What an API token made in the console may do (any of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiScope {
    /// Read: the history's figures, `/metrics`.
    Read,
    /// Act: issue tickets without the per-address limit, call the next.
    Act,
    /// Export: the history and the day's tickets as CSV.
    Export,
}

impl ApiScope {
    pub const ALL: [ApiScope; 3] = [ApiScope::Read, ApiScope::Act, ApiScope::Export];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::Read => "read",
            ApiScope::Act => "act",
            ApiScope::Export => "export",
        }
    }

    pub fn parse(raw: &str) -> Option<ApiScope> {
        ApiScope::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The scope a capability needs of a token (`None`: no token may).
    pub fn of(what: Capability) -> Option<ApiScope> {
        match what {
            Capability::Line => Some(ApiScope::Act),
            Capability::History => Some(ApiScope::Read),
            Capability::Export => Some(ApiScope::Export),
            Capability::Settings
            | Capability::Devices
            | Capability::Accounts
            | Capability::Audit => None,
        }
    }
}

/// An API token as the console lists it (its secret is shown once, when it is made).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// 32 hex characters: the first part of the token (`wrt_<id>.<secret>`).
    pub id: String,
    /// What it is for (「予約システム」).
    pub name: String,
    pub scopes: Vec<ApiScope>,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    /// The name of the account that made it.
    pub created_by: String,
    pub last_used_at: Option<u64>,
}

/// An account as the console lists it (no password, nothing secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// 32 hex characters, never reused.
    pub id: String,
    /// What its holder types to sign in ([`login_id`]).
    pub login: String,
    /// How the console names its holder (「山田」).
    pub name: String,
    pub role: Role,
    /// A disabled account signs in no more; its sessions have ended.
    pub disabled: bool,
    /// Its password is a temporary one (made by an admin): the first sign-in asks for a new one.
    pub must_change_password: bool,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    pub last_sign_in_at: Option<u64>,
}

/// Who is signed in to the console, as it shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub name: String,
    pub role: Role,
}

/// The longest login and name, in characters.
pub const LOGIN_MAX: usize = 32;
pub const NAME_MAX: usize = 40;
/// The shortest password an account may choose.
pub const PASSWORD_MIN: usize = 10;
/// The longest (argon2 hashes any length; a bound keeps each check's work bounded).
pub const PASSWORD_MAX: usize = 128;

/// The owner's login, made at first start (and what an empty login means at the sign-in, so the
/// shared password of earlier versions keeps working for the owner).
pub const OWNER_LOGIN: &str = "owner";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadAccount {
    #[error("a login is 1 to {LOGIN_MAX} of a-z, 0-9, '.', '_' and '-'")]
    Login,
    #[error("a name is 1 to {NAME_MAX} characters, without control characters")]
    Name,
    #[error("a password is {PASSWORD_MIN} to {PASSWORD_MAX} characters")]
    Password,
}

/// A login as typed (「Yamada」 → `yamada`): trimmed, lower case, 1 to [`LOGIN_MAX`] of a-z, 0-9,
/// `.`, `_`, `-`.
pub fn login_id(raw: &str) -> Result<String, BadAccount> {
    let login = raw.trim().to_ascii_lowercase();
    let length = login.chars().count();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if (1..=LOGIN_MAX).contains(&length) && login.chars().all(allowed) {
        Ok(login)
    } else {
        Err(BadAccount::Login)
    }
}

/// A holder's name as typed: trimmed, 1 to [`NAME_MAX`] characters.
pub fn account_name(raw: &str) -> Result<String, BadAccount> {
    let name = raw.trim();
    let length = name.chars().count();
    if (1..=NAME_MAX).contains(&length) && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(BadAccount::Name)
    }
}

/// Whether `password` may be chosen: [`PASSWORD_MIN`] to [`PASSWORD_MAX`] characters.
pub fn check_password(password: &str) -> Result<(), BadAccount> {
    let length = password.chars().count();
    if (PASSWORD_MIN..=PASSWORD_MAX).contains(&length) {
        Ok(())
    } else {
        Err(BadAccount::Password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_what_the_one_before_may() {
        assert!(Role::Staff.may(Capability::Line));
        assert!(!Role::Staff.may(Capability::Settings));
        assert!(!Role::Staff.may(Capability::History));
        assert!(Role::Manager.may(Capability::Settings));
        assert!(Role::Manager.may(Capability::Devices));
        assert!(!Role::Manager.may(Capability::Accounts));
        assert!(Role::Admin.may(Capability::Accounts));
        assert!(Role::Owner.may(Capability::Accounts));
        assert!(Role::Admin.may_give(Role::Admin));
        assert!(!Role::Admin.may_give(Role::Owner));
        assert!(!Role::Manager.may_give(Role::Staff));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn logins_are_lower_case_and_plain() {
        assert_eq!(login_id(" Yamada.T ").unwrap(), "yamada.t");
        assert_eq!(login_id("a_b-9").unwrap(), "a_b-9");
        for bad in ["", "山田", "a b", "a@b", &"x".repeat(LOGIN_MAX + 1)] {
            assert_eq!(login_id(bad), Err(BadAccount::Login), "{bad:?}");
        }
        assert_eq!(account_name(" 山田 ").unwrap(), "山田");
        assert!(account_name("a\u{7}").is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("long enough!").is_ok());
    }
}
