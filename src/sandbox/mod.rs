//! A local Sailplay: an in-memory store loaded from an export, served over
//! HTTP with the documented endpoints, response bodies, error codes and
//! merge precedence, so that users can rehearse `apply` and tests can run
//! the whole way through real HTTP. It never talks to the real Sailplay.
//!
//! `store` holds the profiles and the rules (pure, unit-tested); `server`
//! is the axum face with credentials, latency, faults on demand and
//! counters; `state` keeps the store on disk (`--state`) so that a restart
//! loses nothing.

pub mod server;
pub mod state;
pub mod store;

pub use server::{AuthConfig, FaultConfig, SandboxStats, serve};
pub use store::{MergeRules, Store, merge_profiles};
