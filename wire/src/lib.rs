//! The NurseCare wire contract as serde types: every shape, REST body and socket payload of
//! `shared/contract.md`, and nothing else.
//!
//! This crate is the one source of truth that the server and the client share. Names follow the
//! wire (camelCase JSON, UPPERCASE enums, integer ids, ISO dates with milliseconds). Fields that
//! only the project's own server sends (contract Part B) are `Option`s that are skipped when
//! absent, so a production-shaped payload still parses and a Part A answer stays field for field.

pub mod events;
pub mod files;
pub mod rest;
pub mod shapes;
pub mod socket;
mod timestamp;

pub use shapes::*;
pub use timestamp::Timestamp;
