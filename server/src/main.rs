//! Starts the Waiting Room server: configuration from the environment, logging, serve.

use server::{Config, Server};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

const USAGE: &str =
    "usage: waitingroom [--version | backup FILE | restore FILE | audit verify] (FILE - : stdout, stdin)";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => serve().await,
        ["--version"] => {
            println!("waitingroom {}", server::VERSION);
            ExitCode::SUCCESS
        }
        [command @ ("backup" | "restore"), file] => {
            // stdout may be the backup itself: logs go to stderr
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_env_filter(
                    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
                )
                .init();
            server::backup::run(command, file).await
        }
        ["audit", "verify"] => {
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_env_filter(EnvFilter::new("warn"))
                .init();
            server::audit::run_verify().await
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Serves until Ctrl-C or SIGTERM.
async fn serve() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(server::settings::default_of("RUST_LOG").unwrap_or_default())
    });
    // LOG_FORMAT=json: one JSON object per line, for log collectors
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }

    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match Server::bind(&config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let base = format!("http://{}", server.addr);
    println!("Waiting Room {} is serving on {base}", server::VERSION);
    for page in app::pages::PAGES {
        if let Some(name) = page.listed {
            println!("  {name}: {base}{}", page.path);
        }
    }
    println!("  health: {base}/healthz");
    match &config.room.twilio.api {
        Some(twilio) => println!(
            "  SMS and calls: sent through Twilio (account {}…)",
            &twilio.account_sid[..twilio.account_sid.len().min(6)]
        ),
        None => println!(
            "  SMS and calls: NOT sent (no TWILIO_ACCOUNT_SID): they go to the dev outbox in the staff console"
        ),
    }
    match &config.room.line.channel {
        Some(line) => println!(
            "  LINE: on (account {}); LINE's webhook URL: <PUBLIC_URL>/line/webhook",
            line.account_id
        ),
        None => println!("  LINE: off (no LINE_CHANNEL_SECRET)"),
    }
    println!(
        "  To set up a kiosk: on the store's touch panel, sign in at {base}/admin and press \
         「この端末を受付機にする」 (Make this device a kiosk); /kiosk issues tickets only there."
    );
    if let Err(e) = server.run(shutdown_signal()).await {
        eprintln!("error: the server stopped: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
