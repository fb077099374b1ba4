//! nursecare-core: the client core behind the CLI and the desktop app (no Tauri in it).
//!
//! Built so far: [`api`] (the REST client), [`socket`] (the Socket.io link) and [`cache`] (the
//! encrypted local store). Sync, the outbox, sessions, events and calls follow (see
//! `ARCHITECTURE.md`).

#![deny(missing_docs)]

pub mod api;
pub mod cache;
pub mod secrets;
pub mod session;
pub mod socket;
