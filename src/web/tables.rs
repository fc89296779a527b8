//! Rows of the tables several pages show: progress tallies, commitment lists and event feeds,
//! built from the read models and the store in the page's language.

use compact_events::commitment::query::CommitmentStatus;
use compact_events::freshness::Freshness;
use compact_events::stream::StreamId;
use compact_projections::query::{CommitmentRow, Tally};

use super::charts::{Bar, status_color_hex};
use super::i18n::{Messages, STATUSES};
use super::view::{Page, format_time};
use crate::csv::Csv;
use crate::store::RecordedEvent;

/// One row of a progress table: a group (objective, SDG target, mechanism or everything) and its
/// counts.
#[derive(Debug, Clone)]
pub struct TallyRow {
    /// The group's key: `5`, `10.7`, `bali-process`.
    pub key: String,
    /// Its name in the page's language.
    pub label: String,
    /// A longer description (an objective's or target's full title), or empty.
    pub detail: String,
    /// Its page.
    pub href: String,
    /// Commitments per status, in the order of `CommitmentStatus::ALL`.
    pub counts: [i64; 6],
    /// All commitments.
    pub total: i64,
    /// Mean percent complete to one decimal (as the API rounds it), or empty.
    pub mean_percent: String,
    /// Freshness counts: current, due, overdue.
    pub freshness: [i64; 3],
    /// Distinct mechanisms.
    pub mechanisms: i64,
}

impl TallyRow {
    /// A row from a read-model tally.
    pub fn new(key: String, label: String, href: String, tally: &Tally) -> Self {
        Self::described(key, label, String::new(), href, tally)
    }

    /// A row with a longer description under its name.
    pub fn described(
        key: String,
        label: String,
        detail: String,
        href: String,
        tally: &Tally,
    ) -> Self {
        let counts = CommitmentStatus::ALL
            .map(|status| tally.by_status.get(status.as_str()).copied().unwrap_or(0));
        let freshness =
            Freshness::ALL.map(|freshness| tally.freshness.get(&freshness).copied().unwrap_or(0));
        Self {
            key,
            label,
            detail,
            href,
            counts,
            total: tally.total(),
            mean_percent: tally
                .mean_percent()
                .map(|mean| format!("{:.1}", (mean * 10.0).round() / 10.0))
                .unwrap_or_default(),
            freshness,
            mechanisms: tally.mechanisms,
        }
    }

    /// The counts with the status each is for: `(wire name, count)`.
    pub fn cells(&self) -> Vec<(&'static str, i64)> {
        STATUSES.iter().copied().zip(self.counts).collect()
    }

    /// The freshness counts with their wire names.
    pub fn freshness_cells(&self) -> Vec<(&'static str, i64)> {
        ["current", "due", "overdue"]
            .into_iter()
            .zip(self.freshness)
            .collect()
    }

    /// The row as a chart bar, labelled `label`.
    pub fn bar(&self, label: String) -> Bar {
        Bar {
            label,
            counts: self.counts,
        }
    }
}

/// The sum of tallies that do not overlap (one per mechanism: each commitment has exactly one
/// mechanism, so their sum counts every commitment once).
pub fn sum_tallies<'a>(tallies: impl IntoIterator<Item = &'a Tally>) -> Tally {
    let mut sum = Tally::default();
    for tally in tallies {
        for (status, count) in &tally.by_status {
            *sum.by_status.entry(status.clone()).or_default() += count;
        }
        for (freshness, count) in &tally.freshness {
            *sum.freshness.entry(*freshness).or_default() += count;
        }
        sum.percent_sum += tally.percent_sum;
        sum.percent_count += tally.percent_count;
        sum.mechanisms += i64::from(tally.total() > 0);
    }
    sum
}

/// A progress table as CSV.
pub fn tally_csv(rows: &[TallyRow], key_column: &str) -> Csv {
    let mut columns = vec![key_column, "title", "commitments"];
    columns.extend(STATUSES);
    columns.extend(["mean_percent", "current", "due", "overdue", "mechanisms"]);
    let mut csv = Csv::new(&columns);
    for row in rows {
        let mut fields = vec![row.key.clone(), row.label.clone(), row.total.to_string()];
        fields.extend(row.counts.iter().map(ToString::to_string));
        fields.push(row.mean_percent.clone());
        fields.extend(row.freshness.iter().map(ToString::to_string));
        fields.push(row.mechanisms.to_string());
        csv.row(fields);
    }
    csv
}

/// One status in a legend or a table header: its name and colour.
#[derive(Debug, Clone)]
pub struct StatusKey {
    /// Index into `CommitmentStatus::ALL`.
    pub index: usize,
    /// The wire name, e.g. `in_progress`.
    pub wire: &'static str,
    /// The name in the page's language.
    pub label: &'static str,
    /// The chart colour, `#RRGGBB`.
    pub color: String,
}

/// Every status with its name and colour.
pub fn status_keys(t: &'static Messages) -> Vec<StatusKey> {
    STATUSES
        .iter()
        .enumerate()
        .map(|(index, wire)| StatusKey {
            index,
            wire,
            label: t.statuses[index],
            color: status_color_hex(index),
        })
        .collect()
}

/// One commitment in a list.
#[derive(Debug, Clone)]
pub struct CommitmentLine {
    /// Its page.
    pub href: String,
    /// Title.
    pub title: String,
    /// Mechanism id.
    pub mechanism: String,
    /// Its mechanism's page.
    pub mechanism_href: String,
    /// Status (wire name, for the CSS class).
    pub status: String,
    /// Status in the page's language.
    pub status_label: String,
    /// Percent complete, or empty.
    pub percent: String,
    /// Freshness (wire name, for the CSS class).
    pub freshness: &'static str,
    /// Freshness in the page's language.
    pub freshness_label: String,
    /// Day of the latest report, or empty.
    pub last_report: String,
    /// The day it was made.
    pub made_on: String,
    /// Due date, or empty.
    pub due_date: String,
}

impl CommitmentLine {
    /// A list line from a read-model row.
    pub fn new(page: &Page, row: &CommitmentRow) -> Self {
        Self {
            href: page.href(&format!("/commitments/{}", row.id), &[]),
            title: row.title.clone(),
            mechanism_href: page.href(&format!("/mechanisms/{}", row.mechanism_id), &[]),
            mechanism: row.mechanism_id.clone(),
            status_label: page.t.status(&row.status).to_owned(),
            status: row.status.clone(),
            percent: row.percent.map(|p| p.to_string()).unwrap_or_default(),
            freshness: row.freshness.as_str(),
            freshness_label: page.t.freshness_name(row.freshness.as_str()).to_owned(),
            last_report: row
                .last_report_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
            made_on: row.made_on.to_string(),
            due_date: row.due_date.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

/// One event in a feed or an audit trail.
#[derive(Debug, Clone)]
pub struct EventLine {
    /// Global position.
    pub position: i64,
    /// Version within its stream.
    pub version: i64,
    /// When it was recorded, UTC.
    pub recorded_at: String,
    /// Its type in the page's language.
    pub event_type: String,
    /// Its stored type name.
    pub wire_type: String,
    /// The stream id.
    pub stream: String,
    /// The page of the stream's subject, where the dashboard has one.
    pub stream_href: Option<String>,
    /// Who wrote it: role and token id.
    pub actor: String,
    /// Its hash (hex).
    pub hash: String,
}

impl EventLine {
    /// A feed line from a stored event.
    pub fn new(page: &Page, event: &RecordedEvent) -> Self {
        let stream_href = match StreamId::parse(&event.stream_id) {
            Ok(StreamId::Commitment(id)) => Some(page.href(&format!("/commitments/{id}"), &[])),
            Ok(StreamId::Mechanism(id)) => Some(page.href(&format!("/mechanisms/{id}"), &[])),
            _ => None,
        };
        Self {
            position: event.position,
            version: event.stream_version,
            recorded_at: format_time(event.recorded_at),
            event_type: page.t.event_type(&event.event_type).to_owned(),
            wire_type: event.event_type.clone(),
            stream: event.stream_id.clone(),
            stream_href,
            actor: actor(event),
            hash: event.hash.to_string(),
        }
    }
}

/// `reporter 1a2b3c4d5e6f` (the token id is public; the secret never is).
pub fn actor(event: &RecordedEvent) -> String {
    match &event.metadata.token_id {
        Some(token) if *token != event.metadata.role => {
            format!("{} {token}", event.metadata.role)
        }
        _ => event.metadata.role.clone(),
    }
}

/// A feed as CSV.
pub fn events_csv(events: &[RecordedEvent]) -> Csv {
    let mut csv = Csv::new(&[
        "position",
        "recorded_at",
        "stream_id",
        "version",
        "type",
        "role",
        "token_id",
        "correlation_id",
        "hash",
    ]);
    for event in events {
        csv.row([
            event.position.to_string(),
            format_time(event.recorded_at),
            event.stream_id.clone(),
            event.stream_version.to_string(),
            event.event_type.clone(),
            event.metadata.role.clone(),
            event.metadata.token_id.clone().unwrap_or_default(),
            event.metadata.correlation_id.clone().unwrap_or_default(),
            event.hash.to_string(),
        ]);
    }
    csv
}
