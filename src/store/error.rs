//! Why the store refused or failed: a script's refusal (it changed nothing), Redis unreachable
//! or answering unexpectedly, data that cannot be read; and a Redis URL that is not one.

use crate::problem::Problem;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Redis is unreachable: {0}")]
    Unavailable(#[source] redis::RedisError),
    #[error("Redis answered unexpectedly: {0}")]
    Redis(#[source] redis::RedisError),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// A script refused (and changed nothing).
    #[error("refused: {0}")]
    Refused(Problem),
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        if e.is_io_error()
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || e.is_timeout()
        {
            StoreError::Unavailable(e)
        } else {
            StoreError::Redis(e)
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("REDIS_URL is not a valid Redis URL ({0}); expected e.g. redis://127.0.0.1:6379/0, redis+cluster://host1:7000,host2:7001 or redis+sentinel://host1:26379,host2:26379/mymaster")]
pub struct BadRedisUrl(pub(super) String);
