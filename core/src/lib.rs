//! nursecare-core: the client core behind the CLI and the desktop app (no Tauri in it).
//!
//! Built so far: [`api`], the REST client, and [`socket`], the Socket.io link. The the encrypted cache, sync, the
//! outbox, sessions, events and calls follow (see `ARCHITECTURE.md`).

#![deny(missing_docs)]

pub mod api;
pub mod socket;
