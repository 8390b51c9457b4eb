//! Staff sign-in (`/admin/login`) and sign-out.

use crate::components::page::{failure, ErrorText, Page};
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use domain::{AuditAction, AuditEvent, AuditWho, Problem};

#[server(endpoint = "admin/login")]
pub async fn login(login: Option<String>, password: String) -> Result<(), AppError> {
    let room = crate::ssr::room()?;
    let client = crate::ssr::client_ip().await?;
    let login = login.unwrap_or_default();
    let pass = match room.staff().sign_in(&login, &password, client).await {
        Ok(pass) => pass,
        Err(e) => {
            // a wrong password or a disabled account (those past the limit are not written:
            // a flood of them would fill the trail)
            let problem = e.problem();
            if matches!(problem, Problem::WrongPassword | Problem::AccountDisabled) {
                let who = AuditWho {
                    account: None,
                    name: login.trim().chars().take(32).collect(),
                    role: None,
                };
                let event = AuditEvent::new(AuditAction::SignInFailed).detail(problem.code());
                room.audit().record(who, Some(client), event).await;
            }
            return Err(e.into());
        }
    };
    let session = crate::ssr::session().await?;
    // a new session id at sign-in (no session fixation)
    session
        .cycle_id()
        .await
        .map_err(|_| AppError(domain::Problem::Unavailable))?;
    session
        .insert(waitingroom::door::STAFF_KEY, pass.clone())
        .await
        .map_err(|_| AppError(domain::Problem::Unavailable))?;
    // a temporary password: a new one first
    let actor = room.staff().admits(&pass).await?;
    if let Some(actor) = &actor {
        let event = AuditEvent::new(AuditAction::SignIn);
        room.audit().record_by(actor, Some(client), event).await;
    }
    let temporary = actor.is_some_and(|actor| actor.must_change_password);
    leptos_axum::redirect(if temporary { "/admin/password" } else { "/admin" });
    Ok(())
}

/// Ends every session of the account signed in, on every tablet (this one too).
#[server(endpoint = "admin/logout_everywhere")]
pub async fn logout_everywhere() -> Result<(), AppError> {
    let room = crate::ssr::room()?;
    let staff = crate::ssr::admit::<waitingroom::door::StaffSession>().await?;
    room.staff().sign_out_everywhere(&staff.actor).await?;
    crate::ssr::audit(&room, &staff, AuditEvent::new(AuditAction::SignOutEverywhere)).await;
    leptos_axum::redirect("/admin/login");
    Ok(())
}

#[server(endpoint = "admin/logout")]
pub async fn logout() -> Result<(), AppError> {
    if let Ok(staff) = crate::ssr::admit::<waitingroom::door::StaffSession>().await {
        let room = crate::ssr::room()?;
        crate::ssr::audit(&room, &staff, AuditEvent::new(AuditAction::SignOut)).await;
    }
    let session = crate::ssr::session().await?;
    session.flush().await.map_err(|_| AppError(domain::Problem::Unavailable))?;
    leptos_axum::redirect("/admin/login");
    Ok(())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let login = ServerAction::<Login>::new();
    view! {
        <Page class="page narrow login" title=move || t!(i18n, login.title)>
            <ActionForm action=login>
                <label for="login">{t!(i18n, login.login_id)}</label>
                <input id="login" type="text" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="32" placeholder=move || t_string!(i18n, login.login_id_hint) />
                <label for="password">{t!(i18n, login.password)}</label>
                <input id="password" type="password" name="password" autocomplete="current-password" required />
                <button type="submit" class="primary" disabled=move || login.pending().get()>
                    {t!(i18n, login.sign_in)}
                </button>
            </ActionForm>
            {move || failure(login.value().get()).map(|error| view! { <ErrorText error testid="login-error" /> })}
        </Page>
    }
}

/// The sign-out buttons of the console's header: this tablet, or every tablet.
#[component]
pub fn SignOut() -> impl IntoView {
    let i18n = use_i18n();
    let logout = ServerAction::<Logout>::new();
    let everywhere = ServerAction::<LogoutEverywhere>::new();
    view! {
        <div class="header-tools">
            <ActionForm action=logout>
                <button type="submit" class="link-button">{t!(i18n, admin.sign_out)}</button>
            </ActionForm>
            <ActionForm action=everywhere>
                <button type="submit" class="link-button" data-testid="sign-out-everywhere">{t!(i18n, admin.sign_out_everywhere)}</button>
            </ActionForm>
        </div>
    }
}
