//! Reusable pieces of the interface: the page layout and small building
//! blocks shared by pages.

pub mod error_view;
pub mod forms;
pub mod hydration;
pub mod layout;
pub mod page_data;
pub mod page_header;
pub mod signed_in;
pub mod sudo;
pub mod time;
