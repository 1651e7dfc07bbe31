//! The route table: every page of the application and the layout around it.

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::Layout;
use crate::pages::{
    about::AboutPage, account::AccountPage, auth, domain, home::HomePage, hosts,
    not_found::NotFoundPage, sources, workspace,
};

/// The root component, rendered on the server and hydrated in the browser.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="caveman-css" href="/pkg/caveman.css" />
        <Title formatter=|page: String| format!("{page} · Caveman") />
        <Router>
            <Layout>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/dashboards") view=domain::DashboardsPage />
                    <Route path=path!("/services") view=domain::ServicesPage />
                    <Route path=path!("/deployments") view=domain::DeploymentsPage />
                    <Route path=path!("/hosts") view=hosts::HostsPage />
                    <Route path=path!("/hosts/:id") view=hosts::HostPage />
                    <Route path=path!("/sources") view=sources::SourcesPage />
                    <Route path=path!("/sources/:id") view=sources::SourcePage />
                    <Route path=path!("/probes") view=domain::ProbesPage />
                    <Route path=path!("/settings") view=AccountPage />
                    <Route path=path!("/settings/workspace") view=workspace::WorkspaceSettingsPage />
                    <Route path=path!("/settings/audit") view=workspace::AuditPage />
                    <Route path=path!("/sign-up") view=auth::SignUpPage />
                    <Route path=path!("/sign-in") view=auth::SignInPage />
                    <Route path=path!("/sign-in-link") view=auth::SignInLinkPage />
                    <Route path=path!("/magic-link") view=auth::MagicLinkPage />
                    <Route path=path!("/confirm-email") view=auth::ConfirmEmailPage />
                    <Route path=path!("/confirm-email-change") view=auth::ConfirmEmailChangePage />
                    <Route path=path!("/forgot-password") view=auth::ForgotPasswordPage />
                    <Route path=path!("/reset-password") view=auth::ResetPasswordPage />
                    <Route path=path!("/invitations/accept") view=workspace::AcceptInvitationPage />
                    <Route path=path!("/about") view=AboutPage />
                </Routes>
            </Layout>
        </Router>
    }
}
