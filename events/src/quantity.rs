//! Exact decimal quantities for indicator baselines, targets and reported values.
//!
//! Indicator values are counts of people, amounts of money, shares of a population: they must add
//! up and compare exactly, so they are never `f64`. A [`Quantity`] holds a canonical decimal string
//! (`-12.5`, `0`, `1500`) and is always serialised as a JSON string. It can be read from a JSON
//! string or a JSON number, so API clients may send `1500` or `"1500"`.
//!
//! serde_json hands us JSON numbers with a fraction as `f64` (the workspace does not enable its
//! `arbitrary_precision` feature). An `f64` carries 15 significant decimal digits faithfully, so a
//! number with more significant digits than that is refused with a hint to send a string instead.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An exact decimal number in canonical form: an optional `-`, an integer part without leading
/// zeros, and a fraction without trailing zeros (`1.50` becomes `1.5`, `-0` becomes `0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Quantity(String);

/// Why a text or number is not a [`Quantity`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Only plain decimals are accepted: digits, at most one `.`, an optional leading `-`.
    #[error(
        "`{0}` is not a decimal number: write digits with an optional '-' and '.', e.g. 1500 or -12.5"
    )]
    NotDecimal(String),
    /// More digits than a quantity may hold.
    #[error("`{0}` has more than {max} digits", max = Quantity::MAX_DIGITS)]
    TooLong(String),
    /// A JSON number that an `f64` cannot carry exactly (NaN, infinities, or too many digits).
    #[error("{0} cannot be carried exactly as a JSON number: send it as a decimal string instead")]
    Imprecise(String),
}

impl Quantity {
    /// The most digits (integer and fraction together) a quantity may have.
    pub const MAX_DIGITS: usize = 30;

    /// Significant digits an `f64` is guaranteed to round-trip.
    const F64_DIGITS: usize = 15;

    /// Parses a plain decimal such as `1500`, `-12.50` or `0.25` into canonical form.
    ///
    /// Exponents (`1e3`), `NaN`, infinities, a leading `+`, whitespace and a bare `.5` or `5.` are
    /// refused: each has a clearer spelling, and accepting one spelling keeps stored data uniform.
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        let not_decimal = || QuantityError::NotDecimal(text.to_owned());
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (integer, fraction) = match unsigned.split_once('.') {
            Some((integer, fraction)) if !fraction.is_empty() => (integer, fraction),
            Some(_) => return Err(not_decimal()),
            None => (unsigned, ""),
        };
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if integer.is_empty() || !all_digits(integer) || !all_digits(fraction) {
            return Err(not_decimal());
        }
        if integer.len() + fraction.len() > Self::MAX_DIGITS {
            return Err(QuantityError::TooLong(text.to_owned()));
        }
        let integer = integer.trim_start_matches('0');
        let fraction = fraction.trim_end_matches('0');
        let mut canonical = String::with_capacity(text.len() + 1);
        if negative && !(integer.is_empty() && fraction.is_empty()) {
            canonical.push('-');
        }
        canonical.push_str(if integer.is_empty() { "0" } else { integer });
        if !fraction.is_empty() {
            canonical.push('.');
            canonical.push_str(fraction);
        }
        Ok(Self(canonical))
    }

    /// Converts a JSON number that arrived as a float, refusing what a float cannot carry exactly.
    pub fn from_f64(value: f64) -> Result<Self, QuantityError> {
        if !value.is_finite() {
            return Err(QuantityError::Imprecise(value.to_string()));
        }
        // `Display` for f64 prints the shortest decimal that reads back as the same float, and never
        // uses exponent notation, so it is the decimal the client most likely wrote.
        let text = value.to_string();
        let significant = text
            .bytes()
            .filter(u8::is_ascii_digit)
            .skip_while(|b| *b == b'0')
            .count();
        if significant > Self::F64_DIGITS {
            return Err(QuantityError::Imprecise(text));
        }
        Self::parse(&text)
    }

    /// The canonical decimal text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(QuantityVisitor)
    }
}

struct QuantityVisitor;

impl Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a decimal number or a decimal string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Quantity, E> {
        Quantity::parse(value).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Quantity, E> {
        Quantity::parse(&value.to_string()).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Quantity, E> {
        Quantity::parse(&value.to_string()).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Quantity, E> {
        Quantity::from_f64(value).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> Result<String, QuantityError> {
        Quantity::parse(text).map(|quantity| quantity.as_str().to_owned())
    }

    #[test]
    fn decimals_are_stored_in_canonical_form() {
        for (given, expected) in [
            ("1500", "1500"),
            ("0", "0"),
            ("-0", "0"),
            ("-0.000", "0"),
            ("007", "7"),
            ("1.50", "1.5"),
            ("-12.25", "-12.25"),
            ("0.001", "0.001"),
        ] {
            assert_eq!(canonical(given).as_deref(), Ok(expected), "{given}");
        }
    }

    #[test]
    fn exponents_signs_and_bare_points_are_refused() {
        for bad in [
            "", "-", "+1", "1e3", "1E3", "NaN", "inf", ".5", "5.", "1.2.3", " 1", "1 ", "1,5",
            "0x10",
        ] {
            assert_eq!(
                Quantity::parse(bad),
                Err(QuantityError::NotDecimal(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn more_than_thirty_digits_are_refused() {
        let thirty = "1".repeat(30);
        assert!(Quantity::parse(&thirty).is_ok());
        let long = format!("{thirty}.5");
        assert_eq!(Quantity::parse(&long), Err(QuantityError::TooLong(long)));
    }

    #[test]
    fn json_numbers_and_strings_are_both_accepted() {
        let from = |json: &str| serde_json::from_str::<Quantity>(json).map(|q| q.0);
        assert_eq!(from("1500").ok().as_deref(), Some("1500"));
        assert_eq!(from("-3").ok().as_deref(), Some("-3"));
        assert_eq!(from("0.1").ok().as_deref(), Some("0.1"));
        assert_eq!(from("12.50").ok().as_deref(), Some("12.5"));
        assert_eq!(from("\"12.50\"").ok().as_deref(), Some("12.5"));
        assert_eq!(from("1e3").ok().as_deref(), Some("1000"));
        assert!(from("\"1e3\"").is_err());
        assert!(from("0.12345678901234567").is_err());
        assert!(from("null").is_err());
        assert!(from("true").is_err());
    }

    #[test]
    fn quantities_serialise_as_strings() {
        let quantity = Quantity::parse("42.0").ok();
        assert_eq!(
            serde_json::to_string(&quantity).ok().as_deref(),
            Some("\"42\"")
        );
    }
}
