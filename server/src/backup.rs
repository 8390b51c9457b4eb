//! `waitingroom backup FILE` and `waitingroom restore FILE` (`-`: stdout, stdin): what a shop must not lose
//! as one JSON document ([`waitingroom::store::Backup`]), written from and back into the Redis of
//! `REDIS_URL`. They read only [`BackupConfig`] of the environment.

use crate::config::{BackupConfig, ConfigError};
use std::io::{Read, Write};
use std::process::ExitCode;
use waitingroom::store::{Backup, BadBackup, BadRedisUrl, Restored, Store, StoreError};

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Bad input (exit code 2): the configuration, the file, the document.
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    RedisUrl(#[from] BadRedisUrl),
    #[error("{0}: {1}")]
    File(String, std::io::Error),
    #[error("the backup is refused, nothing was written: {0}")]
    Bad(#[from] BadBackup),
    /// Redis failed (exit code 1).
    #[error("Redis: {0}")]
    Store(#[from] StoreError),
}

impl BackupError {
    fn exit_code(&self) -> ExitCode {
        match self {
            Self::Store(_) => ExitCode::FAILURE,
            _ => ExitCode::from(2),
        }
    }
}

/// The dates whose history a backup reads: `HISTORY_DAYS` back from today and a week more (the
/// history of a date lives `HISTORY_DAYS` after its close), and tomorrow.
fn history_dates(config: &BackupConfig) -> Vec<jiff::civil::Date> {
    let today = config.calendar.now().day;
    let back = i64::from(config.history_days) + 7;
    (-1..=back)
        .filter_map(|days| today.checked_sub(jiff::Span::new().days(days)).ok())
        .rev()
        .collect()
}

fn open(config: &BackupConfig) -> Result<Store, BackupError> {
    Ok(Store::new(config.store.clone(), config.calendar.clone())?)
}

/// Reads the backup from Redis (nothing is written there).
pub async fn make(config: &BackupConfig) -> Result<Backup, BackupError> {
    let store = open(config)?;
    let made_at = jiff::Timestamp::now().to_string();
    Ok(store
        .backups()
        .backup(
            &config.queues,
            &history_dates(config),
            crate::VERSION,
            &made_at,
        )
        .await?)
}

/// Checks the whole document `text`, then writes it into Redis.
pub async fn restore(config: &BackupConfig, text: &str) -> Result<Restored, BackupError> {
    let backup = Backup::parse(text)?;
    backup.check(&config.queues)?;
    let store = open(config)?;
    let now_ms = config.calendar.now().now_ms;
    Ok(store.backups().restore(&backup, now_ms).await?)
}

/// `server backup FILE`: the document written whole to FILE (readable by its owner only), or to
/// stdout.
pub async fn backup_to(config: &BackupConfig, file: &str) -> Result<(), BackupError> {
    let backup = make(config).await?;
    let mut json = serde_json::to_string_pretty(&backup)
        .map_err(|e| BackupError::Store(StoreError::Corrupt(e.to_string())))?;
    json.push('\n');
    let failed = |e| BackupError::File(file.to_owned(), e);
    if file == "-" {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(json.as_bytes())
            .and_then(|()| out.flush())
            .map_err(failed);
    }
    // written beside it, then renamed: FILE is never half written
    let partial = format!("{file}.partial");
    let written = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)?;
        f.write_all(json.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&partial, file)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written.map_err(failed)
}

/// `server restore FILE` (`-`: stdin).
pub async fn restore_from(config: &BackupConfig, file: &str) -> Result<Restored, BackupError> {
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_string(&mut text).map(|_| ()))
    };
    read.map_err(|e| BackupError::File(file.to_owned(), e))?;
    restore(config, &text).await
}

/// Runs `server backup FILE` or `server restore FILE` (`command`), with the configuration of the
/// environment; says what went wrong in one line on stderr.
pub async fn run(command: &str, file: &str) -> ExitCode {
    let done = async {
        let config = BackupConfig::from_env()?;
        match command {
            "backup" => {
                backup_to(&config, file).await?;
                if file != "-" {
                    eprintln!("backup written to {file}");
                }
            }
            _ => {
                let r = restore_from(&config, file).await?;
                eprintln!(
                    "restored: {} kiosks, {} queues, {} dates of history ({} expired, skipped), {} stopped numbers, {} stopped LINE users, {} accounts",
                    r.kiosks, r.queues, r.history_dates, r.history_skipped, r.sms_stopped, r.line_stopped, r.accounts
                );
            }
        }
        Ok::<(), BackupError>(())
    };
    match done.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
