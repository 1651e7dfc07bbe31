//! Building blocks for forms backed by server functions: labelled fields
//! that show their own validation message, a line for errors that belong
//! to no field, and a submit button that stays disabled while the action
//! runs and, for forms that need a script, until the page is interactive.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::AppError;
use crate::components::hydration::use_hydrated;

/// The message of `error` when it belongs to form field `field`.
pub fn field_message(error: Option<&AppError>, field: &str) -> Option<String> {
    match error {
        Some(AppError::Invalid {
            field: Some(name),
            message,
        }) if name == field => Some(message.clone()),
        _ => None,
    }
}

/// The message of `error` when it belongs to no field of the form.
pub fn form_message(error: Option<&AppError>, fields: &[&str]) -> Option<String> {
    match error {
        None => None,
        Some(AppError::Invalid {
            field: Some(name), ..
        }) if fields.contains(&name.as_str()) => None,
        Some(error) => Some(error.to_string()),
    }
}

/// The error of an action's last run, if it failed.
pub fn last_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + 'static,
{
    Signal::derive(move || {
        action.value().with(|value| {
            value
                .as_ref()
                .and_then(|result| result.as_ref().err().cloned())
        })
    })
}

/// Whether an action's last run succeeded.
pub fn succeeded<S>(action: ServerAction<S>) -> Signal<bool>
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + 'static,
{
    Signal::derive(move || action.value().with(|value| matches!(value, Some(Ok(_)))))
}

/// Like [`succeeded`], for a form that also works as a plain HTML post:
/// before the action runs on this page, the `?done=` mark that a plain
/// post to it came back with (`auth::return_done`) counts as success, so
/// the page shows the same outcome before hydration or without JavaScript.
pub fn succeeded_or_done<S>(action: ServerAction<S>) -> Signal<bool>
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + 'static,
{
    let came_back_done = came_back_done::<S>();
    Signal::derive(move || {
        action.value().with(|value| match value {
            Some(result) => result.is_ok(),
            None => came_back_done,
        })
    })
}

/// Whether this page was loaded as the return of a successful plain form
/// post to the server function `S` (`auth::return_done`).
pub fn came_back_done<S: ServerFn>() -> bool {
    leptos_router::hooks::use_query_map()
        .with_untracked(|query| query.get("done").as_deref() == Some(S::PATH))
}

/// A labelled input whose validation message appears under it.
#[component]
pub fn Field(
    /// The input's name, which is also the server function's argument.
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(default = true)] required: bool,
    /// The element id, when two forms on one page share a field name.
    #[prop(optional, into)]
    id: Option<String>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| format!("field-{name}"));
    let message_id = format!("{id}-message");
    let message = move || error.with(|error| field_message(error.as_ref(), name));
    let invalid = move || message().is_some().then_some("true");

    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                value=value
                aria-invalid=invalid
                aria-describedby=message_id.clone()
            />
            {hint.map(|hint| view! { <p class="field-hint">{hint}</p> })}
            <p class="field-error" id=message_id data-testid=format!("error-{name}")>
                {message}
            </p>
        </div>
    }
}

/// A labelled multi-line input (for pasted keys and certificates) whose
/// validation message appears under it.
#[component]
pub fn TextArea(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = true)] required: bool,
    #[prop(default = 6)] rows: u32,
    #[prop(optional, into)] id: Option<String>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| format!("field-{name}"));
    let message_id = format!("{id}-message");
    let message = move || error.with(|error| field_message(error.as_ref(), name));
    let invalid = move || message().is_some().then_some("true");

    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <textarea
                id=id
                name=name
                rows=rows
                required=required
                spellcheck="false"
                autocomplete="off"
                class="mono"
                aria-invalid=invalid
                aria-describedby=message_id.clone()
            ></textarea>
            {hint.map(|hint| view! { <p class="field-hint">{hint}</p> })}
            <p class="field-error" id=message_id data-testid=format!("error-{name}")>
                {message}
            </p>
        </div>
    }
}

/// Errors of the last submission that belong to none of `fields`.
#[component]
pub fn FormError(
    error: Signal<Option<AppError>>,
    fields: &'static [&'static str],
) -> impl IntoView {
    let message = move || error.with(|error| form_message(error.as_ref(), fields));
    view! {
        <Show when=move || message().is_some()>
            <div class="alert alert-error" role="alert" data-testid="form-error">{message}</div>
        </Show>
    }
}

/// A submit button, disabled while `pending` and, unless the form also
/// works as a plain HTML post, before hydration.
#[component]
pub fn Submit(
    label: &'static str,
    busy: &'static str,
    pending: Signal<bool>,
    #[prop(optional)] testid: Option<&'static str>,
    #[prop(optional)] danger: bool,
    /// The form works before hydration and without JavaScript: its server
    /// function's outcome survives a plain post (a redirect, an error in
    /// the URL, or `auth::return_done`), and nothing in it needs a script.
    #[prop(optional)]
    native: bool,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let class = if danger {
        "button button-danger"
    } else {
        "button"
    };
    view! {
        <button
            type="submit"
            class=class
            data-testid=testid
            disabled=move || (!native && !hydrated.get()) || pending.get()
        >
            {move || if pending.get() { busy } else { label }}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_go_next_to_their_field_or_above_the_form() {
        let invalid = AppError::invalid("email", "Bad address.");
        assert_eq!(
            field_message(Some(&invalid), "email").as_deref(),
            Some("Bad address.")
        );
        assert_eq!(field_message(Some(&invalid), "password"), None);
        assert_eq!(form_message(Some(&invalid), &["email"]), None);
        assert_eq!(
            form_message(Some(&AppError::Forbidden), &["email"]).as_deref(),
            Some("You do not have permission to do this.")
        );
    }
}
