//! Every setting the server reads from its environment: its name, its default and what it means,
//! written once. The configuration (`config.rs`) takes every default from here, and
//! `docs/configuration.md`'s table is this list (a test renders it and compares).

/// One environment variable.
pub struct Setting {
    pub name: &'static str,
    /// The value taken when the variable is unset or empty; `None`: it has none.
    pub default: Option<&'static str>,
    /// What being unset means, when there is no default value (markdown).
    pub unset: &'static str,
    /// What it is (markdown).
    pub meaning: &'static str,
}

/// Every setting, in the order the docs list them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "REDIS_URL",
        default: None,
        unset: r#"— (required; `run.sh` starts a Redis when unset)"#,
        meaning: r#"e.g. `redis://127.0.0.1:6379/0`, `redis+unix:///path/redis.sock`; a Redis Cluster by some of its nodes `redis+cluster://10.0.0.1:7000,10.0.0.2:7000`; the master Sentinel names `redis+sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/mymaster` (see *One Redis, Sentinel or a cluster*)"#,
    },
    Setting {
        name: "PORT",
        default: Some("3000"),
        unset: r#""#,
        meaning: r#"TCP port; `0` picks a free one"#,
    },
    Setting {
        name: "BIND_ADDR",
        default: Some("127.0.0.1"),
        unset: r#""#,
        meaning: r#"address to listen on (`0.0.0.0` for the store's network)"#,
    },
    Setting {
        name: "PUBLIC_URL",
        default: None,
        unset: r#"the request's host (required with Twilio: a link texted to a phone never names the host a request claimed)"#,
        meaning: r#"the address customers' phones use, for QR codes and ticket links (e.g. `https://queue.example.jp`); with `https://` the session cookie is `Secure`"#,
    },
    Setting {
        name: "QUEUES",
        default: None,
        unset: r#"`default`: one queue, 受付 / Reception"#,
        meaning: r#"comma-separated `id[:prefix[:日本語名[:English name[:中文名[:한국어 이름]]]]]`, e.g. `shinsatsu:A:診察:Consultation,kaikei:B:会計:Payment`; ids are `a-z 0-9 - _`, prefixes up to 3 letters (`A-001`); without a Chinese or Korean name those screens show the English one"#,
    },
    Setting {
        name: "COUNTERS",
        default: Some("1,2"),
        unset: r#""#,
        meaning: r#"comma-separated counter ids, shown as 「1番窓口」 / "Counter 1""#,
    },
    Setting {
        name: "ADMIN_PASSWORD",
        default: None,
        unset: r#"generated at first start (printed once)"#,
        meaning: r#"the staff password (at least 12 characters), stored as an argon2 hash"#,
    },
    Setting {
        name: "STAFF_API_TOKEN",
        default: None,
        unset: r#"— (staff API closed)"#,
        meaning: r#"bearer token of the staff API (at least 32 characters, e.g. `openssl rand -hex 32`)"#,
    },
    Setting {
        name: "SESSION_HOURS",
        default: Some("12"),
        unset: r#""#,
        meaning: r#"sessions end after this long without activity"#,
    },
    Setting {
        name: "MAX_TICKETS_PER_DAY",
        default: Some("9999"),
        unset: r#""#,
        meaning: r#"tickets one queue issues in a business day, past which intake refuses with a clear message (`0` = no cap): the day's keys and every screen's snapshot stay bounded"#,
    },
    Setting {
        name: "SESSION_MAX_DAYS",
        default: Some("7"),
        unset: r#""#,
        meaning: r#"a staff session ends this long after its sign-in, active or not"#,
    },
    Setting {
        name: "TRUSTED_PROXIES",
        default: None,
        unset: r#"—"#,
        meaning: r#"comma-separated addresses of your reverse proxies: only their `X-Forwarded-For` names the client (for per-address limits), and only their `X-Forwarded-Proto: https` makes links and QR codes https (without `PUBLIC_URL`)"#,
    },
    Setting {
        name: "KIOSK_MAX_PER_MINUTE",
        default: Some("60"),
        unset: r#""#,
        meaning: r#"tickets one kiosk issues per minute at most (a real line needs about one a second); past it the kiosk asks to wait a moment"#,
    },
    Setting {
        name: "REMOTE_MAX_ACTIVE",
        default: Some("2"),
        unset: r#""#,
        meaning: r#"tickets one phone may hold at once (remote check-in)"#,
    },
    Setting {
        name: "REMOTE_MAX_PER_HOUR",
        default: Some("5"),
        unset: r#""#,
        meaning: r#"tickets one phone may take per hour (remote check-in, all queues together)"#,
    },
    Setting {
        name: "ADDRESS_MAX_PER_HOUR",
        default: Some("30"),
        unset: r#""#,
        meaning: r#"tickets one client address (an IPv6 /64) may take per hour by remote check-in and the anonymous API together, all queues together: phones on one shop Wi-Fi or behind one carrier NAT share an address, so keep it well above the per-phone limit. An IPv6 address also counts in its /56 (twice this) and /48 (four times), what one customer of an ISP holds"#,
    },
    Setting {
        name: "PHONE_MAX_PER_HOUR",
        default: Some("30"),
        unset: r#""#,
        meaning: r#"tickets taken by phone (the phone menu's 1, an SMS 受付 / JOIN) per hour for the whole shop, all numbers together: a caller ID can be forged (in Japan no attestation comes with it), so without this cap a few thousand forged calls would fill the remote share and make the shop call and text strangers at its cost. Past it a caller hears that intake is paused"#,
    },
    Setting {
        name: "REMOTE_SHARE_PERCENT",
        default: Some("50"),
        unset: r#""#,
        meaning: r#"the part of `MAX_TICKETS_PER_DAY` remote intake (remote check-in, the anonymous API, SMS and calls) may take; past it remote takes get `remote_full` and the rest of the day is kept for the kiosk, so a flood from outside never refuses the people in the shop"#,
    },
    Setting {
        name: "LIVE_MAX_CONNECTIONS",
        default: Some("10000"),
        unset: r#""#,
        meaning: r#"live connections (open screens) one server process keeps; past it new ones get 503 `unavailable` and retry later"#,
    },
    Setting {
        name: "LIVE_MAX_PER_ADDRESS",
        default: Some("200"),
        unset: r#""#,
        meaning: r#"live connections from one client address (an IPv6 /64); past it 429. Phones behind one shop Wi-Fi or carrier NAT share an address"#,
    },
    Setting {
        name: "LIVE_RESERVED_CONNECTIONS",
        default: Some("200"),
        unset: r#""#,
        meaning: r#"live connections past `LIVE_MAX_CONNECTIONS` (and past any address's share) kept for the store's devices: a kiosk, or a board or console signed in as staff (a board on a TV set up as a kiosk keeps its place for 400 days)"#,
    },
    Setting {
        name: "HTTP_READ_SECS",
        default: Some("10"),
        unset: r#""#,
        meaning: r#"a client must send a request's head within this long of connecting (or of its last response: idle keep-alive connections close then), and its whole body within this long again; slow clients cannot pin sockets"#,
    },
    Setting {
        name: "HTTP_WRITE_STALL_SECS",
        default: Some("10"),
        unset: r#""#,
        meaning: r#"a write to a client that makes no progress for this long ends the connection (a page, an event stream or a WebSocket whose reader stopped reading)"#,
    },
    Setting {
        name: "LIVE_PING_SECS",
        default: Some("25"),
        unset: r#""#,
        meaning: r#"how often a live connection is pinged; one that answered nothing since the last ping is dropped"#,
    },
    Setting {
        name: "TWILIO_ACCOUNT_SID",
        default: None,
        unset: r#"— (SMS and calls go to the dev outbox)"#,
        meaning: r#"your Twilio account; with it, `TWILIO_AUTH_TOKEN` (or `TWILIO_API_KEY_SID` + `TWILIO_API_KEY_SECRET`) and at least one of `TWILIO_FROM_NUMBER`, `TWILIO_MESSAGING_SERVICE_SID`, `TWILIO_SMS_SENDER` are required"#,
    },
    Setting {
        name: "TWILIO_AUTH_TOKEN",
        default: None,
        unset: r#"—"#,
        meaning: r#"the account's auth token (a secret): authenticates the API calls (unless an API key is set) and checks every webhook's signature"#,
    },
    Setting {
        name: "TWILIO_API_KEY_SID",
        default: None,
        unset: r#"—"#,
        meaning: r#"an API key instead of the auth token"#,
    },
    Setting {
        name: "TWILIO_API_KEY_SECRET",
        default: None,
        unset: r#"—"#,
        meaning: r#"an API key instead of the auth token"#,
    },
    Setting {
        name: "TWILIO_FROM_NUMBER",
        default: None,
        unset: r#"—"#,
        meaning: r#"the store's voice number (E.164 or 0X0-…): calls come from it and customers call it (the phone menu, verifying a phone by calling in). Never an SMS sender: Twilio sells no Japanese number that sends SMS"#,
    },
    Setting {
        name: "TWILIO_MESSAGING_SERVICE_SID",
        default: None,
        unset: r#"—"#,
        meaning: r#"sends SMS through a messaging service (in Japan: one with an alphanumeric sender; needed for scheduled SMS: without it the ticket page offers no reminder)"#,
    },
    Setting {
        name: "TWILIO_SMS_SENDER",
        default: None,
        unset: r#"— (without a messaging service no SMS is sent)"#,
        meaning: r#"who SMS come from without a messaging service: an alphanumeric sender ID (1–11 letters, digits, spaces, with a letter, e.g. `WaitingRoom`: what reaches Japanese mobiles; nobody can reply to it) or a number outside Japan. A Japanese number is refused at start"#,
    },
    Setting {
        name: "TWILIO_API_BASE_URL",
        default: Some("https://api.twilio.com"),
        unset: r#""#,
        meaning: r#"where the Twilio REST API is (the tests point it at Prism)"#,
    },
    Setting {
        name: "LINE_CHANNEL_SECRET",
        default: None,
        unset: r#"— (nothing of LINE shows)"#,
        meaning: r#"the channel secret of the shop's LINE Official Account (Messaging API channel, *Basic settings*): checks every webhook's `X-Line-Signature`. With it, `LINE_CHANNEL_ACCESS_TOKEN` and `LINE_ACCOUNT_ID` are required (and `PUBLIC_URL`, `PHONE_HASH_SECRET`); see [line.md](line.md)"#,
    },
    Setting {
        name: "LINE_CHANNEL_ACCESS_TOKEN",
        default: None,
        unset: r#"—"#,
        meaning: r#"the channel's long-lived access token (*Messaging API* tab; a secret): authenticates pushes and replies"#,
    },
    Setting {
        name: "LINE_ACCOUNT_ID",
        default: None,
        unset: r#"—"#,
        meaning: r#"the account's LINE ID with its `@` (e.g. `@abc1234`): the ticket page's 「LINEで通知を受け取る」 opens a chat with it"#,
    },
    Setting {
        name: "LINE_API_BASE_URL",
        default: Some("https://api.line.me"),
        unset: r#""#,
        meaning: r#"where the Messaging API is (the tests point it at Prism)"#,
    },
    Setting {
        name: "TWILIO_ALLOWED_COUNTRIES",
        default: Some("JP"),
        unset: r#""#,
        meaning: r#"ISO 3166 codes of the regions phones may be in, as libphonenumber's metadata names them: a number counts by its own region, not its calling code (`US` is the United States only; Jamaica is `JM`, Puerto Rico `PR`, the Isle of Man `IM`, Guernsey `GG`). Texts and calls go nowhere else, replies included"#,
    },
    Setting {
        name: "VOICE_JA",
        default: Some("Polly.Mizuki"),
        unset: r#""#,
        meaning: r#"the voice of calls in Japanese (`<Say voice>`): an Amazon Polly voice of ja-JP (`Polly.Mizuki`, `Polly.Takumi`) or a Google one (`Google.ja-JP-Standard-A`); Twilio fails a `<Say>` whose voice does not speak its language"#,
    },
    Setting {
        name: "VOICE_EN",
        default: Some("Polly.Joanna"),
        unset: r#""#,
        meaning: r#"the voice of calls in English (en-US), e.g. `Polly.Joanna`, `Google.en-US-Standard-C`"#,
    },
    Setting {
        name: "VOICE_ZH",
        default: Some("Polly.Zhiyu"),
        unset: r#""#,
        meaning: r#"the voice of calls in Chinese (Mandarin, said with language `cmn-CN`), e.g. `Polly.Zhiyu`, `Google.cmn-CN-Standard-A`"#,
    },
    Setting {
        name: "VOICE_KO",
        default: Some("Polly.Seoyeon"),
        unset: r#""#,
        meaning: r#"the voice of calls in Korean (ko-KR), e.g. `Polly.Seoyeon`, `Google.ko-KR-Standard-A`"#,
    },
    Setting {
        name: "PHONE_VERIFY",
        default: None,
        unset: r#"`both` when SMS can be sent (the dev outbox, `TWILIO_MESSAGING_SERVICE_SID` or `TWILIO_SMS_SENDER`) and there is a `TWILIO_FROM_NUMBER` to call, `call` when there is only that number, `sms` without it"#,
        meaning: r#"how the ticket page verifies a phone: `call` (the customer calls the store's `TWILIO_FROM_NUMBER` from the number typed: the page shows it as a `tel:` link; no SMS is sent and no SMS limit spent), `sms` (a texted link, mobiles only) or `both`. Twilio sells no SMS-capable Japanese number and carriers in Japan are reported to filter SMS with links: in Japan, use `call` or `both`"#,
    },
    Setting {
        name: "AUTODIAL_PLACES",
        default: Some("3"),
        unset: r#""#,
        meaning: r#"a ticket with a verified phone gets one automatic call when this many people (or fewer) are ahead of it (`0`: never, at most 20); `3,kaikei:5` sets a queue apart. Staff change it per queue in the console (kept in Redis, over this)"#,
    },
    Setting {
        name: "REMINDER_CHECK_SECS",
        default: Some("60"),
        unset: r#""#,
        meaning: r#"how often the SMS reminders are planned again against the moving estimate"#,
    },
    Setting {
        name: "SMS_MAX_PER_NUMBER_PER_DAY",
        default: Some("5"),
        unset: r#""#,
        meaning: r#"verification SMS to one number per day (besides 3 per ticket)"#,
    },
    Setting {
        name: "SMS_MAX_PER_ADDRESS_PER_DAY",
        default: Some("10"),
        unset: r#""#,
        meaning: r#"verification SMS asked for from one client address per day"#,
    },
    Setting {
        name: "SMS_MAX_PER_HOUR",
        default: Some("100"),
        unset: r#""#,
        meaning: r#"verification SMS in all per hour: a cap on what SMS pumping could cost. One network (an IPv4 /24, an IPv6 /48) may ask for a tenth of it, so a few cannot hold the cap and block verification for everyone"#,
    },
    Setting {
        name: "TIMEZONE",
        default: Some("Asia/Tokyo"),
        unset: r#""#,
        meaning: r#"the store's time zone (IANA name)"#,
    },
    Setting {
        name: "DAY_RESETS_AT",
        default: Some("04:00"),
        unset: r#""#,
        meaning: r#"local time at which the business day turns: the first request after it, in any process, starts the new day at number 1 (see [redis-keys.md](redis-keys.md))"#,
    },
    Setting {
        name: "DATA_RETENTION_HOURS",
        default: Some("24"),
        unset: r#""#,
        meaning: r#"every key of a business day (tickets, tokens, phones, links, reminders) expires this long after that day closes"#,
    },
    Setting {
        name: "HISTORY_DAYS",
        default: Some("400"),
        unset: r#""#,
        meaning: r#"each business day's figures (per hour: tickets by channel, served, no-shows, cancellations, waits, service per counter, phones verified, SMS and calls; nothing personal) are kept this many days after the day closes, for the console's 履歴 and the export"#,
    },
    Setting {
        name: "PHONE_HASH_SECRET",
        default: None,
        unset: r#"— (required with Twilio)"#,
        meaning: r#"the key (at least 32 characters, e.g. `openssl rand -hex 32`) of the HMAC the STOP list keeps of each number instead of the number; keep it: a new one forgets who texted STOP"#,
    },
    Setting {
        name: "SITE_ROOT",
        default: Some("target/site"),
        unset: r#""#,
        meaning: r#"the built WASM, JS, CSS and `public/` files"#,
    },
    Setting {
        name: "RUST_LOG",
        default: Some("info"),
        unset: r#""#,
        meaning: r#"log filter"#,
    },
    Setting {
        name: "LOG_FORMAT",
        default: Some("text"),
        unset: r#""#,
        meaning: r#"`json`: one JSON object per log line, for log collectors"#,
    },
];

/// The default of setting `name`, if it has one.
pub fn default_of(name: &str) -> Option<&'static str> {
    SETTINGS
        .iter()
        .find(|s| s.name == name)
        .and_then(|s| s.default)
}

/// The table of `docs/configuration.md`: every setting, its default, what it means.
pub fn table() -> String {
    let mut table = String::from("| variable | default | meaning |\n| --- | --- | --- |\n");
    for s in SETTINGS {
        let default = match s.default {
            Some(value) => format!("`{value}`"),
            None => s.unset.to_owned(),
        };
        table.push_str(&format!("| `{}` | {default} | {} |\n", s.name, s.meaning));
    }
    table
}
