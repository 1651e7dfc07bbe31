//! How server functions reach the domain: each context of the server
//! implements a trait defined next to the server functions that use it, and
//! the server provides it through Leptos context as `Arc<dyn Trait>`.

use std::sync::Arc;

use leptos::prelude::use_context;

use crate::AppError;

/// The server's implementation of service `T`. Its absence is a wiring bug
/// in the server, reported in the log and to the caller as an internal
/// error.
pub fn service<T>() -> Result<Arc<T>, AppError>
where
    T: ?Sized + Send + Sync + 'static,
{
    use_context::<Arc<T>>().ok_or_else(|| {
        tracing::error!(
            service = std::any::type_name::<T>(),
            "service missing from the Leptos context"
        );
        AppError::Internal
    })
}
