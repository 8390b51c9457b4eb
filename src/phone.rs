//! What a phone number is by Google's libphonenumber metadata (the `phonenumber` crate): its
//! region and its type, and so whether texts or calls may go to it. Server only: the metadata
//! stays out of the browser's bundles. The numbers themselves are the domain's
//! (`domain::phone`).

pub use domain::phone::*;

/// What the metadata says of a number (import it to call these on a [`PhoneNumber`]).
pub trait PhoneRules {
    /// The region (ISO 3166 code) the number belongs to: `JM` for +1 876, `IM` for +44 7624,
    /// `None` when no region's numbers look like it.
    fn region(&self) -> Option<&'static str>;
    /// Refused unless texts may go to the number: in a region of `allowed`, and a mobile (or a
    /// number the metadata cannot tell from a landline, as in the US and Canada).
    fn check_texts(&self, allowed: &[String]) -> Result<(), BadPhone>;
    /// Refused unless calls may go to the number: in a region of `allowed`, and a mobile, a
    /// landline or an IP phone (Japan's 050); never premium-rate, shared-cost, toll-free,
    /// personal, pager, UAN or voicemail numbers.
    fn check_calls(&self, allowed: &[String]) -> Result<(), BadPhone>;
}

impl PhoneRules for PhoneNumber {
    fn region(&self) -> Option<&'static str> {
        metadata(self).0
    }

    fn check_texts(&self, allowed: &[String]) -> Result<(), BadPhone> {
        use phonenumber::Type;
        let (region, kind) = metadata(self);
        check_region(self, region, allowed)?;
        match kind {
            Type::Mobile | Type::FixedLineOrMobile => Ok(()),
            _ => Err(BadPhone::NotMobile(self.masked())),
        }
    }

    fn check_calls(&self, allowed: &[String]) -> Result<(), BadPhone> {
        use phonenumber::Type;
        let (region, kind) = metadata(self);
        check_region(self, region, allowed)?;
        match kind {
            Type::Mobile | Type::FixedLine | Type::FixedLineOrMobile | Type::Voip => Ok(()),
            _ => Err(BadPhone::NotCallable(self.masked())),
        }
    }
}

/// Its region and type (`Unknown` for a number no region allocates).
fn metadata(phone: &PhoneNumber) -> (Option<&'static str>, phonenumber::Type) {
    use phonenumber::metadata::DATABASE;
    match phonenumber::parse(None, phone.as_str()) {
        Ok(number) => (
            number.metadata(&DATABASE).map(|m| m.id()),
            number.number_type(&DATABASE),
        ),
        Err(_) => (None, phonenumber::Type::Unknown),
    }
}

/// Whether `region` is one of `allowed` (ISO codes, e.g. `["JP"]`).
fn check_region(
    phone: &PhoneNumber,
    region: Option<&str>,
    allowed: &[String],
) -> Result<(), BadPhone> {
    match region {
        Some(region) if allowed.iter().any(|a| a.eq_ignore_ascii_case(region)) => Ok(()),
        _ => Err(BadPhone::CountryNotAllowed(phone.masked())),
    }
}

/// Whether `code` names a region of the phone-number metadata (ISO 3166: `JP`, `US`, `JM`...),
/// as `TWILIO_ALLOWED_COUNTRIES` lists them.
pub fn is_region(code: &str) -> bool {
    code.len() == 2 && phonenumber::metadata::DATABASE.by_id(code).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The allow-list as `TWILIO_ALLOWED_COUNTRIES` gives it.
    fn allowed(list: &str) -> Vec<String> {
        list.split(',').map(str::to_owned).collect()
    }

    #[test]
    fn the_region_is_the_numbers_not_its_calling_codes() {
        let region = |raw: &str| PhoneNumber::parse(raw).unwrap().region();
        assert_eq!(region("090-1234-5678"), Some("JP"));
        assert_eq!(region("03-1234-5678"), Some("JP"));
        assert_eq!(region("+1 415 867 5309"), Some("US"));
        assert_eq!(region("+1 416 555 0123"), Some("CA"));
        // the Caribbean shares +1, the Crown Dependencies +44
        assert_eq!(region("+1 876 210 1234"), Some("JM"));
        assert_eq!(region("+1 809 234 5678"), Some("DO"));
        assert_eq!(region("+44 7624 123456"), Some("IM"));
        assert_eq!(region("+44 7400 123456"), Some("GB"));
        assert_eq!(region("+1 555 555 5555"), None, "no region has it");

        let us_ca = allowed("US,CA");
        for caribbean in ["+1 876 210 1234", "+1 809 234 5678", "+1 268 464 1234"] {
            let phone = PhoneNumber::parse(caribbean).unwrap();
            assert!(matches!(
                phone.check_texts(&us_ca),
                Err(BadPhone::CountryNotAllowed(_))
            ));
            assert!(phone.check_calls(&us_ca).is_err(), "{caribbean}");
        }
        let isle_of_man = PhoneNumber::parse("+44 7624 123456").unwrap();
        assert!(isle_of_man.check_texts(&allowed("GB")).is_err());
        assert!(isle_of_man.check_calls(&allowed("GB")).is_err());
        assert!(isle_of_man.check_texts(&allowed("GB,IM")).is_ok());
        let us = PhoneNumber::parse("+1 415 867 5309").unwrap();
        assert!(us.check_texts(&allowed("JP")).is_err());
        assert!(
            us.check_texts(&us_ca).is_ok(),
            "the US cannot tell mobiles: texts go"
        );
        assert!(PhoneNumber::parse("+44 7400 123456")
            .unwrap()
            .check_texts(&allowed("GB"))
            .is_ok());
    }

    #[test]
    fn texts_go_to_mobiles_and_calls_to_ordinary_numbers_only() {
        let jp = allowed("jp");
        let check = |raw: &str| {
            let phone = PhoneNumber::parse(raw).unwrap();
            (
                phone.check_texts(&jp).is_ok(),
                phone.check_calls(&jp).is_ok(),
            )
        };
        for mobile in [
            "090-1234-5678",
            "080-5555-1234",
            "070-1234-5678",
            "060-1234-5678",
        ] {
            assert_eq!(check(mobile), (true, true), "{mobile}");
        }
        assert_eq!(check("03-1234-5678"), (false, true), "a Tokyo landline");
        assert_eq!(check("06-6123-4567"), (false, true), "an Osaka landline");
        assert_eq!(check("050-1234-5678"), (false, true), "an IP phone");
        assert_eq!(check("0120-123-456"), (false, false), "toll-free");
        assert_eq!(check("0570-123-456"), (false, false), "navi dial");
        assert_eq!(check("0990-123-456"), (false, false), "premium-rate");
        assert_eq!(check("020-1234-5678"), (false, false), "a pager");
        assert_eq!(check("090-0000-0001"), (false, false), "not allocated");
        let landline = PhoneNumber::parse("03-1234-5678").unwrap();
        assert_eq!(
            landline.check_texts(&jp),
            Err(BadPhone::NotMobile("03-****-5678".into()))
        );
        let gb = allowed("GB");
        let premium = PhoneNumber::parse("+44 909 876 5432").unwrap();
        assert!(matches!(
            premium.check_calls(&gb),
            Err(BadPhone::NotCallable(_))
        ));
        assert!(premium.check_texts(&gb).is_err());
        let personal = PhoneNumber::parse("+44 70 1234 5678").unwrap();
        assert!(personal.check_calls(&gb).is_err(), "UK personal numbers");
    }

    #[test]
    fn region_codes_are_the_metadatas() {
        for code in ["JP", "US", "CA", "GB", "IM", "JM", "KR", "CN", "TW", "HK"] {
            assert!(is_region(code), "{code}");
        }
        for code in ["XX", "001", "jp", "", "JPN"] {
            assert!(!is_region(code), "{code:?}");
        }
    }

    proptest::proptest! {
        /// Whatever a stored or typed number is, the metadata answers without a panic.
        #[test]
        fn any_number_gets_an_answer(digits in "[1-9][0-9]{7,14}") {
            if let Ok(phone) = PhoneNumber::parse(&format!("+{digits}")) {
                let _ = phone.check_texts(&allowed("JP,US,GB"));
                let _ = phone.check_calls(&allowed("JP,US,GB"));
            }
        }
    }
}
