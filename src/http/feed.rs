//! The global event feed (SPEC.md "HTTP API"): `GET /v1/events` pages through the log in position
//! order; `GET /v1/events/subscribe` tails it live as Server-Sent Events, resumable with
//! `Last-Event-ID` (each SSE id is the event's global position).

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use super::auth::Reader;
use super::error::{ApiError, ReadProblems};
use super::extract::ApiQuery;
use super::views::EventView;
use crate::state::AppState;
use crate::store::{AnyStore, EventStore, Subscription};

/// The most events one page returns.
const MAX_LIMIT: i64 = 1_000;

/// Where to start reading.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Return events after this global position (default 0: from the start).
    #[serde(default)]
    #[param(minimum = 0)]
    pub after: i64,
    /// At most this many events (1 to 1,000; default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// A page of the global feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedPage {
    /// Events in position order.
    pub events: Vec<EventView>,
    /// Pass as `after` to get the next page.
    pub next_after: i64,
    /// The position of the last committed event.
    pub head: i64,
}

/// Pages through every event in global order.
#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "events",
    params(FeedQuery),
    responses((status = 200, description = "A page of events", body = FeedPage), ReadProblems)
)]
pub async fn list_events(
    State(state): State<AppState>,
    _reader: Reader,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    if query.after < 0 {
        return Err(ApiError::BadRequest("after must be 0 or more".into()));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let events = state.store.read_all(query.after, limit).await?;
    let head = state.store.head().await?;
    let next_after = events.last().map_or(query.after, |event| event.position);
    Ok(Json(FeedPage {
        events: events.iter().map(EventView::from).collect(),
        next_after,
        head,
    }))
}

/// Where a subscription starts.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubscribeQuery {
    /// Start after this position (default 0). A `Last-Event-ID` header, sent by browsers when
    /// they reconnect, takes precedence.
    #[serde(default)]
    #[param(minimum = 0)]
    pub after: i64,
}

/// One Server-Sent Events message of the live tail (the shape of each message on the wire).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SseMessage {
    /// The event's global position; send it back as `Last-Event-ID` to resume.
    pub id: String,
    /// The event type, e.g. `progress_reported` (`error` if the feed failed; reconnect).
    pub event: String,
    /// The event as JSON text, shaped like an item of `GET /v1/events` (see `EventView`).
    pub data: String,
}

/// Tails the log live: every event after `after`, once, in order, then new ones as they commit.
#[utoipa::path(
    get,
    path = "/v1/events/subscribe",
    tag = "events",
    params(SubscribeQuery),
    responses(
        (status = 200, description = "An endless text/event-stream; each event's id is its position and its data an event as in /v1/events", content_type = "text/event-stream", body = SseMessage),
        ReadProblems
    )
)]
pub async fn subscribe(
    State(state): State<AppState>,
    _reader: Reader,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<SubscribeQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let after = match headers.get("last-event-id") {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse::<i64>().ok())
            .filter(|position| *position >= 0)
            .ok_or_else(|| ApiError::BadRequest("Last-Event-ID must be a position".into()))?,
        None if query.after < 0 => {
            return Err(ApiError::BadRequest("after must be 0 or more".into()));
        }
        None => query.after,
    };
    let subscription = state.store.subscribe(after);
    let stream = futures_util::stream::unfold(Some(subscription), next_sse_event);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

async fn next_sse_event(
    subscription: Option<Subscription<AnyStore>>,
) -> Option<(Result<SseEvent, Infallible>, Option<Subscription<AnyStore>>)> {
    let mut subscription = subscription?;
    match subscription.next().await {
        Ok(event) => {
            let view = EventView::from(&event);
            let data = serde_json::to_string(&view).unwrap_or_else(|_| "{}".to_owned());
            let sse = SseEvent::default()
                .id(event.position.to_string())
                .event(event.event_type.clone())
                .data(data);
            Some((Ok(sse), Some(subscription)))
        }
        Err(error) => {
            // Tell the client and end the stream; it reconnects with Last-Event-ID.
            tracing::error!(error = %error, "event subscription failed");
            let sse = SseEvent::default()
                .event("error")
                .data("the event feed failed; reconnect");
            Some((Ok(sse), None))
        }
    }
}
