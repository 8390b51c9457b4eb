//! The errors a screen can get from a server function, each with words a shop clerk understands.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use waitingroom::{Intake, Lang, TicketState};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Redis (or another part of the server) cannot be reached right now.
    #[error("the service is unavailable")]
    Unavailable,
    #[error("unknown queue")]
    UnknownQueue,
    #[error("unknown counter")]
    UnknownCounter,
    #[error("no such ticket")]
    TicketNotFound,
    #[error("nobody is waiting")]
    NobodyWaiting,
    #[error("the ticket changed meanwhile")]
    TicketChanged(TicketState),
    #[error("intake is paused")]
    IntakePaused(Intake),
    #[error("too many active tickets")]
    LimitActive(u32),
    #[error("too many tickets this hour")]
    LimitPerHour(u32),
    #[error("staff sign-in required")]
    NotSignedIn,
    #[error("wrong password")]
    WrongPassword,
    #[error("the reset was not confirmed")]
    ResetNotConfirmed,
    /// Input no screen of ours sends.
    #[error("bad request")]
    BadRequest,
    /// Transport or encoding trouble between the browser and the server.
    #[error("server function error: {0}")]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::ServerFn(value)
    }
}

fn state_name(state: TicketState, lang: Lang) -> &'static str {
    match state {
        TicketState::Waiting => lang.pick("お待ち", "waiting"),
        TicketState::Called => lang.pick("呼び出し中", "called"),
        TicketState::Done => lang.pick("完了", "done"),
        TicketState::Cancelled => lang.pick("キャンセル", "cancelled"),
        TicketState::NoShow => lang.pick("不在", "no-show"),
    }
}

impl AppError {
    /// What the screen says.
    pub fn message(&self, lang: Lang) -> String {
        let s = |ja: &str, en: &str| lang.pick(ja, en).to_owned();
        match self {
            AppError::Unavailable => s(
                "ただいまご利用いただけません。しばらくしてからもう一度お試しいただくか、スタッフにお声がけください。",
                "This is not available right now. Please try again shortly or ask a member of staff.",
            ),
            AppError::UnknownQueue => s("この受付は見つかりません。", "This queue does not exist."),
            AppError::UnknownCounter => s("この窓口は見つかりません。", "This counter does not exist."),
            AppError::TicketNotFound => s(
                "この整理券は見つかりません。本日分の受付が終了したか、URLが正しくありません。",
                "This ticket was not found. Today's tickets may have closed, or the address is wrong.",
            ),
            AppError::NobodyWaiting => s("お待ちの方はいません。", "Nobody is waiting."),
            AppError::TicketChanged(state) => match lang {
                Lang::Ja => format!(
                    "この整理券は他の端末で更新されています（現在: {}）。何も変更していません。",
                    state_name(*state, lang)
                ),
                Lang::En => format!(
                    "This ticket was changed on another device (now: {}). Nothing was changed.",
                    state_name(*state, lang)
                ),
            },
            AppError::IntakePaused(Intake::RemotePaused) => s(
                "ただいまオンライン受付を停止しています。店頭の受付機をご利用ください。",
                "Remote check-in is paused. Please use the kiosk in the store.",
            ),
            AppError::IntakePaused(_) => s("ただいま受付を停止しています。", "We are not taking new tickets right now."),
            AppError::LimitActive(n) => match lang {
                Lang::Ja => format!("お一人様が同時にお持ちいただける整理券は{n}枚までです。"),
                Lang::En => format!("You can hold at most {n} tickets at a time."),
            },
            AppError::LimitPerHour(n) => match lang {
                Lang::Ja => format!("1時間に発行できる整理券は{n}枚までです。しばらくしてからお試しください。"),
                Lang::En => format!("At most {n} tickets per hour. Please try again later."),
            },
            AppError::NotSignedIn => s(
                "ログインが必要です。もう一度ログインしてください。",
                "Please sign in again.",
            ),
            AppError::WrongPassword => s("パスワードが違います。", "The password is wrong."),
            AppError::ResetNotConfirmed => s(
                "リセットするには、確認のため reset と入力してください。何も変更していません。",
                "To reset, type reset to confirm. Nothing was changed.",
            ),
            AppError::BadRequest => s(
                "この操作は受け付けられません。画面を再読み込みしてください。",
                "This action is not possible. Please reload the page.",
            ),
            AppError::ServerFn(_) => s(
                "通信できませんでした。ネットワークを確認してもう一度お試しください。",
                "Could not reach the server. Please check the network and try again.",
            ),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<waitingroom::services::ServiceError> for AppError {
    fn from(e: waitingroom::services::ServiceError) -> Self {
        use waitingroom::services::{LimitReached, ServiceError as E};
        match e {
            E::UnknownQueue(_) => AppError::UnknownQueue,
            E::UnknownCounter(_) => AppError::UnknownCounter,
            E::TicketNotFound => AppError::TicketNotFound,
            E::NobodyWaiting => AppError::NobodyWaiting,
            E::TicketChanged(state) => AppError::TicketChanged(state),
            E::IntakePaused(intake) => AppError::IntakePaused(intake),
            E::Limit(LimitReached::Active(n)) => AppError::LimitActive(n),
            E::Limit(LimitReached::PerHour(n)) => AppError::LimitPerHour(n),
            E::Store(e) => {
                tracing::error!(error = %e, "store error");
                AppError::Unavailable
            }
        }
    }
}
