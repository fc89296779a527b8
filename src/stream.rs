//! A stream's stored events as domain events, decoded and upcast from older schema versions.
//! Shared by the write path (which folds them) and the history reads (which show them).

use std::collections::HashMap;

use compact_events::commitment::CommitmentState;
use compact_events::decider::Decider;
use compact_events::event::Event;
use compact_events::event::commitment::CommitmentEvent;
use compact_events::stream::StreamId;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::store::{EventStore, RecordedEvent, StoreError};

/// Reads a stream and folds it into its state, returning the state and the stored events.
pub async fn load<D, S>(store: &S, stream: &StreamId) -> Result<(D, Vec<RecordedEvent>), StoreError>
where
    D: Decider,
    D::Event: TryFrom<Event>,
    S: EventStore,
{
    let recorded = store.read_stream(&stream.to_string(), 1).await?;
    let events = decode_all::<D::Event>(&recorded)?;
    Ok((D::fold(&events), recorded))
}

/// Decodes stored events into a stream's event type, upcasting old schema versions.
pub fn decode_all<E: TryFrom<Event>>(recorded: &[RecordedEvent]) -> Result<Vec<E>, StoreError> {
    recorded.iter().map(decode::<E>).collect()
}

/// Decodes one stored event; a failure means the log holds something this build cannot read.
pub fn decode<E: TryFrom<Event>>(recorded: &RecordedEvent) -> Result<E, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        position: recorded.position,
        reason,
    };
    let schema_version = u32::try_from(recorded.schema_version)
        .map_err(|_| corrupt("negative schema version".into()))?;
    let event = Event::from_stored(
        &recorded.event_type,
        schema_version,
        recorded.payload.clone(),
    )
    .map_err(|error| corrupt(error.to_string()))?;
    E::try_from(event).map_err(|_| {
        corrupt(format!(
            "a {} event in the wrong stream",
            recorded.event_type
        ))
    })
}

/// When each progress update of a commitment was recorded, by `seq` (`recorded` and `events` are
/// the stream's stored events and their decoded forms, in the same order).
pub fn report_recording_times(
    recorded: &[RecordedEvent],
    events: &[CommitmentEvent],
) -> HashMap<u32, OffsetDateTime> {
    recorded
        .iter()
        .zip(events)
        .filter_map(|(stored, event)| match event {
            CommitmentEvent::ProgressReported(report) => Some((report.seq, stored.recorded_at)),
            _ => None,
        })
        .collect()
}

/// The day the latest non-retracted update recorded by `reference_day` was recorded, which is
/// what reporting freshness is judged on (ARCHITECTURE.md "Reporting freshness").
pub fn latest_report_recorded_on(
    state: &CommitmentState,
    recorded_at: &HashMap<u32, OffsetDateTime>,
    reference_day: Date,
) -> Option<Date> {
    state
        .updates
        .iter()
        .filter(|update| update.retraction.is_none())
        .filter_map(|update| recorded_at.get(&update.report.seq))
        .map(|at| at.to_offset(UtcOffset::UTC).date())
        .filter(|day| *day <= reference_day)
        .max()
}
