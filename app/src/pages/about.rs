//! The About page: a server-function round trip that reports the server's
//! version, database engine and migration level on request.

use leptos::prelude::*;

use crate::components::error_view::view_or_alert;
use crate::components::hydration::use_hydrated;
use crate::components::page_header::PageHeader;
use crate::system::{ServerInfo, ServerInfoFn};

#[component]
pub fn AboutPage() -> impl IntoView {
    let hydrated = use_hydrated();
    let check = ServerAction::<ServerInfoFn>::new();
    let pending = check.pending();
    let result = check.value();

    let label = move || match (hydrated.get(), pending.get()) {
        (false, _) => "Loading…",
        (true, true) => "Checking…",
        (true, false) => "Check server",
    };

    view! {
        <PageHeader title="About" summary="This Caveman server and the database it uses." />
        <section class="card" aria-labelledby="server-heading">
            <h2 id="server-heading">"Server"</h2>
            <p>"Ask the server for its version, database engine and schema migration level."</p>
            <button
                type="button"
                class="button"
                data-testid="check-server"
                disabled=move || !hydrated.get() || pending.get()
                on:click=move |_| {
                    check.dispatch(ServerInfoFn {});
                }
            >
                {label}
            </button>
            <div aria-live="polite">
                {move || result.get().map(|reply| view_or_alert(reply.map(|info| view! { <ServerFacts info /> })))}
            </div>
        </section>
    }
}

/// The reply of a successful check, as a definition list.
#[component]
fn ServerFacts(info: ServerInfo) -> impl IntoView {
    let migrations = &info.migrations;
    let level = match (migrations.applied, migrations.latest_known) {
        (Some(applied), Some(known)) if applied == known => format!("{applied} (up to date)"),
        (Some(applied), Some(known)) => format!("{applied} of {known}"),
        (None, _) => "no migrations applied".to_string(),
        (Some(applied), None) => applied.to_string(),
    };
    let state = if migrations.is_current() {
        "ok"
    } else {
        "warn"
    };

    view! {
        <dl class="facts" data-testid="server-facts">
            <dt>"Version"</dt>
            <dd data-testid="server-version">{info.version.clone()}</dd>
            <dt>"Database"</dt>
            <dd data-testid="server-database">{info.database.label()}</dd>
            <dt>"Migration level"</dt>
            <dd data-testid="server-migrations" data-state=state>{level}</dd>
            <dt>"Installed"</dt>
            <dd>{info.installed_at.clone()}</dd>
            <dt>"Up for"</dt>
            <dd>{format_uptime(info.uptime_secs)}</dd>
        </dl>
    }
}

/// `3725` -> `1 h 2 min 5 s`.
fn format_uptime(secs: u64) -> String {
    let (hours, minutes, seconds) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    match (hours, minutes) {
        (0, 0) => format!("{seconds} s"),
        (0, _) => format!("{minutes} min {seconds} s"),
        _ => format!("{hours} h {minutes} min {seconds} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::format_uptime;

    #[test]
    fn uptime_reads_in_the_largest_useful_units() {
        assert_eq!(format_uptime(5), "5 s");
        assert_eq!(format_uptime(65), "1 min 5 s");
        assert_eq!(format_uptime(3725), "1 h 2 min 5 s");
    }
}
