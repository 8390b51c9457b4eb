//! What calls say and what callers press: the automatic call when the turn is near (with its
//! menu: 1 on my way, 2 cancel my ticket, 9 repeat) and the answers Twilio posts back, and the
//! menu of a call to the store's number (1 take a ticket, 2 hear my place, 3 cancel), for
//! customers without a smartphone. The words come from the app's locale files ([`Texts`]), in
//! the ticket's language (the store's menu: Japanese).

use super::desk::Desk;
use super::inbound::Inbound;
use super::phones::Phones;
use super::{ServiceError, Setup};
use crate::lang::Lang;
use crate::notify::Texts;
use crate::notify::Words;
use crate::phone::{PhoneNumber, PhoneRules};
use crate::problem::Problem;
use crate::queue::QueueId;
use crate::store::{self, Store};
use crate::store::{DayId, Source, StoreError};
use crate::ticket::{CallAnswer, Ticket};
use crate::twilio::twiml::{response, Verb};
use std::sync::Arc;
use std::time::Duration;

/// How long the menu waits for a key, in seconds.
const MENU_WAITS_S: u32 = 8;

/// Call codes one calling number may key in wrong per day: a forged caller ID guesses a
/// four-digit code with odds of 5 in 10,000 a day.
pub const CODE_TRIES_PER_DAY: u32 = 5;

/// How many times one call asks for the code (the first time, then after a wrong one).
const CODE_ASKED: u32 = 3;

/// How many times a menu is said again (key 9 on the automatic call, an unknown key on the
/// store's menu) before the call says goodbye and hangs up.
pub const MAX_REPEATS: u32 = 3;

/// The voice each language's `<Say>` speaks with (`VOICE_JA`, `VOICE_EN`, `VOICE_ZH`,
/// `VOICE_KO`). Twilio: an unsupported voice/language pair fails the `<Say>`; the Amazon Polly
/// voices for ours are ja-JP Polly.Mizuki / Polly.Takumi, en-US Polly.Joanna, Mandarin
/// Polly.Zhiyu (language `cmn-CN`), ko-KR Polly.Seoyeon (BEHAVIOUR.md, "`<Say>`").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voices {
    pub ja: String,
    pub en: String,
    pub zh: String,
    pub ko: String,
}

impl Default for Voices {
    fn default() -> Self {
        Self {
            ja: "Polly.Mizuki".to_owned(),
            en: "Polly.Joanna".to_owned(),
            zh: "Polly.Zhiyu".to_owned(),
            ko: "Polly.Seoyeon".to_owned(),
        }
    }
}

impl Voices {
    /// The voice of `lang`.
    pub fn of(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
            Lang::Ko => &self.ko,
        }
    }

    /// `text` said `times` times in `lang`, by its voice.
    pub fn say(&self, lang: Lang, text: String, times: u32) -> Verb {
        Verb::Say {
            text,
            language: say_language(lang),
            voice: self.of(lang).to_owned(),
            times,
        }
    }

    /// Whether `voice` can speak `lang`'s `<Say>`: an Amazon Polly voice (`Polly.Mizuki`) or a
    /// Google one, whose name carries its language (`Google.ja-JP-Standard-A`,
    /// `Google.cmn-CN-Standard-A`): the message says what is wrong.
    pub fn check(lang: Lang, voice: &str) -> Result<(), String> {
        let name_ok = |name: &str| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if let Some(name) = voice.strip_prefix("Polly.") {
            if name_ok(name) {
                return Ok(());
            }
        } else if let Some(name) = voice.strip_prefix("Google.") {
            let language = say_language(lang);
            if name_ok(name) && name.starts_with(&format!("{language}-")) {
                return Ok(());
            }
            return Err(format!(
                "{voice:?} does not speak {language}: a Google voice names its language (Google.{language}-Standard-A)"
            ));
        }
        Err(format!(
            "{voice:?} is not a voice Twilio's <Say> knows: use an Amazon Polly (Polly.Mizuki) or Google (Google.ja-JP-Standard-A) voice"
        ))
    }
}

/// The language of `lang`'s `<Say>`: Mandarin is `cmn-CN`, the code Twilio gives Polly.Zhiyu
/// (BEHAVIOUR.md, "`<Say>`"); the others as browsers name them.
pub fn say_language(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "cmn-CN",
        other => other.speech_code(),
    }
}

/// How long a press that Twilio posted again while the first delivery is still being carried
/// out waits for that first answer (Twilio waits 15 s for a webhook).
const PRESS_WAITS: Duration = Duration::from_secs(5);

/// The ticket an automatic call was made for, as the query of its menu's action URL names it:
/// the ticket's queue, business day and number, a key only the server can make for that ticket
/// (so the answer acts on that ticket and no other: not the one holding the same number on
/// another day, nor one an invented URL names), and how many times the menu was repeated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnsweredCall {
    pub queue: QueueId,
    pub day: DayId,
    pub number: u64,
    pub key: String,
    pub repeats: u32,
    /// The ticket's language: an apology, when Redis cannot be read, is said in it.
    pub lang: Lang,
}

impl AnsweredCall {
    /// From the action URL's query parameters (`param(name)`); `None` when one is missing or
    /// malformed.
    pub fn parse<'a>(param: impl Fn(&str) -> Option<&'a str>) -> Option<Self> {
        Some(Self {
            queue: QueueId::parse(param("queue")?).ok()?,
            day: DayId::parse(param("day")?)?,
            number: param("number")?.parse().ok()?,
            key: param("key")?.to_owned(),
            repeats: param("repeats")?.parse().ok()?,
            // not in URLs of calls made before the language was (Japanese, the store's)
            lang: param("lang").and_then(Lang::parse).unwrap_or(Lang::Ja),
        })
    }

    /// The query it is parsed from (every part is URL-safe as it is).
    fn query(&self) -> String {
        format!(
            "queue={}&day={}&number={}&key={}&repeats={}&lang={}",
            self.queue,
            self.day,
            self.number,
            self.key,
            self.repeats,
            self.lang.code()
        )
    }
}

/// A key pressed on the store's phone menu, as Twilio posts it.
#[derive(Clone, Copy, Debug)]
pub struct MenuPress<'a> {
    /// The call's CallSid: a press posted again (Twilio retrying) is carried out once.
    pub call_sid: &'a str,
    /// The caller's number, as Twilio reports it.
    pub from: &'a str,
    /// Twilio's `StirVerstat`, where the call carries one.
    pub stir_verstat: Option<&'a str>,
    pub digits: &'a str,
    /// How many times the menu was said again before (from the action URL).
    pub repeats: u32,
}

/// The key of the automatic call of `ticket` of business day `day`: an HMAC under the ticket's
/// own secret (its token, which never leaves the server but to its holder), so only the server
/// makes it, and another ticket with the same number (another day's) has another key.
fn answer_key(ticket: &Ticket, day: &DayId) -> String {
    let text = format!("call-answer/{}/{day}/{}", ticket.queue, ticket.number());
    let mut key = crate::secret::keyed_hash_hex(ticket.token.as_str().as_bytes(), &text);
    key.truncate(32);
    key
}

/// `words`, said once in `lang`.
fn said(voices: &Voices, texts: &dyn Texts, lang: Lang, words: Words<'_>) -> Verb {
    voices.say(lang, texts.say(lang, words), 1)
}

/// The call ends: goodbye, and hang up.
fn goodbye(voices: &Voices, texts: &dyn Texts, lang: Lang) -> String {
    response(&[said(voices, texts, lang, Words::Goodbye), Verb::Hangup])
}

/// Calls: the automatic call of a near turn, calls to the store (menu, code), staff calls. Handed out by [`super::WaitingRoom::voice`].
#[derive(Clone)]
pub struct Voice {
    days: store::Days,
    phone_records: store::PhoneRecords,
    replies: store::Replies,
    tickets: store::Tickets,
    setup: Arc<Setup>,
    texts: Arc<dyn Texts>,
    desk: Desk,
    phones: Phones,
    inbound: Inbound,
}

impl Voice {
    pub(super) fn new(
        store: &Store,
        setup: Arc<Setup>,
        texts: Arc<dyn Texts>,
        desk: Desk,
        phones: Phones,
        inbound: Inbound,
    ) -> Self {
        Self {
            days: store.days(),
            phone_records: store.phone_records(),
            replies: store.replies(),
            tickets: store.tickets(),
            setup,
            texts,
            desk,
            phones,
            inbound,
        }
    }

    /// What a call hears when its webhook failed on our side (Redis down), in `lang`: an
    /// apology, and the call ends. Twilio answers a webhook's error mid-call with "an application
    /// error has occurred" and hangs up (BEHAVIOUR.md "Webhooks"): this says it in the caller's
    /// language.
    pub fn apology(&self, lang: Lang) -> String {
        response(&[
            said(
                &self.setup.voices,
                self.texts.as_ref(),
                lang,
                Words::Unavailable { spoken: true },
            ),
            Verb::Hangup,
        ])
    }

    /// A text's webhook failed on our side: a reply that says so, in `lang`, rather than an
    /// error Twilio would drop (it retries no webhook that answered 5xx).
    pub fn apology_text(&self, lang: Lang) -> String {
        response(&[Verb::Message(
            self.texts.say(lang, Words::Unavailable { spoken: false }),
        )])
    }

    /// The automatic call's TwiML for `ticket` of business day `day` (its menu heard `repeats`
    /// times before): the turn is near, then the menu, whose answer Twilio posts to
    /// `/twilio/voice/answer?…` (see [`AnsweredCall`]). Without `PUBLIC_URL` Twilio could not
    /// reach the menu's answer: the words are said twice instead.
    pub fn turn_near_call(&self, ticket: &Ticket, day: &DayId, repeats: u32) -> (String, String) {
        let label = self.setup.label_of(&ticket.queue, ticket.number());
        let answer_url = self.setup.public_url().map(|base| {
            let answered = AnsweredCall {
                queue: ticket.queue.clone(),
                day: day.clone(),
                number: ticket.number(),
                key: answer_key(ticket, day),
                repeats,
                lang: ticket.lang,
            };
            format!(
                "{}/twilio/voice/answer?{}",
                base.trim_end_matches('/'),
                answered.query()
            )
        });
        turn_near_twiml(
            &self.setup.voices,
            self.texts.as_ref(),
            ticket.lang,
            &label,
            answer_url,
        )
    }

    /// A key the customer pressed on the automatic call `call` names (`None`: its action URL
    /// named none): answers the TwiML that goes on with the call. 1 notes "on my way", 2 cancels
    /// the ticket, anything else repeats the call's words and menu ([`MAX_REPEATS`] times at
    /// most, then goodbye). A repeated answer changes nothing twice; an answer whose key is not
    /// its ticket's, or about a ticket of a day that is over, changes nothing and says goodbye.
    pub async fn answer_call(
        &self,
        call: Option<&AnsweredCall>,
        digits: &str,
    ) -> Result<String, ServiceError> {
        let Some(call) = call else {
            tracing::warn!("an answer to a call that names no ticket: goodbye");
            return Ok(goodbye(&self.setup.voices, self.texts.as_ref(), Lang::Ja));
        };
        let ticket = match self.setup.queue(call.queue.as_str()) {
            Ok(_) => {
                self.tickets
                    .ticket_on(&call.queue, &call.day, call.number)
                    .await?
            }
            Err(_) => None,
        };
        let Some(ticket) = ticket.filter(|t| {
            crate::secret::constant_time_eq(
                answer_key(t, &call.day).as_bytes(),
                call.key.as_bytes(),
            )
        }) else {
            tracing::warn!(queue = %call.queue, day = %call.day, number = call.number,
                "an answer to a call whose key is not its ticket's: goodbye");
            return Ok(goodbye(&self.setup.voices, self.texts.as_ref(), Lang::Ja));
        };
        let lang = ticket.lang;
        let Some(answer) = CallAnswer::from_digits(digits) else {
            let today = self.days.today(&call.queue).await?;
            if call.repeats >= MAX_REPEATS || today != call.day || !ticket.state().is_active() {
                return Ok(goodbye(&self.setup.voices, self.texts.as_ref(), lang));
            }
            return Ok(self.turn_near_call(&ticket, &call.day, call.repeats + 1).0);
        };
        let now = self.setup.calendar.now();
        match self
            .phone_records
            .answer_call(&call.queue, &call.day, call.number, answer, now)
            .await
        {
            Ok(()) => {}
            // the ticket was called, done or cancelled meanwhile, or its day is over
            Err(StoreError::Refused(Problem::TicketChanged { .. } | Problem::TicketNotFound)) => {
                return Ok(goodbye(&self.setup.voices, self.texts.as_ref(), lang))
            }
            Err(e) => return Err(e.into()),
        }
        let label = self.setup.label_of(&call.queue, call.number);
        let words = match answer {
            CallAnswer::OnMyWay => Words::OnMyWay,
            CallAnswer::Cancel => Words::Cancelled { label: &label },
        };
        Ok(response(&[said(
            &self.setup.voices,
            self.texts.as_ref(),
            lang,
            words,
        )]))
    }

    /// A call to the store's number from `from` (Twilio's `From`, the caller ID;
    /// `stir_verstat`: Twilio's attestation of it, if any). From a number typed on the page of a
    /// ticket still waiting for its phone to be verified (`PHONE_VERIFY` `call` or `both`): the
    /// call asks for the code that page shows (the caller ID alone proves nothing: it can be
    /// forged, and in Japan no attestation comes with it), whose key goes to
    /// `/twilio/voice/code`. From any other number: the menu, whose key goes to
    /// `/twilio/voice/menu`. A caller ID that failed its attestation verifies nothing and hears
    /// that the menu cannot serve it. Always TwiML: a Voice webhook that answers an error makes
    /// Twilio say "an application error has occurred" and hang up (BEHAVIOUR.md, "Webhooks").
    pub async fn phone_call(&self, from: Option<&str>, stir_verstat: Option<&str>) -> String {
        // Twilio adds StirVerstat where the carrier attested the caller ID; a failed one may
        // be forged (BEHAVIOUR.md, "Japan")
        if crate::twilio::caller_id_failed(stir_verstat) {
            return not_confirmed(&self.setup.voices, self.texts.as_ref());
        }
        let caller = from.and_then(|f| PhoneNumber::parse(f).ok());
        if let (true, Some(phone)) = (self.setup.phone_verify.calls_in(), caller) {
            match self.awaits_call(&phone).await {
                Ok(true) => return self.code_prompt(Words::EnterCallCode, 0),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "a call could not be checked against the phones to verify: the menu")
                }
            }
        }
        self.phone_menu(0)
    }

    /// Whether a ticket of today (of any queue) waits for a call from `phone`.
    async fn awaits_call(&self, phone: &PhoneNumber) -> Result<bool, ServiceError> {
        for queue in &self.setup.queues {
            if self.phone_records.awaits_call(&queue.id, phone).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Asks for the call code (`words`: the first time, or after a wrong one), heard `repeats`
    /// times before.
    fn code_prompt(&self, words: Words<'_>, repeats: u32) -> String {
        let digits = super::phones::CALL_CODE_DIGITS as u32;
        self.store_asks("/twilio/voice/code", digits, words, repeats)
    }

    /// The store's line says `words` (in Japanese) and waits for `digits` keys, which Twilio posts
    /// to `path?repeats=N` (asked `repeats` times before); no key, and it says goodbye.
    fn store_asks(&self, path: &str, digits: u32, words: Words<'_>, repeats: u32) -> String {
        let (voices, texts, lang) = (&self.setup.voices, self.texts.as_ref(), Lang::Ja);
        let base = self
            .setup
            .public_url()
            .unwrap_or_default()
            .trim_end_matches('/');
        response(&[
            Verb::Gather {
                action: format!("{base}{path}?repeats={repeats}"),
                digits,
                timeout_s: MENU_WAITS_S,
                prompt: vec![said(voices, texts, lang, words)],
            },
            said(voices, texts, lang, Words::Goodbye),
        ])
    }

    /// The code a caller keyed in after [`WaitingRoom::phone_call`] asked for it: the phone of
    /// every ticket of today (one per queue at most) that registered the caller's number and was
    /// given that code is verified, and the call says so with each one's number and place, and
    /// hangs up. A wrong code verifies nothing, counts against the number's
    /// [`CODE_TRIES_PER_DAY`], and is asked again ([`CODE_ASKED`] times in all). Each key is
    /// carried out once per call (Twilio posting it again gets the same answer).
    pub async fn call_code(&self, press: &MenuPress<'_>) -> Result<String, ServiceError> {
        if crate::twilio::caller_id_failed(press.stir_verstat) {
            return Ok(not_confirmed(&self.setup.voices, self.texts.as_ref()));
        }
        let choice = format!("code{}:{}", press.repeats, press.digits.trim());
        self.once_per_call(press.call_sid, &choice, || self.check_code(press))
            .await
    }

    async fn check_code(&self, press: &MenuPress<'_>) -> Result<String, ServiceError> {
        let voices = &self.setup.voices;
        let texts = self.texts.as_ref();
        let Ok(phone) = PhoneNumber::parse(press.from) else {
            return Ok(goodbye(voices, texts, Lang::Ja));
        };
        let code = press.digits.trim();
        let tries = [(
            Source::CodeTries(phone.as_str()),
            CODE_TRIES_PER_DAY,
            Duration::from_secs(86_400),
        )];
        let Some(tried) = self.phones.take_all(&tries).await? else {
            tracing::warn!(from = %phone.masked(), "a caller keyed in too many wrong call codes today");
            return Ok(response(&[
                said(voices, texts, Lang::Ja, Words::TooManyCallCodes),
                Verb::Hangup,
            ]));
        };
        let now = self.setup.calendar.now();
        let mut verified = Vec::new();
        if code.len() == super::phones::CALL_CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())
        {
            for queue in &self.setup.queues {
                match self
                    .phone_records
                    .verify_call(&queue.id, &phone, code, now)
                    .await
                {
                    Ok(token) => verified.extend(self.desk.ticket_by_token(&token).await?),
                    // no ticket of this queue has this number and code
                    Err(StoreError::Refused(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        let Some(lang) = verified.first().map(|t| t.lang) else {
            tracing::warn!(from = %phone.masked(), "a wrong call code");
            if press.repeats + 1 >= CODE_ASKED {
                return Ok(goodbye(voices, texts, Lang::Ja));
            }
            return Ok(self.code_prompt(Words::WrongCallCode, press.repeats + 1));
        };
        // a right code costs none of the number's tries
        self.phones.give_back(&tried).await;
        tracing::info!(tickets = verified.len(), from = %phone.masked(), "a phone verified by calling in");
        let mut verbs = vec![said(voices, texts, lang, Words::PhoneVerifiedByCall)];
        for ticket in &verified {
            verbs.push(voices.say(lang, self.inbound.spoken_place(lang, ticket).await?, 1));
        }
        verbs.push(said(voices, texts, lang, Words::Goodbye));
        verbs.push(Verb::Hangup);
        Ok(response(&verbs))
    }

    /// The store's menu, heard `repeats` times before.
    fn phone_menu(&self, repeats: u32) -> String {
        self.store_asks("/twilio/voice/menu", 1, Words::PhoneMenu, repeats)
    }

    /// The key a caller pressed on the menu: 1 takes a ticket (a mobile number is also texted
    /// its page), 2 tells the place of the caller's ticket, 3 cancels it; anything else, the menu
    /// again ([`MAX_REPEATS`] times at most, then goodbye). Each choice is carried out once per
    /// call: the same press posted again gets the same answer. A caller ID that failed its
    /// attestation reaches no ticket (see [`WaitingRoom::phone_call`]).
    pub async fn phone_menu_choice(&self, press: &MenuPress<'_>) -> Result<String, ServiceError> {
        if crate::twilio::caller_id_failed(press.stir_verstat) {
            tracing::warn!(
                "a call whose caller ID failed its attestation pressed the menu: refused"
            );
            return Ok(not_confirmed(&self.setup.voices, self.texts.as_ref()));
        }
        let choice = press.digits.trim();
        if !matches!(choice, "1" | "2" | "3") {
            return Ok(if press.repeats >= MAX_REPEATS {
                goodbye(&self.setup.voices, self.texts.as_ref(), Lang::Ja)
            } else {
                self.phone_menu(press.repeats + 1)
            });
        }
        self.once_per_call(press.call_sid, choice, || {
            self.carry_out_choice(press.from, choice)
        })
        .await
    }

    /// Carries out `choice` of call `call_sid` once: Twilio posting the same key again gets the
    /// answer kept for the first.
    async fn once_per_call<F>(
        &self,
        call_sid: &str,
        choice: &str,
        carry_out: impl FnOnce() -> F,
    ) -> Result<String, ServiceError>
    where
        F: std::future::Future<Output = Result<String, ServiceError>>,
    {
        let started = tokio::time::Instant::now();
        loop {
            match self.replies.claim_press(call_sid, choice).await? {
                None => break,
                Some(kept) if !kept.is_empty() => return Ok(kept),
                // the first delivery is still being carried out: its answer is this one's
                Some(_) if started.elapsed() < PRESS_WAITS => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Some(_) => return Ok(goodbye(&self.setup.voices, self.texts.as_ref(), Lang::Ja)),
            }
        }
        let answered = carry_out().await;
        let kept = answered.as_deref().ok();
        if let Err(e) = self.replies.keep_press(call_sid, choice, kept).await {
            tracing::warn!(error = %e, "the answer to a key pressed on a call is not kept");
        }
        answered
    }

    /// Choice 1, 2 or 3 of the menu, for caller `from`.
    async fn carry_out_choice(&self, from: &str, choice: &str) -> Result<String, ServiceError> {
        let lang = Lang::Ja;
        let say = |text: String, times: u32| response(&[self.setup.voices.say(lang, text, times)]);
        // a withheld caller id, or one we may not call back, cannot hold a ticket
        let allowed = &self.setup.sms.allowed_countries;
        let Some(phone) = PhoneNumber::parse(from)
            .ok()
            .filter(|p| p.check_calls(allowed).is_ok())
        else {
            return Ok(say(self.texts.say(lang, Words::NoCallerId), 1));
        };
        let held = self.inbound.ticket_of_phone(&phone).await?;
        Ok(match (choice, held) {
            ("1", None) => {
                let issued = self
                    .inbound
                    .join_by_phone(lang, self.setup.default_queue(), &phone)
                    .await?;
                match issued {
                    Some(issued) => {
                        if phone.check_texts(allowed).is_ok() {
                            let link = super::ticket_url(
                                self.setup.public_url().unwrap_or_default(),
                                &issued.token,
                            );
                            let words = Words::Joined {
                                label: &issued.label,
                                ahead: issued.people_ahead,
                                link: &link,
                            };
                            // the caller hears the number; the text keeps it, with the page
                            let body = self.texts.say(lang, words);
                            let now = self.setup.calendar.now();
                            if let Err(e) = self
                                .phone_records
                                .text_ticket(
                                    &issued.queue,
                                    issued.number,
                                    &body,
                                    "joined",
                                    true,
                                    now,
                                )
                                .await
                            {
                                tracing::warn!(error = %e, "a ticket taken by phone was not texted");
                            }
                        }
                        let words = Words::JoinedByCall {
                            label: &issued.label,
                            ahead: issued.people_ahead,
                        };
                        say(self.texts.say(lang, words), 2)
                    }
                    None => say(self.texts.say(lang, Words::NotNow { spoken: true }), 1),
                }
            }
            ("1" | "2", Some(ticket)) => say(self.inbound.spoken_place(lang, &ticket).await?, 2),
            ("3", Some(ticket)) => {
                self.desk.cancel(&ticket).await?;
                let label = self.setup.label_of(&ticket.queue, ticket.number());
                say(self.texts.say(lang, Words::Cancelled { label: &label }), 1)
            }
            _ => say(self.texts.say(lang, Words::NoTicket { spoken: true }), 1),
        })
    }
}

/// The automatic call of ticket `label` in `lang`, and its words: the turn is near, then the menu
/// whose key Twilio posts to `answer_url`, then goodbye; without an address Twilio can reach,
/// the words said twice.
fn turn_near_twiml(
    voices: &Voices,
    texts: &dyn Texts,
    lang: Lang,
    label: &str,
    answer_url: Option<String>,
) -> (String, String) {
    let words = texts.say(lang, Words::TurnNear { label });
    let say = |text: String, times| voices.say(lang, text, times);
    let twiml = match answer_url {
        Some(action) => response(&[
            Verb::Gather {
                action,
                digits: 1,
                timeout_s: MENU_WAITS_S,
                prompt: vec![
                    say(words.clone(), 1),
                    say(texts.say(lang, Words::TurnMenu), 1),
                ],
            },
            say(texts.say(lang, Words::Goodbye), 1),
        ]),
        None => response(&[say(words.clone(), 2)]),
    };
    (twiml, words)
}

/// The caller ID failed its attestation: the menu does nothing for this call.
fn not_confirmed(voices: &Voices, texts: &dyn Texts) -> String {
    response(&[
        said(voices, texts, Lang::Ja, Words::CallerNotConfirmed),
        Verb::Hangup,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Vec<(&str, &str)> {
        query.split('&').filter_map(|p| p.split_once('=')).collect()
    }

    fn parse(query: &str) -> Option<AnsweredCall> {
        let params = params(query);
        AnsweredCall::parse(|name| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v))
    }

    /// The words' names in place of the locale files' texts (the app's).
    struct WordsByName;

    impl Texts for WordsByName {
        fn say(&self, lang: Lang, words: Words<'_>) -> String {
            format!("{lang:?} {words:?}")
        }
    }

    #[test]
    fn the_automatic_call_says_the_turn_is_near_then_its_menu_in_the_tickets_language() {
        let action = "https://q.example/twilio/voice/answer?queue=kaikei".to_owned();
        let voices = Voices::default();
        let (twiml, words) =
            turn_near_twiml(&voices, &WordsByName, Lang::En, "A-042", Some(action));
        assert_eq!(words, r#"En TurnNear { label: "A-042" }"#);
        let gather =
            twiml.find("<Gather action=\"https://q.example/twilio/voice/answer?queue=kaikei\"");
        let near = twiml.find("En TurnNear { label: &quot;A-042&quot; }</Say>");
        let menu = twiml.find(">En TurnMenu</Say></Gather>");
        let goodbye =
            twiml.find(r#"<Say language="en-US" voice="Polly.Joanna">En Goodbye</Say></Response>"#);
        assert!(gather < near && near < menu && menu < goodbye, "{twiml}");
        assert!(gather.is_some(), "{twiml}");
        // no address Twilio can post the key to: no menu, the words twice
        let (twiml, _) = turn_near_twiml(&voices, &WordsByName, Lang::Ja, "42", None);
        assert!(
            twiml.contains(
                r#"<Say language="ja-JP" loop="2" voice="Polly.Mizuki">Ja TurnNear { label: &quot;42&quot; }</Say>"#
            ),
            "{twiml}"
        );
        assert!(
            !twiml.contains("Gather") && !twiml.contains("TurnMenu"),
            "{twiml}"
        );
    }

    /// The `<Say>` of `twiml-reference.txt` (Twilio's library: `language`, then `voice`).
    fn reference_say() -> String {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/twilio/twiml-reference.txt"
        );
        let reference = std::fs::read_to_string(path).expect("the TwiML reference");
        let line = reference
            .lines()
            .find(|l| l.contains(" voice=\""))
            .expect("a <Say> with a voice");
        line.trim().trim_matches('\'').to_owned()
    }

    #[test]
    fn every_language_speaks_with_a_voice_twilio_has_for_it_in_the_references_shape() {
        let reference = reference_say();
        let voices = Voices::default();
        // Twilio's voices for our languages (BEHAVIOUR.md, "<Say>"): Mandarin is cmn-CN
        let expected = [
            (Lang::Ja, "ja-JP", "Polly.Mizuki"),
            (Lang::En, "en-US", "Polly.Joanna"),
            (Lang::Zh, "cmn-CN", "Polly.Zhiyu"),
            (Lang::Ko, "ko-KR", "Polly.Seoyeon"),
        ];
        for (lang, language, voice) in expected {
            let text = "まもなくあなたの順番です。";
            let twiml = response(&[voices.say(lang, text.into(), 1), Verb::Hangup]);
            // the reference line, with this language's code and voice
            let shaped = reference
                .replace(r#"language="ja-JP""#, &format!(r#"language="{language}""#))
                .replace(r#"voice="Polly.Mizuki""#, &format!(r#"voice="{voice}""#));
            assert_eq!(twiml, shaped, "{lang:?}");
            assert!(Voices::check(lang, voice).is_ok(), "{lang:?}");
        }
        // the goodbye, a menu and the staff's call: each <Say> names its voice
        let menu = turn_near_twiml(
            &voices,
            &WordsByName,
            Lang::Zh,
            "7",
            Some("https://q.example/a".into()),
        )
        .0;
        assert_eq!(
            menu.matches("<Say ").count(),
            menu.matches(r#"<Say language="cmn-CN" voice="Polly.Zhiyu">"#)
                .count(),
            "{menu}"
        );
        assert!(goodbye(&voices, &WordsByName, Lang::Ko)
            .contains(r#"<Say language="ko-KR" voice="Polly.Seoyeon">Ko Goodbye</Say><Hangup />"#));
        // another voice, as configured
        let takumi = Voices {
            ja: "Polly.Takumi".into(),
            ..Voices::default()
        };
        assert!(goodbye(&takumi, &WordsByName, Lang::Ja).contains(r#"voice="Polly.Takumi""#));
    }

    #[test]
    fn only_polly_and_google_voices_of_the_language_are_accepted() {
        assert!(Voices::check(Lang::Ja, "Polly.Takumi").is_ok());
        assert!(Voices::check(Lang::Ja, "Google.ja-JP-Standard-A").is_ok());
        assert!(Voices::check(Lang::Zh, "Google.cmn-CN-Wavenet-A").is_ok());
        assert!(Voices::check(Lang::Ko, "Polly.Seoyeon-Neural").is_ok());
        for (lang, bad) in [
            (Lang::Ja, "alice"),
            (Lang::Ja, "man"),
            (Lang::Ja, "Polly."),
            (Lang::Ja, "Polly.Mizuki\"><Hangup/>"),
            (Lang::Ja, "Google.en-US-Standard-A"),
            (Lang::Zh, "Google.zh-CN-Standard-A"),
            (Lang::En, "Azure.en-US-JennyNeural"),
        ] {
            assert!(Voices::check(lang, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_answer_names_its_ticket_and_nothing_else_passes_for_one() {
        let call = AnsweredCall {
            queue: QueueId::parse("kaikei").unwrap(),
            day: DayId::parse("2026-11-25.2").unwrap(),
            number: 42,
            key: "0123456789abcdef0123456789abcdef".into(),
            repeats: 1,
            lang: Lang::Ko,
        };
        assert_eq!(parse(&call.query()), Some(call.clone()));
        let whole = call.query();
        for name in ["queue", "day", "number", "key", "repeats"] {
            let without: Vec<_> = params(&whole)
                .into_iter()
                .filter(|(k, _)| *k != name)
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            assert_eq!(parse(&without.join("&")), None, "without {name}");
        }
        for bad in [
            whole.replace("number=42", "number=x"),
            whole.replace("day=2026-11-25.2", "day=yesterday"),
            whole.replace("queue=kaikei", "queue=../x"),
            whole.replace("repeats=1", "repeats=-1"),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
    }
}
