//! `/objectives/{n}`, `/sdg-targets/{code}` and `/mechanisms/{id}`: the commitments behind each
//! number of the overview, filterable by status (and by mechanism or objective where the page is
//! not already about one), with a quarterly timeline of status counts.
//!
//! A page costs a fixed number of queries: one tally, one page of commitments (keyset paging,
//! [`PAGE_SIZE`] rows), the mechanisms for the filter, and one small indexed count per quarter of
//! the timeline (as `GET /v1/progress/timeline` does).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use compact_events::catalogue;
use compact_events::commitment::query::CommitmentStatus;
use compact_events::ids::{MechanismId, ObjectiveNumber, SdgTargetCode};
use compact_projections::query::{self, Clock, Filter, GroupBy, MechanismRow, Tally};

use super::charts::{self, TimelinePoint};
use super::error::WebError;
use super::i18n::STATUSES;
use super::tables::{CommitmentLine, StatusKey, TallyRow, status_keys};
use super::view::{Layout, Page};
use crate::csv::Csv;
use crate::http::progress::{Interval, period_ends};
use crate::state::AppState;
use time::Date;

/// Commitments per page.
pub const PAGE_SIZE: i64 = 100;

/// Where timelines start: the default `from` of `GET /v1/progress/timeline`, a year before the
/// GCM was adopted, so the chart and the API's series are the same.
const TIMELINE_FROM: Date = time::macros::date!(2018 - 01 - 01);

/// What a page is about.
enum Group {
    Objective(ObjectiveNumber),
    SdgTarget(SdgTargetCode),
    Mechanism(MechanismRow),
}

/// An option of a filter's `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The submitted value.
    pub value: String,
    /// What the option says.
    pub label: String,
    /// Whether it is the current filter.
    pub selected: bool,
}

/// One row of the timeline's data table.
#[derive(Debug, Clone)]
pub struct TimelineRow {
    /// The period end.
    pub period_end: String,
    /// Counts per status.
    pub counts: [i64; 6],
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupTemplate {
    layout: Layout,
    heading: String,
    subheading: String,
    facts: Vec<(String, String)>,
    statuses: Vec<StatusKey>,
    summary: TallyRow,
    status_choices: Vec<Choice>,
    mechanism_choices: Vec<Choice>,
    objective_choices: Vec<Choice>,
    action: String,
    hidden: Vec<(String, String)>,
    lines: Vec<CommitmentLine>,
    next_page: Option<String>,
    first_page: Option<String>,
    timeline_chart: String,
    timeline: Vec<TimelineRow>,
    csv_href: String,
    summary_csv: String,
    timeline_csv: String,
}

/// `GET /objectives/{number}`.
pub async fn objective(
    State(state): State<AppState>,
    page: Page,
    Path(number): Path<String>,
) -> Result<Html<String>, WebError> {
    let not_found = || WebError::not_found(format!("GCM objective {number} does not exist"));
    let number = number
        .parse::<i64>()
        .ok()
        .and_then(|n| ObjectiveNumber::new(n).ok())
        .ok_or_else(not_found)?;
    render(&state, &page, Group::Objective(number)).await
}

/// `GET /sdg-targets/{code}`.
pub async fn sdg_target(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
) -> Result<Html<String>, WebError> {
    let target = SdgTargetCode::parse(&code)
        .ok()
        .filter(|code| catalogue::sdg_target(code).is_some())
        .ok_or_else(|| WebError::not_found(format!("SDG target {code} does not exist")))?;
    render(&state, &page, Group::SdgTarget(target)).await
}

/// `GET /mechanisms/{id}`.
pub async fn mechanism(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let clock = page.clock(&state).await?;
    let not_found = || WebError::not_found(format!("no mechanism {id} is registered (as known)"));
    let slug = MechanismId::parse(&id).map_err(|_| not_found())?;
    let mechanism = query::mechanisms(&state.read.db(), clock.known, Some(slug.as_str()))
        .await?
        .pop()
        .ok_or_else(not_found)?;
    render(&state, &page, Group::Mechanism(mechanism)).await
}

async fn render(state: &AppState, page: &Page, group: Group) -> Result<Html<String>, WebError> {
    let t = page.t;
    let clock = page.clock(state).await?;
    let db = state.read.db();
    let (group_filter, group_by, key) = match &group {
        Group::Objective(number) => (
            Filter {
                objective: Some(*number),
                ..Filter::default()
            },
            GroupBy::Objective,
            number.to_string(),
        ),
        Group::SdgTarget(code) => (
            Filter {
                sdg_target: Some(code.clone()),
                ..Filter::default()
            },
            GroupBy::SdgTarget,
            code.to_string(),
        ),
        Group::Mechanism(mechanism) => (
            Filter {
                // A stored slug was parsed when it was registered.
                mechanism: Some(MechanismId::parse(&mechanism.id).map_err(WebError::internal)?),
                ..Filter::default()
            },
            GroupBy::Mechanism,
            mechanism.id.clone(),
        ),
    };
    let tallies = query::progress(&db, &clock, &group_filter, group_by).await?;
    let summary = TallyRow::new(
        key.clone(),
        t.summary.to_owned(),
        page.href(&page.path, &[]),
        tallies.get(&key).unwrap_or(&Tally::default()),
    );

    let filter = user_filter(page, group_filter)?;
    let after = page.param("after");
    let mut rows = query::commitments(&db, &clock, &filter, after, PAGE_SIZE + 1).await?;
    let (next_page, first_page) = page.paged(&mut rows, PAGE_SIZE, |row| row.id.clone());

    // The timeline follows the page's group and the mechanism/objective filters; a status filter
    // would hide the other lines of a chart that is about statuses.
    let timeline_filter = Filter {
        status: None,
        ..filter.clone()
    };
    let timeline = timeline(state, &clock, &timeline_filter).await?;
    let timeline_chart = charts::status_timeline(&timeline, t.timeline_caption, t.commitments)
        .map_err(WebError::internal)?;

    let mechanisms = query::mechanisms(&db, clock.known, None).await?;
    let (heading, subheading, facts) = describe(page, &group);
    let summary_csv_path = match group {
        Group::Objective(_) => "/progress/objectives.csv",
        Group::SdgTarget(_) => "/progress/sdg-targets.csv",
        Group::Mechanism(_) => "/progress/mechanisms.csv",
    };
    let list_params = api_filter(&filter);
    let template = GroupTemplate {
        layout: Layout::with_clock(page, state, heading.clone(), &clock).await?,
        heading,
        subheading,
        facts,
        statuses: status_keys(t),
        summary,
        status_choices: choices(
            page,
            filter.status.map(CommitmentStatus::as_str),
            STATUSES
                .iter()
                .map(|wire| ((*wire).to_owned(), t.status(wire).to_owned())),
        ),
        mechanism_choices: match group {
            Group::Mechanism(_) => Vec::new(),
            _ => choices(
                page,
                filter.mechanism.as_ref().map(MechanismId::as_str),
                mechanisms.into_iter().map(|m| (m.id, m.name)),
            ),
        },
        objective_choices: match group {
            Group::Objective(_) => Vec::new(),
            _ => choices(
                page,
                filter.objective.map(|n| n.to_string()).as_deref(),
                catalogue::gcm_objectives().iter().map(|objective| {
                    (
                        objective.number.to_string(),
                        format!(
                            "{}. {}",
                            objective.number,
                            objective.short_title.get(page.lang)
                        ),
                    )
                }),
            ),
        },
        action: page.path.clone(),
        hidden: page
            .query
            .iter()
            .filter(|(key, _)| ["lang", "as_of", "known"].contains(&key.as_str()))
            .cloned()
            .collect(),
        lines: rows
            .iter()
            .map(|row| CommitmentLine::new(page, row))
            .collect(),
        next_page,
        first_page,
        timeline_chart,
        timeline: timeline
            .iter()
            .map(|point| TimelineRow {
                period_end: point.period_end.to_string(),
                counts: point.counts,
            })
            .collect(),
        csv_href: {
            let extra: Vec<(&str, &str)> = list_params
                .iter()
                .map(|(key, value)| (*key, value.as_str()))
                .collect();
            page.href("/commitments.csv", &extra)
        },
        summary_csv: page.href(summary_csv_path, &[]),
        timeline_csv: {
            let params: Vec<(&str, String)> = api_filter(&timeline_filter);
            let extra: Vec<(&str, &str)> = params
                .iter()
                .map(|(key, value)| (*key, value.as_str()))
                .collect();
            page.href("/progress/timeline.csv", &extra)
        },
    };
    Ok(Html(template.render()?))
}

/// `GET /progress/timeline.csv?objective=…|sdg_target=…|mechanism=…`: a page's quarterly
/// timeline, on the page's clock.
pub async fn timeline_csv(
    State(state): State<AppState>,
    page: Page,
) -> Result<axum::response::Response, WebError> {
    let clock = page.clock(&state).await?;
    let mut filter = Filter::default();
    if let Some(code) = page.param("sdg_target") {
        let code =
            SdgTargetCode::parse(code).map_err(|error| WebError::bad_request(error.to_string()))?;
        filter.sdg_target = Some(code);
    }
    let filter = user_filter(&page, filter)?;
    let points = timeline(
        &state,
        &clock,
        &Filter {
            status: None,
            ..filter
        },
    )
    .await?;
    let mut columns = vec!["period_end"];
    columns.extend(STATUSES);
    let mut csv = Csv::new(&columns);
    for point in points {
        let mut fields = vec![point.period_end.to_string()];
        fields.extend(point.counts.iter().map(ToString::to_string));
        csv.row(fields);
    }
    Ok(csv.into_response("timeline.csv"))
}

/// `GET /commitments.csv?objective=…&sdg_target=…&mechanism=…&status=…`: a page's list of
/// commitments, all of them, on the page's clock, written as `GET /v1/commitments?format=csv`
/// writes it ([`crate::csv::commitments`]). Served from the page's session, so it works on a
/// `--private` server for a signed-in reporter, whose browser has no bearer token.
pub async fn commitments_csv(
    State(state): State<AppState>,
    page: Page,
) -> Result<axum::response::Response, WebError> {
    let filter = query_filter(&page)?;
    let clock = page.clock(&state).await?;
    let rows = query::commitments(&state.read.db(), &clock, &filter, None, i64::MAX).await?;
    Ok(crate::csv::commitments(rows).into_response("commitments.csv"))
}

/// The filters of a CSV link's query: `sdg_target` plus those of [`user_filter`].
fn query_filter(page: &Page) -> Result<Filter, WebError> {
    let mut filter = Filter::default();
    if let Some(code) = page.param("sdg_target") {
        let code =
            SdgTargetCode::parse(code).map_err(|error| WebError::bad_request(error.to_string()))?;
        filter.sdg_target = Some(code);
    }
    user_filter(page, filter)
}

/// The page's group narrowed by the filters in its query (`status`, and `mechanism` and
/// `objective` where the group does not fix them already).
fn user_filter(page: &Page, mut filter: Filter) -> Result<Filter, WebError> {
    if let Some(status) = page.param("status") {
        let known = CommitmentStatus::ALL
            .into_iter()
            .find(|known| known.as_str() == status);
        let Some(known) = known else {
            return Err(WebError::bad_request(format!(
                "there is no status `{status}`"
            )));
        };
        filter.status = Some(known);
    }
    if let Some(mechanism) = page.param("mechanism")
        && filter.mechanism.is_none()
    {
        let id = MechanismId::parse(mechanism)
            .map_err(|error| WebError::bad_request(error.to_string()))?;
        filter.mechanism = Some(id);
    }
    if let Some(objective) = page.param("objective")
        && filter.objective.is_none()
    {
        let number = objective
            .parse::<i64>()
            .ok()
            .and_then(|n| ObjectiveNumber::new(n).ok())
            .ok_or_else(|| {
                WebError::bad_request(format!("there is no GCM objective `{objective}`"))
            })?;
        filter.objective = Some(number);
    }
    Ok(filter)
}

/// The same filter as query parameters of `GET /v1/commitments`.
fn api_filter(filter: &Filter) -> Vec<(&'static str, String)> {
    let mut params = Vec::new();
    if let Some(mechanism) = &filter.mechanism {
        params.push(("mechanism", mechanism.to_string()));
    }
    if let Some(objective) = filter.objective {
        params.push(("objective", objective.to_string()));
    }
    if let Some(target) = &filter.sdg_target {
        params.push(("sdg_target", target.to_string()));
    }
    if let Some(status) = &filter.status {
        params.push(("status", status.as_str().to_owned()));
    }
    params
}

/// Status counts at the end of each quarter from [`TIMELINE_FROM`] to the page's date.
async fn timeline(
    state: &AppState,
    clock: &Clock,
    filter: &Filter,
) -> Result<Vec<TimelinePoint>, WebError> {
    if TIMELINE_FROM > clock.as_of {
        return Ok(Vec::new());
    }
    let ends = period_ends(TIMELINE_FROM, clock.as_of, Interval::Quarter);
    let series = query::timeline(&state.read.db(), clock, filter, &ends).await?;
    Ok(series
        .into_iter()
        .map(|(period_end, counts)| TimelinePoint {
            period_end,
            counts: STATUSES.map(|status| counts.get(status).copied().unwrap_or(0)),
        })
        .collect())
}

/// Heading, subheading and facts of the page's group, in the page's language.
fn describe(page: &Page, group: &Group) -> (String, String, Vec<(String, String)>) {
    let t = page.t;
    match group {
        Group::Objective(number) => {
            let objective = catalogue::gcm_objective(*number);
            (
                format!(
                    "{} {number}{}{}",
                    t.objective_heading,
                    t.colon,
                    objective.map_or("", |o| o.short_title.get(page.lang))
                ),
                objective.map_or_else(String::new, |o| o.title.get(page.lang).to_owned()),
                Vec::new(),
            )
        }
        Group::SdgTarget(code) => (
            format!("{} {code}", t.sdg_target_heading),
            catalogue::sdg_target(code)
                .map_or_else(String::new, |target| target.title.get(page.lang).to_owned()),
            Vec::new(),
        ),
        Group::Mechanism(mechanism) => (
            format!("{}{}{}", t.mechanism_heading, t.colon, mechanism.name),
            String::new(),
            vec![
                (
                    t.kind.to_owned(),
                    t.mechanism_kind(&mechanism.kind).to_owned(),
                ),
                (
                    t.region.to_owned(),
                    mechanism.region.clone().unwrap_or_default(),
                ),
            ],
        ),
    }
}

/// The options of a filter, "all" first.
fn choices(
    page: &Page,
    current: Option<&str>,
    options: impl Iterator<Item = (String, String)>,
) -> Vec<Choice> {
    let mut list = vec![Choice {
        value: String::new(),
        label: page.t.all.to_owned(),
        selected: current.is_none(),
    }];
    list.extend(options.map(|(value, label)| Choice {
        selected: current == Some(value.as_str()),
        value,
        label,
    }));
    list
}
