//! `waitingroom audit verify`: checks the audit trail in the Redis of `REDIS_URL` — every entry
//! there, numbered without a gap, each linked to the one before by its hash, each hash its own,
//! the last the head's. Exit code 0 when it holds, 1 when it breaks (the first broken entry is
//! named), 2 for bad configuration.

use crate::config::BackupConfig;
use std::process::ExitCode;
use waitingroom::services::audit::verify;
use waitingroom::store::Store;

pub async fn run_verify() -> ExitCode {
    let config = match BackupConfig::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let store = match Store::new(config.store.clone(), config.calendar.clone()) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (entries, head) = match store.audit_records().entries().await {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: Redis: {e}");
            return ExitCode::FAILURE;
        }
    };
    match verify(&entries, &head) {
        Ok(count) => {
            println!("the audit trail holds: {count} entries, each chained to the one before");
            ExitCode::SUCCESS
        }
        Err(broken) => {
            println!("{broken}");
            ExitCode::FAILURE
        }
    }
}
