//! `/dev/mailbox`: the local mailbox, readable from this machine only.
//!
//! When SMTP is not configured, Caveman keeps its mail here instead of
//! sending it, so a one-machine installation can confirm addresses and
//! reset passwords. The mail holds live sign-in links, so the page answers
//! only clients on a loopback address, and only while the mailbox is the
//! transport; everyone else gets a 404.

use app::auth::ClientAddr;
use axum::Extension;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};

use super::AppState;

/// Mails shown, newest first.
const SHOWN: i64 = 50;

pub async fn page(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
) -> Response {
    // A reverse proxy on this machine forwards with a loopback peer and,
    // often, a loopback Host: an installation with a public URL elsewhere
    // has no mailbox page at all.
    let local_install = state.public_url.host().is_some_and(|host| match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    });
    let local = local_install
        && client.is_some_and(|Extension(ClientAddr(ip))| ip.is_loopback())
        && is_local_request(&headers);
    let Some(mailbox) = state.mailbox.as_ref().filter(|_| local) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mails = match mailbox.list(SHOWN).await {
        Ok(mails) => mails,
        Err(error) => {
            tracing::error!(error = %error, "cannot read the mailbox");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut body = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Mailbox · Caveman</title>\
         <link rel=\"stylesheet\" href=\"/pkg/caveman.css\"></head>\
         <body><main class=\"mailbox\"><h1>Local mailbox</h1>\
         <p>SMTP is not configured, so Caveman keeps its mail here. Only this machine can read this page.</p>",
    );
    if mails.is_empty() {
        body.push_str("<p data-testid=\"mailbox-empty\">No mail yet.</p>");
    }
    for mail in mails {
        body.push_str(&format!(
            "<article class=\"card mail\" data-testid=\"mail\"><h2>{subject}</h2>\
             <p class=\"muted\">To <span data-testid=\"mail-to\">{to}</span></p><pre>{text}</pre></article>",
            subject = escape(&mail.subject),
            to = escape(&mail.recipient),
            text = linkify(&escape(&mail.body)),
        ));
    }
    body.push_str("</main></body></html>");
    Html(body).into_response()
}

/// Whether the request names a loopback host and went through no proxy.
fn is_local_request(headers: &HeaderMap) -> bool {
    let relayed = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|name| headers.contains_key(*name));
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    // Drop the port: `127.0.0.1:3000`, `localhost:3000`, `[::1]:3000`.
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let loopback_name = name.eq_ignore_ascii_case("localhost")
        || name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !relayed && loopback_name
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Makes each `http(s)://` word of already escaped text a link.
fn linkify(escaped: &str) -> String {
    escaped
        .split('\n')
        .map(|line| {
            line.split(' ')
                .map(|word| {
                    if word.starts_with("http://") || word.starts_with("https://") {
                        format!("<a href=\"{word}\">{word}</a>")
                    } else {
                        word.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unrelayed_requests_to_a_loopback_name_are_local() {
        let request = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, http::HeaderValue::from_static(value));
            }
            is_local_request(&headers)
        };
        assert!(request(&[("host", "127.0.0.1:3000")]));
        assert!(request(&[("host", "localhost:3000")]));
        assert!(request(&[("host", "[::1]:3000")]));
        assert!(!request(&[("host", "caveman.example.com")]));
        assert!(!request(&[("host", "rebound.example:3000")]));
        assert!(!request(&[
            ("host", "127.0.0.1:3000"),
            ("x-forwarded-for", "203.0.113.9")
        ]));
        assert!(!request(&[]));
    }

    #[test]
    fn mail_text_is_escaped_and_links_are_clickable() {
        let shown = linkify(&escape("Hi <b>\nhttp://x/confirm?token=a&b=1"));
        assert_eq!(
            shown,
            "Hi &lt;b&gt;\n<a href=\"http://x/confirm?token=a&amp;b=1\">http://x/confirm?token=a&amp;b=1</a>"
        );
    }
}
