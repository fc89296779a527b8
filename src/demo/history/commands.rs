//! The commands a person would send for each planned step, with their words: a commitment's
//! title, description and indicator, a progress update's narrative and evidence, a revision's
//! changes and reason.

use compact_events::command::make_commitment::MakeCommitment;
use compact_events::command::report_progress::ReportProgress;
use compact_events::command::revise_commitment::ReviseCommitment;
use compact_events::commitment::CommitmentState;
use compact_events::event::commitment::{CommitmentChanges, Indicator, ProgressStatus};
use compact_events::ids::{MechanismId, ObjectiveNumber, Percent, RecommendationId, SdgTargetCode};
use compact_events::quantity::Quantity;
use time::{Date, Duration};

use crate::demo::mechanisms::MECHANISMS;
use crate::demo::plan::{
    Blueprint, Cause, GRCP7, MARRAKECH, Report, Revision, quarter_end, round_nicely,
};
use crate::demo::rng::Rng;
use crate::demo::templates::{IndicatorTemplate, TEMPLATES};
use crate::demo::texts;

/// The command that makes the commitment.
pub(super) fn make(blueprint: &Blueprint) -> Result<MakeCommitment, String> {
    let template = &TEMPLATES[blueprint.template];
    let mechanism = &MECHANISMS[blueprint.mechanism];
    let mut objectives = vec![template.objective];
    objectives.extend(blueprint.secondary_objective);
    let gcm_objectives = objectives
        .into_iter()
        .map(|n| ObjectiveNumber::new(i64::from(n)).map_err(|error| error.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let sdg_targets = template
        .sdg_targets
        .iter()
        .map(|code| SdgTargetCode::parse(code).map_err(|error| error.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let recommendation_ids = template
        .recommendations
        .iter()
        .map(|id| RecommendationId::parse(id).map_err(|error| error.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let venue = mechanism.venues[blueprint.venue];
    let agreed = match blueprint.made_on {
        GRCP7 => "Announced at GRCP 7, the Seventh Global Meeting of Chairs and Secretariats of Regional, Inter-regional and Global Consultative Processes on Migration, Geneva, 11 October 2017.".to_owned(),
        MARRAKECH => "Announced at the Intergovernmental Conference to Adopt the Global Compact for Migration, Marrakech, 10 December 2018.".to_owned(),
        made_on => format!(
            "Agreed at the {} in {venue} on {}.",
            texts::MEETINGS[blueprint.meeting],
            long_date(made_on)
        ),
    };
    let description = format!(
        "{} {agreed}",
        template.description.replace("{m}", mechanism.short)
    );
    let indicator = match (template.indicator, blueprint.indicator) {
        (Some(shape), Some((baseline, target))) => Some(Indicator {
            name: shape.name.to_owned(),
            unit: shape.unit.to_owned(),
            baseline: Some(quantity(&shape, baseline)?),
            target: Some(quantity(&shape, target)?),
        }),
        _ => None,
    };
    Ok(MakeCommitment {
        commitment_id: blueprint.id,
        mechanism_id: MechanismId::parse(mechanism.slug).map_err(|error| error.to_string())?,
        title: template.title.to_owned(),
        description,
        gcm_objectives,
        sdg_targets,
        recommendation_ids,
        made_on: Some(blueprint.made_on),
        due_date: blueprint.due_date,
        indicator,
    })
}

/// The command that logs a planned update, with its narrative and evidence.
pub(super) fn progress(blueprint: &Blueprint, report: &Report, rng: &mut Rng) -> ReportProgress {
    let template = &TEMPLATES[blueprint.template];
    let mechanism = &MECHANISMS[blueprint.mechanism];
    let venue = *rng.pick(mechanism.venues);
    let (narratives, cause) = match report.status {
        ProgressStatus::Planned => (texts::PLANNED, ""),
        ProgressStatus::InProgress => (texts::IN_PROGRESS, ""),
        ProgressStatus::Delayed => (texts::DELAYED, cause_text(report.cause)),
        ProgressStatus::Achieved => (texts::ACHIEVED, ""),
        ProgressStatus::Discontinued => (texts::DISCONTINUED, cause_text(report.cause)),
    };
    let wording = *rng.pick(narratives);
    let mut narrative = texts::fill(wording, template.work, venue, report.percent, cause);
    if report.correction {
        narrative = format!("{} {narrative}", texts::CORRECTION);
    }
    let percent_complete = (blueprint.reports_percent || report.status == ProgressStatus::Achieved)
        .then(|| Percent::new(i64::from(report.percent)).ok())
        .flatten();
    let indicator_value = match (template.indicator, blueprint.indicator, percent_complete) {
        (Some(shape), Some((baseline, target)), Some(percent)) if rng.chance(850) => {
            let value = baseline + (target - baseline) * i64::from(percent.get()) / 100;
            let quantity = quantity(&shape, value).ok();
            if let Some(quantity) = &quantity {
                narrative = format!("{narrative} Indicator: {quantity} {}.", shape.unit);
            }
            quantity
        }
        _ => None,
    };
    let effective = report.effective;
    let folder = format!(
        "https://evidence.example.org/{}/{}/{:02}",
        mechanism.slug,
        effective.year(),
        u8::from(effective.month())
    );
    let evidence_urls = match (report.status, rng.weighted(&[250, 600, 150])) {
        (ProgressStatus::Planned, _) | (_, 0) => Vec::new(),
        (_, 1) => vec![format!(
            "{folder}/progress-report-{}.pdf",
            report.number + 1
        )],
        _ => vec![
            format!("{folder}/progress-report-{}.pdf", report.number + 1),
            format!("{folder}/meeting-summary.pdf"),
        ],
    };
    ReportProgress {
        status: report.status,
        effective_date: effective,
        percent_complete,
        indicator_value,
        narrative,
        evidence_urls,
    }
}

/// The command for a planned revision, computed from the commitment as it stands so that it
/// always changes something.
pub(super) fn revise(
    blueprint: &Blueprint,
    state: &CommitmentState,
    revision: Revision,
    today: Date,
    rng: &mut Rng,
) -> Result<ReviseCommitment, String> {
    let current = state
        .commitment
        .as_ref()
        .ok_or_else(|| "revision before the commitment was made".to_owned())?;
    let template = &TEMPLATES[blueprint.template];
    let year = today.year().to_string();
    let later_due = |months: u8| {
        let from = current.due_date.unwrap_or(today).max(today);
        quarter_end(from + Duration::days(i64::from(months) * 30))
    };
    let mut changes = CommitmentChanges::default();
    let reason = match revision {
        Revision::ExtendDue { months } => {
            changes.due_date = Some(Some(later_due(months)));
            rng.pick(texts::EXTENSION_REASONS).replace("{year}", &year)
        }
        Revision::PhaseTwo { months } => {
            changes.title = Some(format!("{} (phase II)", current.title));
            changes.description = Some(format!(
                "{} Phase II extends the work to all member States.",
                current.description
            ));
            changes.due_date = Some(Some(later_due(months)));
            texts::PHASE_TWO_REASON.replace("{year}", &year)
        }
        Revision::AddTarget => {
            let extra = template
                .extra_targets
                .iter()
                .filter_map(|code| SdgTargetCode::parse(code).ok())
                .find(|code| !current.sdg_targets.contains(code))
                .ok_or_else(|| "no SDG target left to add".to_owned())?;
            let mut targets = current.sdg_targets.clone();
            targets.push(extra);
            changes.sdg_targets = Some(targets);
            texts::ADD_TARGET_REASON.to_owned()
        }
        Revision::AddRecommendation => {
            let extra = ["grcp7-7.6", "grcp7-8.2", "grcp7-7.2", "grcp7-8.1"]
                .iter()
                .filter_map(|id| RecommendationId::parse(id).ok())
                .find(|id| !current.recommendation_ids.contains(id))
                .ok_or_else(|| "no recommendation left to add".to_owned())?;
            let mut recommendations = current.recommendation_ids.clone();
            recommendations.push(extra);
            changes.recommendation_ids = Some(recommendations);
            texts::ADD_RECOMMENDATION_REASON.to_owned()
        }
        Revision::EarlierMadeOn { months } => {
            let earlier = (current.made_on - Duration::days(i64::from(months) * 30)).max(GRCP7);
            changes.made_on = Some(earlier);
            texts::MADE_ON_REASON.to_owned()
        }
        Revision::RaiseTarget => {
            let (shape, (_, target)) = template
                .indicator
                .zip(blueprint.indicator)
                .ok_or_else(|| "no indicator to raise".to_owned())?;
            let indicator = current
                .indicator
                .clone()
                .ok_or_else(|| "no indicator to raise".to_owned())?;
            let raised = round_nicely(target + (target / 5).max(1));
            changes.indicator = Some(Some(Indicator {
                target: Some(quantity(&shape, raised.max(target + 1))?),
                ..indicator
            }));
            texts::TARGET_REASON.to_owned()
        }
    };
    Ok(ReviseCommitment { changes, reason })
}

fn cause_text(cause: Cause) -> &'static str {
    match cause {
        Cause::None => "",
        Cause::Covid => texts::COVID_CAUSE,
        Cause::Delay(index) => texts::DELAY_CAUSES
            .get(usize::from(index))
            .copied()
            .unwrap_or_default(),
        Cause::Stop(index) => texts::STOP_CAUSES
            .get(usize::from(index))
            .copied()
            .unwrap_or_default(),
    }
}

/// An indicator value as a [`Quantity`], in whole units or tenths.
fn quantity(shape: &IndicatorTemplate, value: i64) -> Result<Quantity, String> {
    let text = if shape.tenths {
        format!("{}.{}", value / 10, value.rem_euclid(10))
    } else {
        value.to_string()
    };
    Quantity::parse(&text).map_err(|error| error.to_string())
}

/// "14 March 2019".
fn long_date(day: Date) -> String {
    format!("{} {} {}", day.day(), day.month(), day.year())
}
