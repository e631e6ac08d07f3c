//! apply
pub mod credentials;
