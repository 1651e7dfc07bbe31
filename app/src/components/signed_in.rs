//! Who is signed in, for every component: the layout loads the caller's
//! [`Viewer`] once per navigation and shares it through context.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::AppError;
use crate::accounts::{Viewer, viewer};
use crate::components::page_data::page_resource;

/// The caller as last loaded, and a way to reload it after an action that
/// changes it (switching workspace, creating one).
#[derive(Debug, Clone, Copy)]
pub struct ViewerState {
    pub resource: Resource<Result<Option<Viewer>, AppError>>,
    refresh: RwSignal<u32>,
}

impl ViewerState {
    /// Loads the viewer again on every navigation and on [`Self::refresh`].
    pub fn provide() -> Self {
        let refresh = RwSignal::new(0);
        let path = use_location().pathname;
        let resource = page_resource(move || (path.get(), refresh.get()), |_| viewer());
        let state = ViewerState { resource, refresh };
        provide_context(state);
        state
    }

    pub fn refresh(&self) {
        self.refresh.update(|n| *n += 1);
    }

    /// Changes on every [`Self::refresh`]: a key for resources that must
    /// reload with the viewer.
    pub fn version(&self) -> u32 {
        self.refresh.get()
    }
}

/// The signed-in viewer, for the children of [`SignInRequired`].
#[derive(Debug, Clone)]
pub struct SignedIn(pub Viewer);

/// Who is signed in, inside [`SignInRequired`].
pub fn use_signed_in() -> Viewer {
    expect_context::<SignedIn>().0
}

pub fn use_viewer() -> ViewerState {
    expect_context::<ViewerState>()
}

/// Shows `children` to signed-in callers, and a way to sign in to others.
#[component]
pub fn SignInRequired(children: ChildrenFn) -> impl IntoView {
    let state = use_viewer();
    let path = use_location().pathname;
    let children = StoredValue::new(children);

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match state.resource.await {
                    Ok(Some(viewer)) => {
                        // The page reads who is signed in from here rather
                        // than awaiting the shared resource a second time.
                        provide_context(SignedIn(viewer));
                        children.with_value(|children| children()).into_any()
                    }
                    Ok(None) => {
                        let next = format!("/sign-in?next={}", path.get_untracked());
                        view! {
                            <section class="card" data-testid="sign-in-required">
                                <p>"You need to sign in to see this page."</p>
                                <A href=next>"Sign in"</A>
                            </section>
                        }
                        .into_any()
                    }
                    Err(error) => view! {
                        <div class="alert alert-error" role="alert">{error.to_string()}</div>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}
