//! アカウント (`/admin/accounts`, admins): every account with its role, last sign-in and state;
//! a new account with a temporary password shown once; a role changed, an account disabled or
//! enabled again, a password reset. And each person's own new password (`/admin/password`),
//! which a first sign-in with a temporary password comes to.

use super::ConsoleTools;
use crate::components::page::{failure, ErrorText, Loaded, Page};
use crate::error::{role_name, AppError};
use crate::i18n::*;
use domain::{Account, Role};
#[cfg(feature = "ssr")]
use domain::{AuditAction, AuditEvent};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountList {
    pub accounts: Vec<Account>,
    /// The account signed in (its own row is not changed here).
    pub you: Option<String>,
}

/// A temporary password, shown once, with the login it is for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Temporary {
    pub login: String,
    pub password: String,
}

#[server(endpoint = "admin/accounts")]
pub async fn load_accounts() -> Result<AccountList, AppError> {
    let (room, staff) = crate::ssr::require(domain::Capability::Accounts).await?;
    Ok(AccountList {
        accounts: room.accounts().accounts().await?,
        you: staff.actor.account,
    })
}

#[server(endpoint = "admin/create_account")]
pub async fn create_account(
    login: String,
    name: String,
    role: String,
) -> Result<Temporary, AppError> {
    let (room, staff) = crate::ssr::require(domain::Capability::Accounts).await?;
    let role = parse_role(&role)?;
    let (account, password) = room
        .accounts()
        .create_account(&staff.actor, &login, &name, role)
        .await?;
    let event = AuditEvent::new(AuditAction::AccountCreated)
        .target(&account.login)
        .change(None, role.as_str());
    crate::ssr::audit(&room, &staff, event).await;
    Ok(Temporary {
        login: account.login,
        password,
    })
}

#[server(endpoint = "admin/account_role")]
pub async fn set_account_role(id: String, role: String) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(domain::Capability::Accounts).await?;
    let role = parse_role(&role)?;
    let account = room.accounts().set_role(&staff.actor, &id, role).await?;
    let event = AuditEvent::new(AuditAction::AccountRoleChanged)
        .target(&account.login)
        .change(None, role.as_str());
    crate::ssr::audit(&room, &staff, event).await;
    Ok(())
}

#[server(endpoint = "admin/account_disabled")]
pub async fn set_account_disabled(id: String, disabled: String) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(domain::Capability::Accounts).await?;
    let disabled = disabled == "true";
    let account = room
        .accounts()
        .set_disabled(&staff.actor, &id, disabled)
        .await?;
    let action = if disabled {
        AuditAction::AccountDisabled
    } else {
        AuditAction::AccountEnabled
    };
    crate::ssr::audit(&room, &staff, AuditEvent::new(action).target(&account.login)).await;
    Ok(())
}

#[server(endpoint = "admin/reset_password")]
pub async fn reset_account_password(id: String) -> Result<Temporary, AppError> {
    let (room, staff) = crate::ssr::require(domain::Capability::Accounts).await?;
    let password = room.accounts().reset_password(&staff.actor, &id).await?;
    let login = room
        .accounts()
        .accounts()
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .map(|a| a.login)
        .unwrap_or_default();
    let event = AuditEvent::new(AuditAction::PasswordReset).target(&login);
    crate::ssr::audit(&room, &staff, event).await;
    Ok(Temporary { login, password })
}

/// The person signed in chooses a new password (`new`, typed twice) after showing the current
/// one; their other sessions end, this one goes on.
#[server(endpoint = "admin/change_password")]
pub async fn change_password(current: String, new: String, again: String) -> Result<(), AppError> {
    let room = crate::ssr::room()?;
    let staff = crate::ssr::admit::<waitingroom::door::StaffSession>().await?;
    if new != again {
        return Err(AppError(domain::Problem::BadRequest {
            detail: "the new password and its repetition differ".to_owned(),
        }));
    }
    let pass = room
        .accounts()
        .change_password(&staff.pass, &current, &new)
        .await?;
    crate::ssr::audit(&room, &staff, AuditEvent::new(AuditAction::PasswordChanged)).await;
    crate::ssr::session()
        .await?
        .insert(waitingroom::door::STAFF_KEY, pass)
        .await
        .map_err(|_| AppError(domain::Problem::Unavailable))?;
    leptos_axum::redirect("/admin");
    Ok(())
}

#[cfg(feature = "ssr")]
fn parse_role(raw: &str) -> Result<Role, AppError> {
    Role::parse(raw).ok_or(AppError(domain::Problem::BadRequest {
        detail: "no such role".to_owned(),
    }))
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateAccount>::new();
    let role = ServerAction::<SetAccountRole>::new();
    let disabled = ServerAction::<SetAccountDisabled>::new();
    let reset = ServerAction::<ResetAccountPassword>::new();
    let list = Resource::new(
        move || {
            (
                create.version().get(),
                role.version().get(),
                disabled.version().get(),
                reset.version().get(),
            )
        },
        |_| load_accounts(),
    );
    let temporary = move || {
        create
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| reset.value().get().and_then(Result::ok))
    };
    let error = move || {
        [
            failure(create.value().get()),
            failure(role.value().get()),
            failure(disabled.value().get()),
            failure(reset.value().get()),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    view! {
        <Page class="console accounts" title=move || t!(i18n, admin.accounts.title) tools=ConsoleTools>
            {move || error().map(|error| view! { <ErrorText error testid="accounts-error" /> })}
            {move || temporary().map(|t| view! {
                <p class="temporary" role="status" data-testid="temporary-password">
                    {td_string!(i18n.get_locale(), admin.accounts.temporary, login = t.login)}
                    " " <code>{t.password}</code>
                </p>
            })}
            <section aria-labelledby="new-account">
                <h2 id="new-account">{t!(i18n, admin.accounts.add_title)}</h2>
                <ActionForm action=create attr:class="new-account">
                    <label for="account-login">{t!(i18n, login.login_id)}</label>
                    <input id="account-login" name="login" required maxlength="32" autocapitalize="none" spellcheck="false" autocomplete="off" />
                    <label for="account-name">{t!(i18n, admin.accounts.name)}</label>
                    <input id="account-name" name="name" required maxlength="40" autocomplete="off" />
                    <label for="account-role">{t!(i18n, admin.accounts.role)}</label>
                    <select id="account-role" name="role">
                        {[Role::Staff, Role::Manager, Role::Admin].into_iter().map(|r| view! {
                            <option value=r.as_str()>{move || role_name(r, i18n.get_locale())}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="primary" data-testid="create-account">{t!(i18n, admin.accounts.create)}</button>
                </ActionForm>
            </section>
            <Loaded resource=list testid="accounts-list-error" view=move |list| view! {
                <AccountTable list role disabled reset />
            } />
        </Page>
    }
}

#[component]
fn AccountTable(
    list: AccountList,
    role: ServerAction<SetAccountRole>,
    disabled: ServerAction<SetAccountDisabled>,
    reset: ServerAction<ResetAccountPassword>,
) -> impl IntoView {
    let i18n = use_i18n();
    let you = list.you.clone();
    view! {
        <table class="accounts-table" data-testid="accounts">
            <thead>
                <tr>
                    <th>{t!(i18n, login.login_id)}</th>
                    <th>{t!(i18n, admin.accounts.name)}</th>
                    <th>{t!(i18n, admin.accounts.role)}</th>
                    <th>{t!(i18n, admin.accounts.state)}</th>
                    <th>{t!(i18n, admin.accounts.actions)}</th>
                </tr>
            </thead>
            <tbody>
                {list.accounts.into_iter().map(|a| {
                    let kept = a.role == Role::Owner || you.as_deref() == Some(a.id.as_str());
                    let id = a.id.clone();
                    let current = a.role;
                    view! {
                        <tr data-login=a.login.clone()>
                            <td>{a.login.clone()}</td>
                            <td>{a.name.clone()}</td>
                            <td>
                                {if kept {
                                    view! { <span>{move || role_name(current, i18n.get_locale())}</span> }.into_any()
                                } else {
                                    let id = id.clone();
                                    view! {
                                        <ActionForm action=role attr:class="inline">
                                            <input type="hidden" name="id" value=id />
                                            <select name="role" aria-label=move || t_string!(i18n, admin.accounts.role)>
                                                {[Role::Staff, Role::Manager, Role::Admin].into_iter().map(|r| view! {
                                                    <option value=r.as_str() selected=r == current>{move || role_name(r, i18n.get_locale())}</option>
                                                }).collect_view()}
                                            </select>
                                            <button type="submit" class="secondary small-action">{t!(i18n, admin.accounts.save)}</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </td>
                            <td>
                                {if a.disabled {
                                    t!(i18n, admin.accounts.disabled).into_any()
                                } else if a.must_change_password {
                                    t!(i18n, admin.accounts.temporary_state).into_any()
                                } else {
                                    t!(i18n, admin.accounts.active).into_any()
                                }}
                            </td>
                            <td>
                                {(!kept).then(|| {
                                    let (id1, id2) = (id.clone(), id.clone());
                                    let to = if a.disabled { "false" } else { "true" };
                                    view! {
                                        <ActionForm action=disabled attr:class="inline">
                                            <input type="hidden" name="id" value=id1 />
                                            <input type="hidden" name="disabled" value=to />
                                            <button type="submit" class="secondary small-action" data-testid="account-disable">
                                                {if a.disabled { t!(i18n, admin.accounts.enable).into_any() } else { t!(i18n, admin.accounts.disable).into_any() }}
                                            </button>
                                        </ActionForm>
                                        <ActionForm action=reset attr:class="inline">
                                            <input type="hidden" name="id" value=id2 />
                                            <button type="submit" class="secondary small-action" data-testid="account-reset">
                                                {t!(i18n, admin.accounts.reset)}
                                            </button>
                                        </ActionForm>
                                    }
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// パスワードの変更: the current password, the new one twice.
#[component]
pub fn PasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let change = ServerAction::<ChangePassword>::new();
    view! {
        <Page class="page narrow login" title=move || t!(i18n, password.title)>
            <p>{t!(i18n, password.help)}</p>
            <ActionForm action=change>
                <label for="current">{t!(i18n, password.current)}</label>
                <input id="current" type="password" name="current" autocomplete="current-password" required />
                <label for="new">{t!(i18n, password.new_password)}</label>
                <input id="new" type="password" name="new" autocomplete="new-password" required minlength="10" maxlength="128" />
                <label for="again">{t!(i18n, password.again)}</label>
                <input id="again" type="password" name="again" autocomplete="new-password" required minlength="10" maxlength="128" />
                <button type="submit" class="primary" disabled=move || change.pending().get()>
                    {t!(i18n, password.save)}
                </button>
            </ActionForm>
            {move || failure(change.value().get()).map(|error| view! { <ErrorText error testid="password-error" /> })}
        </Page>
    }
}
