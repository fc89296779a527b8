//! The revision form: `GET` shows it filled with the commitment's current fields, `POST` records
//! a revision of the fields that changed (checked against the version the form was filled from).

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use compact_events::catalogue;
use compact_events::command::CommitmentCommand;
use compact_events::command::revise_commitment::ReviseCommitment;
use compact_events::event::commitment::Commitment;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::{
    FormErrors, FormFields, Refused, nonce, parse, rejected, respond, run, writable, write_context,
};
use crate::http::commitments::CreateRevision;
use crate::state::AppState;
use crate::web::commitment::{Loaded, load, target_list};
use crate::web::error::{WebError, see_other};
use crate::web::session::{Writer, check_same_origin, writer};
use crate::web::view::{Layout, Page};
use crate::write::Prefetched;
use crate::write::WriteError;

/// The inputs of the revision form.
const REVISION_FIELDS: [&str; 7] = [
    "title",
    "description",
    "gcm_objectives",
    "sdg_targets",
    "made_on",
    "due_date",
    "reason",
];

/// A checkbox of the objectives fieldset.
#[derive(Debug, Clone)]
pub struct ObjectiveBox {
    /// 1 to 23.
    pub number: u8,
    /// "5. Regular pathways".
    pub label: String,
    /// Whether it is checked.
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "revision_form.html")]
struct RevisionTemplate {
    layout: Layout,
    action: String,
    cancel: String,
    csrf: String,
    nonce: String,
    version: usize,
    current_title: String,
    title: String,
    description: String,
    objectives: Vec<ObjectiveBox>,
    sdg_targets: String,
    made_on: String,
    due_date: String,
    today: String,
    reason: String,
    errors: FormErrors,
}

/// `GET /commitments/{id}/revision`: the revision form, filled with the current fields.
pub async fn revision_form(
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
    let fields = current_fields(commitment);
    render_revision(&page, &writer, &loaded, &fields, FormErrors::default())
}

/// `POST /commitments/{id}/revision`: records a revision of the fields that changed.
pub async fn submit_revision(
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
        return render_revision(&page, &writer, &loaded, &fields, errors);
    }
    let body = revision_body(commitment, &fields);
    let outcome = match parse::<CreateRevision>(&body) {
        Ok(request) => {
            let command = ReviseCommitment::from(request);
            let mut write = write_context(&writer, &headers, &fields, "revision", &id, &body);
            // The form was filled from this version: a revision by someone else in between must
            // not be overwritten unseen.
            write.if_match = fields.get("version").parse::<i64>().ok();
            run(
                &state,
                &writer,
                &loaded,
                &write,
                &Prefetched::default(),
                |_| Ok(CommitmentCommand::Revise(command.clone())),
            )
            .await
        }
        Err(error) => Err(error),
    };
    match outcome {
        Ok(_) => Ok(see_other(&page.href(
            &format!("/commitments/{}", loaded.id),
            &[("recorded", "revision")],
        ))),
        Err(Refused::Write(WriteError::VersionMismatch { .. })) => {
            // Show what the commitment says now, so the reporter can redo their change on it.
            let loaded = load(&state, &id, None).await?;
            let current = loaded.commitment().map(current_fields).unwrap_or_default();
            let errors = FormErrors {
                general: Some(page.t.changed_meanwhile.to_owned()),
                ..FormErrors::default()
            };
            render_revision(&page, &writer, &loaded, &current, errors)
        }
        Err(error) => {
            let errors = rejected(error, &REVISION_FIELDS)?;
            render_revision(&page, &writer, &loaded, &fields, errors)
        }
    }
}

/// The API body of a revision form: only the fields that differ from the commitment now, so the
/// audit trail records what the reporter actually changed.
fn revision_body(commitment: &Commitment, fields: &FormFields) -> Value {
    let mut body = Map::new();
    let title = fields.get("title");
    if title != commitment.title {
        body.insert("title".into(), json!(title));
    }
    let description = fields.get("description");
    if description != commitment.description {
        body.insert("description".into(), json!(description));
    }
    let objectives: Vec<Value> = fields
        .all("gcm_objectives")
        .into_iter()
        .map(|text| {
            text.parse::<i64>()
                .map_or_else(|_| json!(text), |n| json!(n))
        })
        .collect();
    let current: BTreeSet<i64> = commitment
        .gcm_objectives
        .iter()
        .map(|n| i64::from(n.get()))
        .collect();
    let chosen: BTreeSet<i64> = objectives.iter().filter_map(Value::as_i64).collect();
    if chosen != current || objectives.len() != chosen.len() {
        body.insert("gcm_objectives".into(), Value::Array(objectives));
    }
    let targets: Vec<&str> = fields
        .get("sdg_targets")
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .collect();
    if targets.join(", ") != target_list(&commitment.sdg_targets) {
        body.insert("sdg_targets".into(), json!(targets));
    }
    let made_on = fields.get("made_on");
    if made_on != commitment.made_on.to_string() {
        body.insert("made_on".into(), json!(made_on));
    }
    let due_date = fields.get("due_date");
    let current_due = commitment
        .due_date
        .map(|d| d.to_string())
        .unwrap_or_default();
    if due_date != current_due {
        let value = if due_date.is_empty() {
            Value::Null
        } else {
            json!(due_date)
        };
        body.insert("due_date".into(), value);
    }
    body.insert("reason".into(), json!(fields.get("reason")));
    Value::Object(body)
}

/// The revision form's fields filled from the commitment.
fn current_fields(commitment: &Commitment) -> FormFields {
    let mut pairs = vec![
        ("title".to_owned(), commitment.title.clone()),
        ("description".to_owned(), commitment.description.clone()),
        (
            "sdg_targets".to_owned(),
            target_list(&commitment.sdg_targets),
        ),
        ("made_on".to_owned(), commitment.made_on.to_string()),
        (
            "due_date".to_owned(),
            commitment
                .due_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
    ];
    pairs.extend(
        commitment
            .gcm_objectives
            .iter()
            .map(|n| ("gcm_objectives".to_owned(), n.to_string())),
    );
    FormFields(pairs)
}

fn render_revision(
    page: &Page,
    writer: &Writer,
    loaded: &Loaded,
    fields: &FormFields,
    errors: FormErrors,
) -> Result<Response, WebError> {
    let t = page.t;
    let chosen = fields.all("gcm_objectives");
    let title = loaded
        .commitment()
        .map(|commitment| commitment.title.clone())
        .unwrap_or_default();
    let template = RevisionTemplate {
        layout: Layout::plain(page, format!("{} · {title}", t.revision_form_title)),
        action: page.href(&format!("/commitments/{}/revision", loaded.id), &[]),
        cancel: page.href(&format!("/commitments/{}", loaded.id), &[]),
        csrf: writer.session.csrf.clone(),
        nonce: nonce(fields)?,
        version: loaded.recorded.len(),
        current_title: title,
        title: fields.get("title").to_owned(),
        description: fields.get("description").to_owned(),
        objectives: catalogue::gcm_objectives()
            .iter()
            .map(|objective| ObjectiveBox {
                number: objective.number.get(),
                label: format!(
                    "{}. {}",
                    objective.number,
                    objective.short_title.get(page.lang)
                ),
                checked: chosen.contains(&objective.number.to_string().as_str()),
            })
            .collect(),
        sdg_targets: fields.get("sdg_targets").to_owned(),
        made_on: fields.get("made_on").to_owned(),
        due_date: fields.get("due_date").to_owned(),
        today: OffsetDateTime::now_utc().date().to_string(),
        reason: fields.get("reason").to_owned(),
        errors,
    };
    respond(&template.errors.clone(), template.render()?)
}
