//! Identifiers and small values, parsed at the edge.
//!
//! Every type here can only be built through `parse`/`TryFrom`, so an invalid mechanism slug, GCM
//! objective number, SDG target code or percentage cannot exist past the HTTP layer. Serde goes
//! through the same parsers (`try_from`), so a stored or submitted value is checked the same way.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a value could not be parsed into one of the identifier types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A slug must be 2–64 characters of `a-z`, `0-9`, `-` and `.`, starting with a letter or digit.
    #[error(
        "`{0}` is not a valid slug: use 2 to 64 lower-case letters, digits, '-' or '.', starting with a letter or digit"
    )]
    Slug(String),
    /// GCM objectives are numbered 1 to 23.
    #[error("GCM objective {0} does not exist: objectives are numbered 1 to 23")]
    Objective(i64),
    /// SDG targets are written `<goal>.<target>`, e.g. `10.7` or `10.c`.
    #[error("`{0}` is not an SDG target code: write it as goal.target, e.g. 10.7 or 10.c")]
    SdgTarget(String),
    /// Percentages are whole numbers from 0 to 100.
    #[error("{0} is not a percentage: use a whole number from 0 to 100")]
    Percent(i64),
    /// Commitment ids are UUIDs.
    #[error("`{0}` is not a commitment id: commitment ids are UUIDs")]
    CommitmentId(String),
}

fn is_slug(value: &str) -> bool {
    let bytes = value.as_bytes();
    (2..=64).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'.')
}

macro_rules! slug_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses a slug: 2–64 characters of `a-z`, `0-9`, `-` and `.`.
            pub fn parse(value: &str) -> Result<Self, ParseError> {
                if is_slug(value) {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(ParseError::Slug(value.to_owned()))
                }
            }

            /// The slug as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_type!(
    /// A mechanism's slug, e.g. `bali-process`.
    MechanismId
);
slug_type!(
    /// A recommendation's slug, e.g. `grcp7-6.1`.
    RecommendationId
);
slug_type!(
    /// A review point's slug, e.g. `imrf-2022`.
    ReviewPointId
);

/// A commitment's identity: a UUID chosen by the server when the commitment is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommitmentId(Uuid);

impl CommitmentId {
    /// Wraps a UUID.
    pub fn new(id: Uuid) -> Self {
        Self(id)
    }

    /// Parses the textual form of a UUID.
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        Uuid::parse_str(value)
            .map(Self)
            .map_err(|_| ParseError::CommitmentId(value.to_owned()))
    }

    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for CommitmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A GCM objective number, 1 to 23 (A/RES/73/195 para 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct ObjectiveNumber(u8);

impl ObjectiveNumber {
    /// The number of GCM objectives.
    pub const COUNT: u8 = 23;

    /// Parses an objective number, accepting only 1 to 23.
    pub fn new(number: i64) -> Result<Self, ParseError> {
        match u8::try_from(number) {
            Ok(n) if (1..=Self::COUNT).contains(&n) => Ok(Self(n)),
            _ => Err(ParseError::Objective(number)),
        }
    }

    /// The number as an integer.
    pub fn get(self) -> u8 {
        self.0
    }

    /// All 23 objective numbers in order.
    pub fn all() -> impl Iterator<Item = Self> {
        (1..=Self::COUNT).map(Self)
    }
}

impl TryFrom<i64> for ObjectiveNumber {
    type Error = ParseError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ObjectiveNumber> for u8 {
    fn from(value: ObjectiveNumber) -> Self {
        value.0
    }
}

impl fmt::Display for ObjectiveNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An SDG target code such as `10.7` or `10.c` (goal 1–17, then a number or a letter).
///
/// Whether the target exists is a catalogue question; this type only guarantees the shape.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SdgTargetCode(String);

impl SdgTargetCode {
    /// Parses `<goal>.<target>` where goal is 1–17 and target is 1–99 or a single letter a–z.
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        let invalid = || ParseError::SdgTarget(value.to_owned());
        let (goal, target) = value.split_once('.').ok_or_else(invalid)?;
        let goal_ok =
            !goal.starts_with('0') && goal.parse::<u8>().is_ok_and(|g| (1..=17).contains(&g));
        let target_ok = match target.as_bytes() {
            [letter] if letter.is_ascii_lowercase() => true,
            digits => {
                !digits.is_empty()
                    && digits.len() <= 2
                    && digits[0] != b'0'
                    && digits.iter().all(u8::is_ascii_digit)
            }
        };
        if goal_ok && target_ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(invalid())
        }
    }

    /// The code as text, e.g. `10.7`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The goal number, e.g. 10 for `10.7`.
    pub fn goal(&self) -> u8 {
        self.0
            .split_once('.')
            .and_then(|(goal, _)| goal.parse().ok())
            .unwrap_or_default()
    }
}

impl TryFrom<String> for SdgTargetCode {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SdgTargetCode> for String {
    fn from(value: SdgTargetCode) -> Self {
        value.0
    }
}

impl fmt::Display for SdgTargetCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A whole-number percentage, 0 to 100. Never a float: progress must add up exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Percent(u8);

impl Percent {
    /// Parses a percentage, accepting only 0 to 100.
    pub fn new(value: i64) -> Result<Self, ParseError> {
        match u8::try_from(value) {
            Ok(p) if p <= 100 => Ok(Self(p)),
            _ => Err(ParseError::Percent(value)),
        }
    }

    /// The percentage as an integer.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Percent {
    type Error = ParseError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Percent> for u8 {
    fn from(value: Percent) -> Self {
        value.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_lowercase_digits_dashes_and_dots() {
        assert!(MechanismId::parse("bali-process").is_ok());
        assert!(RecommendationId::parse("grcp7-6.1").is_ok());
        for bad in ["", "a", "Bali", "-bali", "bali process", "bali_process"] {
            assert_eq!(
                MechanismId::parse(bad),
                Err(ParseError::Slug(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn objectives_are_one_to_twenty_three() {
        assert_eq!(ObjectiveNumber::new(1).map(ObjectiveNumber::get), Ok(1));
        assert_eq!(ObjectiveNumber::new(23).map(ObjectiveNumber::get), Ok(23));
        assert_eq!(ObjectiveNumber::new(0), Err(ParseError::Objective(0)));
        assert_eq!(ObjectiveNumber::new(24), Err(ParseError::Objective(24)));
        assert_eq!(ObjectiveNumber::new(-1), Err(ParseError::Objective(-1)));
        assert_eq!(ObjectiveNumber::all().count(), 23);
    }

    #[test]
    fn sdg_target_codes_have_goal_dot_target_shape() {
        for good in ["10.7", "10.c", "1.3", "17.18", "3.c"] {
            assert!(SdgTargetCode::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "10", "10.", ".7", "18.1", "0.1", "10.07", "10.C", "10.7.1", "10.ab",
        ] {
            assert!(SdgTargetCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(SdgTargetCode::parse("10.c").map(|c| c.goal()), Ok(10));
    }

    #[test]
    fn percentages_are_whole_numbers_zero_to_hundred() {
        assert_eq!(Percent::new(0).map(Percent::get), Ok(0));
        assert_eq!(Percent::new(100).map(Percent::get), Ok(100));
        assert_eq!(Percent::new(101), Err(ParseError::Percent(101)));
        assert_eq!(Percent::new(-5), Err(ParseError::Percent(-5)));
    }

    #[test]
    fn serde_goes_through_the_parsers() {
        assert!(serde_json::from_str::<ObjectiveNumber>("24").is_err());
        assert!(serde_json::from_str::<Percent>("100").is_ok());
        assert!(serde_json::from_str::<Percent>("50.5").is_err());
        assert!(serde_json::from_str::<MechanismId>("\"Bad Slug\"").is_err());
    }
}
