//! What SMS and calls say: the [`Words`] of each message, written in a ticket's language by the
//! app's locale files ([`Texts`]).

use crate::lang::Lang;

/// What calls and messages say, in a ticket's language (the words live in the app's locale
/// files, so the app provides them).
pub trait Texts: Send + Sync {
    fn say(&self, lang: Lang, words: Words<'_>) -> String;
}

/// Everything SMS and calls say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Words<'a> {
    /// The automatic call when the turn is near: 「受付番号42番の方、まもなく順番です。…」
    TurnNear { label: &'a str },
    /// Its menu: 1 on my way, 2 cancel, 9 repeat.
    TurnMenu,
    /// 1 pressed.
    OnMyWay,
    /// 2 pressed: the ticket is cancelled.
    Cancelled { label: &'a str },
    /// Nothing (more) to do on the call.
    Goodbye,
    /// The SMS instead of an automatic call that reached nobody, with the ticket's page.
    TurnNearText { label: &'a str, link: &'a str },
    /// A ticket taken by SMS: its number, the people ahead and its page.
    Joined {
        label: &'a str,
        ahead: u64,
        link: &'a str,
    },
    /// Where a waiting ticket is (`minutes`: the estimate, if there is one yet), texted with its
    /// page's `link`, or spoken (`None`).
    Waiting {
        label: &'a str,
        ahead: u64,
        minutes: Option<u64>,
        link: Option<&'a str>,
    },
    /// The ticket is called to `counter`.
    AtCounter {
        label: &'a str,
        counter: &'a crate::queue::CounterId,
        spoken: bool,
    },
    /// A call to the store's number: 1 take a ticket, 2 hear my place, 3 cancel my ticket.
    PhoneMenu,
    /// A ticket taken on the phone menu, said to the caller.
    JoinedByCall { label: &'a str, ahead: u64 },
    /// A call from the number typed on a ticket's page verified it (its place follows).
    PhoneVerifiedByCall,
    /// A call from a number typed on a ticket's page: key in the code the page shows.
    EnterCallCode,
    /// The code keyed in is no ticket's for this number: try again.
    WrongCallCode,
    /// This number keyed in too many wrong codes today: it cannot verify by calling today.
    TooManyCallCodes,
    /// The caller's number is withheld (or not one we serve).
    NoCallerId,
    /// Twilio says the caller's number failed its attestation (it may be forged): the menu does
    /// nothing for it.
    CallerNotConfirmed,
    /// The phone holds no ticket today (texted, or `spoken` on a call).
    NoTicket { spoken: bool },
    /// No ticket can be taken now (intake paused, the day full).
    NotNow { spoken: bool },
    /// START: texts and calls resume.
    Started,
    /// What one can text.
    Help,
    /// Something failed on our side (Redis down): try again later (texted, or `spoken`). A
    /// webhook answers this rather than an error, which Twilio would not retry and, on a call,
    /// would answer with "an application error has occurred" and hang up.
    Unavailable { spoken: bool },
    /// The reminder about 30 minutes before the turn, with the ticket's page.
    Reminder { label: &'a str, link: &'a str },
    /// The verification SMS of a phone registered for a ticket, with the link that verifies it.
    VerifyPhone { label: &'a str, link: &'a str },
    /// Staff call the ticket's phone to `counter` (the board's announcement, spoken on the phone).
    CallToCounter {
        label: &'a str,
        counter: &'a crate::queue::CounterId,
    },
    /// The text the ticket page's LINE link types in for the customer to send: the ticket and
    /// its one-time `code`.
    LinePrefill { label: &'a str, code: &'a str },
    /// LINE's reply to a code that linked the ticket: 「受付番号42番の通知をLINEでお送りします」.
    LineLinked { label: &'a str },
    /// LINE's reply to a message with no code: how to link a ticket.
    LineHelp,
    /// LINE's greeting to a new friend: how to link a ticket.
    LineGreeting,
    /// LINE's reply to a code that links nothing (used, or its ticket no longer waits).
    LineCodeUnknown,
    /// LINE's reply when the user follows `max` tickets already.
    LineTooMany { max: u32 },
    /// Pushed on LINE when the turn is near, with the ticket's page.
    LineTurnNear { label: &'a str, link: &'a str },
    /// Pushed on LINE when the ticket is called to `counter`, with its page.
    LineCalled {
        label: &'a str,
        counter: &'a crate::queue::CounterId,
        link: &'a str,
    },
    /// Pushed on LINE about 30 minutes before the turn, with the ticket's page.
    LineReminder { label: &'a str, link: &'a str },
}
