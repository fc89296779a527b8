//! What every page shares: the [`Page`] extractor (language, the two clocks, the session), links
//! that keep the view's state, and the [`Layout`] around each page.
//!
//! # The state in the URL
//!
//! `lang` (`en`, `fr`, `es`), `as_of` (a date: the effective-date clock) and `known`
//! (`now`, the default, or `then`: only what was recorded by the end of the `as_of` day, the
//! "as known then" of SPEC.md "Two clocks"). Links between pages carry all three, so a view can
//! be shared; a page without `as_of` shows today and stays live, and its "link to this view"
//! freezes the date.

use axum::extract::{FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use compact_events::catalogue::Lang;
use compact_projections::query::{self, Clock};
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

use super::error::WebError;
use super::i18n::{Messages, messages, negotiate};
use super::session::{CurrentSession, sign_in_redirect};
use crate::http::read_clock::{ClockParams, resolve};
use crate::state::AppState;

/// Which events a view counts: all recorded so far, or those recorded by the end of `as_of`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Known {
    /// Everything recorded up to now, late reports included.
    #[default]
    Now,
    /// Only events recorded by the end of the `as_of` day: what a review could have known.
    Then,
}

/// One dashboard request: its language, clocks, query and session.
#[derive(Debug, Clone)]
pub struct Page {
    /// The language of the page.
    pub lang: Lang,
    /// Its user-interface strings.
    pub t: &'static Messages,
    /// The requested effective date (`None`: today, live).
    pub as_of: Option<Date>,
    /// Which events count.
    pub known: Known,
    /// The request path, e.g. `/objectives/5`.
    pub path: String,
    /// The query string, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The signed-in reporter's session, if any.
    pub session: Option<CurrentSession>,
    /// Whether the request came over TLS (directly or through a proxy that says so), so the
    /// session cookie gets `Secure`.
    pub secure: bool,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let page = Self::from_parts(parts).map_err(IntoResponse::into_response)?;
        // `--private` servers keep every read behind a token (SPEC.md "Auth"); for the dashboard
        // that means a signed-in session whose token is still valid.
        let open_path = ["/sign-in", "/sign-out"].contains(&page.path.as_str());
        if state.config.private && !open_path && !page.is_signed_in_validly(state).await {
            return Err(sign_in_redirect(&page));
        }
        Ok(page)
    }
}

impl Page {
    /// Reads the language, clocks and session of a request.
    pub fn from_parts(parts: &Parts) -> Result<Self, WebError> {
        let Query(query) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|rejection| WebError::bad_request(rejection.body_text()))?;
        let value = |name: &str| {
            query
                .iter()
                .find(|(key, value)| key == name && !value.is_empty())
                .map(|(_, value)| value.as_str())
        };
        let lang = negotiate(value("lang"), &parts.headers);
        let as_of = value("as_of")
            .map(|text| parse_date(text, "as_of"))
            .transpose()?;
        let known = match value("known") {
            None | Some("now") => Known::Now,
            Some("then") => Known::Then,
            Some(other) => {
                return Err(WebError::bad_request(format!(
                    "known must be `now` or `then`, not `{other}`"
                )));
            }
        };
        let forwarded_https = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.to_ascii_lowercase().contains("https"))
        };
        Ok(Self {
            lang,
            t: messages(lang),
            as_of,
            known,
            path: parts.uri.path().to_owned(),
            session: parts.extensions.get::<CurrentSession>().cloned(),
            secure: parts.uri.scheme_str() == Some("https")
                || forwarded_https("x-forwarded-proto")
                || forwarded_https("forwarded"),
            query,
        })
    }

    /// The effective date shown: the requested one, or today.
    pub fn as_of_or_today(&self) -> Date {
        self.as_of
            .unwrap_or_else(|| OffsetDateTime::now_utc().date())
    }

    /// The `known_at` instant of this view: the end of the `as_of` day for "as known then".
    pub fn known_at(&self) -> Option<OffsetDateTime> {
        match self.known {
            Known::Now => None,
            Known::Then => Some(end_of_day(self.as_of_or_today())),
        }
    }

    /// The point on both clocks the page is answered for, waiting (boundedly) for the read
    /// models to have applied what was recorded by `known_at`.
    pub async fn clock(&self, state: &AppState) -> Result<Clock, WebError> {
        self.clock_on(state, self.as_of_or_today(), self.known_at())
            .await
    }

    /// The point on both clocks for another effective date (e.g. the two dates of `/changes`).
    pub async fn clock_on(
        &self,
        state: &AppState,
        as_of: Date,
        known_at: Option<OffsetDateTime>,
    ) -> Result<Clock, WebError> {
        let params = ClockParams {
            as_of: Some(as_of),
            known_at,
            validated_only: false,
            min_position: None,
        };
        Ok(resolve(state, &params).await?)
    }

    /// A query parameter of this request (non-empty), e.g. a filter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// A link to `path` that keeps this view's language and clocks, plus `extra` parameters
    /// (empty values are left out).
    pub fn href(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("lang", self.lang.code().to_owned())];
        if let Some(as_of) = self.as_of {
            pairs.push(("as_of", as_of.to_string()));
        }
        if self.known == Known::Then {
            pairs.push(("known", "then".to_owned()));
        }
        pairs.extend(
            extra
                .iter()
                .filter(|(_, value)| !value.is_empty())
                .map(|(key, value)| (*key, (*value).to_owned())),
        );
        with_query(path, &pairs)
    }

    /// Cuts `rows`, asked for with one more than `page_size` after the cursor in the `after`
    /// parameter, to one page; returns the links to the next page (after the last row's `id`) and
    /// back to the first, where there are any.
    pub fn paged<T>(
        &self,
        rows: &mut Vec<T>,
        page_size: i64,
        id: impl Fn(&T) -> String,
    ) -> (Option<String>, Option<String>) {
        let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > page_size;
        rows.truncate(usize::try_from(page_size).unwrap_or(usize::MAX));
        let next_page = more
            .then(|| rows.last())
            .flatten()
            .map(|row| self.this_with(&[("after", Some(id(row)))]));
        let first_page = self
            .param("after")
            .map(|_| self.this_with(&[("after", None)]));
        (next_page, first_page)
    }

    /// This page with some query parameters replaced (`None` removes one), keeping the others.
    pub fn this_with(&self, changes: &[(&str, Option<String>)]) -> String {
        let mut pairs: Vec<(&str, String)> = self
            .query
            .iter()
            .filter(|(key, _)| !changes.iter().any(|(name, _)| name == key))
            .map(|(key, value)| (key.as_str(), value.clone()))
            .collect();
        for (name, value) in changes {
            if let Some(value) = value {
                pairs.push((name, value.clone()));
            }
        }
        pairs.retain(|(_, value)| !value.is_empty());
        with_query(&self.path, &pairs)
    }

    /// Whether the request carries a session whose token is still valid.
    async fn is_signed_in_validly(&self, state: &AppState) -> bool {
        match &self.session {
            Some(session) => session.session.authenticate(state).await.is_ok(),
            None => false,
        }
    }
}

/// The language of a request, for pages rendered outside a handler (error pages).
pub fn language_of(request: &Request) -> Lang {
    let query_lang = Query::<Vec<(String, String)>>::try_from_uri(request.uri())
        .ok()
        .and_then(|Query(pairs)| {
            pairs
                .into_iter()
                .find(|(key, _)| key == "lang")
                .map(|(_, value)| value)
        });
    negotiate(query_lang.as_deref(), request.headers())
}

/// The last instant of `day` (UTC): "as known then" at the end of a review's last day.
pub fn end_of_day(day: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(day, Time::MAX).assume_utc()
}

/// Parses `YYYY-MM-DD`, naming the parameter when it is not a date or not one a page can ask
/// about (`compact_events::rules::question_date`).
pub fn parse_date(text: &str, name: &str) -> Result<Date, WebError> {
    let date = Date::parse(text, format_description!("[year]-[month]-[day]")).map_err(|_| {
        WebError::bad_request(format!(
            "{name} must be a date written YYYY-MM-DD, not `{text}`"
        ))
    })?;
    compact_events::rules::question_date(name, date)
        .map_err(|error| WebError::bad_request(error.to_string()))
}

/// A recording time as shown on pages: `YYYY-MM-DD hh:mm:ss` in UTC.
pub fn format_time(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_else(|_| at.to_string())
}

/// `path?k=v&…`, with every key and value percent-encoded.
pub fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// Percent-encodes a query component (everything but RFC 3986 unreserved characters).
pub fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(char::from(byte));
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

/// The frame around every page: title, navigation, language switch, the clock form and the
/// signed-in reporter.
#[derive(Debug, Clone)]
pub struct Layout {
    /// User-interface strings.
    pub t: &'static Messages,
    /// `en`, `fr` or `es`, for `<html lang>`.
    pub lang: &'static str,
    /// The page title.
    pub title: String,
    /// The main navigation.
    pub nav: Vec<NavLink>,
    /// The language switch.
    pub languages: Vec<NavLink>,
    /// The clock form, on pages that have one.
    pub clock: Option<ClockBar>,
    /// The signed-in reporter, with the CSRF token of the sign-out form.
    pub visitor: Option<Visitor>,
    /// Where "sign in" leads (with the current page to come back to).
    pub sign_in_href: String,
}

/// A link in a navigation list.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Where it leads.
    pub href: String,
    /// Its text.
    pub label: String,
    /// Whether it is the current page or language (`aria-current`).
    pub current: bool,
    /// The language of the label (for the language switch), else empty.
    pub lang: &'static str,
}

/// The "point in time" form and its presets.
#[derive(Debug, Clone)]
pub struct ClockBar {
    /// The page the form reloads.
    pub action: String,
    /// The page's other parameters (filters), kept as hidden inputs.
    pub hidden: Vec<(String, String)>,
    /// The language, kept as a hidden input.
    pub lang: &'static str,
    /// The effective date shown (`YYYY-MM-DD`).
    pub as_of: String,
    /// Whether the view is "as known then".
    pub known_then: bool,
    /// Whether no date was chosen (the view follows today).
    pub live: bool,
    /// The follow-up review dates.
    pub presets: Vec<Preset>,
    /// This view with its date frozen, to share.
    pub permalink: String,
    /// The last global position counted.
    pub known_position: i64,
}

/// A follow-up review as a preset of the clock form.
#[derive(Debug, Clone)]
pub struct Preset {
    /// The review's name.
    pub name: String,
    /// Its last day.
    pub date: String,
    /// This page as of that day, as known then.
    pub href: String,
}

/// The signed-in reporter, as the layout shows them.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// "reporter for bali-process (token 1a2b…)".
    pub label: String,
    /// The CSRF token of the sign-out form.
    pub csrf: String,
}

impl Layout {
    /// The overview, in the page's language and clock (the brand links there).
    pub fn home(&self) -> &str {
        self.nav.first().map_or("/", |link| link.href.as_str())
    }

    /// A layout without a clock form (forms, sign-in, error pages).
    pub fn bare(lang: Lang, title: String) -> Self {
        let t = messages(lang);
        Self {
            t,
            lang: lang.code(),
            title,
            nav: nav(t, lang, "", &[]),
            languages: Lang::ALL
                .iter()
                .map(|other| NavLink {
                    href: with_query("", &[("lang", other.code().to_owned())]),
                    label: messages(*other).language_name.to_owned(),
                    current: *other == lang,
                    lang: other.code(),
                })
                .collect(),
            clock: None,
            visitor: None,
            sign_in_href: with_query("/sign-in", &[("lang", lang.code().to_owned())]),
        }
    }

    /// The layout of a page without a clock form, keeping the page's language and session.
    pub fn plain(page: &Page, title: String) -> Self {
        let mut layout = Self::bare(page.lang, title);
        layout.nav = nav(page.t, page.lang, &page.path, &page.clock_pairs());
        layout.languages = Lang::ALL
            .iter()
            .map(|other| NavLink {
                href: page.this_with(&[("lang", Some(other.code().to_owned()))]),
                label: messages(*other).language_name.to_owned(),
                current: *other == page.lang,
                lang: other.code(),
            })
            .collect();
        layout.visitor = page.session.as_ref().map(|current| Visitor {
            label: current.session.describe(),
            csrf: current.session.csrf.clone(),
        });
        layout.sign_in_href = with_query(
            "/sign-in",
            &[
                ("lang", page.lang.code().to_owned()),
                ("next", page.this_with(&[])),
            ],
        );
        layout
    }

    /// The layout of a read page, with the clock form and the follow-up review presets.
    pub async fn with_clock(
        page: &Page,
        state: &AppState,
        title: String,
        clock: &Clock,
    ) -> Result<Self, WebError> {
        let mut layout = Self::plain(page, title);
        // Presets are navigation, not data: every review point known now is offered, whatever
        // the view's clock.
        let review_points = query::review_points(&state.read.db(), state.read.published()).await?;
        let presets = review_points
            .into_iter()
            .map(|point| Preset {
                href: page.this_with(&[
                    ("as_of", Some(point.ends_on.to_string())),
                    ("known", Some("then".to_owned())),
                    ("lang", Some(page.lang.code().to_owned())),
                    ("after", None),
                ]),
                name: point.name,
                date: point.ends_on.to_string(),
            })
            .collect();
        let as_of = page.as_of_or_today();
        layout.clock = Some(ClockBar {
            action: page.path.clone(),
            hidden: page
                .query
                .iter()
                .filter(|(key, _)| !["as_of", "known", "lang", "after"].contains(&key.as_str()))
                .cloned()
                .collect(),
            lang: page.lang.code(),
            as_of: as_of.to_string(),
            known_then: page.known == Known::Then,
            live: page.as_of.is_none(),
            presets,
            permalink: page.this_with(&[
                ("as_of", Some(as_of.to_string())),
                (
                    "known",
                    Some(
                        match page.known {
                            Known::Now => "now",
                            Known::Then => "then",
                        }
                        .to_owned(),
                    ),
                ),
                ("lang", Some(page.lang.code().to_owned())),
            ]),
            known_position: clock.known,
        });
        Ok(layout)
    }
}

impl Page {
    /// The clock parameters of this view, for links to other pages.
    fn clock_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(as_of) = self.as_of {
            pairs.push(("as_of", as_of.to_string()));
        }
        if self.known == Known::Then {
            pairs.push(("known", "then".to_owned()));
        }
        pairs
    }
}

fn nav(t: &Messages, lang: Lang, path: &str, clock: &[(&'static str, String)]) -> Vec<NavLink> {
    [
        ("/", t.nav_overview),
        ("/changes", t.nav_changes),
        ("/audit", t.nav_audit),
    ]
    .into_iter()
    .map(|(target, label)| {
        let mut pairs = vec![("lang", lang.code().to_owned())];
        // The changes page has its own two dates; the others keep the view's clock.
        if target != "/changes" {
            pairs.extend(clock.iter().cloned());
        }
        NavLink {
            href: with_query(target, &pairs),
            label: label.to_owned(),
            current: path == target,
            lang: "",
        }
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn as_known_then_ends_with_the_last_instant_of_the_day() {
        let end = end_of_day(date!(2022 - 05 - 20));
        assert_eq!(end.date(), date!(2022 - 05 - 20));
        assert!(end < PrimitiveDateTime::new(date!(2022 - 05 - 21), Time::MIDNIGHT).assume_utc());
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            with_query(
                "/x",
                &[("next", "/a?b=c&d".to_owned()), ("q", "é ".to_owned())]
            ),
            "/x?next=%2Fa%3Fb%3Dc%26d&q=%C3%A9%20"
        );
    }

    #[test]
    fn dates_must_be_iso() {
        assert!(parse_date("2022-05-20", "as_of").is_ok());
        assert!(parse_date("20/05/2022", "as_of").is_err());
        assert!(parse_date("0000-01-01", "as_of").is_err());
    }
}
