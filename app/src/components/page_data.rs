//! Creating the data a page loads, so that the browser finds it.
//!
//! The server serializes every resource's value into the page under a
//! number given in creation order, and the browser, hydrating, reads each
//! value back under the number its own creation order gives. The two
//! orders agree only for resources created outside every `<Suspense>` and
//! `<Transition>`: the server builds a boundary's children a varying
//! number of times (once or twice to find what they read, and once to
//! render), depending on whether their data had already loaded. A resource
//! created inside would take other numbers on the server than in the
//! browser, which then reads a neighbour's value or none, fetches its own,
//! and fails to hydrate ("expected a marker node"), now and then.
//!
//! So every page creates its resources at its top, before any boundary,
//! through [`page_resource`], and passes them down. `clippy.toml` forbids
//! the other ways of making a resource. Errors are shown as values for the
//! same reason (`error_view`). The boundaries nested inside a boundary
//! still take other numbers on the server; nothing reads those unless a
//! `LocalResource` is used, which this project does not.

#[cfg(feature = "ssr")]
use leptos::prelude::suspense::SuspenseContext;
use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A resource the page's server render serializes and the browser reads
/// back: `Resource::new`, refused inside a `<Suspense>` or `<Transition>`.
///
/// # Panics
///
/// When called inside a suspense boundary in a debug build of the server,
/// naming the caller: the tests' page renders then fail every time,
/// instead of a browser failing to hydrate once in many loads.
#[track_caller]
pub fn page_resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    #[cfg(all(feature = "ssr", debug_assertions))]
    if inside_suspense() {
        panic!(
            "page_resource at {} is created inside a <Suspense> or <Transition>; create it \
             at the top of the page and pass it down (see components::page_data)",
            std::panic::Location::caller()
        );
    }
    #[allow(clippy::disallowed_methods)]
    Resource::new(source, fetcher)
}

/// Whether the current reactive owner is inside a suspense boundary, which
/// provides its children a `SuspenseContext`.
#[cfg(feature = "ssr")]
fn inside_suspense() -> bool {
    use_context::<SuspenseContext>().is_some()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use leptos::reactive::owner::Owner;

    #[test]
    fn only_a_suspense_boundary_counts_as_inside_one() {
        let owner = Owner::new();
        owner.with(|| assert!(!inside_suspense()));
        owner.with(|| {
            provide_context(SuspenseContext {
                tasks: Default::default(),
            });
            assert!(inside_suspense());
        });
    }

    #[test]
    fn a_resource_inside_a_suspense_boundary_is_refused_naming_its_place() {
        let owner = Owner::new();
        let called_at = line!() + 5;
        let panic = owner.with(|| {
            provide_context(SuspenseContext {
                tasks: Default::default(),
            });
            std::panic::catch_unwind(|| page_resource(|| (), |()| async { 1_u32 }))
        });
        let message = panic.expect_err("refused");
        let message = message
            .downcast_ref::<String>()
            .expect("a formatted message");
        assert!(message.contains("inside a <Suspense>"), "{message}");
        // The caller's place, not page_resource's own.
        assert!(
            message.contains(&format!("page_data.rs:{called_at}:")),
            "{message}"
        );
    }
}
