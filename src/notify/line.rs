//! LINE: pushes to a ticket's follower (each with its retry key) and free replies to what a user
//! sent. Only when LINE is configured: without it nothing of LINE exists (no dev outbox).

use crate::line::client::text_message;
use crate::line::{LineClient, LineError, LineSettings, Pushed};

/// The Messaging API, for pushes and replies.
#[derive(Clone, Debug)]
pub struct LineNotifier {
    pub client: LineClient,
}

impl LineNotifier {
    /// LINE's notifier, when its section has a channel.
    pub fn of(settings: &LineSettings) -> Option<Self> {
        settings.channel.clone().map(|config| Self {
            client: LineClient::new(config),
        })
    }

    /// Pushes `text` to `user`, with `retry_key` (the same for every attempt of this message).
    pub async fn push(&self, user: &str, text: &str, retry_key: &str) -> Result<Pushed, LineError> {
        self.client
            .push(user, &[text_message(text)], retry_key)
            .await
    }

    /// Replies `text` with a webhook event's `reply_token`.
    pub async fn reply(&self, reply_token: &str, text: &str) -> Result<(), LineError> {
        self.client.reply(reply_token, &[text_message(text)]).await
    }

    /// A retry key for the message `seed` names for good.
    pub fn retry_key(&self, seed: &str) -> String {
        crate::line::client::retry_key(&self.client.config().channel_secret, seed)
    }

    /// The account's LINE ID (`@abc1234`).
    pub fn account_id(&self) -> &str {
        &self.client.config().account_id
    }
}
