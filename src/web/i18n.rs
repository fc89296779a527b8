//! The dashboard's languages (SPEC.md "Web dashboard": English, French and Spanish, IOM's working
//! languages): which one a request gets, and the user-interface strings of each.
//!
//! Catalogue titles (GCM objectives, SDG targets) come translated from the catalogue itself
//! ([`compact_events::catalogue::Localized::get`], which falls back to English); everything else
//! on a page comes from one [`Messages`] table per language. A table is a struct, not a map, so a
//! string missing in one language is a compile error rather than a blank on the page.
//!
//! # Layout
//!
//! - this module: [`negotiate`] (`?lang=` first, then `Accept-Language`, then English), the
//!   [`Messages`] struct and the lookups of statuses, freshness and event types;
//! - `en.rs`, `fr.rs`, `es.rs`: the English, French and Spanish tables.

mod en;
mod es;
mod fr;

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use compact_events::catalogue::Lang;
use compact_events::event::registry;

/// The language of a request: an explicit `?lang=` wins (the visible switch, and shared links),
/// then the browser's `Accept-Language` preferences, then English.
pub fn negotiate(query_lang: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(lang) = query_lang.and_then(Lang::from_code) {
        return lang;
    }
    headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(from_accept_language)
        .unwrap_or(Lang::En)
}

/// The supported language the `Accept-Language` header prefers most (RFC 9110 section 12.5.4):
/// the highest `q`, and among equal weights the first listed.
fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for entry in header.split(',') {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let weight = parts
            .find_map(|parameter| parameter.trim().strip_prefix("q="))
            .map_or(1000, parse_weight);
        let Some(lang) = Lang::from_code(tag) else {
            continue;
        };
        if weight > 0 && best.is_none_or(|(best_weight, _)| weight > best_weight) {
            best = Some((weight, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// A `q` value as thousandths, so weights compare without floating point; malformed is 0.
fn parse_weight(text: &str) -> u16 {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
    match (whole, digits.parse::<u16>()) {
        ("1", _) => 1000,
        ("0", Ok(thousandths)) => thousandths,
        _ => 0,
    }
}

/// The user-interface table of a language.
pub fn messages(lang: Lang) -> &'static Messages {
    match lang {
        Lang::En => &en::EN,
        Lang::Fr => &fr::FR,
        Lang::Es => &es::ES,
    }
}

/// Every user-interface string of the dashboard, in one language.
#[derive(Debug)]
pub struct Messages {
    /// The language's own name, for the switch (e.g. "Français").
    pub language_name: &'static str,
    /// The product's name.
    pub site_title: &'static str,
    /// A colon between a label and its value (French puts a space before it).
    pub colon: &'static str,
    /// What the product follows, under its name.
    pub site_subtitle: &'static str,
    /// The skip link for keyboard users.
    pub skip_to_content: &'static str,
    /// Label of the main navigation.
    pub navigation: &'static str,
    /// Navigation: the overview.
    pub nav_overview: &'static str,
    /// Navigation: what moved.
    pub nav_changes: &'static str,
    /// Navigation: the audit page.
    pub nav_audit: &'static str,
    /// Navigation: sign in.
    pub nav_sign_in: &'static str,
    /// Button: sign out.
    pub sign_out: &'static str,
    /// "Signed in as".
    pub signed_in_as: &'static str,
    /// Label of the language switch.
    pub language: &'static str,
    /// Legend of the clock form.
    pub view_legend: &'static str,
    /// Label of the as-of date input.
    pub as_of_label: &'static str,
    /// Help under the as-of date input.
    pub as_of_help: &'static str,
    /// Legend of the known-then/now switch.
    pub known_legend: &'static str,
    /// "As known now".
    pub known_now: &'static str,
    /// "As known then" (at the end of the as-of day).
    pub known_then: &'static str,
    /// Button of the clock form.
    pub show: &'static str,
    /// Heading of the review-point presets.
    pub review_presets: &'static str,
    /// The link to the current view with its clock frozen.
    pub permalink: &'static str,
    /// "Showing the state on".
    pub showing_state_on: &'static str,
    /// "today".
    pub today: &'static str,
    /// The CSV download link.
    pub download_csv: &'static str,
    /// Footer: where the data comes from.
    pub footer: &'static str,
    /// Link to the JSON API description.
    pub api_link: &'static str,

    /// Overview heading.
    pub overview_title: &'static str,
    /// Overview: progress by GCM objective.
    pub by_objective: &'static str,
    /// Overview: progress by SDG target.
    pub by_sdg_target: &'static str,
    /// Overview: totals.
    pub totals: &'static str,
    /// Overview: mechanisms.
    pub mechanisms: &'static str,
    /// Overview: recent activity.
    pub recent_activity: &'static str,
    /// Column: GCM objective.
    pub objective: &'static str,
    /// Column: SDG target.
    pub sdg_target: &'static str,
    /// Column: commitments.
    pub commitments: &'static str,
    /// Column: mean percent complete.
    pub mean_percent: &'static str,
    /// Column: mechanism.
    pub mechanism: &'static str,
    /// Column: region.
    pub region: &'static str,
    /// Column: kind of mechanism.
    pub kind: &'static str,
    /// Column or heading: reporting freshness.
    pub freshness: &'static str,
    /// Column: global position.
    pub position: &'static str,
    /// Column: when an event was recorded.
    pub recorded_at: &'static str,
    /// Column: event type.
    pub event: &'static str,
    /// Column: stream.
    pub stream: &'static str,
    /// Column: actor.
    pub actor: &'static str,
    /// Column: event hash.
    pub hash: &'static str,
    /// "No commitments match."
    pub no_commitments: &'static str,
    /// "No events yet."
    pub no_events: &'static str,
    /// Caption of the objectives chart.
    pub chart_objectives: &'static str,
    /// Caption of the SDG targets chart.
    pub chart_targets: &'static str,
    /// "Migration-relevant targets, and any other target with commitments."
    pub targets_note: &'static str,
    /// The legend's heading.
    pub legend: &'static str,
    /// "all" (totals row, filter option).
    pub all: &'static str,
    /// Mechanisms involved.
    pub mechanisms_involved: &'static str,
    /// "Full history" link.
    pub see_all_events: &'static str,

    /// Heading prefix of an objective page.
    pub objective_heading: &'static str,
    /// Heading prefix of an SDG target page.
    pub sdg_target_heading: &'static str,
    /// Heading prefix of a mechanism page.
    pub mechanism_heading: &'static str,
    /// Legend of the filter form.
    pub filters: &'static str,
    /// Column or label: status.
    pub status: &'static str,
    /// Button: apply the filters.
    pub apply_filters: &'static str,
    /// Caption of the quarterly timeline.
    pub timeline_caption: &'static str,
    /// Heading of the commitments table.
    pub commitments_behind: &'static str,
    /// Column: title.
    pub title: &'static str,
    /// Column: the day a commitment was made.
    pub made_on: &'static str,
    /// Column: due date.
    pub due_date: &'static str,
    /// Column: percent complete.
    pub percent: &'static str,
    /// Column: the day of the latest report.
    pub last_report: &'static str,
    /// Link: next page.
    pub next_page: &'static str,
    /// Link: first page.
    pub first_page: &'static str,
    /// Heading: summary.
    pub summary: &'static str,

    /// Heading: the commitment's fields.
    pub details: &'static str,
    /// Field: description.
    pub description: &'static str,
    /// Field: GCM objectives.
    pub objectives: &'static str,
    /// Field: SDG targets.
    pub sdg_targets: &'static str,
    /// Field: recommendations.
    pub recommendations: &'static str,
    /// Field: indicator.
    pub indicator: &'static str,
    /// Indicator baseline.
    pub baseline: &'static str,
    /// Indicator target.
    pub target: &'static str,
    /// Field: stream version.
    pub version: &'static str,
    /// Field: indicator value.
    pub indicator_value: &'static str,
    /// Heading: progress updates.
    pub progress_updates: &'static str,
    /// Column: sequence number.
    pub seq: &'static str,
    /// Column: effective date.
    pub effective_date: &'static str,
    /// Column: narrative.
    pub narrative: &'static str,
    /// Column: evidence.
    pub evidence: &'static str,
    /// Column: validation.
    pub validation: &'static str,
    /// "Retracted:" before the reason.
    pub retracted: &'static str,
    /// Heading: the audit trail.
    pub audit_trail: &'static str,
    /// Column: what changed.
    pub what_changed: &'static str,
    /// "request" before a request id.
    pub request: &'static str,
    /// Link: log a progress update.
    pub log_progress: &'static str,
    /// Link: revise the commitment.
    pub revise: &'static str,
    /// Caption of the commitment's progress chart.
    pub progress_chart_caption: &'static str,
    /// Note: later events are not shown in a "known then" view.
    pub later_events_hidden: &'static str,
    /// "No progress update yet."
    pub no_updates: &'static str,
    /// "Withdrawn:" before the reason.
    pub withdrawn_because: &'static str,
    /// Note: an update effective after the as-of date.
    pub after_as_of: &'static str,
    /// "Reason".
    pub reason: &'static str,
    /// "Note".
    pub note: &'static str,
    /// Diff column: before.
    pub before: &'static str,
    /// Diff column: after.
    pub after: &'static str,
    /// A removed value.
    pub none: &'static str,
    /// Message after a progress update was recorded.
    pub progress_recorded: &'static str,
    /// Message after a revision was recorded.
    pub revision_recorded: &'static str,

    /// Audit page heading.
    pub audit_title: &'static str,
    /// Heading of the chain status.
    pub chain_status: &'static str,
    /// The chain is intact.
    pub chain_ok: &'static str,
    /// The chain is broken at a position.
    pub chain_broken: &'static str,
    /// Events checked.
    pub events_checked: &'static str,
    /// The head hash.
    pub head_hash: &'static str,
    /// When the whole chain was last walked.
    pub full_walk_at: &'static str,
    /// Heading of the event feed.
    pub event_feed: &'static str,
    /// Link: older events.
    pub older: &'static str,
    /// Link: newer events.
    pub newer: &'static str,
    /// Link: latest events.
    pub latest: &'static str,
    /// Column: stream version.
    pub stream_version: &'static str,

    /// Changes page heading.
    pub changes_title: &'static str,
    /// Intro of the changes page.
    pub changes_intro: &'static str,
    /// Label: from date.
    pub from: &'static str,
    /// Label: to date.
    pub to: &'static str,
    /// Heading: moved per objective.
    pub moved_by_objective: &'static str,
    /// Heading: moved per mechanism.
    pub moved_by_mechanism: &'static str,
    /// Heading: the commitments that moved.
    pub moved_commitments: &'static str,
    /// Column: commitments that moved.
    pub moved: &'static str,
    /// Column: status changed.
    pub status_changed: &'static str,
    /// Column: newly made.
    pub newly_made: &'static str,
    /// Column: reports that moved it.
    pub reports: &'static str,
    /// "not made yet".
    pub not_made_yet: &'static str,
    /// "Nothing moved between these dates."
    pub nothing_moved: &'static str,

    /// Sign-in page heading.
    pub sign_in_title: &'static str,
    /// Sign-in page intro.
    pub sign_in_intro: &'static str,
    /// Label of the token input.
    pub token_label: &'static str,
    /// Help under the token input.
    pub token_help: &'static str,
    /// Sign-in button.
    pub sign_in_button: &'static str,
    /// A token that is not valid.
    pub token_invalid: &'static str,
    /// A reviewer token cannot write.
    pub token_read_only: &'static str,
    /// Progress form heading.
    pub progress_form_title: &'static str,
    /// Revision form heading.
    pub revision_form_title: &'static str,
    /// Help: evidence links, one per line.
    pub evidence_help: &'static str,
    /// Help: percent complete.
    pub percent_help: &'static str,
    /// Help: the effective date.
    pub effective_date_help: &'static str,
    /// Help: SDG targets.
    pub sdg_targets_help: &'static str,
    /// Help: the reason of a revision.
    pub reason_help: &'static str,
    /// Submit: progress.
    pub submit_progress: &'static str,
    /// Submit: revision.
    pub submit_revision: &'static str,
    /// "The update was not recorded: …"
    pub form_has_errors: &'static str,
    /// "Cancel".
    pub cancel: &'static str,
    /// "(optional)".
    pub optional: &'static str,
    /// The form's security token is missing or stale.
    pub form_expired: &'static str,
    /// Someone else changed the commitment since the form was opened.
    pub changed_meanwhile: &'static str,

    /// Error page heading.
    pub error_title: &'static str,
    /// Generic 500 text.
    pub internal_error: &'static str,
    /// Link back to the overview.
    pub back_to_overview: &'static str,

    /// Status names: planned, in progress, delayed, achieved, discontinued, withdrawn.
    pub statuses: [&'static str; 6],
    /// Freshness names: current, due, overdue.
    pub freshness_names: [&'static str; 3],
    /// Validation names: submitted, validated, rejected.
    pub validations: [&'static str; 3],
    /// Event type names, in the order of [`EVENT_TYPES`].
    pub event_types: [&'static str; EVENT_TYPES.len()],
    /// Mechanism kinds, in the order of [`MECHANISM_KINDS`].
    pub mechanism_kinds: [&'static str; 6],
}

/// Stored event type names, in the order of [`Messages::event_types`]: the domain's registry
/// itself, so a new event type cannot reach the pages without its translations (the arrays'
/// lengths would differ, and the build fails).
pub const EVENT_TYPES: [&str; registry::EVENT_TYPES.len()] = {
    let mut names = [""; registry::EVENT_TYPES.len()];
    let mut index = 0;
    while index < names.len() {
        names[index] = registry::EVENT_TYPES[index].name;
        index += 1;
    }
    names
};

/// Mechanism kinds (SPEC.md "Model"), in the order of [`Messages::mechanism_kinds`].
pub const MECHANISM_KINDS: [&str; 6] = [
    "regional_consultative_process",
    "interregional_forum",
    "global_process",
    "regional_economic_organization",
    "un_regional_commission",
    "other",
];

/// Status wire names, in the order of [`Messages::statuses`].
pub const STATUSES: [&str; 6] = [
    "planned",
    "in_progress",
    "delayed",
    "achieved",
    "discontinued",
    "withdrawn",
];

impl Messages {
    /// A status's name (`in_progress` → "in progress"); an unknown wire name is shown as is.
    pub fn status<'a>(&self, wire: &'a str) -> &'a str {
        lookup(&STATUSES, &self.statuses, wire)
    }

    /// A freshness's name (`overdue` → "overdue").
    pub fn freshness_name<'a>(&self, wire: &'a str) -> &'a str {
        lookup(&["current", "due", "overdue"], &self.freshness_names, wire)
    }

    /// A validation state's name (`validated` → "validated").
    pub fn validation_name<'a>(&self, wire: &'a str) -> &'a str {
        lookup(
            &["submitted", "validated", "rejected"],
            &self.validations,
            wire,
        )
    }

    /// An event type's name (`progress_reported` → "progress reported").
    pub fn event_type<'a>(&self, wire: &'a str) -> &'a str {
        lookup(&EVENT_TYPES, &self.event_types, wire)
    }

    /// A mechanism kind's name.
    pub fn mechanism_kind<'a>(&self, wire: &'a str) -> &'a str {
        lookup(&MECHANISM_KINDS, &self.mechanism_kinds, wire)
    }
}

fn lookup<'a, const N: usize>(
    wire_names: &[&str; N],
    names: &[&'static str; N],
    wire: &'a str,
) -> &'a str {
    wire_names
        .iter()
        .position(|name| *name == wire)
        .map_or(wire, |index| names[index])
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_str(accept).unwrap());
        headers
    }

    #[test]
    fn the_query_parameter_wins_over_the_browser() {
        assert_eq!(negotiate(Some("es"), &headers("fr-CH, fr;q=0.9")), Lang::Es);
    }

    #[test]
    fn accept_language_is_read_by_weight_then_order() {
        let cases = [
            ("fr-CH, fr;q=0.9, en;q=0.8", Lang::Fr),
            ("de-DE, es;q=0.5, fr;q=0.7", Lang::Fr),
            ("en;q=0.2, es-419", Lang::Es),
            ("de, it", Lang::En),
            ("fr;q=0", Lang::En),
            ("", Lang::En),
        ];
        for (header, expected) in cases {
            assert_eq!(negotiate(None, &headers(header)), expected, "{header}");
        }
    }

    #[test]
    fn an_unknown_query_language_falls_back_to_the_browser() {
        assert_eq!(negotiate(Some("de"), &headers("es")), Lang::Es);
    }

    #[test]
    fn wire_names_translate_and_unknown_ones_pass_through() {
        assert_eq!(messages(Lang::Fr).status("achieved"), "réalisé");
        assert_eq!(messages(Lang::Es).freshness_name("overdue"), "vencido");
        assert_eq!(
            messages(Lang::En).event_type("something_new"),
            "something_new"
        );
    }
}
