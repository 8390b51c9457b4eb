//! API トークン (`/admin/tokens`, admins): the tokens integrations call the JSON API with, each with
//! its scopes and last use; a new one shown once; one revoked.

use super::kiosks::last_seen;
use super::ConsoleTools;
use crate::components::page::{failure, ErrorText, Loaded, Page};
use crate::error::AppError;
use crate::i18n::*;
use domain::{ApiScope, ApiToken};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use domain::{AuditAction, AuditEvent};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenList {
    pub tokens: Vec<ApiToken>,
    /// When this was read (ms since the Unix epoch), for how long ago each was used.
    pub now_ms: u64,
}

/// A token just made: its name and the token itself (shown once).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MadeToken {
    pub name: String,
    pub token: String,
}

#[server(endpoint = "admin/api_tokens")]
pub async fn load_tokens() -> Result<TokenList, AppError> {
    let (room, _) = crate::ssr::require(domain::Capability::Accounts).await?;
    Ok(TokenList {
        tokens: room.api_tokens().tokens().await?,
        now_ms: room.setup().calendar.now().now_ms,
    })
}

/// A new token named `name` with the scopes whose boxes were ticked.
#[server(endpoint = "admin/create_api_token")]
pub async fn create_token(
    name: String,
    read: Option<String>,
    act: Option<String>,
    export: Option<String>,
) -> Result<MadeToken, AppError> {
    let (room, staff) = crate::ssr::require(domain::Capability::Accounts).await?;
    let scopes: Vec<ApiScope> = [(read, ApiScope::Read), (act, ApiScope::Act), (export, ApiScope::Export)]
        .into_iter()
        .filter_map(|(ticked, scope)| ticked.is_some().then_some(scope))
        .collect();
    let (token, secret) = room.api_tokens().create(&staff.actor, &name, &scopes).await?;
    let scopes: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
    let event = AuditEvent::new(AuditAction::ApiTokenCreated)
        .target(&token.id)
        .detail(&token.name)
        .change(None, scopes.join(","));
    crate::ssr::audit(&room, &staff, event).await;
    Ok(MadeToken {
        name: token.name,
        token: secret,
    })
}

#[server(endpoint = "admin/revoke_api_token")]
pub async fn revoke_token(id: String) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(domain::Capability::Accounts).await?;
    room.api_tokens().revoke(&id).await?;
    let event = AuditEvent::new(AuditAction::ApiTokenRevoked).target(&id);
    crate::ssr::audit(&room, &staff, event).await;
    Ok(())
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let list = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| load_tokens(),
    );
    let error = move || failure(create.value().get()).or_else(|| failure(revoke.value().get()));
    view! {
        <Page class="console tokens" title=move || t!(i18n, admin.tokens.title) tools=ConsoleTools>
            {move || error().map(|error| view! { <ErrorText error testid="tokens-error" /> })}
            {move || create.value().get().and_then(Result::ok).map(|made| view! {
                <p class="temporary" role="status" data-testid="new-token">
                    {td_string!(i18n.get_locale(), admin.tokens.shown_once, name = made.name)}
                    " " <code>{made.token}</code>
                </p>
            })}
            <section aria-labelledby="new-token-title">
                <h2 id="new-token-title">{t!(i18n, admin.tokens.add_title)}</h2>
                <ActionForm action=create attr:class="new-token">
                    <label for="token-name">{t!(i18n, admin.tokens.name)}</label>
                    <input id="token-name" name="name" required maxlength="40" autocomplete="off" />
                    <fieldset>
                        <legend>{t!(i18n, admin.tokens.scopes)}</legend>
                        {ApiScope::ALL.into_iter().map(|scope| view! {
                            <label class="inline">
                                <input type="checkbox" name=scope.as_str() />
                                {move || scope_name(scope, i18n.get_locale())}
                            </label>
                        }).collect_view()}
                    </fieldset>
                    <button type="submit" class="primary" data-testid="create-token">{t!(i18n, admin.tokens.create)}</button>
                </ActionForm>
            </section>
            <Loaded resource=list testid="tokens-list-error" view=move |list| view! { <TokenTable list revoke /> } />
        </Page>
    }
}

#[component]
fn TokenTable(list: TokenList, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let i18n = use_i18n();
    let now_ms = list.now_ms;
    view! {
        <table class="tokens-table" data-testid="tokens">
            <thead>
                <tr>
                    <th>{t!(i18n, admin.tokens.name)}</th>
                    <th>{t!(i18n, admin.tokens.scopes)}</th>
                    <th>{t!(i18n, admin.tokens.made_by)}</th>
                    <th>{t!(i18n, admin.tokens.last_used)}</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {list.tokens.into_iter().map(|token| {
                    let scopes = token.scopes.clone();
                    let used = token.last_used_at;
                    view! {
                        <tr data-name=token.name.clone()>
                            <td>{token.name.clone()}</td>
                            <td>{move || scopes.iter().map(|s| scope_name(*s, i18n.get_locale())).collect::<Vec<_>>().join("・")}</td>
                            <td>{token.created_by.clone()}</td>
                            <td>{move || last_seen(i18n.get_locale(), used, now_ms)}</td>
                            <td>
                                <ActionForm action=revoke attr:class="inline">
                                    <input type="hidden" name="id" value=token.id.clone() />
                                    <button type="submit" class="danger small-action" data-testid="revoke-token">{t!(i18n, admin.tokens.revoke)}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn scope_name(scope: ApiScope, locale: Locale) -> &'static str {
    match scope {
        ApiScope::Read => td_string!(locale, admin.tokens.read),
        ApiScope::Act => td_string!(locale, admin.tokens.act),
        ApiScope::Export => td_string!(locale, admin.tokens.export),
    }
}
