//! The progress form: `GET` shows it, `POST` records a progress update through the API's rules
//! or shows it again with the domain's messages beside the fields.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use compact_events::command::CommitmentCommand;
use compact_events::command::report_progress::ReportProgress;
use compact_events::commitment::query::CommitmentStatus;
use compact_events::event::commitment::Commitment;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::{
    FormErrors, FormFields, nonce, parse, rejected, respond, run, writable, write_context,
};
use crate::http::commitments::CreateProgress;
use crate::state::AppState;
use crate::web::commitment::{Loaded, load};
use crate::web::error::{WebError, see_other};
use crate::web::session::{Writer, check_same_origin, writer};
use crate::web::view::{Layout, Page};
use crate::write::Prefetched;

/// The inputs of the progress form.
const PROGRESS_FIELDS: [&str; 6] = [
    "status",
    "effective_date",
    "percent_complete",
    "indicator_value",
    "narrative",
    "evidence_urls",
];

/// An option of the status select.
#[derive(Debug, Clone)]
pub struct StatusOption {
    /// The wire name.
    pub value: &'static str,
    /// Its name in the page's language.
    pub label: &'static str,
    /// Whether it is selected.
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "progress_form.html")]
struct ProgressTemplate {
    layout: Layout,
    action: String,
    cancel: String,
    title: String,
    csrf: String,
    nonce: String,
    statuses: Vec<StatusOption>,
    effective_date: String,
    today: String,
    percent_complete: String,
    has_indicator: bool,
    indicator_value: String,
    narrative: String,
    evidence_urls: String,
    errors: FormErrors,
}

/// `GET /commitments/{id}/progress`: the progress form.
pub async fn progress_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let writer = match writer(&page, &state).await {
        Ok(writer) => writer,
        Err(redirect) => return Ok(redirect),
    };
    let loaded = load(&state, &id, None).await?;
    let commitment = writable(&writer, &loaded)?;
    let today = OffsetDateTime::now_utc().date().to_string();
    let current = loaded
        .state
        .status_as_of(OffsetDateTime::now_utc().date(), false)
        .unwrap_or(CommitmentStatus::Planned);
    let fields = FormFields(vec![
        ("status".to_owned(), current.as_str().to_owned()),
        ("effective_date".to_owned(), today),
    ]);
    render_progress(
        &page,
        &writer,
        &loaded,
        commitment,
        &fields,
        FormErrors::default(),
    )
}

/// `POST /commitments/{id}/progress`: records a progress update, or shows the form again with
/// the domain's messages beside the fields (nothing appended).
pub async fn submit_progress(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    headers: HeaderMap,
    fields: FormFields,
) -> Result<Response, WebError> {
    check_same_origin(&headers)?;
    let writer = match writer(&page, &state).await {
        Ok(writer) => writer,
        Err(redirect) => return Ok(redirect),
    };
    let loaded = load(&state, &id, None).await?;
    let commitment = writable(&writer, &loaded)?;
    if !writer.session.csrf_matches(fields.get("csrf")) {
        let errors = FormErrors {
            general: Some(page.t.form_expired.to_owned()),
            ..FormErrors::default()
        };
        return render_progress(&page, &writer, &loaded, commitment, &fields, errors);
    }
    let body = progress_body(&fields);
    let outcome = match parse::<CreateProgress>(&body) {
        Ok(request) => {
            let command = ReportProgress::from(request);
            let write = write_context(&writer, &headers, &fields, "progress", &id, &body);
            run(
                &state,
                &writer,
                &loaded,
                &write,
                &Prefetched::default(),
                |_| Ok(CommitmentCommand::ReportProgress(command.clone())),
            )
            .await
        }
        Err(error) => Err(error),
    };
    match outcome {
        Ok(_) => Ok(see_other(&page.href(
            &format!("/commitments/{}", loaded.id),
            &[("recorded", "progress")],
        ))),
        Err(error) => {
            let errors = rejected(error, &PROGRESS_FIELDS)?;
            render_progress(&page, &writer, &loaded, commitment, &fields, errors)
        }
    }
}

/// The API body of a progress form: empty optional fields are left out, and a percent that is not
/// a whole number is passed on as text so the API's parser names it.
fn progress_body(fields: &FormFields) -> Value {
    let mut body = Map::new();
    body.insert("status".into(), json!(fields.get("status")));
    body.insert("effective_date".into(), json!(fields.get("effective_date")));
    let percent = fields.get("percent_complete").trim();
    if !percent.is_empty() {
        let value = percent
            .parse::<i64>()
            .map_or_else(|_| json!(percent), |n| json!(n));
        body.insert("percent_complete".into(), value);
    }
    let indicator = fields.get("indicator_value").trim();
    if !indicator.is_empty() {
        body.insert("indicator_value".into(), json!(indicator));
    }
    body.insert("narrative".into(), json!(fields.get("narrative")));
    let urls: Vec<&str> = fields
        .get("evidence_urls")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    body.insert("evidence_urls".into(), json!(urls));
    Value::Object(body)
}

fn render_progress(
    page: &Page,
    writer: &Writer,
    loaded: &Loaded,
    commitment: &Commitment,
    fields: &FormFields,
    errors: FormErrors,
) -> Result<Response, WebError> {
    let t = page.t;
    let status = fields.get("status");
    let template = ProgressTemplate {
        layout: Layout::plain(
            page,
            format!("{} · {}", t.progress_form_title, commitment.title),
        ),
        action: page.href(&format!("/commitments/{}/progress", loaded.id), &[]),
        cancel: page.href(&format!("/commitments/{}", loaded.id), &[]),
        title: commitment.title.clone(),
        csrf: writer.session.csrf.clone(),
        nonce: nonce(fields)?,
        statuses: [
            "planned",
            "in_progress",
            "delayed",
            "achieved",
            "discontinued",
        ]
        .into_iter()
        .map(|value| StatusOption {
            value,
            label: t.status(value),
            selected: value == status,
        })
        .collect(),
        effective_date: fields.get("effective_date").to_owned(),
        today: OffsetDateTime::now_utc().date().to_string(),
        percent_complete: fields.get("percent_complete").to_owned(),
        has_indicator: commitment.indicator.is_some(),
        indicator_value: fields.get("indicator_value").to_owned(),
        narrative: fields.get("narrative").to_owned(),
        evidence_urls: fields.get("evidence_urls").to_owned(),
        errors,
    };
    respond(&template.errors.clone(), template.render()?)
}
