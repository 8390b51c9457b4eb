//! Staff sign-in (`/admin/login`) and sign-out.

use crate::components::page::{failure, ErrorText, Page};
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;

#[server(endpoint = "admin/login")]
pub async fn login(password: String) -> Result<(), AppError> {
    let room = crate::ssr::room()?;
    let ok = room
        .staff_password_is(&password)
        .await
        .map_err(|_| AppError::Unavailable)?;
    if !ok {
        // slow down guessing
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        return Err(AppError::WrongPassword);
    }
    let session = crate::ssr::session().await?;
    // a new session id at sign-in (no session fixation)
    session
        .cycle_id()
        .await
        .map_err(|_| AppError::Unavailable)?;
    session
        .insert(crate::ssr::STAFF_KEY, true)
        .await
        .map_err(|_| AppError::Unavailable)?;
    leptos_axum::redirect("/admin");
    Ok(())
}

#[server(endpoint = "admin/logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = crate::ssr::session().await?;
    session.flush().await.map_err(|_| AppError::Unavailable)?;
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

/// The sign-out button of the console's header.
#[component]
pub fn SignOut() -> impl IntoView {
    let i18n = use_i18n();
    let logout = ServerAction::<Logout>::new();
    view! {
        <ActionForm action=logout>
            <button type="submit" class="link-button">{t!(i18n, admin.sign_out)}</button>
        </ActionForm>
    }
}
