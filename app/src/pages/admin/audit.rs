//! 操作履歴 (`/admin/audit`, admins): the audit trail by day, person and action, newest first,
//! whether its chain holds, and its CSV.

use super::ConsoleTools;
use crate::components::page::{Loaded, Page};
use crate::error::{role_name, AppError};
use crate::i18n::*;
use domain::{Account, AuditAction, AuditEntry};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditList {
    /// The local date shown (`YYYY-MM-DD`).
    pub date: String,
    pub account: Option<String>,
    pub action: Option<AuditAction>,
    pub entries: Vec<AuditEntry>,
    /// The accounts, to choose a person.
    pub accounts: Vec<Account>,
    /// How many entries the chain holds, or the entry where it breaks and why.
    pub chain: Result<u64, (u64, String)>,
    /// The store's offset from UTC, for the entries' times.
    pub utc_offset_ms: i64,
}

#[server(endpoint = "admin/audit")]
pub async fn load_audit(
    date: Option<String>,
    account: Option<String>,
    action: Option<String>,
) -> Result<AuditList, AppError> {
    let (room, _) = crate::ssr::require(domain::Capability::Audit).await?;
    let calendar = &room.setup().calendar;
    let date = date
        .filter(|d| {
            d.len() == 10
                && d.chars()
                    .enumerate()
                    .all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() })
        })
        .unwrap_or_else(|| calendar.now().day.to_string());
    let account = account.filter(|a| !a.is_empty());
    let action = action.as_deref().and_then(AuditAction::parse);
    let entries = room
        .audit()
        .entries(Some(&date), account.as_deref(), action)
        .await?;
    let chain = room
        .audit()
        .verify()
        .await?
        .map_err(|broken| (broken.seq, broken.why));
    Ok(AuditList {
        date,
        account,
        action,
        entries,
        accounts: room.accounts().accounts().await?,
        chain,
        utc_offset_ms: calendar.utc_offset_ms(),
    })
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let loaded = Resource::new(
        move || {
            let q = query.read();
            (q.get("date"), q.get("account"), q.get("action"))
        },
        |(date, account, action)| load_audit(date, account, action),
    );
    view! {
        <Page class="console audit" title=move || t!(i18n, admin.audit.title) tools=ConsoleTools>
            <Loaded resource=loaded testid="audit-error" view=|list| view! { <AuditScreen list /> } />
        </Page>
    }
}

#[component]
fn AuditScreen(list: AuditList) -> impl IntoView {
    let i18n = use_i18n();
    let csv = format!(
        "/api/v1/audit.csv?date={}&account={}&action={}",
        list.date,
        list.account.clone().unwrap_or_default(),
        list.action.map(AuditAction::as_str).unwrap_or_default()
    );
    let offset = list.utc_offset_ms;
    let time = move |ms: u64| {
        let local = (ms as i64 + offset).rem_euclid(86_400_000) / 1000;
        format!("{:02}:{:02}:{:02}", local / 3600, local / 60 % 60, local % 60)
    };
    let chain = list.chain.clone();
    view! {
        <p class="chain" data-testid="audit-chain">
            {move || match &chain {
                Ok(n) => td_string!(i18n.get_locale(), admin.audit.holds, n = n),
                Err((seq, why)) => format!("{} {why}", td_string!(i18n.get_locale(), admin.audit.broken, n = seq)),
            }}
        </p>
        <form method="get" action="/admin/audit" class="audit-filter">
            <label for="audit-date">{t!(i18n, admin.audit.date)}</label>
            <input id="audit-date" type="date" name="date" value=list.date.clone() />
            <label for="audit-account">{t!(i18n, admin.audit.person)}</label>
            <select id="audit-account" name="account">
                <option value="">{t!(i18n, admin.audit.everyone)}</option>
                {list.accounts.iter().map(|a| {
                    let selected = list.account.as_deref() == Some(a.id.as_str());
                    view! { <option value=a.id.clone() selected=selected>{format!("{} ({})", a.name, a.login)}</option> }
                }).collect_view()}
            </select>
            <label for="audit-action">{t!(i18n, admin.audit.action)}</label>
            <select id="audit-action" name="action">
                <option value="">{t!(i18n, admin.audit.every_action)}</option>
                {AuditAction::ALL.into_iter().map(|a| view! {
                    <option value=a.as_str() selected=list.action == Some(a)>{move || action_name(a, i18n.get_locale())}</option>
                }).collect_view()}
            </select>
            <button type="submit" class="secondary">{t!(i18n, admin.audit.show)}</button>
            <a href=csv download="">{t!(i18n, admin.audit.download)}</a>
        </form>
        <table class="audit-table" data-testid="audit-entries">
            <thead>
                <tr>
                    <th>{t!(i18n, admin.audit.time)}</th>
                    <th>{t!(i18n, admin.audit.person)}</th>
                    <th>{t!(i18n, admin.audit.action)}</th>
                    <th>{t!(i18n, admin.audit.target)}</th>
                    <th>{t!(i18n, admin.audit.address)}</th>
                </tr>
            </thead>
            <tbody>
                {list.entries.into_iter().map(|e| {
                    let role = e.who.role;
                    let event = e.event.clone();
                    let target = [event.queue.clone(), event.target.clone(), event.detail.clone(), event.after.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" · ");
                    view! {
                        <tr data-action=event.action.as_str()>
                            <td>{time(e.at)}</td>
                            <td>{e.who.name.clone()} {role.map(|r| view! { " (" {move || role_name(r, i18n.get_locale())} ")" })}</td>
                            <td>{move || action_name(event.action, i18n.get_locale())}</td>
                            <td>{target}</td>
                            <td>{e.address.clone().unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn action_name(action: AuditAction, locale: Locale) -> &'static str {
    use AuditAction as A;
    match action {
        A::SignIn => td_string!(locale, admin.audit.actions.sign_in),
        A::SignInFailed => td_string!(locale, admin.audit.actions.sign_in_failed),
        A::SignOut => td_string!(locale, admin.audit.actions.sign_out),
        A::SignOutEverywhere => td_string!(locale, admin.audit.actions.sign_out_everywhere),
        A::CallNext => td_string!(locale, admin.audit.actions.call_next),
        A::TicketAction => td_string!(locale, admin.audit.actions.ticket_action),
        A::PhoneShown => td_string!(locale, admin.audit.actions.phone_shown),
        A::PhoneCalled => td_string!(locale, admin.audit.actions.phone_called),
        A::SettingChanged => td_string!(locale, admin.audit.actions.setting_changed),
        A::DayReset => td_string!(locale, admin.audit.actions.day_reset),
        A::KioskSetUp => td_string!(locale, admin.audit.actions.kiosk_set_up),
        A::KioskRevoked => td_string!(locale, admin.audit.actions.kiosk_revoked),
        A::ApiTokenCreated => td_string!(locale, admin.audit.actions.api_token_created),
        A::ApiTokenRevoked => td_string!(locale, admin.audit.actions.api_token_revoked),
        A::AccountCreated => td_string!(locale, admin.audit.actions.account_created),
        A::AccountRoleChanged => td_string!(locale, admin.audit.actions.account_role_changed),
        A::AccountDisabled => td_string!(locale, admin.audit.actions.account_disabled),
        A::AccountEnabled => td_string!(locale, admin.audit.actions.account_enabled),
        A::PasswordReset => td_string!(locale, admin.audit.actions.password_reset),
        A::PasswordChanged => td_string!(locale, admin.audit.actions.password_changed),
        A::Export => td_string!(locale, admin.audit.actions.export),
    }
}
