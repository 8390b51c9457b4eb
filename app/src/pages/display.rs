//! The display board (`/display`), a TV: now serving per counter, the last calls, the waiting
//! count; each call chimes and is spoken, one announcement after another.

use crate::components::lang_switch::{use_lang, LangSwitch};
use crate::error::AppError;
use crate::live::use_live_queue;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use waitingroom::{counter_name, Call, Intake, Lang, QueueInfo, QueueSnapshot};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardSetup {
    pub queues: Vec<(QueueInfo, QueueSnapshot)>,
}

#[server(endpoint = "display/setup")]
pub async fn load_board() -> Result<BoardSetup, AppError> {
    let room = crate::server_ctx::room()?;
    let mut queues = Vec::new();
    for info in room.queues() {
        queues.push((info.clone(), room.snapshot(&info.id).await?));
    }
    Ok(BoardSetup { queues })
}

/// 「受付番号42番の方、2番窓口へお越しください」
pub fn announcement(label: &str, call: &Call, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!(
            "受付番号{label}番の方、{}へお越しください",
            counter_name(&call.counter, Lang::Ja)
        ),
        Lang::En => format!(
            "Number {label}, please come to {}",
            counter_name(&call.counter, Lang::En)
        ),
    }
}

#[component]
pub fn DisplayPage() -> impl IntoView {
    let lang = use_lang();
    let setup = Resource::new(|| (), |_| load_board());
    let (sound_on, set_sound_on) = signal(false);
    view! {
        <section class="board">
            <header class="bar">
                <h1>{move || lang.get().pick("呼び出し案内", "Now serving")}</h1>
                <button
                    type="button"
                    class="sound-toggle"
                    class:on=sound_on
                    aria-pressed=move || sound_on.get().to_string()
                    on:click=move |_| set_sound_on.set(crate::sound::enable())
                >
                    {move || if sound_on.get() {
                        lang.get().pick("音声案内 オン", "Sound on")
                    } else {
                        lang.get().pick("タップして音声を有効にする", "Tap to enable sound")
                    }}
                </button>
                <LangSwitch />
            </header>
            <Transition fallback=move || view! { <p class="loading">{move || lang.get().pick("読み込み中…", "Loading…")}</p> }>
                {move || Suspend::new(async move {
                    match setup.await {
                        Ok(setup) => setup
                            .queues
                            .into_iter()
                            .map(|(info, initial)| view! { <QueueBoard info initial /> })
                            .collect_view()
                            .into_any(),
                        Err(error) => view! { <p class="error" role="alert">{move || error.message(lang.get())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn QueueBoard(info: QueueInfo, initial: QueueSnapshot) -> impl IntoView {
    let lang = use_lang();
    let live = use_live_queue(initial);
    let shown = live.snapshot;

    // Announce every new call, in order; the calls present at load are history, not news.
    let announce_info = info.clone();
    Effect::new(move |last: Option<Option<(u64, u64)>>| {
        let calls = shown.get().recent_calls;
        let newest_key = calls.first().map(|c| (c.at, c.number));
        if let Some(last) = last {
            let fresh: Vec<&Call> = calls
                .iter()
                .take_while(|c| Some((c.at, c.number)) != last)
                .collect();
            for call in fresh.into_iter().rev() {
                let label = announce_info.label(call.number);
                crate::sound::announce(&announcement(&label, call, Lang::Ja), "ja");
            }
        }
        newest_key
    });

    let serving_info = info.clone();
    let recent_info = info.clone();
    let title_info = info.clone();
    view! {
        <div class="queue-board" data-queue=info.id.to_string() data-live=move || live.status()>
            <h2>{move || title_info.name(lang.get()).to_owned()}</h2>
            {move || match shown.get().intake {
                Intake::Open => None,
                Intake::RemotePaused => Some(view! {
                    <p class="board-intake" role="status">{move || lang.get().pick("オンライン受付は停止中です", "Remote check-in is paused")}</p>
                }.into_any()),
                Intake::Paused => Some(view! {
                    <p class="board-intake" role="status">{move || lang.get().pick("ただいま受付を停止しています", "We are not taking new tickets")}</p>
                }.into_any()),
            }}
            <div class="serving">
                <For
                    each=move || shown.get().serving
                    key=|s| (s.counter.clone(), s.number)
                    children=move |s| {
                        let label = serving_info.label(s.number);
                        let counter = s.counter.clone();
                        view! {
                            <div class="serving-row" data-testid="serving-row">
                                <span class="serving-counter">{move || counter_name(&counter, lang.get())}</span>
                                <span class="serving-number">{label}</span>
                            </div>
                        }
                    }
                />
                <Show when=move || shown.get().serving.is_empty()>
                    <p class="muted">{move || lang.get().pick("ただいま呼び出し中の番号はありません", "No number is being called")}</p>
                </Show>
            </div>
            <div class="board-side">
                <p class="board-waiting">
                    {move || lang.get().pick("お待ちの方", "Waiting")} " "
                    <strong data-testid="board-waiting">{move || shown.get().waiting.len()}</strong>
                    {move || lang.get().pick("人", "")}
                </p>
                <h3>{move || lang.get().pick("最近の呼び出し", "Recent calls")}</h3>
                <ol class="recent-calls">
                    {move || {
                        let info = recent_info.clone();
                        shown
                            .get()
                            .recent_calls
                            .into_iter()
                            .map(|c| {
                                let text = format!("{} → {}", info.label(c.number), counter_name(&c.counter, lang.get()));
                                view! { <li>{text}</li> }
                            })
                            .collect_view()
                    }}
                </ol>
            </div>
        </div>
    }
}
