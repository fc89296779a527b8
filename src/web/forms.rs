//! The reporters' forms (SPEC.md "Web dashboard": forms for reporters to log a progress update):
//! `/commitments/{id}/progress` and `/commitments/{id}/revision`.
//!
//! A form is turned into the same JSON body the API takes and parsed with the API's own request
//! types ([`crate::http::commitments::CreateProgress`],
//! [`crate::http::commitments::CreateRevision`]), then decided by the domain through
//! [`crate::write::Executor::execute`] with the signed-in token as the actor. So the rules, the events
//! and the messages are the API's: a 422 names its field, and the form shows the message beside
//! that input and appends nothing.
//!
//! Each rendered form carries a random nonce, sent as the write's `Idempotency-Key`: a form
//! submitted twice (a double click, a reload after a lost answer) records one update.
//!
//! # Layout
//!
//! - this module: reading a form, its messages, and the write they share (authorization,
//!   `Idempotency-Key`, [`crate::write::Executor::execute`]);
//! - [`progress`]: the progress form; [`revision`]: the revision form.

pub mod progress;
pub mod revision;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use compact_events::command::CommitmentCommand;
use compact_events::commitment::CommitmentState;
use compact_events::event::commitment::{Commitment, CommitmentEvent};
use compact_events::stream::StreamId;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::commitment::Loaded;
use super::error::WebError;
use super::session::{Writer, random_hex};
use crate::http::error::ApiError;
use crate::http::extract::request_id;
use crate::state::AppState;
use crate::store::canonical::canonical_json;
use crate::write::{
    IdempotencyKey, Prefetched, WriteContext, WriteError, WriteRequest, Written, may_write_for,
};

/// A submitted form's fields, in order (repeated names kept, e.g. checkboxes).
#[derive(Debug, Default)]
pub struct FormFields(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map(|Form(pairs)| Self(pairs))
            .map_err(|rejection: FormRejection| WebError::bad_request(rejection.body_text()))
    }
}

impl FormFields {
    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every value of a field.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

/// Messages of a rejected form: per field, and for the whole form.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    /// `(field, message)` pairs.
    fields: Vec<(String, String)>,
    /// A message about the whole form (a conflict, an expired form).
    pub general: Option<String>,
}

impl FormErrors {
    /// The message for a field, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }

    /// The field messages, `(field, message)`, for the summary above the form.
    pub fn field_messages(&self) -> &[(String, String)] {
        &self.fields
    }

    /// Whether anything is wrong.
    pub fn any(&self) -> bool {
        self.general.is_some() || !self.fields.is_empty()
    }

    /// The messages of a refused form: a message naming a field of this form goes beside it,
    /// anything else above the form.
    fn from_refusal(refused: Refused, form_fields: &[&str]) -> Self {
        let (field, detail) = match refused {
            Refused::Unparsed { field, detail } => (field, detail),
            Refused::Write(WriteError::Domain(error)) => (error.field(), error.to_string()),
            Refused::Write(other) => (None, other.to_string()),
        };
        // `evidence_urls[2]` belongs to the `evidence_urls` input.
        let base = field
            .as_deref()
            .and_then(|field| field.split(['[', '.']).next())
            .filter(|base| form_fields.contains(base));
        match base {
            Some(base) => Self {
                fields: vec![(base.to_owned(), detail)],
                general: None,
            },
            None => Self {
                fields: Vec::new(),
                general: Some(detail),
            },
        }
    }
}

/// Why a form's write did not happen.
#[derive(Debug)]
pub(super) enum Refused {
    /// The form's fields do not make a valid request body.
    Unparsed {
        /// The offending field, if one is to blame.
        field: Option<String>,
        /// What is wrong.
        detail: String,
    },
    /// The write path refused the command, or failed.
    Write(WriteError),
}

impl From<WriteError> for Refused {
    fn from(error: WriteError) -> Self {
        Self::Write(error)
    }
}

/// The commitment, if this writer may write it (403 otherwise).
pub(super) fn writable<'a>(
    writer: &Writer,
    loaded: &'a Loaded,
) -> Result<&'a Commitment, WebError> {
    let commitment = loaded
        .commitment()
        .ok_or_else(|| WebError::not_found("no such commitment"))?;
    writer
        .caller
        .require_writer_for(&commitment.mechanism_id)
        .map_err(WebError::from)?;
    Ok(commitment)
}

/// The form's messages for a refused write; failures of the store stay errors (a 500 or 503
/// page, as the API would answer).
pub(super) fn rejected(refused: Refused, form_fields: &[&str]) -> Result<FormErrors, WebError> {
    match refused {
        Refused::Write(WriteError::Store(error)) => Err(ApiError::from(error).into()),
        other => Ok(FormErrors::from_refusal(other, form_fields)),
    }
}

/// Parses a body with the API's request type, naming the offending field as the API does.
pub(super) fn parse<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, Refused> {
    serde_path_to_error::deserialize(body).map_err(|error| {
        let path = error.path().to_string();
        Refused::Unparsed {
            field: (path != ".").then_some(path),
            detail: error.inner().to_string(),
        }
    })
}

/// Decides and appends a command against the commitment, as the API's write routes do.
pub(super) async fn run(
    state: &AppState,
    writer: &Writer,
    loaded: &Loaded,
    write: &WriteContext,
    lookup: &Prefetched,
    command: impl Fn(&CommitmentState) -> Result<CommitmentCommand, WriteError>,
) -> Result<Written, Refused> {
    let request = WriteRequest::new(
        StreamId::Commitment(loaded.id),
        loaded.id.to_string(),
        write,
        lookup,
        |commitment: &CommitmentState| {
            // The mechanism cannot change, but check on the state decided on, as the API does.
            if let Some(made) = &commitment.commitment {
                may_write_for(&writer.caller.actor, &made.mechanism_id)?;
            }
            command(commitment)
        },
    )
    .describe(describe);
    Ok(state.executor.execute(request).await?)
}

/// Adds `seq` to the answer of a progress update (as the API's answer has it).
pub(super) fn describe(events: &[CommitmentEvent]) -> Map<String, Value> {
    let mut body = Map::new();
    for event in events {
        if let CommitmentEvent::ProgressReported(report) = event {
            body.insert("seq".into(), Value::from(report.seq));
        }
    }
    body
}

/// The write's actor (the session's token), request id and `Idempotency-Key` (the form's nonce).
pub(super) fn write_context(
    writer: &Writer,
    headers: &HeaderMap,
    fields: &FormFields,
    kind: &str,
    id: &str,
    body: &Value,
) -> WriteContext {
    let nonce = fields.get("nonce");
    let idempotency = (!nonce.is_empty() && nonce.len() <= 128).then(|| {
        let mut hasher = Sha256::new();
        hasher.update(kind.as_bytes());
        hasher.update([0]);
        hasher.update(id.as_bytes());
        hasher.update([0]);
        hasher.update(canonical_json(body));
        IdempotencyKey {
            scope: writer.caller.actor.token_id.clone(),
            key: format!("web-{kind}-{nonce}"),
            request_hash: hasher.finalize().into(),
        }
    });
    WriteContext {
        actor: writer.caller.actor.clone(),
        correlation_id: request_id(headers),
        if_match: None,
        idempotency,
    }
}

/// The form's nonce: kept when the form comes back with errors (so a corrected resubmission and a
/// double submission are still one write), new otherwise.
pub(super) fn nonce(fields: &FormFields) -> Result<String, WebError> {
    let kept = fields.get("nonce");
    if !kept.is_empty() && kept.len() <= 128 && kept.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(kept.to_owned());
    }
    random_hex()
}

/// 200 for a fresh form, 422 for one shown again with messages.
pub(super) fn respond(errors: &FormErrors, html: String) -> Result<Response, WebError> {
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(html)).into_response())
}
