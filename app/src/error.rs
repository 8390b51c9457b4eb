//! The errors a screen can get from a server function, each with words a shop clerk understands.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use waitingroom::Lang;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Redis (or another part of the server) cannot be reached right now.
    #[error("the service is unavailable")]
    Unavailable,
    #[error("unknown queue")]
    UnknownQueue,
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

impl AppError {
    /// What the screen says.
    pub fn message(&self, lang: Lang) -> &'static str {
        match self {
            AppError::Unavailable => lang.pick(
                "ただいま受付できません。しばらくしてからもう一度お試しいただくか、スタッフにお声がけください。",
                "We cannot take tickets right now. Please try again shortly or ask a member of staff.",
            ),
            AppError::UnknownQueue => lang.pick(
                "この受付窓口は見つかりません。スタッフにお声がけください。",
                "This queue does not exist. Please ask a member of staff.",
            ),
            AppError::ServerFn(_) => lang.pick(
                "通信できませんでした。ネットワークを確認してもう一度お試しください。",
                "Could not reach the server. Please check the network and try again.",
            ),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<waitingroom::services::ServiceError> for AppError {
    fn from(e: waitingroom::services::ServiceError) -> Self {
        use waitingroom::services::ServiceError;
        match e {
            ServiceError::UnknownQueue(_) => AppError::UnknownQueue,
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "store error");
                AppError::Unavailable
            }
        }
    }
}
