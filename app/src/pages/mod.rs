//! One module per page (or group of closely related pages).

pub mod about;
pub mod account;
pub mod auth;
pub mod domain;
pub mod home;
pub mod hosts;
pub mod not_found;
pub mod sources;
pub mod workspace;
