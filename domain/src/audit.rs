//! The audit trail: who did what, when, from where. Each entry carries the hash of the one before
//! (a chain), so an entry edited or removed is found by checking the chain. Nothing personal of a
//! customer is in it (no phone number, no token): a ticket is named by its queue and number.

use crate::account::Role;
use serde::{Deserialize, Serialize};

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    SignOut,
    SignOutEverywhere,
    /// Called the next ticket (target: its number).
    CallNext,
    /// A staff action on a ticket (detail: the action).
    TicketAction,
    /// A customer's phone number shown to staff.
    PhoneShown,
    /// A customer's phone called by staff.
    PhoneCalled,
    /// A setting of a queue changed (detail: which; before and after).
    SettingChanged,
    /// The day's numbering started again.
    DayReset,
    KioskSetUp,
    KioskRevoked,
    ApiTokenCreated,
    ApiTokenRevoked,
    AccountCreated,
    AccountRoleChanged,
    AccountDisabled,
    AccountEnabled,
    PasswordReset,
    PasswordChanged,
    /// The history read or downloaded, or the day's tickets downloaded (detail: what).
    Export,
}

impl AuditAction {
    pub const ALL: [AuditAction; 21] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignOut,
        AuditAction::SignOutEverywhere,
        AuditAction::CallNext,
        AuditAction::TicketAction,
        AuditAction::PhoneShown,
        AuditAction::PhoneCalled,
        AuditAction::SettingChanged,
        AuditAction::DayReset,
        AuditAction::KioskSetUp,
        AuditAction::KioskRevoked,
        AuditAction::ApiTokenCreated,
        AuditAction::ApiTokenRevoked,
        AuditAction::AccountCreated,
        AuditAction::AccountRoleChanged,
        AuditAction::AccountDisabled,
        AuditAction::AccountEnabled,
        AuditAction::PasswordReset,
        AuditAction::PasswordChanged,
        AuditAction::Export,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignOut => "sign_out",
            AuditAction::SignOutEverywhere => "sign_out_everywhere",
            AuditAction::CallNext => "call_next",
            AuditAction::TicketAction => "ticket_action",
            AuditAction::PhoneShown => "phone_shown",
            AuditAction::PhoneCalled => "phone_called",
            AuditAction::SettingChanged => "setting_changed",
            AuditAction::DayReset => "day_reset",
            AuditAction::KioskSetUp => "kiosk_set_up",
            AuditAction::KioskRevoked => "kiosk_revoked",
            AuditAction::ApiTokenCreated => "api_token_created",
            AuditAction::ApiTokenRevoked => "api_token_revoked",
            AuditAction::AccountCreated => "account_created",
            AuditAction::AccountRoleChanged => "account_role_changed",
            AuditAction::AccountDisabled => "account_disabled",
            AuditAction::AccountEnabled => "account_enabled",
            AuditAction::PasswordReset => "password_reset",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::Export => "export",
        }
    }

    pub fn parse(raw: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// Who did it: an account (its id, its name and role then), the staff API's token, or a login
/// typed at a failed sign-in (no account).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditWho {
    /// The account's id; `None`: the API's token, or nobody signed in.
    pub account: Option<String>,
    /// Its name then (or the login typed, or `API`).
    pub name: String,
    pub role: Option<Role>,
}

/// What happened, before it is written: the action and what it was done to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub action: AuditAction,
    /// The queue it was done in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// What it was done to: a ticket's number, an account's login, a kiosk's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Which action, which setting, which download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A setting or a role before and after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl AuditEvent {
    pub fn new(action: AuditAction) -> Self {
        Self {
            action,
            queue: None,
            target: None,
            detail: None,
            before: None,
            after: None,
        }
    }

    pub fn queue(mut self, queue: impl ToString) -> Self {
        self.queue = Some(queue.to_string());
        self
    }

    pub fn target(mut self, target: impl ToString) -> Self {
        self.target = Some(target.to_string());
        self
    }

    pub fn detail(mut self, detail: impl ToString) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    pub fn change(mut self, before: Option<String>, after: impl ToString) -> Self {
        self.before = before;
        self.after = Some(after.to_string());
        self
    }
}

/// The trail's CSV (Japanese headers, UTF-8 with a BOM, CRLF lines), each entry's time written
/// by `local_time` (ms → `2026-11-25 09:05:00`).
pub fn audit_csv(entries: &[AuditEntry], local_time: impl Fn(u64) -> String) -> String {
    let mut out = String::from(crate::history::CSV_BOM);
    let headers = [
        "番号",
        "日時",
        "アカウント",
        "名前",
        "権限",
        "アドレス",
        "操作",
        "受付",
        "対象",
        "内容",
        "変更前",
        "変更後",
        "ハッシュ",
    ];
    crate::history::push_row(&mut out, headers.iter().map(|h| (*h).to_owned()));
    for e in entries {
        let event = &e.event;
        crate::history::push_row(
            &mut out,
            [
                e.seq.to_string(),
                local_time(e.at),
                e.who.account.clone().unwrap_or_default(),
                e.who.name.clone(),
                e.who
                    .role
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
                e.address.clone().unwrap_or_default(),
                event.action.as_str().to_owned(),
                event.queue.clone().unwrap_or_default(),
                event.target.clone().unwrap_or_default(),
                event.detail.clone().unwrap_or_default(),
                event.before.clone().unwrap_or_default(),
                event.after.clone().unwrap_or_default(),
                e.hash.clone(),
            ]
            .into_iter(),
        );
    }
    out
}

/// One entry of the trail, as kept (JSON, one per line on disk).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1, 2, 3, … with no gap.
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub at: u64,
    pub who: AuditWho,
    /// The client's address (a staff tablet's, never a customer's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(flatten)]
    pub event: AuditEvent,
    /// The hash of the entry before (`""` before the first).
    pub prev: String,
    /// SHA-256 (hex) of `prev`, a line feed, and this entry's JSON with an empty `hash`.
    #[serde(default)]
    pub hash: String,
}
