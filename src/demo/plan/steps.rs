//! [`Planner`]: a commitment's steps after it is made — when each update is recorded, what the
//! secretariat and the reporter do with it afterwards, revisions and a withdrawal.

use compact_events::event::commitment::{Decision, ProgressStatus};
use time::macros::date;
use time::{Date, Duration};

use super::{
    Action, GRCP7, IMRF_2022, Micros, PathPoint, Report, Revision, Showcase, Step, date_of,
    midnight,
};
use crate::demo::rng::Rng;
use crate::demo::templates::TEMPLATES;

/// Collects a commitment's steps.
pub(super) struct Planner {
    /// The commitment's random stream.
    pub(super) rng: Rng,
    /// The steps so far, in the order planned.
    pub(super) steps: Vec<Step>,
    /// The planned number of the next update.
    pub(super) next_number: u16,
    /// The end of the timeline: steps at or after it are dropped.
    pub(super) end: Micros,
}

impl Planner {
    /// A working-hours time on `day` (07:00–18:00 UTC), with microseconds.
    pub(super) fn time_on(&mut self, day: Date) -> Micros {
        midnight(day)
            + self.rng.between(7 * 3_600, 18 * 3_600 - 1) * 1_000_000
            + self.rng.between(0, 999_999)
    }

    /// A time `low..=high` days after `after`.
    fn days_after(&mut self, after: Micros, low: i64, high: i64) -> Micros {
        let day = date_of(after) + Duration::days(self.rng.between(low, high));
        self.time_on(day)
    }

    /// Adds a step if it falls before the end of the timeline; says whether it did.
    fn push(&mut self, at: Micros, action: Action) -> bool {
        if at >= self.end {
            return false;
        }
        self.steps.push(Step { at, action });
        true
    }

    fn new_report(&mut self, point: &PathPoint, correction: bool) -> Report {
        let number = self.next_number;
        self.next_number = self.next_number.saturating_add(1);
        Report {
            number,
            status: point.status,
            effective: point.effective,
            percent: point.percent,
            cause: point.cause,
            correction,
        }
    }

    /// Gives each point of the path a recording time, and plans what happens to each update.
    pub(super) fn record_reports(
        &mut self,
        path: &[PathPoint],
        entered: Micros,
        cutoff: Micros,
        late_around_imrf: bool,
        showcase: Option<Showcase>,
    ) {
        let entered_on = date_of(entered);
        let imrf_window = date!(2021 - 07 - 01)..IMRF_2022;
        let mut first = true;
        for point in path {
            let recorded = if point.effective < entered_on {
                // Work done before the commitment was entered is reported when it is entered.
                self.days_after(entered, 1, 20)
            } else if late_around_imrf && imrf_window.contains(&point.effective) {
                // Reported in a batch after IMRF 2022 for periods before it: `as_of` views of the
                // forum's dates change, `known_at` views of them do not.
                let day = IMRF_2022 + Duration::days(self.rng.between(1, 150));
                self.time_on(day.max(point.effective))
            } else if self.rng.chance(60) {
                self.days_after(midnight(point.effective), 90, 400)
            } else {
                self.days_after(midnight(point.effective), 3, 45)
            };
            if recorded >= cutoff || recorded <= entered {
                continue;
            }
            let report = self.new_report(point, false);
            if !self.push(recorded, Action::Report(report)) {
                continue;
            }
            let forced = if first { showcase } else { None };
            first = false;
            self.plan_aftermath(point, report.number, recorded, forced);
        }
    }

    /// Plans the retraction or the secretariat's review of one update.
    fn plan_aftermath(
        &mut self,
        point: &PathPoint,
        number: u16,
        recorded: Micros,
        forced: Option<Showcase>,
    ) {
        let retract = match forced {
            Some(Showcase::RetractAndCorrect) => true,
            Some(_) => false,
            None => self.rng.chance(45),
        };
        if retract {
            let at = self.days_after(recorded, 1, 30);
            if self.push(at, Action::Retract { report: number })
                && (forced.is_some() || self.rng.chance(700))
            {
                self.plan_correction(point, at);
            }
            return;
        }
        let decision = match forced {
            Some(Showcase::RejectAndResubmit) => Some(Decision::Rejected),
            Some(Showcase::ChangeOfMind) => Some(Decision::Validated),
            _ => match self.rng.weighted(&[550, 40, 410]) {
                0 => Some(Decision::Validated),
                1 => Some(Decision::Rejected),
                _ => None,
            },
        };
        let Some(decision) = decision else {
            return;
        };
        let at = self.days_after(recorded, 7, 120);
        let review = Action::Review {
            report: number,
            decision,
            reconsidered: false,
        };
        if !self.push(at, review) {
            return;
        }
        match decision {
            Decision::Validated
                if forced == Some(Showcase::ChangeOfMind) || self.rng.chance(20) =>
            {
                let later = self.days_after(at, 30, 200);
                self.push(
                    later,
                    Action::Review {
                        report: number,
                        decision: Decision::Rejected,
                        reconsidered: true,
                    },
                );
            }
            Decision::Validated => {}
            Decision::Rejected if forced.is_none() && self.rng.chance(300) => {
                let later = self.days_after(at, 10, 90);
                self.push(
                    later,
                    Action::Review {
                        report: number,
                        decision: Decision::Validated,
                        reconsidered: true,
                    },
                );
            }
            Decision::Rejected => {
                if forced.is_some() || self.rng.chance(500) {
                    let later = self.days_after(at, 5, 40);
                    self.plan_correction_at(point, later);
                }
            }
        }
    }

    fn plan_correction(&mut self, point: &PathPoint, retracted: Micros) {
        let at = self.days_after(retracted, 1, 10);
        self.plan_correction_at(point, at);
    }

    /// A corrected update for the same period, validated later more often than not.
    fn plan_correction_at(&mut self, point: &PathPoint, at: Micros) {
        let mut corrected = *point;
        if corrected.status == ProgressStatus::InProgress {
            let shift = self.rng.between(-1, 1) * 5;
            let percent = (i64::from(corrected.percent) + shift).clamp(0, 95);
            corrected.percent = u8::try_from(percent).unwrap_or(corrected.percent);
        }
        let report = self.new_report(&corrected, true);
        if self.push(at, Action::Report(report)) && self.rng.chance(800) {
            let review_at = self.days_after(at, 7, 60);
            self.push(
                review_at,
                Action::Review {
                    report: report.number,
                    decision: Decision::Validated,
                    reconsidered: false,
                },
            );
        }
    }

    pub(super) fn plan_revisions(
        &mut self,
        entered: Micros,
        showcase: Option<Showcase>,
        template: usize,
        made_on: Date,
        has_indicator: bool,
    ) {
        let count = match showcase {
            Some(Showcase::Revised) => 2,
            Some(_) => 0,
            None => match self.rng.weighted(&[780, 180, 40]) {
                0 => 0,
                1 => 1,
                _ => 2,
            },
        };
        let mut used: Vec<usize> = Vec::new();
        for _ in 0..count {
            // Kinds: extend due date, second phase, add target, add recommendation, earlier
            // made_on, raise indicator target; each at most once, and only where it can change
            // something.
            let mut weights = [30_u32, 10, 15, 15, 10, 10];
            if TEMPLATES[template].extra_targets.is_empty() {
                weights[2] = 0;
            }
            if made_on <= GRCP7 + Duration::days(60) {
                weights[4] = 0;
            }
            if !has_indicator {
                weights[5] = 0;
            }
            for kind in &used {
                weights[*kind] = 0;
            }
            if showcase == Some(Showcase::Revised) {
                weights = if used.is_empty() {
                    [1, 0, 0, 0, 0, 0]
                } else {
                    [0, 1, 0, 0, 0, 0]
                };
            }
            let kind = self.rng.weighted(&weights);
            used.push(kind);
            let revision = match kind {
                0 => Revision::ExtendDue {
                    months: u8::try_from(self.rng.between(6, 24)).unwrap_or(12),
                },
                1 => Revision::PhaseTwo {
                    months: u8::try_from(self.rng.between(18, 36)).unwrap_or(24),
                },
                2 => Revision::AddTarget,
                3 => Revision::AddRecommendation,
                4 => Revision::EarlierMadeOn {
                    months: u8::try_from(self.rng.between(1, 2)).unwrap_or(1),
                },
                _ => Revision::RaiseTarget,
            };
            let span = (date_of(self.end) - date_of(entered)).whole_days();
            let at = self.days_after(entered, 30, span.max(31));
            self.push(at, Action::Revise(revision));
        }
    }

    pub(super) fn plan_withdrawal(&mut self, entered: Micros) {
        let span = (date_of(self.end) - date_of(entered)).whole_days();
        let at = self.days_after(entered, 60, span.max(61));
        self.push(at, Action::Withdraw);
    }
}
