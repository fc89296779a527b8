//! Signing in to the dashboard with an API token, the session cookie, and CSRF tokens.
//!
//! A reporter pastes the token issued to their mechanism. The server keeps it in memory only,
//! under a random session id (256 bits from the operating system) that goes to the browser in a
//! cookie that is `HttpOnly`, `SameSite=Strict`, and `Secure` when the request came over TLS. The
//! token is authenticated again on every write, so a revoked token stops working at once and the
//! recorded actor is always the token's.
//!
//! Every form that changes something carries the session's CSRF token in a hidden field, checked
//! in constant time; requests that say they come from another site (`Origin`, `Sec-Fetch-Site`)
//! are refused before that.
//!
//! Sessions last [`SESSION_LIFETIME`] and are lost on restart: signing in again is cheap, and a
//! server-side store would keep tokens on disk.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use compact_events::context::{Actor, Role};

use super::error::{WebError, see_other};
use super::forms::FormFields;
use super::view::{Layout, Page, with_query};
use crate::http::auth::Caller;
use crate::state::AppState;
use crate::tokens::{PresentedToken, TokenError, TokenRole};

/// The name of the session cookie.
pub const COOKIE: &str = "compact_session";

/// How long a session lasts after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// The most sessions kept at once; beyond it, the oldest are dropped first.
const MAX_SESSIONS: usize = 10_000;

/// The sessions of this process.
#[derive(Clone, Default)]
pub struct Sessions {
    inner: Arc<Mutex<HashMap<String, Session>>>,
}

/// A signed-in reporter (or admin).
#[derive(Clone)]
pub struct Session {
    /// The token's public id: the actor of every event this session writes.
    pub token_id: String,
    /// What the token may do, as of sign-in (writes check again).
    pub role: TokenRole,
    /// The CSRF token every form of this session must carry.
    pub csrf: String,
    /// The whole bearer token, to authenticate again on each write. Never logged or sent.
    token: SecretToken,
    /// When the session ends.
    expires_at: Instant,
}

/// The session a request belongs to, attached by [`attach`].
#[derive(Debug, Clone)]
pub struct CurrentSession {
    /// The session id (the cookie's value).
    pub id: String,
    /// The session.
    pub session: Session,
}

/// A bearer token held in memory; `Debug` never shows it.
#[derive(Clone)]
struct SecretToken(String);

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(…)")
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("token_id", &self.token_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Sessions {
    fn insert(&self, id: String, session: Session) {
        let mut sessions = self.lock();
        let now = Instant::now();
        sessions.retain(|_, session| session.expires_at > now);
        while sessions.len() >= MAX_SESSIONS {
            let oldest = sessions
                .iter()
                .min_by_key(|(_, session)| session.expires_at)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(oldest) => sessions.remove(&oldest),
                None => break,
            };
        }
        sessions.insert(id, session);
    }

    fn get(&self, id: &str) -> Option<Session> {
        let mut sessions = self.lock();
        match sessions.get(id) {
            Some(session) if session.expires_at > Instant::now() => Some(session.clone()),
            Some(_) => {
                sessions.remove(id);
                None
            }
            None => None,
        }
    }

    fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock cannot leave the map half-updated in a way that matters
        // (each operation is one insert or remove), so a poisoned lock is still usable.
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl Session {
    /// Authenticates the session's token again: the caller as of now, or why not.
    pub async fn authenticate(&self, state: &AppState) -> Result<Caller, WebError> {
        let presented: PresentedToken = self
            .token
            .0
            .parse()
            .map_err(|_| WebError::forbidden("the session's token is malformed"))?;
        let (token_id, role) = match state.tokens.authenticate(&presented).await {
            Ok(found) => found,
            Err(TokenError::Rejected | TokenError::Malformed) => {
                return Err(WebError::forbidden(
                    "the token of this session was revoked; sign in again",
                ));
            }
            Err(other) => return Err(WebError::internal(other)),
        };
        let role = match role {
            TokenRole::Admin => Role::Admin,
            TokenRole::Reporter(mechanism) => Role::Reporter { mechanism },
            TokenRole::Reviewer => Role::Reviewer,
        };
        Ok(Caller {
            actor: Actor { token_id, role },
        })
    }

    /// Who is signed in, for the page header.
    pub fn describe(&self) -> String {
        match &self.role {
            TokenRole::Reporter(mechanism) => {
                format!("reporter · {mechanism} (token {})", self.token_id)
            }
            other => format!("{} (token {})", other.name(), self.token_id),
        }
    }

    /// Whether `submitted` is this session's CSRF token (compared in constant time, `subtle`).
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        bool::from(subtle::ConstantTimeEq::ct_eq(
            self.csrf.as_bytes(),
            submitted.as_bytes(),
        ))
    }
}

/// Attaches the request's session, if its cookie names a live one.
pub async fn attach(
    State(sessions): State<Sessions>,
    mut request: Request,
    next: Next,
) -> Response {
    let current = cookie(request.headers(), COOKIE).and_then(|id| {
        sessions
            .get(&id)
            .map(|session| CurrentSession { id, session })
    });
    if let Some(current) = current {
        request.extensions_mut().insert(current);
    }
    next.run(request).await
}

/// A cookie's value from the `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(name)
        .map(|cookie| cookie.value().to_owned())
}

/// Refuses a state-changing request that says it comes from another site. Browsers send
/// `Origin` on POSTs and `Sec-Fetch-Site` on everything; old clients that send neither still
/// need the CSRF token.
pub fn check_same_origin(headers: &HeaderMap) -> Result<(), WebError> {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    if text(header::HeaderName::from_static("sec-fetch-site")).as_deref() == Some("cross-site") {
        return Err(WebError::forbidden("cross-site form posts are refused"));
    }
    if let (Some(origin), Some(host)) = (text(header::ORIGIN), text(header::HOST)) {
        let origin_host = origin
            .split_once("://")
            .map_or(origin.as_str(), |(_, rest)| rest);
        if origin != "null" && origin_host != host {
            return Err(WebError::forbidden(
                "form posts from another origin are refused",
            ));
        }
    }
    Ok(())
}

/// Where to send a visitor who must sign in first, coming back to this page afterwards.
pub fn sign_in_redirect(page: &Page) -> Response {
    see_other(&with_query(
        "/sign-in",
        &[
            ("lang", page.lang.code().to_owned()),
            ("next", page.this_with(&[])),
        ],
    ))
}

/// The page to return to after sign-in: only a local path, never another site.
///
/// Only visible ASCII is followed: browsers drop tabs and line breaks from a `Location`, so
/// `/<TAB>/evil.example` would become `//evil.example`, another site. A link this server writes
/// is percent-encoded and never holds anything else.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInTemplate {
    layout: Layout,
    next: String,
    error: Option<String>,
}

/// `GET /sign-in`: the sign-in form.
pub async fn sign_in_form(page: Page) -> Result<Html<String>, WebError> {
    let template = SignInTemplate {
        layout: Layout::plain(&page, page.t.sign_in_title.to_owned()),
        next: safe_next(page.param("next")),
        error: None,
    };
    Ok(Html(template.render()?))
}

/// `POST /sign-in`: checks the token and starts a session.
pub async fn sign_in(
    sessions: Sessions,
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    form: FormFields,
) -> Result<Response, WebError> {
    check_same_origin(&headers)?;
    let next = safe_next(Some(form.get("next")));
    let refuse = |message: &str| -> Result<Response, WebError> {
        let template = SignInTemplate {
            layout: Layout::plain(&page, page.t.sign_in_title.to_owned()),
            next: next.clone(),
            error: Some(message.to_owned()),
        };
        Ok((StatusCode::UNAUTHORIZED, Html(template.render()?)).into_response())
    };
    let token = form.get("token").trim().to_owned();
    let Ok(presented) = token.parse::<PresentedToken>() else {
        return refuse(page.t.token_invalid);
    };
    let (token_id, role) = match state.tokens.authenticate(&presented).await {
        Ok(found) => found,
        Err(TokenError::Rejected | TokenError::Malformed) => return refuse(page.t.token_invalid),
        Err(other) => return Err(WebError::internal(other)),
    };
    if role == TokenRole::Reviewer {
        return refuse(page.t.token_read_only);
    }
    // A new sign-in gets a new session id (never one the browser already had), and ends the
    // session it replaces.
    if let Some(current) = &page.session {
        sessions.remove(&current.id);
    }
    let id = random_hex()?;
    let session = Session {
        token_id,
        role,
        csrf: random_hex()?,
        token: SecretToken(token),
        expires_at: Instant::now() + SESSION_LIFETIME,
    };
    sessions.insert(id.clone(), session);
    let mut response = see_other(&next);
    set_cookie(&mut response, &id, SESSION_LIFETIME.as_secs(), page.secure);
    Ok(response)
}

/// `POST /sign-out`: ends the session.
pub async fn sign_out(
    sessions: Sessions,
    page: Page,
    form: FormFields,
) -> Result<Response, WebError> {
    if let Some(current) = &page.session {
        if !current.session.csrf_matches(form.get("csrf")) {
            return Err(WebError::forbidden(page.t.form_expired));
        }
        sessions.remove(&current.id);
    }
    let mut response = see_other(&with_query("/", &[("lang", page.lang.code().to_owned())]));
    set_cookie(&mut response, "", 0, page.secure);
    Ok(response)
}

fn set_cookie(response: &mut Response, value: &str, max_age: u64, secure: bool) {
    let cookie = Cookie::build((COOKIE, value))
        .path("/")
        .max_age(time::Duration::seconds(
            i64::try_from(max_age).unwrap_or(i64::MAX),
        ))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build();
    if let Ok(value) = HeaderValue::from_str(&cookie.encoded().to_string()) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
}

/// 32 random bytes from the operating system, in hex.
pub fn random_hex() -> Result<String, WebError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| {
        WebError::internal(std::io::Error::other(format!(
            "the operating system's random number generator failed: {error}"
        )))
    })?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// The signed-in writer of a form request: the session, and its token authenticated again.
pub struct Writer {
    /// The session.
    pub session: Session,
    /// The token as of now.
    pub caller: Caller,
}

/// The writer of a request, or a redirect to sign in (no session, or a revoked token).
pub async fn writer(page: &Page, state: &AppState) -> Result<Writer, Response> {
    let Some(current) = &page.session else {
        return Err(sign_in_redirect(page));
    };
    match current.session.authenticate(state).await {
        Ok(caller) => Ok(Writer {
            session: current.session.clone(),
            caller,
        }),
        Err(_) => Err(sign_in_redirect(page)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/commitments/x?lang=fr")),
            "/commitments/x?lang=fr"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "evil",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "/\u{3000}/evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
    }

    #[test]
    fn the_session_cookie_is_read_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; compact_session=abc; b=2"),
        );
        assert_eq!(cookie(&headers, COOKIE).as_deref(), Some("abc"));
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(check_same_origin(&headers).is_ok());
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(check_same_origin(&headers).is_err());
    }
}
