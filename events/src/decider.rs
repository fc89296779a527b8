//! The shape every stream's domain logic takes: decide, then evolve.
//!
//! `decide` turns a command into new events, or refuses it, looking only at the stream's state and
//! the [`Context`]; `evolve` applies one event to the state and holds no rules, because an event
//! is a fact that already happened (STYLE.md point 2). The service loads a stream, folds it with
//! `evolve`, calls `decide` and appends what it returns with the stream's version as the expected
//! version, so a concurrent writer makes the append fail instead of breaking a rule.

use crate::context::Context;
use crate::error::DomainError;

/// A stream kind's state, commands and events, tied together by its two pure functions.
pub trait Decider: Default {
    /// What may be asked of the stream.
    type Command;
    /// What the stream records.
    type Event;

    /// Decides what happens when `command` is asked of a stream in this state.
    ///
    /// Deterministic: the same state, command and context always give the same answer.
    fn decide(
        &self,
        command: Self::Command,
        context: &Context<'_>,
    ) -> Result<Vec<Self::Event>, DomainError>;

    /// Applies one recorded event. Never refuses: every rule was checked when it was decided.
    fn evolve(self, event: &Self::Event) -> Self;

    /// The state after `events`, from the empty stream.
    fn fold<'e>(events: impl IntoIterator<Item = &'e Self::Event>) -> Self
    where
        Self::Event: 'e,
    {
        events.into_iter().fold(Self::default(), Self::evolve)
    }
}
