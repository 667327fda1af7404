//! `/dev/mailbox`: the development mailbox. With `--dev-mailbox` (or `--demo`), invitation emails stay
//! in the database's outbox; this page shows the newest ones, with their links clickable, so a
//! developer can follow an invitation end to end. Mounted only in that mode, which the server allows
//! only on a loopback address: the page shows every organization's live claim links. A link is erased
//! once its seat is claimed, revoked or re-sent.

use app::{model::Named, server::service::html_escape as escape};
use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
};

use crate::{rest::error::ApiError, startup::AppState};

/// How many emails the page shows, newest first.
const SHOWN: u32 = 50;

/// The text with every `http(s)://` word made a link.
fn linkify(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|piece| {
            let word = piece.trim_end();
            let rest = &piece[word.len()..];
            if word.starts_with("http://") || word.starts_with("https://") {
                format!("<a href=\"{0}\">{0}</a>{1}", escape(word), escape(rest))
            } else {
                escape(piece)
            }
        })
        .collect()
}

/// The page's own policy: its one inline stylesheet, nothing else.
const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub(crate) async fn page(State(state): State<AppState>) -> Result<Response, ApiError> {
    let emails = state
        .services
        .recent_emails(SHOWN)
        .await
        .map_err(ApiError)?;
    let mut body = String::new();
    if emails.is_empty() {
        body.push_str("<p class=\"empty\">No emails yet. Assign a seat to send an invitation.</p>");
    }
    for email in &emails {
        body.push_str(&format!(
            "<article class=\"mail\" data-to=\"{to}\"><header><h2>{subject}</h2>\
             <p>To <strong>{to}</strong> · {created} · {status}</p></header><pre>{text}</pre></article>",
            to = escape(&email.to),
            subject = escape(&email.subject),
            created = email.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
            status = match (email.status.as_str(), email.transport.as_deref()) {
                ("sent", Some("mailbox")) => "delivered to this mailbox".to_owned(),
                ("discarded", _) => "not sent: its seat changed first".to_owned(),
                (status, _) => status.to_owned(),
            },
            text = linkify(&email.text_body),
        ));
    }
    let html = Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Development mailbox · Seatkeeper</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\
         <style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}\
         .mail{{border:1px solid #ccd;border-radius:8px;padding:0 1rem;margin:1rem 0}}\
         pre{{white-space:pre-wrap;font-family:inherit}}h2{{font-size:1.1rem}}</style></head>\
         <body><h1>Development mailbox</h1>\
         <p>This server runs with <code>--dev-mailbox</code>, so emails are kept here instead of being sent. \
         Newest first. A link disappears once its seat is claimed, revoked or re-sent.</p>\
         {body}</body></html>"
    ));
    let mut response = html.into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_in_a_text_email_become_anchors_and_the_rest_is_escaped() {
        let html = linkify("Claim seat: https://x.test/a?token=1&b=2\n<b>");
        assert!(html.contains("<a href=\"https://x.test/a?token=1&amp;b=2\">"));
        assert!(html.ends_with("&lt;b&gt;"));
    }
}
