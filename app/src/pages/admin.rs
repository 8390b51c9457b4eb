//! The staff console (`/admin`, behind `/admin/login`): the waiting list in order and the actions
//! on it, intake, the day's reset and the day's figures.

use crate::components::lang_switch::{href_in, use_lang, LangSwitch};
use crate::error::AppError;
use crate::live::use_live_queue;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use waitingroom::TicketState;
use waitingroom::{counter_name, Analytics, Channel, CounterId, Intake, Lang, QueueInfo, Ticket};

#[server(endpoint = "admin/login")]
pub async fn login(password: String) -> Result<(), AppError> {
    let room = crate::server_ctx::room()?;
    let ok = waitingroom::services::staff::verify_password(room.store(), &password)
        .await
        .map_err(|_| AppError::Unavailable)?;
    if !ok {
        // slow down guessing
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        return Err(AppError::WrongPassword);
    }
    let session = crate::server_ctx::session().await?;
    // a new session id at sign-in (no session fixation)
    session
        .cycle_id()
        .await
        .map_err(|_| AppError::Unavailable)?;
    session
        .insert(crate::server_ctx::STAFF_KEY, true)
        .await
        .map_err(|_| AppError::Unavailable)?;
    leptos_axum::redirect("/admin");
    Ok(())
}

#[server(endpoint = "admin/logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = crate::server_ctx::session().await?;
    session.flush().await.map_err(|_| AppError::Unavailable)?;
    leptos_axum::redirect("/admin/login");
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Console {
    pub queues: Vec<QueueInfo>,
    pub queue: QueueInfo,
    pub counters: Vec<CounterId>,
    pub version: u64,
    pub intake: Intake,
    /// Waiting tickets, first in line first.
    pub waiting: Vec<Ticket>,
    /// Called tickets, in counter order.
    pub serving: Vec<Ticket>,
    /// No-shows of today, most recent first (they can be put back).
    pub missed: Vec<Ticket>,
    pub analytics: Analytics,
    /// Milliseconds since the Unix epoch, when this was read.
    pub now_ms: u64,
}

#[server(endpoint = "admin/console")]
pub async fn load_console(queue: Option<String>) -> Result<Console, AppError> {
    let room = crate::server_ctx::require_staff().await?;
    let info = match queue {
        Some(raw) => room.queue(&raw)?.clone(),
        None => room.default_queue().clone(),
    };
    let snapshot = room.snapshot(&info.id).await?;
    let tickets = room.tickets(&info.id).await?;
    let by_number = |n: &u64| tickets.iter().find(|t| t.number == *n).cloned();
    let waiting = snapshot.waiting.iter().filter_map(by_number).collect();
    let serving = snapshot
        .serving
        .iter()
        .filter_map(|s| by_number(&s.number))
        .collect();
    let mut missed: Vec<Ticket> = tickets
        .iter()
        .filter(|t| t.state == TicketState::NoShow)
        .cloned()
        .collect();
    missed.sort_by_key(|t| std::cmp::Reverse(t.finished_at));
    missed.truncate(10);
    let analytics = waitingroom::Analytics::of(&tickets, |ms| room.calendar().local_hour(ms));
    Ok(Console {
        queues: room.queues().to_vec(),
        counters: room.counters().to_vec(),
        version: snapshot.version,
        intake: snapshot.intake,
        queue: info,
        waiting,
        serving,
        missed,
        analytics,
        now_ms: room.calendar().now().now_ms,
    })
}

/// Calls the first in line to `counter`.
#[server(endpoint = "admin/call_next")]
pub async fn call_next(queue: String, counter: String) -> Result<u64, AppError> {
    let room = crate::server_ctx::require_staff().await?;
    let queue = room.queue(&queue)?.id.clone();
    let counter = room.counter(&counter)?;
    Ok(room.call_next(&queue, &counter).await?.0)
}

/// An action on one ticket, refused when the ticket changed since revision `rev`.
#[server(endpoint = "admin/act")]
pub async fn act(
    queue: String,
    number: u64,
    rev: u64,
    action: String,
    counter: Option<String>,
) -> Result<(), AppError> {
    use waitingroom::store::Action;
    let room = crate::server_ctx::require_staff().await?;
    let queue = room.queue(&queue)?.id.clone();
    let action = match action.as_str() {
        "call" => Action::Call(room.counter(counter.as_deref().unwrap_or_default())?),
        "recall" => Action::Recall,
        "done" => Action::Done,
        "no_show" => Action::NoShow,
        "cancel" => Action::Cancel,
        "requeue" => Action::Requeue,
        _ => {
            return Err(AppError::ServerFn(
                leptos::server_fn::error::ServerFnErrorErr::Args("unknown action".into()),
            ))
        }
    };
    room.act(&queue, number, action, Some(rev)).await?;
    Ok(())
}

#[server(endpoint = "admin/intake")]
pub async fn set_intake(queue: String, intake: Intake) -> Result<(), AppError> {
    let room = crate::server_ctx::require_staff().await?;
    let queue = room.queue(&queue)?.id.clone();
    room.set_intake(&queue, intake).await?;
    Ok(())
}

/// Restarts the day's numbering; `confirm` must be `reset` (typed by the staff).
#[server(endpoint = "admin/reset")]
pub async fn reset_day(queue: String, confirm: String) -> Result<(), AppError> {
    let room = crate::server_ctx::require_staff().await?;
    let queue = room.queue(&queue)?.id.clone();
    if confirm.trim() != "reset" {
        return Err(AppError::ServerFn(
            leptos::server_fn::error::ServerFnErrorErr::Args("confirmation missing".into()),
        ));
    }
    room.reset(&queue).await?;
    Ok(())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let lang = use_lang();
    let login = ServerAction::<Login>::new();
    view! {
        <section class="page narrow login">
            <header class="bar">
                <h1>{move || lang.get().pick("スタッフ ログイン", "Staff sign-in")}</h1>
                <LangSwitch />
            </header>
            <ActionForm action=login>
                <label for="password">{move || lang.get().pick("パスワード", "Password")}</label>
                <input id="password" type="password" name="password" autocomplete="current-password" required />
                <button type="submit" class="primary" disabled=move || login.pending().get()>
                    {move || lang.get().pick("ログイン", "Sign in")}
                </button>
            </ActionForm>
            {move || login.value().get().and_then(Result::err).map(|e| view! {
                <p class="error" role="alert" data-testid="login-error">{move || e.message(lang.get())}</p>
            })}
        </section>
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let queue = move || query.read().get("queue");
    let first = Resource::new(queue, load_console);
    view! {
        <section class="console">
            <Transition fallback=move || view! { <p class="loading">{move || lang.get().pick("読み込み中…", "Loading…")}</p> }>
                {move || Suspend::new(async move {
                    match first.await {
                        Ok(c) => view! { <ConsoleScreen initial=c /> }.into_any(),
                        Err(AppError::NotSignedIn) => view! { <Redirect path="/admin/login" /> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{move || error.message(lang.get())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn channel_name(channel: Channel, lang: Lang) -> &'static str {
    match channel {
        Channel::Kiosk => lang.pick("店頭", "kiosk"),
        Channel::Remote => lang.pick("リモート", "remote"),
        Channel::Api => "API",
    }
}

#[component]
fn ConsoleScreen(initial: Console) -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let navigate = use_navigate();
    let info = initial.queue.clone();
    let queue_id = info.id.to_string();
    let mut seed = waitingroom::QueueSnapshot::empty(info.id.clone());
    seed.version = initial.version;
    let live = use_live_queue(seed);
    // Re-read the console whenever the queue changes (any tablet, any kiosk).
    let data = Resource::new(move || live.snapshot.with(|s| s.version), {
        let q = queue_id.clone();
        move |_| load_console(Some(q.clone()))
    });
    let current = Memo::new({
        let initial = initial.clone();
        move |_| match data.get() {
            Some(Ok(c)) => c,
            _ => initial.clone(),
        }
    });
    let counters = initial.counters.clone();
    let counter = Memo::new({
        let default = counters[0].to_string();
        move |_| {
            query
                .read()
                .get("counter")
                .unwrap_or_else(|| default.clone())
        }
    });

    let call_next_action = ServerAction::<CallNext>::new();
    let act_action = ServerAction::<Act>::new();
    let intake_action = ServerAction::<SetIntake>::new();
    let reset_action = ServerAction::<ResetDay>::new();
    let logout_action = ServerAction::<Logout>::new();
    // the latest error of any action; a lost session sends the tablet to the login
    let (error, set_error) = signal(None::<AppError>);
    let signed_out = move || error.get() == Some(AppError::NotSignedIn);
    Effect::new(move |_| set_error.set(call_next_action.value().get().and_then(Result::err)));
    Effect::new(move |_| set_error.set(act_action.value().get().and_then(Result::err)));
    Effect::new(move |_| set_error.set(intake_action.value().get().and_then(Result::err)));
    Effect::new(move |_| set_error.set(reset_action.value().get().and_then(Result::err)));

    let queue_links = initial.queues.clone();
    let several_queues = queue_links.len() > 1;
    let counter_links = counters.clone();
    let info_for_rows = info.clone();
    let info_for_serving = info.clone();
    let info_for_missed = info.clone();
    let q_next = queue_id.clone();
    let q_intake = queue_id.clone();
    let q_reset = queue_id.clone();

    let go = move |queue: String, counter: String| {
        let path = format!(
            "/admin?queue={queue}&counter={counter}{}",
            if lang.get_untracked() == Lang::En {
                "&lang=en"
            } else {
                ""
            }
        );
        navigate(&path, Default::default());
    };
    let go_counter = go.clone();

    view! {
        <Show when=signed_out>
            <Redirect path="/admin/login" />
        </Show>
        <header class="bar console-bar">
            <h1>{move || lang.get().pick("スタッフ画面", "Staff console")}</h1>
            {several_queues.then(|| {
                let go = go.clone();
                view! {
                    <label class="inline">
                        {move || lang.get().pick("受付", "Queue")}
                        <select on:change=move |ev| go(event_target_value(&ev), counter.get_untracked())>
                            {queue_links.iter().map(|q| {
                                let selected = q.id == info.id;
                                let q = q.clone();
                                let id = q.id.to_string();
                                view! { <option value=id selected=selected>{move || q.name(lang.get()).to_owned()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }
            })}
            <label class="inline">
                {move || lang.get().pick("この端末の窓口", "This tablet's counter")}
                <select data-testid="counter-select" on:change={
                    let q = queue_id.clone();
                    move |ev| go_counter(q.clone(), event_target_value(&ev))
                }>
                    {counter_links.iter().map(|c| {
                        let id = c.to_string();
                        let c = c.clone();
                        let selected = {
                            let id = id.clone();
                            move || counter.get() == id
                        };
                        view! { <option value=id selected=selected>{move || counter_name(&c, lang.get())}</option> }
                    }).collect_view()}
                </select>
            </label>
            <LangSwitch />
            <ActionForm action=logout_action>
                <button type="submit" class="link-button">{move || lang.get().pick("ログアウト", "Sign out")}</button>
            </ActionForm>
        </header>

        <div class="console-main" data-live=move || live.status()>
            <section class="console-actions">
                <ActionForm action=call_next_action>
                    <input type="hidden" name="queue" value=q_next />
                    <input type="hidden" name="counter" value=counter />
                    <button type="submit" class="call-next" data-testid="call-next" disabled=move || call_next_action.pending().get()>
                        {move || lang.get().pick("次の方を呼ぶ", "Call next")}
                        <small>{move || counter_name(&CounterId::parse(&counter.get()).unwrap_or_else(|_| counters[0].clone()), lang.get())}</small>
                    </button>
                </ActionForm>
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="console-error">{move || e.message(lang.get())}</p> })}
                <div class="intake">
                    <p>
                        {move || lang.get().pick("受付状態: ", "Intake: ")}
                        <strong data-testid="intake-state">{move || match (current.get().intake, lang.get()) {
                            (Intake::Open, l) => l.pick("受付中", "open"),
                            (Intake::RemotePaused, l) => l.pick("オンライン受付停止中", "remote check-in paused"),
                            (Intake::Paused, l) => l.pick("受付停止中", "paused"),
                        }}</strong>
                    </p>
                    {[Intake::Open, Intake::RemotePaused, Intake::Paused].into_iter().map(|target| {
                        let q = q_intake.clone();
                        view! {
                            <ActionForm action=intake_action>
                                <input type="hidden" name="queue" value=q />
                                <input type="hidden" name="intake" value=target.as_str() />
                                <button type="submit" class="secondary" disabled=move || current.get().intake == target>
                                    {move || match (target, lang.get()) {
                                        (Intake::Open, l) => l.pick("受付を再開", "Resume intake"),
                                        (Intake::RemotePaused, l) => l.pick("オンライン受付を停止", "Pause remote check-in"),
                                        (Intake::Paused, l) => l.pick("すべての受付を停止", "Pause all intake"),
                                    }}
                                </button>
                            </ActionForm>
                        }
                    }).collect_view()}
                </div>
            </section>

            <section class="serving-list">
                <h2>{move || lang.get().pick("呼び出し中", "Called")}</h2>
                <table>
                    <thead><tr>
                        <th scope="col">{move || lang.get().pick("番号", "No.")}</th>
                        <th scope="col">{move || lang.get().pick("窓口", "Counter")}</th>
                        <th scope="col">{move || lang.get().pick("操作", "Actions")}</th>
                    </tr></thead>
                    <tbody>
                        <For each=move || current.get().serving key=|t| (t.number, t.rev) children=move |t| {
                            let label = info_for_serving.label(t.number);
                            let at = t.counter.clone();
                            view! {
                                <tr data-testid="serving-ticket">
                                    <td class="num">{label}</td>
                                    <td>{move || at.as_ref().map(|c| counter_name(c, lang.get())).unwrap_or_default()}</td>
                                    <td class="row-actions">
                                        {[("recall", "再呼出", "Recall"), ("done", "完了", "Done"), ("no_show", "不在", "No-show"), ("requeue", "列に戻す", "Back to line"), ("cancel", "取消", "Cancel")]
                                            .into_iter()
                                            .map(|(action, ja, en)| view! { <TicketAction action=act_action queue=info_for_serving.id.to_string() ticket=t.clone() name=action ja en /> })
                                            .collect_view()}
                                    </td>
                                </tr>
                            }
                        } />
                    </tbody>
                </table>
            </section>

            <section class="waiting-list">
                <h2>
                    {move || lang.get().pick("お待ちの方", "Waiting")} " "
                    <span data-testid="console-waiting-count">{move || current.get().waiting.len()}</span>
                </h2>
                <table>
                    <thead><tr>
                        <th scope="col">{move || lang.get().pick("番号", "No.")}</th>
                        <th scope="col">{move || lang.get().pick("待ち時間", "Waited")}</th>
                        <th scope="col">{move || lang.get().pick("受付方法", "Channel")}</th>
                        <th scope="col">{move || lang.get().pick("電話", "Phone")}</th>
                        <th scope="col">{move || lang.get().pick("操作", "Actions")}</th>
                    </tr></thead>
                    <tbody>
                        <For each=move || current.get().waiting key=|t| (t.number, t.rev) children=move |t| {
                            let label = info_for_rows.label(t.number);
                            let waited = move || current.get().now_ms.saturating_sub(t.issued_at) / 60_000;
                            let channel = t.channel;
                            view! {
                                <tr data-testid="waiting-ticket">
                                    <td class="num">{label}</td>
                                    <td>{move || match lang.get() { Lang::Ja => format!("{}分", waited()), Lang::En => format!("{} min", waited()) }}</td>
                                    <td>{move || channel_name(channel, lang.get())}</td>
                                    <td>{move || lang.get().pick("未登録", "no")}</td>
                                    <td class="row-actions">
                                        <TicketAction action=act_action queue=info_for_rows.id.to_string() ticket=t.clone() name="call" ja="この窓口へ呼ぶ" en="Call here" counter=Signal::from(counter) />
                                        <TicketAction action=act_action queue=info_for_rows.id.to_string() ticket=t.clone() name="cancel" ja="取消" en="Cancel" />
                                    </td>
                                </tr>
                            }
                        } />
                    </tbody>
                </table>
                <Show when=move || current.get().waiting.is_empty()>
                    <p class="muted">{move || lang.get().pick("お待ちの方はいません", "Nobody is waiting")}</p>
                </Show>
            </section>

            <section class="missed-list">
                <h2>{move || lang.get().pick("不在", "No-shows")}</h2>
                <ul>
                    <For each=move || current.get().missed key=|t| (t.number, t.rev) children=move |t| {
                        let label = info_for_missed.label(t.number);
                        view! {
                            <li>
                                <span class="num">{label}</span>
                                <TicketAction action=act_action queue=info_for_missed.id.to_string() ticket=t.clone() name="requeue" ja="列に戻す" en="Back to line" />
                            </li>
                        }
                    } />
                </ul>
            </section>

            <AnalyticsPanel analytics=Signal::derive(move || current.get().analytics) />

            <section class="reset">
                <h2>{move || lang.get().pick("本日の番号をリセット", "Reset today's numbering")}</h2>
                <ActionForm action=reset_action>
                    <input type="hidden" name="queue" value=q_reset />
                    <label for="confirm-reset">
                        {move || lang.get().pick("確認のため reset と入力してください（番号は1から始まり、待ち列は空になります）", "Type reset to confirm (numbers start again at 1 and the line is emptied)")}
                    </label>
                    <input id="confirm-reset" name="confirm" autocomplete="off" required pattern="reset" />
                    <button type="submit" class="danger">{move || lang.get().pick("リセット", "Reset")}</button>
                </ActionForm>
            </section>
        </div>
        <p class="console-links">
            <a href=move || href_in(lang.get(), "/display")>{move || lang.get().pick("呼び出し案内画面", "Display board")}</a>
        </p>
    }
}

/// One button acting on one ticket, naming the revision the staff saw.
#[component]
fn TicketAction(
    action: ServerAction<Act>,
    queue: String,
    ticket: Ticket,
    name: &'static str,
    ja: &'static str,
    en: &'static str,
    /// The counter to call to (for `call`).
    #[prop(optional)]
    counter: Option<Signal<String>>,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <ActionForm action>
            <input type="hidden" name="queue" value=queue />
            <input type="hidden" name="number" value=ticket.number.to_string() />
            <input type="hidden" name="rev" value=ticket.rev.to_string() />
            <input type="hidden" name="action" value=name />
            {counter.map(|c| view! { <input type="hidden" name="counter" value=move || c.get() /> })}
            <button type="submit" class=format!("small-action {name}") data-action=name>{move || lang.get().pick(ja, en)}</button>
        </ActionForm>
    }
}

/// The day's figures: tickets per hour as an SVG bar chart, waits, no-shows, served per counter.
#[component]
fn AnalyticsPanel(analytics: Signal<Analytics>) -> impl IntoView {
    let lang = use_lang();
    let minutes = move |ms: Option<u64>| match (ms, lang.get()) {
        (None, _) => "—".to_owned(),
        (Some(ms), Lang::Ja) => format!("{}分", waitingroom::minutes_ceil(ms)),
        (Some(ms), Lang::En) => format!("{} min", waitingroom::minutes_ceil(ms)),
    };
    view! {
        <section class="analytics">
            <h2>{move || lang.get().pick("本日の集計", "Today")}</h2>
            <dl class="figures">
                <div><dt>{move || lang.get().pick("発行数", "Issued")}</dt><dd data-testid="stat-issued">{move || analytics.get().issued}</dd></div>
                <div><dt>{move || lang.get().pick("平均待ち時間", "Average wait")}</dt><dd>{move || minutes(analytics.get().avg_wait_ms)}</dd></div>
                <div><dt>{move || lang.get().pick("待ち時間 (90%)", "Wait, 90th pct.")}</dt><dd>{move || minutes(analytics.get().p90_wait_ms)}</dd></div>
                <div><dt>{move || lang.get().pick("不在", "No-shows")}</dt><dd>{move || analytics.get().no_shows}</dd></div>
            </dl>
            <HourChart per_hour=Signal::derive(move || analytics.get().issued_per_hour) />
            <h3>{move || lang.get().pick("窓口別の対応数", "Served per counter")}</h3>
            <ul class="per-counter">
                {move || analytics.get().served_per_counter.into_iter().map(|(c, n)| view! {
                    <li>{counter_name(&c, lang.get())}": "{n}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn HourChart(per_hour: Signal<Vec<u32>>) -> impl IntoView {
    let lang = use_lang();
    const W: u32 = 24 * 20;
    const H: u32 = 120;
    view! {
        <svg class="hour-chart" viewBox=format!("0 0 {W} {}", H + 20) role="img"
            aria-label=move || lang.get().pick("時間帯別の発行数", "Tickets issued per hour")>
            {move || {
                let data = per_hour.get();
                let max = data.iter().copied().max().unwrap_or(0).max(1);
                data.iter().enumerate().map(|(hour, n)| {
                    let h = n * H / max;
                    let x = hour as u32 * 20 + 2;
                    view! {
                        <g>
                            <title>{format!("{hour}:00 — {n}")}</title>
                            <rect x=x y=H - h width="16" height=h class="bar" />
                            {(hour % 3 == 0).then(|| view! { <text x=x y=H + 14 class="tick">{hour}</text> })}
                        </g>
                    }
                }).collect_view()
            }}
        </svg>
    }
}
