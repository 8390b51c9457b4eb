//! The display board (`/display`), a TV: now serving per counter, the last calls, the waiting
//! count; each call chimes and is spoken in the board's language, one after another.

use crate::components::lang_menu::to_lang;
use crate::components::page::{Loaded, Page};
use crate::error::AppError;
use crate::i18n::*;
use crate::live::use_live;
use crate::words::counter_name;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use domain::{Call, CounterId, Intake, QueueInfo, QueueSnapshot};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardSetup {
    pub queues: Vec<(QueueInfo, QueueSnapshot)>,
}

#[server(endpoint = "display/setup")]
pub async fn load_board() -> Result<BoardSetup, AppError> {
    let room = crate::ssr::room()?;
    let mut queues = Vec::new();
    for info in &room.setup().queues {
        queues.push((info.clone(), room.desk().snapshot(&info.id).await?));
    }
    Ok(BoardSetup { queues })
}

/// 「受付番号42番の方、2番窓口へお越しください」, in `locale`.
pub fn announcement(locale: Locale, label: &str, counter: &CounterId) -> String {
    td_string!(
        locale,
        display.announcement,
        label = label,
        counter = counter_name(locale, counter)
    )
}

#[component]
pub fn DisplayPage() -> impl IntoView {
    let i18n = use_i18n();
    let setup = Resource::new(|| (), |_| load_board());
    let (sound_on, set_sound_on) = signal(false);
    let sound = move || {
        view! {
            <button
                type="button"
                class="sound-toggle"
                class:on=sound_on
                aria-pressed=move || sound_on.get().to_string()
                on:click=move |_| set_sound_on.set(crate::sound::enable())
            >
                {move || if sound_on.get() {
                    t_string!(i18n, display.sound_on)
                } else {
                    t_string!(i18n, display.enable_sound)
                }}
            </button>
        }
    };
    view! {
        <Page class="board" title=move || t!(i18n, display.title) tools=sound>
            <Loaded
                resource=setup
                retry=true
                view=|setup: BoardSetup| setup
                    .queues
                    .into_iter()
                    .map(|(info, initial)| view! { <QueueBoard info initial /> })
                    .collect_view()
            />
        </Page>
    }
}

#[component]
fn QueueBoard(info: QueueInfo, initial: QueueSnapshot) -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live(initial);
    let shown = live.view();
    let info = StoredValue::new(info);

    // Announce every new call, in order, in the board's language; the calls present at load
    // are history, not news.
    Effect::new(move |last: Option<Option<(u64, u64)>>| {
        let calls = shown.with(|s| s.recent_calls.clone());
        let newest_key = calls.first().map(|c| (c.at, c.number));
        if let Some(last) = last {
            let locale = i18n.get_locale_untracked();
            let fresh: Vec<&Call> = calls
                .iter()
                .take_while(|c| Some((c.at, c.number)) != last)
                .collect();
            for call in fresh.into_iter().rev() {
                let label = info.with_value(|q| q.label(call.number));
                let text = announcement(locale, &label, &call.counter);
                crate::sound::announce(&text, to_lang(locale).speech_code());
            }
        }
        newest_key
    });

    let label = move |number: u64| info.with_value(|q| q.label(number));
    view! {
        <div class="queue-board" data-queue=info.with_value(|q| q.id.to_string()) data-live=move || live.status()>
            <h2>{move || info.with_value(|q| q.name(to_lang(i18n.get_locale())).to_owned())}</h2>
            {move || match shown.with(|s| s.intake) {
                Intake::Open => None,
                Intake::RemotePaused => Some(view! {
                    <p class="board-intake" role="status">{t!(i18n, display.remote_paused)}</p>
                }.into_any()),
                Intake::Paused => Some(view! {
                    <p class="board-intake" role="status">{t!(i18n, display.paused)}</p>
                }.into_any()),
            }}
            <div class="serving">
                <For
                    each=move || shown.with(|s| s.serving.clone())
                    key=|s| (s.counter.clone(), s.number)
                    children=move |s| {
                        let counter = s.counter.clone();
                        view! {
                            <div class="serving-row" data-testid="serving-row">
                                <span class="serving-counter">{move || counter_name(i18n.get_locale(), &counter)}</span>
                                <span class="serving-number">{label(s.number)}</span>
                            </div>
                        }
                    }
                />
                <Show when=move || shown.with(|s| s.serving.is_empty())>
                    <p class="muted">{t!(i18n, display.none_called)}</p>
                </Show>
            </div>
            <div class="board-side">
                <p class="board-waiting">
                    {t!(i18n, display.waiting)} " "
                    <strong data-testid="board-waiting">{move || shown.with(|s| s.waiting.len())}</strong>
                </p>
                <h3>{t!(i18n, display.recent)}</h3>
                <ul class="recent-calls">
                    {move || {
                        let locale = i18n.get_locale();
                        shown.with(|s| s.recent_calls.clone())
                            .into_iter()
                            .map(|c| {
                                let text = td_string!(locale, display.recent_call, label = label(c.number), counter = counter_name(locale, &c.counter));
                                view! { <li data-testid="recent-call">{text}</li> }
                            })
                            .collect_view()
                    }}
                </ul>
            </div>
        </div>
    }
}
