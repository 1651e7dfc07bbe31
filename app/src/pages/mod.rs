//! One module per page (or group of closely related pages).

pub mod about;
pub mod domain;
pub mod home;
pub mod not_found;
