//! The store's devices: staff set a kiosk up from the console, the door admits it by its
//! credential, and the console lists and revokes them. (A kiosk's issuing, within its own limit,
//! is intake's: `issue.rs`.)

use super::{random_token, ServiceError};
use crate::calendar::Calendar;
use crate::kiosk::{kiosk_name, Kiosk, KioskCredential};
use crate::problem::Problem;
use crate::secret::sha256_hex;
use crate::store::{self, Store};

/// The kiosks one installation keeps at most (each is set up by staff, by hand).
pub const MAX_KIOSKS: usize = 100;

/// A kiosk that showed its credential.
#[derive(Clone, Debug)]
pub struct KioskDevice {
    id: String,
}

impl KioskDevice {
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The devices of the installation, holding only what they need: the store and the clock.
/// Handed out by [`super::WaitingRoom::devices`].
#[derive(Clone)]
pub struct Devices {
    kiosks: store::Kiosks,
    calendar: Calendar,
}

impl Devices {
    pub(super) fn new(store: &Store, calendar: Calendar) -> Self {
        Self {
            kiosks: store.kiosks(),
            calendar,
        }
    }

    /// Makes a new kiosk named `name`: answers it and the credential its device keeps.
    pub async fn set_up_kiosk(&self, name: &str) -> Result<(Kiosk, KioskCredential), ServiceError> {
        let name = kiosk_name(name).map_err(|_| Problem::BadKioskName)?;
        if self.kiosks.kiosks().await?.len() >= MAX_KIOSKS {
            return Err(Problem::TooManyKiosks { max: MAX_KIOSKS }.into());
        }
        let credential = KioskCredential::new(random_token(), random_token());
        let kiosk = Kiosk {
            id: credential.id().to_owned(),
            name,
            created_at: self.calendar.now().now_ms,
            last_seen_at: None,
        };
        self.kiosks
            .add_kiosk(&kiosk, &sha256_hex(credential.secret()))
            .await?;
        tracing::info!(kiosk = %kiosk.id, name = %kiosk.name, "kiosk set up");
        Ok((kiosk, credential))
    }

    /// The kiosk whose credential (its cookie) is `raw`, noted as seen now; refused unless the
    /// kiosk exists and the secret is its own.
    pub async fn admit_kiosk(&self, raw: Option<&str>) -> Result<KioskDevice, ServiceError> {
        let credential = raw
            .and_then(|raw| KioskCredential::parse(raw).ok())
            .ok_or(Problem::NotAKiosk)?;
        let stored = self
            .kiosks
            .kiosk_secret_sha256(credential.id())
            .await?
            .ok_or(Problem::NotAKiosk)?;
        if !crate::secret::constant_time_eq(
            stored.as_bytes(),
            sha256_hex(credential.secret()).as_bytes(),
        ) {
            tracing::warn!(kiosk = %credential.id(), "a kiosk credential with a wrong secret");
            return Err(Problem::NotAKiosk.into());
        }
        let now_ms = self.calendar.now().now_ms;
        self.kiosks.kiosk_seen(credential.id(), now_ms).await?;
        Ok(KioskDevice {
            id: credential.id().to_owned(),
        })
    }

    pub async fn kiosks(&self) -> Result<Vec<Kiosk>, ServiceError> {
        Ok(self.kiosks.kiosks().await?)
    }

    /// Ends kiosk `id`: its device can no longer issue, and is told how to be set up again.
    pub async fn revoke_kiosk(&self, id: &str) -> Result<(), ServiceError> {
        if self.kiosks.remove_kiosk(id).await? {
            tracing::info!(kiosk = %id, "kiosk revoked");
            Ok(())
        } else {
            Err(Problem::KioskNotFound.into())
        }
    }
}
