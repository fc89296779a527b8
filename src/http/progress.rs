//! Progress toward the GCM objectives and SDG targets (SPEC.md "HTTP API": `/v1/progress/…`),
//! answered from the read models on both clocks.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use compact_events::catalogue::{self, Lang};
use compact_events::commitment::query::CommitmentStatus;
use compact_events::freshness::Freshness;
use compact_events::ids::{MechanismId, ObjectiveNumber, SdgTargetCode};
use compact_projections::query::{self, Clock, Filter, GroupBy, Tally};
use serde::{Deserialize, Serialize};
use time::{Date, Month};

use super::auth::Reader;
use super::error::{ApiError, ReadProblems};
use super::extract::ApiQuery;
use super::read_clock::{ClockParams, resolve};
use crate::state::AppState;

/// Filters and clocks of the progress reads.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgressParams {
    /// Only this mechanism's commitments.
    #[param(value_type = Option<String>)]
    pub mechanism: Option<MechanismId>,
    /// Only commitments of mechanisms in this region.
    pub region: Option<String>,
    /// State on this effective date, YYYY-MM-DD (default: today).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(
        default,
        deserialize_with = "crate::http::extract::question_date::option::deserialize"
    )]
    pub as_of: Option<Date>,
    /// Using only events recorded up to this instant, RFC 3339 (default: now).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub known_at: Option<time::OffsetDateTime>,
    /// Count only validated progress updates.
    #[serde(default)]
    pub validated_only: bool,
    /// Wait (up to 5 s) until the read models have applied this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

impl ProgressParams {
    fn clock(&self) -> ClockParams {
        ClockParams {
            as_of: self.as_of,
            known_at: self.known_at,
            validated_only: self.validated_only,
            min_position: self.min_position,
        }
    }

    fn filter(&self) -> Filter {
        Filter {
            mechanism: self.mechanism.clone(),
            region: self.region.clone(),
            ..Filter::default()
        }
    }
}

/// Counts behind one row of a progress table.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TallyView {
    /// Commitments counted.
    pub commitments: i64,
    /// Commitments by status (every status present, zero if none).
    pub by_status: BTreeMap<String, i64>,
    /// Mean percent complete over commitments that give one (withdrawn excluded).
    pub mean_percent: Option<f64>,
    /// Distinct mechanisms involved.
    pub mechanisms: i64,
    /// Reporting freshness counts (withdrawn excluded): current, due, overdue.
    pub freshness: BTreeMap<String, i64>,
}

impl From<&Tally> for TallyView {
    fn from(tally: &Tally) -> Self {
        let by_status = CommitmentStatus::ALL
            .iter()
            .map(|status| {
                let count = tally.by_status.get(status.as_str()).copied().unwrap_or(0);
                (status.as_str().to_owned(), count)
            })
            .collect();
        let freshness = Freshness::ALL
            .iter()
            .map(|f| {
                (
                    f.as_str().to_owned(),
                    tally.freshness.get(f).copied().unwrap_or(0),
                )
            })
            .collect();
        Self {
            commitments: tally.total(),
            by_status,
            mean_percent: tally
                .mean_percent()
                .map(|mean| (mean * 10.0).round() / 10.0),
            mechanisms: tally.mechanisms,
            freshness,
        }
    }
}

/// The clocks an answer is for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClockView {
    /// The effective date.
    #[schema(value_type = String, format = Date)]
    pub as_of: Date,
    /// The last global position taken into account.
    pub known_position: i64,
    /// Whether only validated updates count.
    pub validated_only: bool,
}

impl From<&Clock> for ClockView {
    fn from(clock: &Clock) -> Self {
        Self {
            as_of: clock.as_of,
            known_position: clock.known,
            validated_only: clock.basis == compact_projections::curve::Basis::Validated,
        }
    }
}

/// One GCM objective's progress.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ObjectiveProgress {
    /// 1 to 23.
    pub objective: u8,
    /// Short title (Migration Network Hub).
    pub short_title: String,
    /// Official title (A/RES/73/195).
    pub title: String,
    /// The counts.
    #[serde(flatten)]
    pub tally: TallyView,
}

/// Progress per GCM objective.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ObjectivesProgress {
    /// The clocks answered for.
    #[serde(flatten)]
    pub clock: ClockView,
    /// All 23 objectives, in order.
    pub objectives: Vec<ObjectiveProgress>,
}

/// Per GCM objective: commitments by status, mean percent, mechanisms, freshness.
#[utoipa::path(
    get,
    path = "/v1/progress/objectives",
    tag = "progress",
    params(ProgressParams),
    responses((status = 200, description = "Progress per GCM objective", body = ObjectivesProgress), ReadProblems)
)]
pub async fn objectives(
    State(state): State<AppState>,
    _reader: Reader,
    ApiQuery(params): ApiQuery<ProgressParams>,
) -> Result<Json<ObjectivesProgress>, ApiError> {
    let clock = resolve(&state, &params.clock()).await?;
    let tallies = query::progress(
        &state.read.db(),
        &clock,
        &params.filter(),
        GroupBy::Objective,
    )
    .await
    .map_err(ApiError::internal)?;
    let empty = Tally::default();
    let objectives = catalogue::gcm_objectives()
        .iter()
        .map(|objective| ObjectiveProgress {
            objective: objective.number.get(),
            short_title: objective.short_title.get(Lang::En).to_owned(),
            title: objective.title.get(Lang::En).to_owned(),
            tally: tallies
                .get(&objective.number.to_string())
                .unwrap_or(&empty)
                .into(),
        })
        .collect();
    Ok(Json(ObjectivesProgress {
        clock: (&clock).into(),
        objectives,
    }))
}

/// One SDG target's progress.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TargetProgress {
    /// The target code, e.g. `10.7`.
    pub sdg_target: String,
    /// The official text.
    pub title: String,
    /// Whether DOMAIN.md lists it as migration-relevant.
    pub migration_relevant: bool,
    /// The counts.
    #[serde(flatten)]
    pub tally: TallyView,
}

/// Progress per SDG target.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TargetsProgress {
    /// The clocks answered for.
    #[serde(flatten)]
    pub clock: ClockView,
    /// The migration-relevant targets and every other target with commitments, in catalogue order.
    pub sdg_targets: Vec<TargetProgress>,
}

/// Per SDG target: commitments by status, mean percent, mechanisms, freshness.
#[utoipa::path(
    get,
    path = "/v1/progress/sdg-targets",
    tag = "progress",
    params(ProgressParams),
    responses((status = 200, description = "Progress per SDG target", body = TargetsProgress), ReadProblems)
)]
pub async fn sdg_targets(
    State(state): State<AppState>,
    _reader: Reader,
    ApiQuery(params): ApiQuery<ProgressParams>,
) -> Result<Json<TargetsProgress>, ApiError> {
    let clock = resolve(&state, &params.clock()).await?;
    let tallies = query::progress(
        &state.read.db(),
        &clock,
        &params.filter(),
        GroupBy::SdgTarget,
    )
    .await
    .map_err(ApiError::internal)?;
    let empty = Tally::default();
    let sdg_targets = catalogue::sdg_targets()
        .iter()
        .filter(|target| target.migration_relevant || tallies.contains_key(target.code.as_str()))
        .map(|target| TargetProgress {
            sdg_target: target.code.to_string(),
            title: target.title.get(Lang::En).to_owned(),
            migration_relevant: target.migration_relevant,
            tally: tallies.get(target.code.as_str()).unwrap_or(&empty).into(),
        })
        .collect();
    Ok(Json(TargetsProgress {
        clock: (&clock).into(),
        sdg_targets,
    }))
}

/// Period lengths of a timeline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    /// Calendar months.
    Month,
    /// Calendar quarters.
    #[default]
    Quarter,
    /// Calendar years.
    Year,
}

/// What a timeline follows.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    /// Commitments toward this GCM objective.
    #[param(minimum = 1, maximum = 23)]
    #[param(value_type = Option<u8>)]
    pub objective: Option<ObjectiveNumber>,
    /// Commitments toward this SDG target.
    #[param(value_type = Option<String>)]
    pub sdg_target: Option<SdgTargetCode>,
    /// One mechanism's commitments.
    #[param(value_type = Option<String>)]
    pub mechanism: Option<MechanismId>,
    /// `month`, `quarter` (default) or `year`.
    #[param(inline)]
    pub interval: Option<Interval>,
    /// First day of the series (default 2018-01-01).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(
        default,
        deserialize_with = "crate::http::extract::question_date::option::deserialize"
    )]
    pub from: Option<Date>,
    /// Last day of the series (default: today).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(
        default,
        deserialize_with = "crate::http::extract::question_date::option::deserialize"
    )]
    pub to: Option<Date>,
    /// Using only events recorded up to this instant, RFC 3339 (default: now).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub known_at: Option<time::OffsetDateTime>,
    /// Count only validated progress updates.
    #[serde(default)]
    pub validated_only: bool,
    /// Wait (up to 5 s) until the read models have applied this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Status counts at one period end.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelinePoint {
    /// The last day of the period (or `to` for the last, partial one).
    #[schema(value_type = String, format = Date)]
    pub period_end: Date,
    /// Commitments by status on that day.
    pub by_status: BTreeMap<String, i64>,
}

/// A timeline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    /// The period length.
    #[schema(value_type = String)]
    pub interval: &'static str,
    /// The last global position taken into account.
    pub known_position: i64,
    /// One point per period.
    pub series: Vec<TimelinePoint>,
}

/// The most periods one timeline returns.
const MAX_PERIODS: usize = 400;

/// Status counts per period end, for an objective, an SDG target or a mechanism.
#[utoipa::path(
    get,
    path = "/v1/progress/timeline",
    tag = "progress",
    params(TimelineParams),
    responses((status = 200, description = "Status counts per period", body = Timeline), ReadProblems)
)]
pub async fn timeline(
    State(state): State<AppState>,
    _reader: Reader,
    ApiQuery(params): ApiQuery<TimelineParams>,
) -> Result<Json<Timeline>, ApiError> {
    let clock = resolve(
        &state,
        &ClockParams {
            as_of: params.to,
            known_at: params.known_at,
            validated_only: params.validated_only,
            min_position: params.min_position,
        },
    )
    .await?;
    let from = params.from.unwrap_or(time::macros::date!(2018 - 01 - 01));
    let to = clock.as_of;
    if from > to {
        return Err(ApiError::BadRequest("from must not be after to".into()));
    }
    let interval = params.interval.unwrap_or_default();
    let ends = period_ends(from, to, interval);
    if ends.len() > MAX_PERIODS {
        return Err(ApiError::BadRequest(format!(
            "that is {} periods; ask for at most {MAX_PERIODS} (a longer interval or a shorter range)",
            ends.len()
        )));
    }
    let filter = Filter {
        mechanism: params.mechanism.clone(),
        objective: params.objective,
        sdg_target: params.sdg_target.clone(),
        ..Filter::default()
    };
    let series = query::timeline(&state.read.db(), &clock, &filter, &ends)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Timeline {
        interval: match interval {
            Interval::Month => "month",
            Interval::Quarter => "quarter",
            Interval::Year => "year",
        },
        known_position: clock.known,
        series: series
            .into_iter()
            .map(|(period_end, counts)| TimelinePoint {
                period_end,
                by_status: CommitmentStatus::ALL
                    .iter()
                    .map(|s| {
                        (
                            s.as_str().to_owned(),
                            counts.get(s.as_str()).copied().unwrap_or(0),
                        )
                    })
                    .collect(),
            })
            .collect(),
    }))
}

/// The last day of every period that ends after `from`, up to `to` (which closes the last one).
pub fn period_ends(from: Date, to: Date, interval: Interval) -> Vec<Date> {
    let step = match interval {
        Interval::Month => 1,
        Interval::Quarter => 3,
        Interval::Year => 12,
    };
    let mut ends = Vec::new();
    // Months are counted from year 0 so that quarters and years align with the calendar.
    let mut month_index = from.year() * 12 + i32::from(u8::from(from.month())) - 1;
    month_index = month_index - month_index.rem_euclid(step) + step - 1;
    loop {
        let year = month_index.div_euclid(12);
        let month = Month::try_from(u8::try_from(month_index.rem_euclid(12) + 1).unwrap_or(1))
            .unwrap_or(Month::January);
        let Ok(end) = Date::from_calendar_date(year, month, month.length(year)) else {
            break;
        };
        if end >= to {
            ends.push(to);
            break;
        }
        ends.push(end);
        month_index += step;
        if ends.len() > MAX_PERIODS {
            break;
        }
    }
    ends
}

/// What moved between two dates.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// The earlier date, e.g. the last review.
    #[param(value_type = String, format = Date)]
    #[serde(deserialize_with = "crate::http::extract::question_date::deserialize")]
    pub from: Date,
    /// The later date (default: today).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(
        default,
        deserialize_with = "crate::http::extract::question_date::option::deserialize"
    )]
    pub to: Option<Date>,
    /// Only this mechanism's commitments.
    #[param(value_type = Option<String>)]
    pub mechanism: Option<MechanismId>,
    /// Only commitments toward this GCM objective.
    #[param(value_type = Option<u8>, minimum = 1, maximum = 23)]
    pub objective: Option<ObjectiveNumber>,
    /// Only commitments toward this SDG target.
    #[param(value_type = Option<String>)]
    pub sdg_target: Option<SdgTargetCode>,
    /// Only commitments of mechanisms in this region.
    pub region: Option<String>,
    /// Using only events recorded up to this instant, RFC 3339 (default: now).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub known_at: Option<time::OffsetDateTime>,
    /// Count only validated progress updates.
    #[serde(default)]
    pub validated_only: bool,
    /// At most this many commitments (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Wait (up to 5 s) until the read models have applied this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A commitment's state on one date.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StateView {
    /// Status (`null`: not made yet).
    pub status: Option<String>,
    /// Percent complete.
    pub percent_complete: Option<u8>,
}

/// A report that moved a commitment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MovingReport {
    /// Its sequence number.
    pub seq: i64,
    /// The day it applies to.
    #[schema(value_type = String, format = Date)]
    pub effective_date: Date,
    /// The reported status.
    pub status: String,
    /// The reported percent.
    pub percent_complete: Option<u8>,
    /// Its global position (its event in the history).
    pub position: i64,
    /// Whether it was retracted (as known).
    pub retracted: bool,
}

/// One commitment that moved.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    /// The commitment.
    pub commitment_id: String,
    /// Its mechanism.
    pub mechanism_id: String,
    /// Its title.
    pub title: String,
    /// On `from`.
    pub before: StateView,
    /// On `to`.
    pub after: StateView,
    /// The reports effective after `from`, on or before `to`.
    pub reports: Vec<MovingReport>,
}

/// What moved between two dates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Changes {
    /// The earlier date.
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    /// The later date.
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// The last global position taken into account.
    pub known_position: i64,
    /// Commitments whose status or percent differ between the two dates.
    pub changes: Vec<ChangeView>,
}

/// Commitments whose status or percent changed between two dates, with the reports that moved them.
#[utoipa::path(
    get,
    path = "/v1/progress/changes",
    tag = "progress",
    params(ChangesParams),
    responses((status = 200, description = "What moved", body = Changes), ReadProblems)
)]
pub async fn changes(
    State(state): State<AppState>,
    _reader: Reader,
    ApiQuery(params): ApiQuery<ChangesParams>,
) -> Result<Json<Changes>, ApiError> {
    let clock = resolve(
        &state,
        &ClockParams {
            as_of: params.to,
            known_at: params.known_at,
            validated_only: params.validated_only,
            min_position: params.min_position,
        },
    )
    .await?;
    if params.from > clock.as_of {
        return Err(ApiError::BadRequest("from must not be after to".into()));
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 1000".into()));
    }
    let filter = Filter {
        mechanism: params.mechanism.clone(),
        objective: params.objective,
        sdg_target: params.sdg_target.clone(),
        region: params.region.clone(),
        status: None,
    };
    let found = query::changes(&state.read.db(), &clock, &filter, params.from, None, limit)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Changes {
        from: params.from,
        to: clock.as_of,
        known_position: clock.known,
        changes: found
            .into_iter()
            .map(|change| ChangeView {
                commitment_id: change.commitment_id,
                mechanism_id: change.mechanism_id,
                title: change.title,
                before: StateView {
                    status: change.status_before,
                    percent_complete: change.percent_before,
                },
                after: StateView {
                    status: change.status_after,
                    percent_complete: change.percent_after,
                },
                reports: change
                    .reports
                    .into_iter()
                    .map(|report| MovingReport {
                        seq: report.seq,
                        effective_date: report.effective_date,
                        status: report.status,
                        percent_complete: report.percent,
                        position: report.position,
                        retracted: report.retracted,
                    })
                    .collect(),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn quarters_end_on_calendar_quarter_ends_and_the_last_is_clipped() {
        assert_eq!(
            period_ends(
                date!(2022 - 02 - 10),
                date!(2022 - 11 - 15),
                Interval::Quarter
            ),
            [
                date!(2022 - 03 - 31),
                date!(2022 - 06 - 30),
                date!(2022 - 09 - 30),
                date!(2022 - 11 - 15)
            ]
        );
    }

    #[test]
    fn months_and_years_follow_the_calendar() {
        assert_eq!(
            period_ends(
                date!(2024 - 01 - 31),
                date!(2024 - 03 - 31),
                Interval::Month
            ),
            [
                date!(2024 - 01 - 31),
                date!(2024 - 02 - 29),
                date!(2024 - 03 - 31)
            ]
        );
        assert_eq!(
            period_ends(date!(2018 - 01 - 01), date!(2020 - 06 - 01), Interval::Year),
            [
                date!(2018 - 12 - 31),
                date!(2019 - 12 - 31),
                date!(2020 - 06 - 01)
            ]
        );
    }
}
