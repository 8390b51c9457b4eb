//! The console's kiosks: make this device a kiosk (「この端末を受付機にする」), and the list of
//! kiosks with when each was last used, each revocable.

use crate::components::page::{failure, ErrorText};
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use domain::Kiosk;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KioskList {
    pub kiosks: Vec<Kiosk>,
    pub now_ms: u64,
}

#[server(endpoint = "admin/kiosks")]
pub async fn load_kiosks() -> Result<KioskList, AppError> {
    let room = crate::ssr::require(domain::Capability::Devices).await?.0;
    Ok(KioskList {
        kiosks: room.devices().kiosks().await?,
        now_ms: room.setup().calendar.now().now_ms,
    })
}

/// Makes this device a kiosk named `name`: it gets the kiosk's credential, and its staff
/// session ends (a kiosk in the store shows nothing of the console).
#[server(endpoint = "admin/make_kiosk")]
pub async fn make_kiosk(name: String) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(domain::Capability::Devices).await?;
    let (kiosk, credential) = room.devices().set_up_kiosk(&name).await?;
    let event = domain::AuditEvent::new(domain::AuditAction::KioskSetUp)
        .target(&kiosk.id)
        .detail(&kiosk.name);
    crate::ssr::audit(&room, &staff, event).await;
    crate::ssr::keep_kiosk_credential(&room, &credential);
    crate::ssr::session()
        .await?
        .flush()
        .await
        .map_err(|_| AppError(domain::Problem::Unavailable))?;
    leptos_axum::redirect("/kiosk");
    Ok(())
}

/// Ends kiosk `id`: its device can no longer issue tickets.
#[server(endpoint = "admin/revoke_kiosk")]
pub async fn revoke_kiosk(id: String) -> Result<(), AppError> {
    let (room, staff) = crate::ssr::require(domain::Capability::Devices).await?;
    room.devices().revoke_kiosk(&id).await?;
    let event = domain::AuditEvent::new(domain::AuditAction::KioskRevoked).target(&id);
    crate::ssr::audit(&room, &staff, event).await;
    Ok(())
}

#[component]
pub fn KioskPanel() -> impl IntoView {
    let i18n = use_i18n();
    let make = ServerAction::<MakeKiosk>::new();
    let revoke = ServerAction::<RevokeKiosk>::new();
    let list = Resource::new(move || revoke.version().get(), |_| load_kiosks());
    view! {
        <section class="kiosks" aria-labelledby="kiosks-title">
            <h2 id="kiosks-title">{t!(i18n, admin.kiosks.title)}</h2>
            <Transition fallback=move || view! { <p class="loading">{t!(i18n, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) => view! { <KioskRows list revoke /> }.into_any(),
                        Err(error) => view! { <ErrorText error /> }.into_any(),
                    }
                })}
            </Transition>
            {move || failure(revoke.value().get()).map(|error| view! { <ErrorText error /> })}
            <ActionForm action=make>
                <label for="kiosk-name">{t!(i18n, admin.kiosks.name)}</label>
                <input
                    id="kiosk-name"
                    name="name"
                    required
                    maxlength=domain::kiosk::KIOSK_NAME_MAX.to_string()
                    value=move || t_string!(i18n, admin.kiosks.default_name)
                />
                <p class="muted">{t!(i18n, admin.kiosks.make_note)}</p>
                <button type="submit" class="secondary" data-testid="make-kiosk">
                    {t!(i18n, admin.kiosks.make)}
                </button>
            </ActionForm>
            {move || failure(make.value().get()).map(|error| view! { <ErrorText error testid="kiosk-error" /> })}
        </section>
    }
}

#[component]
fn KioskRows(list: KioskList, revoke: ServerAction<RevokeKiosk>) -> impl IntoView {
    let i18n = use_i18n();
    if list.kiosks.is_empty() {
        return view! { <p class="muted">{t!(i18n, admin.kiosks.none)}</p> }.into_any();
    }
    let now_ms = list.now_ms;
    view! {
        <table>
            <thead><tr>
                <th scope="col">{t!(i18n, admin.kiosks.name)}</th>
                <th scope="col">{t!(i18n, admin.kiosks.seen)}</th>
                <th scope="col">{t!(i18n, admin.actions)}</th>
            </tr></thead>
            <tbody>
                {list.kiosks.into_iter().map(|kiosk| {
                    let seen = kiosk.last_seen_at;
                    view! {
                        <tr data-testid="kiosk">
                            <td>{kiosk.name}</td>
                            <td>{move || last_seen(i18n.get_locale(), seen, now_ms)}</td>
                            <td>
                                <ActionForm action=revoke>
                                    <input type="hidden" name="id" value=kiosk.id />
                                    <button type="submit" class="small-action cancel">{t!(i18n, admin.kiosks.revoke)}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// 「5分前」, 「たった今」 or 「未使用」.
pub(super) fn last_seen(locale: Locale, seen: Option<u64>, now_ms: u64) -> String {
    match seen.map(|at| now_ms.saturating_sub(at) / 60_000) {
        None => td_string!(locale, admin.kiosks.never).to_owned(),
        Some(0) => td_string!(locale, admin.kiosks.seen_now).to_owned(),
        Some(n) => td_string!(locale, admin.kiosks.seen_ago, n = n),
    }
}
