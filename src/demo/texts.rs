//! The words of the demo: meeting names, progress narratives, and the reasons and notes that go
//! with revisions, retractions, validations and withdrawals.
//!
//! Placeholders: `{work}` is the template's noun phrase (capitalised by the caller at the start of
//! a sentence), `{venue}` a meeting place of the mechanism, `{percent}` the percentage reported,
//! `{cause}` one of the causes below, `{year}` a year.

/// Meetings at which commitments are agreed, for descriptions ("Agreed at the … in …").
pub(crate) const MEETINGS: &[&str] = &[
    "ministerial conference",
    "senior officials' meeting",
    "annual plenary",
    "steering committee",
    "thematic workshop",
    "chairs' meeting",
];

/// Narratives of a `planned` update.
pub(crate) const PLANNED: &[&str] = &[
    "Terms of reference for {work} adopted by the working group; national focal points are being nominated.",
    "Concept note on {work} circulated to member States for comments; work starts once the budget is approved.",
    "Inception meeting on {work} held in {venue}; the work plan is awaiting endorsement.",
];

/// Narratives of an `in_progress` update.
pub(crate) const IN_PROGRESS: &[&str] = &[
    "{Work} under way; about {percent}% of the planned activities are completed.",
    "Regional workshop on {work} held in {venue}; follow-up actions assigned to national focal points.",
    "The technical working group met twice this period to advance {work}.",
    "Pilot phase of {work} running in several member States; lessons learned to be shared at the next meeting.",
    "Progress on {work} reviewed at the senior officials' meeting in {venue}; the work plan stays on track.",
];

/// Narratives of a `delayed` update.
pub(crate) const DELAYED: &[&str] = &[
    "Activities on {work} postponed because of {cause}.",
    "Work on {work} is behind schedule because of {cause}; a revised timeline will be proposed.",
];

/// Narratives of an `achieved` update.
pub(crate) const ACHIEVED: &[&str] = &[
    "{Work} completed and endorsed at the meeting in {venue}; the final report is published.",
    "All planned activities of {work} completed; results presented to the ministerial conference.",
];

/// Narratives of a `discontinued` update.
pub(crate) const DISCONTINUED: &[&str] = &[
    "Work on {work} discontinued because of {cause}.",
    "Member States agreed to stop {work} because of {cause}; remaining funds returned.",
];

/// Why work is delayed.
pub(crate) const DELAY_CAUSES: &[&str] = &[
    "the handover of the chairmanship",
    "funding still awaited from partners",
    "national elections in several member States",
    "the late nomination of national focal points",
    "competing priorities of the secretariat",
];

/// Why work was delayed during the COVID-19 pandemic.
pub(crate) const COVID_CAUSE: &str = "travel restrictions during the COVID-19 pandemic";

/// Why work is stopped.
pub(crate) const STOP_CAUSES: &[&str] = &[
    "its merger into a broader regional programme",
    "the end of donor funding",
    "priorities revised by the ministerial conference",
];

/// Narratives of a corrected update, reported after a retraction or rejection.
pub(crate) const CORRECTION: &str = "Corrected figures for the same reporting period.";

/// Reasons for retracting an update.
pub(crate) const RETRACTION_REASONS: &[&str] = &[
    "Duplicate of an update already logged for the same period.",
    "Figures referred to the wrong reporting period; a corrected update follows.",
    "Submitted before national clearance; will be resubmitted once cleared.",
    "Percentage entered in error.",
];

/// Notes of a validation.
pub(crate) const VALIDATION_NOTES: &[&str] = &[
    "Checked against the meeting report.",
    "Evidence reviewed; consistent with the work plan.",
    "Confirmed with the chair's office.",
    "",
];

/// Notes of a rejection.
pub(crate) const REJECTION_NOTES: &[&str] = &[
    "The evidence does not support the reported percentage.",
    "The reporting period overlaps an earlier update; please resubmit.",
    "The status is not consistent with the chair's summary of the meeting.",
];

/// Note of a validation that follows an earlier rejection.
pub(crate) const RECONSIDERED_VALIDATION: &str =
    "Clarification received from the national focal point; validated on review.";

/// Note of a rejection that follows an earlier validation.
pub(crate) const RECONSIDERED_REJECTION: &str =
    "On re-examination the evidence covers a different period; validation reversed.";

/// Reasons for extending a due date.
pub(crate) const EXTENSION_REASONS: &[&str] = &[
    "Timeline extended by the {year} ministerial conference.",
    "Due date moved after the COVID-19 pandemic delayed activities.",
    "Extended to align with the next review of the Global Compact for Migration.",
];

/// Reason for adding an SDG target.
pub(crate) const ADD_TARGET_REASON: &str =
    "SDG targets aligned with the mapping used in the regional GCM review.";

/// Reason for adding a recommendation.
pub(crate) const ADD_RECOMMENDATION_REASON: &str =
    "Linked to a further GRCP 7 recommendation at the secretariat's request.";

/// Reason for moving `made_on` earlier.
pub(crate) const MADE_ON_REASON: &str =
    "Date corrected to the meeting at which the commitment was first agreed.";

/// Reason for raising an indicator target.
pub(crate) const TARGET_REASON: &str = "Indicator target raised after the mid-term review.";

/// Reason for a second phase (new title, longer description, later due date).
pub(crate) const PHASE_TWO_REASON: &str =
    "Second phase agreed by the {year} ministerial conference, extended to all member States.";

/// Reasons for withdrawing a commitment.
pub(crate) const WITHDRAWAL_REASONS: &[&str] = &[
    "Merged into a joint commitment with regional partners.",
    "Superseded by the commitments of the {year} ministerial declaration.",
    "Member States agreed to end the initiative.",
    "Recorded twice by mistake; the other record is kept.",
];

/// Fills the placeholders of a narrative.
pub(crate) fn fill(template: &str, work: &str, venue: &str, percent: u8, cause: &str) -> String {
    template
        .replace("{Work}", &capitalise(work))
        .replace("{work}", work)
        .replace("{venue}", venue)
        .replace("{percent}", &percent.to_string())
        .replace("{cause}", cause)
}

/// The text with its first letter in upper case.
pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
