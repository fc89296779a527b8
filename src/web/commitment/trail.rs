//! The audit trail of one commitment: every event with what it changed, in words.
//!
//! Each event is described against the state folded from the events before it, so a revision
//! shows each changed field as before → after, exactly as the log has it.

use compact_events::commitment::CommitmentState;
use compact_events::decider::Decider;
use compact_events::event::commitment::{Commitment, CommitmentEvent, Indicator};
use compact_events::ids::{ObjectiveNumber, RecommendationId, SdgTargetCode};

use crate::store::RecordedEvent;
use crate::web::i18n::Messages;
use crate::web::tables::EventLine;
use crate::web::view::Page;

/// One event of the trail.
#[derive(Debug, Clone)]
pub struct TrailRow {
    /// Position, time, type, actor, hash.
    pub line: EventLine,
    /// The fields it set or changed.
    pub changes: Vec<FieldChange>,
    /// The reason or note the event carries, if any.
    pub note: Option<String>,
    /// The request that wrote it.
    pub correlation_id: String,
}

/// A field an event set or changed.
#[derive(Debug, Clone)]
pub struct FieldChange {
    /// The field's name in the page's language.
    pub field: String,
    /// Its value before (revisions only).
    pub before: Option<String>,
    /// Its value after.
    pub after: String,
}

/// The trail of `recorded` (decoded as `events`), oldest first.
pub fn trail(page: &Page, recorded: &[RecordedEvent], events: &[CommitmentEvent]) -> Vec<TrailRow> {
    let mut state = CommitmentState::default();
    let mut rows = Vec::with_capacity(events.len());
    for (stored, event) in recorded.iter().zip(events) {
        let (changes, note) = describe(page.t, &state, event);
        rows.push(TrailRow {
            line: EventLine::new(page, stored),
            changes,
            note,
            correlation_id: stored.metadata.correlation_id.clone().unwrap_or_default(),
        });
        state = state.evolve(event);
    }
    rows
}

/// What `event` changed, against the state before it, and its reason or note.
fn describe(
    t: &Messages,
    before: &CommitmentState,
    event: &CommitmentEvent,
) -> (Vec<FieldChange>, Option<String>) {
    let set = |field: &str, after: String| FieldChange {
        field: field.to_owned(),
        before: None,
        after,
    };
    match event {
        CommitmentEvent::CommitmentMade(commitment) => (made(t, commitment), None),
        CommitmentEvent::CommitmentRevised { changes, reason } => {
            let Some(old) = &before.commitment else {
                return (Vec::new(), Some(reason.clone()));
            };
            let none = || t.none.to_owned();
            let mut list = Vec::new();
            let mut change = |field: &str, was: String, now: String| {
                list.push(FieldChange {
                    field: field.to_owned(),
                    before: Some(was),
                    after: now,
                });
            };
            if let Some(title) = &changes.title {
                change(t.title, old.title.clone(), title.clone());
            }
            if let Some(description) = &changes.description {
                change(t.description, old.description.clone(), description.clone());
            }
            if let Some(objectives) = &changes.gcm_objectives {
                change(
                    t.objectives,
                    objective_list(&old.gcm_objectives),
                    objective_list(objectives),
                );
            }
            if let Some(targets) = &changes.sdg_targets {
                change(
                    t.sdg_targets,
                    target_list(&old.sdg_targets),
                    target_list(targets),
                );
            }
            if let Some(recommendations) = &changes.recommendation_ids {
                change(
                    t.recommendations,
                    recommendation_list(&old.recommendation_ids),
                    recommendation_list(recommendations),
                );
            }
            if let Some(made_on) = changes.made_on {
                change(t.made_on, old.made_on.to_string(), made_on.to_string());
            }
            if let Some(due_date) = changes.due_date {
                change(
                    t.due_date,
                    old.due_date.map_or_else(none, |d| d.to_string()),
                    due_date.map_or_else(none, |d| d.to_string()),
                );
            }
            if let Some(indicator) = &changes.indicator {
                change(
                    t.indicator,
                    old.indicator
                        .as_ref()
                        .map_or_else(none, |i| indicator_text(t, i)),
                    indicator
                        .as_ref()
                        .map_or_else(none, |i| indicator_text(t, i)),
                );
            }
            (list, Some(reason.clone()))
        }
        CommitmentEvent::ProgressReported(report) => {
            let mut list = vec![
                set(t.seq, report.seq.to_string()),
                set(t.status, t.status(report.status.as_str()).to_owned()),
                set(t.effective_date, report.effective_date.to_string()),
            ];
            if let Some(percent) = report.percent_complete {
                list.push(set(t.percent, percent.get().to_string()));
            }
            if let Some(value) = &report.indicator_value {
                list.push(set(t.indicator_value, value.to_string()));
            }
            list.push(set(t.narrative, report.narrative.clone()));
            if !report.evidence_urls.is_empty() {
                list.push(set(t.evidence, report.evidence_urls.join(" ")));
            }
            (list, None)
        }
        CommitmentEvent::ProgressValidated(review) | CommitmentEvent::ProgressRejected(review) => {
            let note = (!review.note.is_empty()).then(|| review.note.clone());
            (vec![set(t.seq, review.seq.to_string())], note)
        }
        CommitmentEvent::ProgressRetracted { seq, reason } => {
            (vec![set(t.seq, seq.to_string())], Some(reason.clone()))
        }
        CommitmentEvent::CommitmentWithdrawn {
            reason,
            withdrawn_on,
        } => (
            vec![set(t.effective_date, withdrawn_on.to_string())],
            Some(reason.clone()),
        ),
    }
}

fn made(t: &Messages, commitment: &Commitment) -> Vec<FieldChange> {
    let set = |field: &str, after: String| FieldChange {
        field: field.to_owned(),
        before: None,
        after,
    };
    let mut list = vec![
        set(t.mechanism, commitment.mechanism_id.to_string()),
        set(t.title, commitment.title.clone()),
        set(t.description, commitment.description.clone()),
        set(t.objectives, objective_list(&commitment.gcm_objectives)),
        set(t.sdg_targets, target_list(&commitment.sdg_targets)),
        set(
            t.recommendations,
            recommendation_list(&commitment.recommendation_ids),
        ),
        set(t.made_on, commitment.made_on.to_string()),
    ];
    if let Some(due_date) = commitment.due_date {
        list.push(set(t.due_date, due_date.to_string()));
    }
    if let Some(indicator) = &commitment.indicator {
        list.push(set(t.indicator, indicator_text(t, indicator)));
    }
    list.retain(|change| !change.after.is_empty());
    list
}

/// `5, 18`.
pub fn objective_list(objectives: &[ObjectiveNumber]) -> String {
    objectives
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `10.7, 8.8`.
pub fn target_list(targets: &[SdgTargetCode]) -> String {
    targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn recommendation_list(recommendations: &[RecommendationId]) -> String {
    recommendations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Workers placed (people): baseline 0, target 5000`.
pub fn indicator_text(t: &Messages, indicator: &Indicator) -> String {
    let mut text = format!("{} ({})", indicator.name, indicator.unit);
    let mut parts = Vec::new();
    if let Some(baseline) = &indicator.baseline {
        parts.push(format!("{} {baseline}", t.baseline));
    }
    if let Some(target) = &indicator.target {
        parts.push(format!("{} {target}", t.target));
    }
    if !parts.is_empty() {
        text.push_str(": ");
        text.push_str(&parts.join(", "));
    }
    text
}
