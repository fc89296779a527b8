//! Binding parameters, and the SQL fragments that several queries share.
//!
//! Both backends take numbered placeholders (`$1`) through sqlx's `Any` driver. The list, progress
//! and timeline queries are put together from shared fragments (a row's visibility on both clocks,
//! the [`Filter`](super::Filter), a commitment's latest report), so rather than each fragment
//! owning fixed numbers, [`Params`] hands out the next number as each value is bound and the
//! fragment writes the placeholder it was given. A value used in several places (the known
//! position) is bound once and its placeholder repeated; a query binds exactly the values it
//! uses. Only placeholders are ever formatted into SQL, never values.
//!
//! A query written as one constant statement (the directory lists, a commitment's reports) binds
//! its values in order with sqlx's own `bind`, as any single statement would.

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use time::Date;

use super::Clock;

/// The values of a query being put together, in placeholder order.
#[derive(Debug, Default)]
pub(super) struct Params {
    values: Vec<Value>,
}

/// A value to bind: the read models store dates and ids as text and positions as integers.
#[derive(Debug)]
pub(super) enum Value {
    /// A position, a basis code, a limit.
    Integer(i64),
    /// Text, or SQL `null`.
    Text(Option<String>),
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Self::Integer(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Self::Text(Some(value))
    }
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Self {
        Self::Text(value)
    }
}

impl Params {
    /// Appends `value` and returns its placeholder, `$n`.
    pub(super) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// `sql`, written with this builder's placeholders, with every value bound.
    pub(super) fn query(self, sql: &str) -> Query<'_, Any, AnyArguments<'_>> {
        self.values
            .into_iter()
            .fold(sqlx::query(sql), |query, value| match value {
                Value::Integer(value) => query.bind(value),
                Value::Text(value) => query.bind(value),
            })
    }
}

/// Row `alias` of a table versioned on the known axis is visible at position `known`.
pub(super) fn known_at(alias: &str, known: &str) -> String {
    format!(
        "{alias}.known_from <= {known} and ({alias}.known_to is null or {alias}.known_to > {known})"
    )
}

/// A question's point on both clocks, bound: the known position's placeholder, which the other
/// fragments of the query use too, and the condition that status row `s` is visible there.
pub(super) struct Visible {
    /// The placeholder of `clock.known`.
    pub(super) known: String,
    /// Status row `s` is on the clock's basis, known at its position and valid on its `as_of`.
    pub(super) status: String,
}

impl Visible {
    /// Binds `clock`'s basis, known position and effective date.
    pub(super) fn bind(params: &mut Params, clock: &Clock) -> Self {
        let basis = params.bind(clock.basis.code());
        let known = params.bind(clock.known);
        let as_of = params.bind(clock.as_of.to_string());
        let status = format!(
            "s.basis = {basis}
             and {}
             and s.valid_from <= {as_of} and (s.valid_to is null or s.valid_to > {as_of})",
            known_at("s", &known)
        );
        Self { known, status }
    }
}

/// The day of status row `s`'s commitment's latest non-retracted report recorded by
/// `reference_day`, as known at `known` (an expression; `null` if there is none).
pub(super) fn last_report(params: &mut Params, known: &str, reference_day: Date) -> String {
    let reference_day = params.bind(reference_day.to_string());
    format!(
        "(select max(r.recorded_on) from progress_reports r
          where r.commitment_id = s.commitment_id
            and r.position <= {known}
            and (r.retracted_position is null or r.retracted_position > {known})
            and r.recorded_on <= {reference_day})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_the_order_values_are_bound() {
        let mut params = Params::default();
        assert_eq!(params.bind(7), "$1");
        assert_eq!(params.bind("x".to_owned()), "$2");
        assert_eq!(params.bind(None::<String>), "$3");
        assert_eq!(params.values.len(), 3);
    }

    #[test]
    fn fragments_use_the_placeholders_they_are_given() {
        assert_eq!(
            known_at("v", "$2"),
            "v.known_from <= $2 and (v.known_to is null or v.known_to > $2)"
        );
        let mut params = Params::default();
        let known = params.bind(5);
        let last = last_report(&mut params, &known, time::macros::date!(2024 - 01 - 01));
        assert!(last.contains("r.position <= $1") && last.contains("r.recorded_on <= $2"));
    }
}
