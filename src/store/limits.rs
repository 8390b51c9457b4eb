//! The limits of remote takes (remote check-in and the anonymous API), kept in Redis so they hold
//! across server processes and across a customer's new cookies: one script checks every limit and
//! takes a place in the same step, so parallel requests cannot both slip under a limit.

use super::keys::{self, DayId};
use super::scripts::{GiveBackArgs, TakeArgs};
use super::{Store, StoreError};
use crate::queue::QueueId;
use redis::{AsyncCommands, Value};
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// The networks a client address counts in, for limits, each with how many times the address's
/// own limit it allows: an IPv4 address alone; an IPv6 address's /64 (what one subscriber gets)
/// ×1, its /56 ×2 and its /48 ×4, as one customer of an ordinary ISP holds a /56 or a /48 (256 or
/// 65,536 /64s): fresh /64s of one customer's prefix do not each bring a fresh limit.
pub fn networks(ip: IpAddr) -> Vec<(String, u32)> {
    match unmapped(ip) {
        IpAddr::V4(v4) => vec![(v4.to_string(), 1)],
        IpAddr::V6(v6) => [(64, 1), (56, 2), (48, 4)]
            .into_iter()
            .map(|(bits, times)| (prefix(v6, bits), times))
            .collect(),
    }
}

/// The key of an address for the limits: an IPv4 address, or the /64 of an IPv6 one (the
/// narrowest of [`networks`]).
pub fn address_key(ip: IpAddr) -> String {
    networks(ip).swap_remove(0).0
}

/// The widest network of an address one party plausibly holds whole: an IPv4 /24, an IPv6 /48.
pub fn wide_network(ip: IpAddr) -> String {
    match unmapped(ip) {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => prefix(v6, 48),
    }
}

fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// `2001:db8:1:200::/56`: the first `bits` (a multiple of 8, at most 64) of `v6`.
fn prefix(v6: Ipv6Addr, bits: u32) -> String {
    let mask = u64::MAX << (64 - bits);
    let high = (u128::from(v6) >> 64) as u64 & mask;
    let s = Ipv6Addr::from(u128::from(high) << 64).segments();
    let shown = (bits as usize).div_ceil(16);
    let groups: Vec<String> = s[..shown].iter().map(|g| format!("{g:x}")).collect();
    format!("{}::/{bits}", groups.join(":"))
}

/// Who takes: where from (a client address, or a kiosk) and, for a phone with a session, who
/// holds the place taken.
#[derive(Clone, Copy, Debug)]
pub struct Taker<'a> {
    pub source: Source<'a>,
    pub holder: Option<Holder<'a>>,
}

/// A phone with a session that takes: its client id, and the place the take holds for it among
/// its places (a [`HeldPlace::Pending`] until its ticket is issued).
#[derive(Clone, Copy, Debug)]
pub struct Holder<'a> {
    pub client: &'a str,
    pub place: &'a HeldPlace,
}

/// A place a phone holds (what its tickets at once count): a ticket it was issued, or one being
/// issued. Kept as `queue/day/number` and `pending:<ms>:<id>`; read back only through
/// [`HeldPlace::parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeldPlace {
    /// A ticket of business day `day`.
    Ticket {
        queue: QueueId,
        day: DayId,
        number: u64,
    },
    /// A place taken at `since_ms` for a ticket being issued (`id`: this take's own).
    Pending { since_ms: u64, id: String },
    /// Anything else kept (an older version's `queue/number`): it holds no place.
    Unknown(String),
}

impl HeldPlace {
    /// What the held set keeps, read: a place that would not be kept exactly so is
    /// [`HeldPlace::Unknown`] (so releasing it removes what is kept).
    pub fn parse(raw: &str) -> Self {
        match Self::read(raw) {
            Some(place) if place.to_string() == raw => place,
            _ => Self::Unknown(raw.to_owned()),
        }
    }

    fn read(raw: &str) -> Option<Self> {
        if let Some(rest) = raw.strip_prefix("pending:") {
            let (since_ms, id) = rest.split_once(':')?;
            return Some(Self::Pending {
                since_ms: since_ms.parse().ok()?,
                id: id.to_owned(),
            });
        }
        let mut parts = raw.splitn(3, '/');
        let (queue, day, number) = (parts.next()?, parts.next()?, parts.next()?);
        Some(Self::Ticket {
            queue: QueueId::parse(queue).ok()?,
            day: DayId::parse(day)?,
            number: number.parse().ok()?,
        })
    }
}

impl std::fmt::Display for HeldPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ticket { queue, day, number } => write!(f, "{queue}/{day}/{number}"),
            Self::Pending { since_ms, id } => write!(f, "pending:{since_ms}:{id}"),
            Self::Unknown(raw) => f.write_str(raw),
        }
    }
}

/// Where a take comes from; each has its own count.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// A client address: counted in each of its [`networks`].
    Network(IpAddr),
    /// A phone (E.164), for a take by SMS or a call.
    Phone(&'a str),
    /// A kiosk, by its id.
    Kiosk(&'a str),
    /// Verification SMS to one number (E.164).
    SmsTo(&'a str),
    /// Verification SMS asked for from one client address: counted in each of its [`networks`].
    SmsFrom(IpAddr),
    /// Verification SMS asked for from one [`wide_network`]: its share of the hour's SMS.
    SmsShare(IpAddr),
    /// Verification SMS in all.
    SmsAll,
    /// Registrations of one number (E.164).
    RegisterTo(&'a str),
    /// Registrations asked for from one client address: counted in each of its [`networks`].
    RegisterFrom(IpAddr),
    /// Call codes keyed in by one calling number (E.164).
    CodeTries(&'a str),
    /// Tickets taken by phone, in all.
    PhoneJoins,
    /// Messages of one LINE user answered (what is kept of its id: an HMAC).
    LineUser(&'a str),
}

/// How many takes a window allows.
#[derive(Clone, Copy, Debug)]
pub struct TakeLimits {
    pub window: Duration,
    pub per_source: u32,
    pub per_client: u32,
    /// Tickets one client may hold at once.
    pub active: u32,
}

/// Which limit refused a take; `retry_after_s`: when its window ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitReached {
    Source { retry_after_s: u64 },
    Client { retry_after_s: u64 },
    Active,
}

impl Taker<'_> {
    /// The keys the source counts in, each with how many times the source's limit it allows.
    fn sources(&self) -> Vec<(String, u32)> {
        let one = |key: String| vec![(key, 1)];
        match self.source {
            Source::Network(ip) => networks(ip)
                .into_iter()
                .map(|(network, times)| (keys::address_takes(&network), times))
                .collect(),
            Source::Phone(phone) => one(keys::address_takes(&format!("phone:{phone}"))),
            Source::Kiosk(kiosk) => one(keys::kiosk_takes(kiosk)),
            Source::SmsTo(phone) => one(keys::sms_takes(&format!("to:{phone}"))),
            Source::SmsFrom(ip) => networks(ip)
                .into_iter()
                .map(|(network, times)| (keys::sms_takes(&format!("from:{network}")), times))
                .collect(),
            Source::SmsShare(ip) => one(keys::sms_takes(&format!("share:{}", wide_network(ip)))),
            Source::SmsAll => one(keys::sms_takes("all")),
            Source::RegisterTo(phone) => one(keys::registration_takes(&format!("to:{phone}"))),
            Source::RegisterFrom(ip) => networks(ip)
                .into_iter()
                .map(|(network, times)| {
                    (keys::registration_takes(&format!("from:{network}")), times)
                })
                .collect(),
            Source::CodeTries(phone) => one(keys::code_tries(phone)),
            Source::PhoneJoins => one(keys::PHONE_JOINS.to_owned()),
            Source::LineUser(hash) => one(keys::line_takes(hash)),
        }
    }

    /// The scripts' `HOLDER` keys: the client's count and what it holds (none without a holder).
    fn holder_keys(&self) -> Vec<String> {
        self.holder
            .map(|h| vec![keys::client_takes(h.client), keys::client_held(h.client)])
            .unwrap_or_default()
    }
}

/// The store's places taken under the limits: a handle on [`Store`], from [`Store::places`].
#[derive(Clone)]
pub struct Places {
    store: Store,
}

impl Places {
    pub(super) fn of(store: Store) -> Self {
        Self { store }
    }

    /// The places `client` holds.
    pub async fn held(&self, client: &str) -> Result<Vec<HeldPlace>, StoreError> {
        let mut conn = self.store.conn.clone();
        let raw: Vec<String> = conn.smembers(keys::client_held(client)).await?;
        Ok(raw.iter().map(|place| HeldPlace::parse(place)).collect())
    }

    /// Takes a place within every limit, kept among the holder's places (if any) after releasing
    /// `release` (its places that no longer count); or answers which limit refused and takes
    /// nothing.
    pub async fn take_place(
        &self,
        taker: Taker<'_>,
        limits: TakeLimits,
        release: &[HeldPlace],
    ) -> Result<Option<LimitReached>, StoreError> {
        let sources = taker.sources();
        let call = TakeArgs {
            sources: sources.iter().map(|(key, _)| key.clone()).collect(),
            holder: taker.holder_keys(),
            window: limits.window.as_secs().max(1),
            max_client: limits.per_client.into(),
            max_active: limits.active.into(),
            reservation: reservation_of(&taker),
            source_max: sources
                .iter()
                .map(|(_, times)| limits.per_source.saturating_mul(*times).to_string())
                .collect(),
            release: release.iter().map(ToString::to_string).collect(),
        };
        let mut conn = self.store.conn.clone();
        let reply: Vec<Value> = call
            .invocation(&self.store.scripts)
            .invoke_async(&mut conn)
            .await?;
        let super::replies::Taken(reached) = super::replies::decode(reply)?;
        Ok(reached)
    }

    /// The ticket of `holder`'s place was issued: it now holds `ticket` (a [`HeldPlace::Ticket`]).
    pub async fn settle_place(
        &self,
        holder: Holder<'_>,
        ticket: &HeldPlace,
    ) -> Result<(), StoreError> {
        let key = keys::client_held(holder.client);
        let mut conn = self.store.conn.clone();
        let _: () = redis::pipe()
            .atomic()
            .srem(&key, holder.place.to_string())
            .ignore()
            .sadd(&key, ticket.to_string())
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The ticket (or SMS) `taker` took a place for was not issued: the place is given back.
    pub async fn give_back_place(&self, taker: Taker<'_>) -> Result<(), StoreError> {
        let sources = taker.sources();
        let call = GiveBackArgs {
            sources: sources.into_iter().map(|(key, _)| key).collect(),
            holder: taker.holder_keys(),
            reservation: reservation_of(&taker),
        };
        let mut conn = self.store.conn.clone();
        let _: Value = call
            .invocation(&self.store.scripts)
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }
}

/// The place a take keeps among its holder's ('': it has none).
fn reservation_of(taker: &Taker<'_>) -> String {
    taker
        .holder
        .map(|h| h.place.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(ip: &str) -> Vec<(String, u32)> {
        networks(ip.parse().unwrap())
    }

    #[test]
    fn held_places_read_back_as_kept_and_anything_else_is_unknown() {
        let ticket = HeldPlace::Ticket {
            queue: QueueId::parse("kaikei").unwrap(),
            day: DayId::parse("2026-11-25.2").unwrap(),
            number: 42,
        };
        assert_eq!(ticket.to_string(), "kaikei/2026-11-25.2/42");
        assert_eq!(HeldPlace::parse("kaikei/2026-11-25.2/42"), ticket);
        let pending = HeldPlace::Pending {
            since_ms: 1_764_000_000_000,
            id: "0123abcd".into(),
        };
        assert_eq!(pending.to_string(), "pending:1764000000000:0123abcd");
        assert_eq!(HeldPlace::parse(&pending.to_string()), pending);
        for other in [
            "kaikei/42",
            "kaikei/2026-11-25/007",
            "kaikei/yesterday/42",
            "../x/2026-11-25/42",
            "pending:soon:x",
            "pending:12",
            "",
        ] {
            let place = HeldPlace::parse(other);
            assert_eq!(place, HeldPlace::Unknown(other.to_owned()), "{other}");
            assert_eq!(place.to_string(), other, "released as kept");
        }
    }

    #[test]
    fn an_ipv4_address_counts_alone() {
        assert_eq!(of("203.0.113.7"), [("203.0.113.7".to_owned(), 1)]);
        assert_eq!(of("::ffff:203.0.113.7"), of("203.0.113.7"));
        assert_eq!(
            wide_network("203.0.113.7".parse().unwrap()),
            "203.0.113.0/24"
        );
    }

    #[test]
    fn an_ipv6_address_counts_in_its_64_56_and_48() {
        let networks = of("2001:db8:1:2ab:ffff:1:2:3");
        assert_eq!(
            networks,
            [
                ("2001:db8:1:2ab::/64".to_owned(), 1),
                ("2001:db8:1:200::/56".to_owned(), 2),
                ("2001:db8:1::/48".to_owned(), 4),
            ]
        );
        assert_eq!(
            address_key("2001:db8:1:2ab::1".parse().unwrap()),
            "2001:db8:1:2ab::/64"
        );
        // another /64 of the same /56 shares the /56 and the /48
        let neighbour = of("2001:db8:1:2cd::1");
        assert_ne!(neighbour[0], networks[0]);
        assert_eq!(neighbour[1..], networks[1..]);
        // another /56 of the same /48 shares only the /48
        let cousin = of("2001:db8:1:3ab::1");
        assert_ne!(cousin[1], networks[1]);
        assert_eq!(cousin[2], networks[2]);
        assert_eq!(
            wide_network("2001:db8:1:2ab::1".parse().unwrap()),
            "2001:db8:1::/48"
        );
    }
}
