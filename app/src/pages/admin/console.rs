//! The console screen: call next, the tickets being served, the waiting list, no-shows, intake,
//! the day's figures and the reset. It follows the queue's day live: every event carries the
//! ticket it changed, so the tablet reads nothing per event, and reads its day again only after a
//! gap in the events.

use super::actions::{
    load_console, Act, CallNext, CallPhone, ResetDay, SetAutodial, SetHours, SetIntake, SetLate,
};
use super::analytics::AnalyticsPanel;
use super::contacts::{ContactBadge, ContactLog};
use super::kiosks::KioskPanel;
use super::outbox::DevOutbox;
use crate::components::page::{failure, ErrorText};
use crate::error::AppError;
use domain::{Capability, Problem};
use crate::i18n::*;
use crate::live::use_live;
use crate::words::{counter_name, minutes};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_navigate, use_query_map};
use domain::day::Console;
use domain::{
    Channel, CounterId, Intake, LateArrivals, OpeningHours, PhoneStatus, QueueInfo, TicketAction, TicketSummary,
};

/// How often the minutes waited are brought up to date.
#[cfg(feature = "hydrate")]
const CLOCK_TICK: std::time::Duration = std::time::Duration::from_secs(30);

#[component]
pub fn ConsoleScreen(initial: Console) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let navigate = use_navigate();
    let Console {
        queues,
        queue: info,
        counters,
        autodial_places,
        late,
        hours,
        day,
        now_ms,
        utc_offset_ms,
        you,
    } = initial;
    let role = you.role;
    let may = move |what: Capability| role.may(what);
    let queue_id = info.id.to_string();
    let live = use_live(day);
    let day = live.view();
    let (now, set_now) = signal(now_ms);
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) =
            set_interval_with_handle(move || set_now.set(js_sys::Date::now() as u64), CLOCK_TICK)
        {
            on_cleanup(move || handle.clear());
        }
    }
    // After a gap in the events, read the whole day once more.
    Effect::new({
        let queue = queue_id.clone();
        move |_| {
            if live.behind() {
                let queue = queue.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(fresh) = load_console(Some(queue)).await {
                        set_now.set(fresh.now_ms);
                        live.replace(fresh.day);
                    }
                });
            }
        }
    });
    let waiting = Memo::new(move |_| day.with(|d| d.waiting()));
    let serving = Memo::new(move |_| day.with(|d| d.serving()));
    let missed = Memo::new(move |_| day.with(|d| d.missed()));
    let intake = Memo::new(move |_| day.with(|d| d.snapshot.intake));
    let analytics = Memo::new(move |_| day.with(|d| d.analytics(utc_offset_ms)));
    // every ticket's latest SMS or call: the log and the dev outbox are read again when one is
    // made or moves on (the events about phones that need it; no other event reads anything)
    let contacts = Memo::new(move |_| {
        day.with(|d| {
            d.tickets
                .values()
                .filter_map(|t| t.contact.clone().map(|c| (t.number, c)))
                .collect::<Vec<_>>()
        })
    });

    let first_counter = counters[0].clone();
    let counter = Memo::new(move |_| {
        query
            .read()
            .get("counter")
            .and_then(|c| CounterId::parse(&c).ok())
            .unwrap_or_else(|| first_counter.clone())
    });

    let call_next_action = ServerAction::<CallNext>::new();
    let act_action = ServerAction::<Act>::new();
    let intake_action = ServerAction::<SetIntake>::new();
    let reset_action = ServerAction::<ResetDay>::new();
    let call_phone_action = ServerAction::<CallPhone>::new();
    let autodial_action = ServerAction::<SetAutodial>::new();
    let late_action = ServerAction::<SetLate>::new();
    let hours_action = ServerAction::<SetHours>::new();
    // the latest error of any action (from the page's address after a form post without
    // JavaScript); a lost session sends the tablet to the sign-in
    let posted_without_js = [
        failure(call_next_action.value().get_untracked()),
        failure(act_action.value().get_untracked()),
        failure(intake_action.value().get_untracked()),
        failure(reset_action.value().get_untracked()),
        failure(call_phone_action.value().get_untracked()),
        failure(autodial_action.value().get_untracked()),
        failure(late_action.value().get_untracked()),
        failure(hours_action.value().get_untracked()),
    ];
    let (error, set_error) = signal(posted_without_js.into_iter().flatten().next());
    report_errors(call_next_action.value(), set_error);
    report_errors(act_action.value(), set_error);
    report_errors(intake_action.value(), set_error);
    report_errors(reset_action.value(), set_error);
    report_errors(call_phone_action.value(), set_error);
    report_errors(autodial_action.value(), set_error);
    report_errors(late_action.value(), set_error);
    report_errors(hours_action.value(), set_error);
    let signed_out = move || error.get() == Some(AppError(Problem::NotSignedIn));

    let go = move |queue: String, counter: String| {
        navigate(
            &format!("/admin?queue={queue}&counter={counter}"),
            Default::default(),
        );
    };
    let go_counter = go.clone();
    let info = StoredValue::new(info);
    let queue_field = StoredValue::new(queue_id);
    let lang = move || crate::components::lang_menu::to_lang(i18n.get_locale());

    view! {
        <Show when=signed_out>
            <Redirect path="/admin/login" />
        </Show>
        <p class="signed-in" data-testid="signed-in">
            {you.name} " · " {move || crate::error::role_name(role, i18n.get_locale())}
        </p>
        <div class="console-tools">
            {(queues.len() > 1).then(|| {
                let go = go.clone();
                view! {
                    <label class="inline">
                        {t!(i18n, admin.queue)}
                        <select on:change=move |ev| go(event_target_value(&ev), counter.get_untracked().to_string())>
                            {queues.iter().map(|q| {
                                let selected = info.with_value(|i| i.id == q.id);
                                let id = q.id.to_string();
                                let q = q.clone();
                                view! { <option value=id selected=selected>{move || q.name(lang()).to_owned()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }
            })}
            <label class="inline">
                {t!(i18n, admin.tablet_counter)}
                <select data-testid="counter-select" on:change=move |ev| go_counter(queue_field.get_value(), event_target_value(&ev))>
                    {counters.iter().map(|c| {
                        let id = c.to_string();
                        let c = c.clone();
                        let selected = {
                            let c = c.clone();
                            move || counter.get() == c
                        };
                        view! { <option value=id selected=selected>{move || counter_name(i18n.get_locale(), &c)}</option> }
                    }).collect_view()}
                </select>
            </label>
        </div>

        <div class="console-main" data-live=move || live.status()>
            <section class="console-actions">
                <ActionForm action=call_next_action>
                    <input type="hidden" name="queue" value=queue_field.get_value() />
                    <input type="hidden" name="counter" value=move || counter.get().to_string() />
                    <button type="submit" class="call-next" data-testid="call-next" disabled=move || call_next_action.pending().get()>
                        {t!(i18n, admin.call_next)}
                        <small>{move || counter_name(i18n.get_locale(), &counter.get())}</small>
                    </button>
                </ActionForm>
                {move || error.get().map(|error| view! { <ErrorText error testid="console-error" /> })}
                {may(Capability::Settings).then(|| view! {
                    <div class="intake">
                        <p>
                            {t!(i18n, admin.intake)} ": "
                            <strong data-testid="intake-state">{move || match intake.get() {
                                Intake::Open => t_string!(i18n, admin.intake_open),
                                Intake::RemotePaused => t_string!(i18n, admin.intake_remote_paused),
                                Intake::Paused => t_string!(i18n, admin.intake_paused),
                            }}</strong>
                        </p>
                        {Intake::ALL.into_iter().map(|target| view! {
                            <ActionForm action=intake_action>
                                <input type="hidden" name="queue" value=queue_field.get_value() />
                                <input type="hidden" name="intake" value=target.as_str() />
                                <button type="submit" class="secondary" disabled=move || intake.get() == target>
                                    {move || match target {
                                        Intake::Open => t_string!(i18n, admin.resume),
                                        Intake::RemotePaused => t_string!(i18n, admin.pause_remote),
                                        Intake::Paused => t_string!(i18n, admin.pause_all),
                                    }}
                                </button>
                            </ActionForm>
                        }).collect_view()}
                    </div>
                    <ActionForm action=autodial_action attr:class="autodial">
                        <input type="hidden" name="queue" value=queue_field.get_value() />
                        <label for="autodial-places">{t!(i18n, admin.autodial)}</label>
                        <select id="autodial-places" name="places" data-testid="autodial-places">
                            {(0..=domain::queue::MAX_AUTODIAL_PLACES).map(|n| view! {
                                <option value=n.to_string() selected=n == autodial_places>
                                    {move || if n == 0 {
                                        t_string!(i18n, admin.autodial_off).to_owned()
                                    } else {
                                        td_string!(i18n.get_locale(), admin.autodial_places, n = n)
                                    }}
                                </option>
                            }).collect_view()}
                        </select>
                        <button type="submit" class="secondary">{t!(i18n, admin.autodial_save)}</button>
                    </ActionForm>
                    <ActionForm action=late_action attr:class="late">
                        <input type="hidden" name="queue" value=queue_field.get_value() />
                        <p>{t!(i18n, admin.late.title)}</p>
                        <select id="late-places" name="places" data-testid="late-places" aria-label=move || t_string!(i18n, admin.late.title)>
                            {(0..=LateArrivals::MAX_PLACES).map(|n| view! {
                                <option value=n.to_string() selected=n == late.move_back_places>
                                    {move || td_string!(i18n.get_locale(), admin.late.places, n = n)}
                                </option>
                            }).collect_view()}
                        </select>
                        <label for="late-no-show">{t!(i18n, admin.late.no_show_after)}</label>
                        <select id="late-no-show" name="no_show_after" data-testid="late-no-show">
                            {[0, 3, 5, 10, 15, 20, 30, 45, 60].into_iter().map(|n: u32| view! {
                                <option value=n.to_string() selected=n == late.no_show_after_minutes>
                                    {move || if n == 0 {
                                        t_string!(i18n, admin.late.never).to_owned()
                                    } else {
                                        td_string!(i18n.get_locale(), admin.late.minutes, n = n)
                                    }}
                                </option>
                            }).collect_view()}
                        </select>
                        <button type="submit" class="secondary">{t!(i18n, admin.late.save)}</button>
                    </ActionForm>
                    <ActionForm action=hours_action attr:class="hours">
                        <input type="hidden" name="queue" value=queue_field.get_value() />
                        <p>{t!(i18n, admin.hours.title)}</p>
                        <label for="hours-opens">{t!(i18n, admin.hours.opens)}</label>
                        <input id="hours-opens" type="time" name="opens" data-testid="hours-opens"
                            value=hours.opens.map(OpeningHours::hhmm).unwrap_or_default() />
                        <label for="hours-closes">{t!(i18n, admin.hours.closes)}</label>
                        <input id="hours-closes" type="time" name="closes" data-testid="hours-closes"
                            value=hours.closes.map(OpeningHours::hhmm).unwrap_or_default() />
                        <label for="hours-limit">{t!(i18n, admin.hours.limit)}</label>
                        <input id="hours-limit" type="number" min="0" max=OpeningHours::MAX_LIMIT.to_string() name="limit"
                            data-testid="hours-limit" value=hours.daily_limit.to_string() />
                        <small class="muted">{t!(i18n, admin.hours.always)}</small>
                        <button type="submit" class="secondary">{t!(i18n, admin.hours.save)}</button>
                    </ActionForm>
                })}
            </section>

            <section class="serving-list">
                <h2>{t!(i18n, admin.called)}</h2>
                <table>
                    <thead><tr>
                        <th scope="col">{t!(i18n, admin.no)}</th>
                        <th scope="col">{t!(i18n, admin.counter)}</th>
                        <th scope="col">{t!(i18n, admin.actions)}</th>
                    </tr></thead>
                    <tbody>
                        <For each=move || serving.get() key=|t| (t.number, t.rev) children=move |t| {
                            let at = t.counter.clone();
                            view! {
                                <tr data-testid="serving-ticket">
                                    <td class="num">{info.with_value(|q| q.label(t.number))} <ContactBadge queue=queue_field.get_value() ticket=t.clone() /></td>
                                    <td>{move || at.as_ref().map(|c| counter_name(i18n.get_locale(), c)).unwrap_or_default()}</td>
                                    <td class="row-actions">
                                        {[TicketAction::Recall, TicketAction::Done, TicketAction::MoveBack, TicketAction::NoShow, TicketAction::Requeue, TicketAction::Cancel]
                                            .into_iter()
                                            .map(|action| view! { <TicketButton form=act_action queue=info ticket=t.clone() action /> })
                                            .collect_view()}
                                        <PhoneButton form=call_phone_action queue=info ticket=t.clone() counter=Signal::from(counter) />
                                    </td>
                                </tr>
                            }
                        } />
                    </tbody>
                </table>
            </section>

            <section class="waiting-list">
                <h2>
                    {t!(i18n, admin.waiting)} " "
                    <span data-testid="console-waiting-count">{move || waiting.with(Vec::len)}</span>
                </h2>
                <table>
                    <thead><tr>
                        <th scope="col">{t!(i18n, admin.no)}</th>
                        <th scope="col">{t!(i18n, admin.waited)}</th>
                        <th scope="col">{t!(i18n, admin.channel)}</th>
                        <th scope="col">{t!(i18n, admin.actions)}</th>
                    </tr></thead>
                    <tbody>
                        <For each=move || waiting.get() key=|t| (t.number, t.rev) children=move |t| {
                            let issued_at = t.issued_at;
                            let channel = t.channel;
                            view! {
                                <tr data-testid="waiting-ticket">
                                    <td class="num">{info.with_value(|q| q.label(t.number))} <ContactBadge queue=queue_field.get_value() ticket=t.clone() /></td>
                                    <td>{move || minutes(i18n.get_locale(), Some(now.get().saturating_sub(issued_at)))}</td>
                                    <td>{move || channel_name(channel, i18n.get_locale())}</td>
                                    <td class="row-actions">
                                        <TicketButton form=act_action queue=info ticket=t.clone() action=TicketAction::Call counter=Signal::from(counter) />
                                        <TicketButton form=act_action queue=info ticket=t.clone() action=TicketAction::Cancel />
                                        <PhoneButton form=call_phone_action queue=info ticket=t.clone() counter=Signal::from(counter) />
                                    </td>
                                </tr>
                            }
                        } />
                    </tbody>
                </table>
                <Show when=move || waiting.with(Vec::is_empty)>
                    <p class="muted">{t!(i18n, admin.nobody)}</p>
                </Show>
            </section>

            <section class="missed-list">
                <h2>{t!(i18n, admin.missed)}</h2>
                <ul>
                    <For each=move || missed.get() key=|t| (t.number, t.rev) children=move |t| view! {
                        <li>
                            <span class="num">{info.with_value(|q| q.label(t.number))}</span>
                            <TicketButton form=act_action queue=info ticket=t.clone() action=TicketAction::Requeue />
                        </li>
                    } />
                </ul>
            </section>

            <AnalyticsPanel analytics />

            {may(Capability::Devices).then(|| view! { <KioskPanel /> })}

            {may(Capability::History).then(|| view! {
                <DevOutbox moved=contacts />
                <ContactLog moved=contacts />
            })}

            {may(Capability::Settings).then(|| view! {
                <section class="reset">
                    <h2>{t!(i18n, admin.reset_title)}</h2>
                    <ActionForm action=reset_action>
                        <input type="hidden" name="queue" value=queue_field.get_value() />
                        <label for="confirm-reset">{t!(i18n, admin.reset_help)}</label>
                        <input id="confirm-reset" name="confirm" autocomplete="off" required pattern="reset" />
                        <button type="submit" class="danger">{t!(i18n, admin.reset)}</button>
                    </ActionForm>
                </section>
            })}
        </div>
        <p class="console-links">
            <a href="/display">{t!(i18n, admin.display_link)}</a>
        </p>
    }
}

/// Shows each new result of an action: its error, or none once it succeeded.
fn report_errors<O, S>(result: S, set_error: WriteSignal<Option<AppError>>)
where
    O: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<O, AppError>>> + Send + Sync + 'static,
{
    Effect::watch(
        move || result.get(),
        move |result, _, _| set_error.set(failure(result.clone())),
        false,
    );
}

fn channel_name(channel: Channel, locale: Locale) -> &'static str {
    match channel {
        Channel::Kiosk => td_string!(locale, channel.kiosk),
        Channel::Remote => td_string!(locale, channel.remote),
        Channel::Api => td_string!(locale, channel.api),
        Channel::Phone => td_string!(locale, channel.phone),
    }
}

fn action_label(action: TicketAction, locale: Locale) -> &'static str {
    match action {
        TicketAction::Call => td_string!(locale, admin.action.call),
        TicketAction::Recall => td_string!(locale, admin.action.recall),
        TicketAction::Done => td_string!(locale, admin.action.done),
        TicketAction::NoShow => td_string!(locale, admin.action.no_show),
        TicketAction::Cancel => td_string!(locale, admin.action.cancel),
        TicketAction::Requeue => td_string!(locale, admin.action.requeue),
        TicketAction::MoveBack => td_string!(locale, admin.action.move_back),
    }
}

/// 「電話で呼び出す」: calls the ticket's verified phone now, to this tablet's counter.
#[component]
fn PhoneButton(
    form: ServerAction<CallPhone>,
    queue: StoredValue<QueueInfo>,
    ticket: TicketSummary,
    counter: Signal<CounterId>,
) -> impl IntoView {
    let i18n = use_i18n();
    (ticket.phone_status == Some(PhoneStatus::Verified)).then(|| {
        view! {
            <ActionForm action=form>
                <input type="hidden" name="queue" value=queue.with_value(|q| q.id.to_string()) />
                <input type="hidden" name="number" value=ticket.number.to_string() />
                <input type="hidden" name="counter" value=move || counter.get().to_string() />
                <button type="submit" class="small-action call-phone" data-testid="call-phone">
                    {t!(i18n, admin.call_phone)}
                </button>
            </ActionForm>
        }
    })
}

/// One button acting on one ticket, naming the revision the staff saw.
#[component]
fn TicketButton(
    form: ServerAction<Act>,
    queue: StoredValue<QueueInfo>,
    ticket: TicketSummary,
    action: TicketAction,
    /// The counter to call to (for [`TicketAction::Call`]).
    #[prop(optional)]
    counter: Option<Signal<CounterId>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ActionForm action=form>
            <input type="hidden" name="queue" value=queue.with_value(|q| q.id.to_string()) />
            <input type="hidden" name="number" value=ticket.number.to_string() />
            <input type="hidden" name="rev" value=ticket.rev.to_string() />
            <input type="hidden" name="action" value=action.as_str() />
            {counter.map(|c| view! { <input type="hidden" name="counter" value=move || c.get().to_string() /> })}
            <button type="submit" class=format!("small-action {}", action.as_str()) data-action=action.as_str()>
                {move || action_label(action, i18n.get_locale())}
            </button>
        </ActionForm>
    }
}
