//! Planning one commitment's life: when it is recorded, what it says, and every later step
//! (progress updates, the secretariat's reviews, retractions, revisions, a withdrawal), each with
//! its simulated recording time.
//!
//! A plan is small (numbers and indices, no text) so that a million-event history fits in memory;
//! the words are chosen when each step is decided ([`super::history`]). Each commitment plans from
//! its own random stream ([`Rng::fork`] of the seed and its index), so commitment 7 is the same
//! whether the demo makes 10 commitments or 100,000.
//!
//! # The shape of a life
//!
//! Progress is planned in *effective* time: a commitment made on `made_on` works toward an
//! achievement date; updates every 3 to 12 months report a status and a percentage that follow
//! from how far along that path the effective date is, with a planned outcome (achieved, ongoing,
//! stalled, discontinued), COVID-19 delays in 2020–2021 and an occasional slip. Each update is then
//! *recorded* some days later — or months later (late reports), or at entry time for work done
//! before the commitment was entered, or, for some mechanisms, in a batch after IMRF 2022 for
//! periods before it. Some mechanisms go silent 12–24 months (freshness `due`) or over 24 months
//! (`overdue`) before today.

mod steps;

use compact_events::event::commitment::{Decision, ProgressStatus};
use compact_events::ids::CommitmentId;
use time::macros::date;
use time::{Date, Duration};
use uuid::Builder;

use self::steps::Planner;
use super::mechanisms::MECHANISMS;
use super::rng::Rng;
use super::templates::TEMPLATES;
use super::texts::{DELAY_CAUSES, MEETINGS, STOP_CAUSES};

/// A simulated recording time: microseconds since the Unix epoch, UTC.
pub(crate) type Micros = i64;

/// GRCP 7, where the mechanisms drew up their joint recommendations (11 October 2017).
pub(crate) const GRCP7: Date = date!(2017 - 10 - 11);
/// The Intergovernmental Conference that adopted the GCM, Marrakech (10 December 2018).
pub(crate) const MARRAKECH: Date = date!(2018 - 12 - 10);
/// The first day of the first International Migration Review Forum (17 May 2022).
pub(crate) const IMRF_2022: Date = date!(2022 - 05 - 17);
/// The first day on which the demo records a commitment (after every mechanism is registered).
pub(crate) const FIRST_COMMITMENT: Date = date!(2018 - 03 - 01);

const COVID_START: Date = date!(2020 - 03 - 15);
const COVID_END: Date = date!(2021 - 06 - 30);

/// Everything planned for one commitment.
#[derive(Debug, Clone)]
pub(crate) struct Blueprint {
    /// Its id: a UUIDv7 carrying its recording time, with random bits from the seed.
    pub id: CommitmentId,
    /// Index into [`MECHANISMS`].
    pub mechanism: usize,
    /// Index into [`TEMPLATES`].
    pub template: usize,
    /// A second GCM objective, if it serves one.
    pub secondary_objective: Option<u8>,
    /// The day the mechanism made it.
    pub made_on: Date,
    /// When it is due.
    pub due_date: Option<Date>,
    /// The indicator's baseline and target, in the template's scale.
    pub indicator: Option<(i64, i64)>,
    /// Index into [`MEETINGS`] (where it was agreed).
    pub meeting: usize,
    /// Index into the mechanism's venues.
    pub venue: usize,
    /// Whether its updates give a percentage.
    pub reports_percent: bool,
    /// The seed of the random streams its steps use for words.
    pub seed: u64,
    /// Its steps, in recording order; the first is [`Action::Make`].
    pub steps: Vec<Step>,
}

/// One planned step of a commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// When it is recorded.
    pub at: Micros,
    /// What happens.
    pub action: Action,
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// The commitment is made.
    Make,
    /// A progress update is logged.
    Report(Report),
    /// The reporter retracts the update with this planned number.
    Retract {
        /// The update's planned number ([`Report::number`]).
        report: u16,
    },
    /// The secretariat validates or rejects an update.
    Review {
        /// The update's planned number.
        report: u16,
        /// The decision.
        decision: Decision,
        /// Whether this reverses an earlier decision on the same update.
        reconsidered: bool,
    },
    /// The commitment is revised.
    Revise(Revision),
    /// The commitment is withdrawn.
    Withdraw,
}

/// A planned progress update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Report {
    /// Its planned number, unique within the commitment; the store's `seq` is given by recording
    /// order when it is decided.
    pub number: u16,
    /// The status reported.
    pub status: ProgressStatus,
    /// The day it applies to.
    pub effective: Date,
    /// How far along, in per cent.
    pub percent: u8,
    /// Why it is delayed or discontinued, if it is.
    pub cause: Cause,
    /// Whether it corrects a retracted or rejected update for the same period.
    pub correction: bool,
}

/// Why an update reports a delay or a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// Nothing to explain.
    None,
    /// COVID-19 travel restrictions.
    Covid,
    /// Index into [`DELAY_CAUSES`].
    Delay(u8),
    /// Index into [`STOP_CAUSES`].
    Stop(u8),
}

/// A planned revision; the exact new values are computed from the commitment's state when it is
/// decided, so that revisions never repeat a current value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Revision {
    /// Move the due date later by this many months (from today if it has passed).
    ExtendDue {
        /// How many months.
        months: u8,
    },
    /// A second phase: new title and description, and a later due date.
    PhaseTwo {
        /// How many months the due date moves.
        months: u8,
    },
    /// Add one of the template's extra SDG targets.
    AddTarget,
    /// Link a further GRCP 7 recommendation.
    AddRecommendation,
    /// Correct `made_on` to an earlier meeting, this many months before.
    EarlierMadeOn {
        /// How many months earlier.
        months: u8,
    },
    /// Raise the indicator target by a fifth.
    RaiseTarget,
}

/// Features the first commitments are forced to show, so that even a small demo has every kind
/// of event and every freshness state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Showcase {
    LateAroundImrf,
    RetractAndCorrect,
    RejectAndResubmit,
    Revised,
    Withdrawn,
    Overdue,
    Due,
    ChangeOfMind,
    Achieved,
    Discontinued,
    MadeLongBefore,
}

const SHOWCASES: [Showcase; 11] = [
    Showcase::LateAroundImrf,
    Showcase::RetractAndCorrect,
    Showcase::RejectAndResubmit,
    Showcase::Revised,
    Showcase::Withdrawn,
    Showcase::Overdue,
    Showcase::Due,
    Showcase::ChangeOfMind,
    Showcase::Achieved,
    Showcase::Discontinued,
    Showcase::MadeLongBefore,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Achieved,
    Ongoing,
    Stalled { then_stop: bool },
    Discontinued,
}

/// Plans commitment number `index` of the history seeded with `seed`, recorded before `end`
/// (midnight UTC of today, so the last day with events is yesterday).
pub(crate) fn plan_commitment(seed: u64, index: u64, end: Date) -> Blueprint {
    let mut rng = Rng::fork(seed, index);
    let showcase = usize::try_from(index)
        .ok()
        .and_then(|i| SHOWCASES.get(i))
        .copied();
    let (mechanism, template) = choose_subject(&mut rng, index);
    let secondary_objective = secondary_objective(&mut rng, mechanism, template);

    let last_day = end - Duration::days(1);
    let recorded_on = match showcase {
        Some(Showcase::MadeLongBefore) => clamp_day(date!(2020 - 02 - 03), &mut rng, 60, last_day),
        Some(_) => clamp_day(date!(2019 - 01 - 14), &mut rng, 400, last_day),
        None => entry_date(&mut rng, last_day),
    };
    let made_on = match showcase {
        Some(Showcase::MadeLongBefore) => GRCP7,
        Some(_) => recorded_on,
        None => made_on(&mut rng, recorded_on),
    };
    let outcome = match showcase {
        Some(Showcase::Achieved) => Outcome::Achieved,
        Some(Showcase::Discontinued) => Outcome::Discontinued,
        Some(_) => Outcome::Ongoing,
        None => match rng.weighted(&[520, 280, 110, 90]) {
            0 => Outcome::Achieved,
            1 => Outcome::Ongoing,
            2 => Outcome::Stalled {
                then_stop: rng.chance(500),
            },
            _ => Outcome::Discontinued,
        },
    };
    let life_days = match showcase {
        Some(Showcase::Achieved) => rng.between(500, 800),
        _ => rng.between(540, 2_555),
    };
    let due_date = (rng.chance(850) || showcase.is_some())
        .then(|| quarter_end(made_on + Duration::days(life_days + rng.between(-120, 240))));
    let indicator = TEMPLATES[template].indicator.map(|indicator| {
        let baseline = rng.between(indicator.baseline.0, indicator.baseline.1);
        let target = round_nicely(rng.between(indicator.target.0, indicator.target.1));
        (baseline, target)
    });

    let mut planner = Planner {
        rng,
        steps: Vec::new(),
        next_number: 0,
        end: midnight(end),
    };
    let recorded_at = planner.time_on(recorded_on);
    planner.steps.push(Step {
        at: recorded_at,
        action: Action::Make,
    });

    let silence = match showcase {
        Some(Showcase::Overdue) => Some(planner.rng.between(25, 40)),
        Some(Showcase::Due) => Some(planner.rng.between(13, 18)),
        Some(_) => None,
        None => match planner.rng.weighted(&[120, 120, 760]) {
            0 => Some(planner.rng.between(25, 60)),
            1 => Some(planner.rng.between(13, 20)),
            _ => None,
        },
    };
    // Reports recorded on or after the cutoff are never sent: the mechanism went silent.
    let cutoff = match silence {
        Some(months) => midnight(end - Duration::days(months * 30)),
        None => planner.end,
    };
    let late_around_imrf = showcase == Some(Showcase::LateAroundImrf)
        || (showcase.is_none() && planner.rng.chance(150));
    let reports = progress_path(&mut planner.rng, made_on, due_date, life_days, outcome, end);
    planner.record_reports(&reports, recorded_at, cutoff, late_around_imrf, showcase);
    planner.plan_revisions(
        recorded_at,
        showcase,
        template,
        made_on,
        indicator.is_some(),
    );
    if showcase == Some(Showcase::Withdrawn) || (showcase.is_none() && planner.rng.chance(40)) {
        planner.plan_withdrawal(recorded_at);
    }
    let mut steps = planner.steps;
    // Steps of one commitment are at least a day apart where one depends on another, so sorting
    // by time keeps every update before its review, retraction and correction.
    steps.sort_by_key(|step| step.at);
    if let Some(withdrawn) = steps
        .iter()
        .position(|step| step.action == Action::Withdraw)
    {
        steps.truncate(withdrawn + 1);
    }

    let mut rng = planner.rng;
    let mut random = [0_u8; 10];
    for byte in &mut random {
        *byte = u8::try_from(rng.below(256)).unwrap_or(0);
    }
    let millis = u64::try_from(recorded_at / 1_000).unwrap_or(0);
    let id = CommitmentId::new(Builder::from_unix_timestamp_millis(millis, &random).into_uuid());
    Blueprint {
        id,
        mechanism,
        template,
        secondary_objective,
        made_on,
        due_date,
        indicator,
        meeting: rng.index(MEETINGS.len()),
        venue: rng.index(MECHANISMS[mechanism].venues.len()),
        reports_percent: rng.chance(900),
        seed: rng.next_u64(),
        steps,
    }
}

/// The mechanism and template of commitment `index`: the first commitments walk through every
/// template, then through every mechanism, so even a small demo covers all of them.
fn choose_subject(rng: &mut Rng, index: u64) -> (usize, usize) {
    let index = usize::try_from(index).unwrap_or(usize::MAX);
    if index < TEMPLATES.len() {
        let objective = TEMPLATES[index].objective;
        let candidates: Vec<usize> = (0..MECHANISMS.len())
            .filter(|m| MECHANISMS[*m].focus.contains(&objective))
            .collect();
        let weights: Vec<u32> = candidates.iter().map(|m| MECHANISMS[*m].weight).collect();
        let mechanism = candidates.get(rng.weighted(&weights)).copied().unwrap_or(0);
        return (mechanism, index);
    }
    let mechanism = match index - TEMPLATES.len() {
        by_mechanism if by_mechanism < MECHANISMS.len() => by_mechanism,
        _ => {
            let weights: Vec<u32> = MECHANISMS.iter().map(|m| m.weight).collect();
            rng.weighted(&weights)
        }
    };
    let focus = MECHANISMS[mechanism].focus;
    // Mostly the mechanism's own focus, earlier objectives more often; now and then anything.
    let objective = if rng.chance(50) {
        u8::try_from(rng.between(1, 23)).unwrap_or(23)
    } else {
        let weights: Vec<u32> = (0..focus.len())
            .map(|i| u32::try_from(8 - i.min(6)).unwrap_or(2))
            .collect();
        focus[rng.weighted(&weights)]
    };
    let templates: Vec<usize> = (0..TEMPLATES.len())
        .filter(|t| TEMPLATES[*t].objective == objective)
        .collect();
    let template = match templates.as_slice() {
        [] => 0,
        some => *rng.pick(some),
    };
    (mechanism, template)
}

fn secondary_objective(rng: &mut Rng, mechanism: usize, template: usize) -> Option<u8> {
    if !rng.chance(350) {
        return None;
    }
    let primary = TEMPLATES[template].objective;
    let others: Vec<u8> = MECHANISMS[mechanism]
        .focus
        .iter()
        .copied()
        .filter(|objective| *objective != primary)
        .collect();
    (!others.is_empty()).then(|| *rng.pick(&others))
}

/// When a commitment is entered: more after the GCM's adoption, before the regional reviews and
/// IMRF 2022, and in the run-up to IMRF 2026; fewer in 2020.
fn entry_date(rng: &mut Rng, last_day: Date) -> Date {
    const PERIODS: [(Date, Date, u32); 7] = [
        (FIRST_COMMITMENT, date!(2018 - 12 - 09), 120),
        (MARRAKECH, date!(2019 - 12 - 31), 200),
        (date!(2020 - 01 - 01), date!(2020 - 12 - 31), 80),
        (date!(2021 - 01 - 01), date!(2022 - 05 - 16), 170),
        (IMRF_2022, date!(2022 - 12 - 31), 100),
        (date!(2023 - 01 - 01), date!(2024 - 12 - 31), 160),
        (date!(2025 - 01 - 01), date!(2099 - 12 - 31), 170),
    ];
    let weights: Vec<u32> = PERIODS
        .iter()
        .map(|(from, _, weight)| if *from <= last_day { *weight } else { 0 })
        .collect();
    let (from, to, _) = PERIODS[rng.weighted(&weights)];
    let to = to.min(last_day - Duration::days(7)).max(from);
    from + Duration::days(rng.between(0, (to - from).whole_days()))
}

/// The day a commitment was made: usually the day it is entered, often an earlier meeting, now and
/// then GRCP 7 itself or the Marrakech conference.
fn made_on(rng: &mut Rng, recorded_on: Date) -> Date {
    match rng.weighted(&[600, 280, 70, 50]) {
        0 => recorded_on,
        1 => (recorded_on - Duration::days(rng.between(30, 900))).max(GRCP7),
        2 if recorded_on >= MARRAKECH => MARRAKECH,
        _ => GRCP7,
    }
}

/// One point of the planned path, in effective time.
#[derive(Debug, Clone, Copy)]
pub(super) struct PathPoint {
    /// The day it applies to.
    pub(super) effective: Date,
    /// The status on that day.
    pub(super) status: ProgressStatus,
    /// How far along.
    pub(super) percent: u8,
    /// Why it is delayed or stopped.
    pub(super) cause: Cause,
}

/// The commitment's progress in effective time, until a final status or the end of the timeline.
fn progress_path(
    rng: &mut Rng,
    made_on: Date,
    due_date: Option<Date>,
    life_days: i64,
    outcome: Outcome,
    end: Date,
) -> Vec<PathPoint> {
    let achieve_on = made_on + Duration::days(life_days);
    let turn_on = made_on + Duration::days(life_days * rng.between(35, 80) / 100);
    let stop_on = turn_on + Duration::days(rng.between(200, 700));
    let cadence: i64 = *rng.pick(&[120, 182, 182, 365, 365]);
    let mut effective = made_on + Duration::days(rng.between(30, 150));
    let mut points: Vec<PathPoint> = Vec::new();
    let mut percent: u8 = 0;
    while effective < end {
        let elapsed = (effective - made_on).whole_days();
        let planned = u8::try_from((elapsed * 100 / life_days.max(1)).clamp(0, 100)).unwrap_or(0);
        let noisy = i64::from(planned) + rng.between(-5, 5);
        let along = u8::try_from((noisy.clamp(0, 95) / 5) * 5).unwrap_or(0);
        let (status, cause) = if points.is_empty() && planned < 15 {
            (ProgressStatus::Planned, Cause::None)
        } else if outcome == Outcome::Achieved && effective >= achieve_on {
            percent = 100;
            (ProgressStatus::Achieved, Cause::None)
        } else if (outcome == Outcome::Discontinued && effective >= turn_on)
            || (matches!(outcome, Outcome::Stalled { then_stop: true }) && effective >= stop_on)
        {
            (ProgressStatus::Discontinued, stop_cause(rng))
        } else if matches!(outcome, Outcome::Stalled { .. }) && effective >= turn_on {
            (ProgressStatus::Delayed, delay_cause(rng))
        } else if (COVID_START..=COVID_END).contains(&effective) && rng.chance(350) {
            (ProgressStatus::Delayed, Cause::Covid)
        } else if (due_date.is_some_and(|due| effective > due) && rng.chance(350)) || rng.chance(40)
        {
            // Often when past due, and now and then a slip for a local reason.
            (ProgressStatus::Delayed, delay_cause(rng))
        } else {
            percent = percent.max(along);
            (ProgressStatus::InProgress, Cause::None)
        };
        points.push(PathPoint {
            effective,
            status,
            percent,
            cause,
        });
        if matches!(
            status,
            ProgressStatus::Achieved | ProgressStatus::Discontinued
        ) {
            break;
        }
        effective += Duration::days(cadence + rng.between(-20, 30));
    }
    points
}

fn delay_cause(rng: &mut Rng) -> Cause {
    Cause::Delay(u8::try_from(rng.index(DELAY_CAUSES.len())).unwrap_or(0))
}

fn stop_cause(rng: &mut Rng) -> Cause {
    Cause::Stop(u8::try_from(rng.index(STOP_CAUSES.len())).unwrap_or(0))
}

/// `day` plus a random number of days in `0..=spread`, at most `last_day`.
fn clamp_day(day: Date, rng: &mut Rng, spread: i64, last_day: Date) -> Date {
    (day + Duration::days(rng.between(0, spread)))
        .min(last_day)
        .max(FIRST_COMMITMENT.min(last_day))
}

/// The last day of the quarter `day` falls in.
pub(crate) fn quarter_end(day: Date) -> Date {
    let (year, month) = (day.year(), u8::from(day.month()));
    let last_month = (month - 1) / 3 * 3 + 3;
    let month = time::Month::try_from(last_month).unwrap_or(time::Month::December);
    Date::from_calendar_date(year, month, month.length(year)).unwrap_or(day)
}

/// Rounds a target to two significant digits, as people set targets.
pub(crate) fn round_nicely(value: i64) -> i64 {
    let mut unit = 1;
    while value / unit >= 100 {
        unit *= 10;
    }
    (value / unit).max(1) * unit
}

/// Midnight UTC of `day`, as [`Micros`].
pub(crate) fn midnight(day: Date) -> Micros {
    day.midnight().assume_utc().unix_timestamp() * 1_000_000
}

/// The UTC date of a [`Micros`] time.
pub(crate) fn date_of(at: Micros) -> Date {
    let seconds = at.div_euclid(1_000_000);
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .map(|time| time.date())
        .unwrap_or(FIRST_COMMITMENT)
}
