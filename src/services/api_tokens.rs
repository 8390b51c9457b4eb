//! The API tokens admins make in the console for an integration: a name, scopes (read, act,
//! export), shown once (`wrt_<id>.<secret>`), kept as the SHA-256 of the secret, revocable, with
//! their last use. (`STAFF_API_TOKEN`, the legacy way, is an admin's and has no scopes.)

use super::staff::Actor;
use super::{random_token, ServiceError, Setup};
use crate::account::{account_name, ApiScope, ApiToken, Role};
use crate::problem::Problem;
use crate::secret::{constant_time_eq, sha256_hex};
use crate::store::{self, Store, StoredToken};
use crate::ticket::TicketToken;
use std::sync::Arc;

/// What a token made here starts with.
pub const TOKEN_PREFIX: &str = "wrt_";

/// The API tokens. Handed out by [`super::WaitingRoom::api_tokens`].
#[derive(Clone)]
pub struct ApiTokens {
    api_token_records: store::ApiTokenRecords,
    setup: Arc<Setup>,
}

impl ApiTokens {
    pub(super) fn new(store: &Store, setup: Arc<Setup>) -> Self {
        Self {
            api_token_records: store.api_token_records(),
            setup,
        }
    }

    /// Every token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<ApiToken>, ServiceError> {
        let mut tokens: Vec<ApiToken> = self
            .api_token_records
            .tokens()
            .await?
            .into_iter()
            .map(|(id, stored, seen)| ApiToken {
                id,
                name: stored.name,
                scopes: stored.scopes,
                created_at: stored.created_at,
                created_by: stored.created_by,
                last_used_at: seen,
            })
            .collect();
        tokens.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(tokens)
    }

    /// `by` makes a token named `name` with `scopes`: answers it and the token itself (shown
    /// once).
    pub async fn create(
        &self,
        by: &Actor,
        name: &str,
        scopes: &[ApiScope],
    ) -> Result<(ApiToken, String), ServiceError> {
        let name = account_name(name).map_err(|_| Problem::BadAccountName)?;
        if scopes.is_empty() {
            return Err(Problem::BadRequest {
                detail: "a token needs at least one scope".to_owned(),
            }
            .into());
        }
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let (id, secret) = (random_token().to_string(), random_token().to_string());
        let stored = StoredToken {
            name,
            scopes,
            created_at: self.setup.calendar.now().now_ms,
            created_by: by.name.clone(),
            secret_sha256: sha256_hex(&secret),
        };
        self.api_token_records.add_token(&id, &stored).await?;
        tracing::info!(token = %id, name = %stored.name, "API token made");
        let token = ApiToken {
            id: id.clone(),
            name: stored.name,
            scopes: stored.scopes,
            created_at: stored.created_at,
            created_by: stored.created_by,
            last_used_at: None,
        };
        Ok((token, format!("{TOKEN_PREFIX}{id}.{secret}")))
    }

    /// Ends token `id`: a call with it is refused from now on.
    pub async fn revoke(&self, id: &str) -> Result<(), ServiceError> {
        if !self.api_token_records.remove_token(id).await? {
            return Err(Problem::TokenNotFound.into());
        }
        tracing::info!(token = %id, "API token revoked");
        Ok(())
    }

    /// Who a bearer token made here is (noted as used now), if it is one that was not revoked.
    pub async fn admit(&self, given: &str) -> Result<Option<Actor>, ServiceError> {
        let Some((id, secret)) = given
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|rest| rest.split_once('.'))
            .filter(|(id, secret)| {
                TicketToken::parse(id).is_ok() && TicketToken::parse(secret).is_ok()
            })
        else {
            return Ok(None);
        };
        let Some(stored) = self.api_token_records.token(id).await? else {
            return Ok(None);
        };
        if !constant_time_eq(
            stored.secret_sha256.as_bytes(),
            sha256_hex(secret).as_bytes(),
        ) {
            tracing::warn!(token = %id, "an API token with a wrong secret");
            return Ok(None);
        }
        self.api_token_records
            .token_used(id, self.setup.calendar.now().now_ms)
            .await?;
        Ok(Some(Actor {
            account: None,
            name: stored.name,
            role: Role::Staff,
            must_change_password: false,
            scopes: Some(stored.scopes),
        }))
    }
}
