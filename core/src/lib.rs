//! nursecare-core: the client core behind the CLI and the desktop app (no Tauri in it).
//!
//! [`client::Client`] is the entry point: one signed-in account on one server. Under it,
//! [`api`] (REST), [`socket`] (the Socket.io link), [`cache`] (the encrypted local store),
//! the sync, outbox, engine and call tasks, and [`events`] (the typed stream for the UI).
//! [`profile`], [`session`] and [`secrets`] keep where state lives and who is signed in.
//! See `ARCHITECTURE.md` for the map and its invariants.

#![deny(missing_docs)]

mod announce;
pub mod api;
pub mod cache;
mod call_owner;
mod call_steps;
pub mod client;
mod config;
mod engine;
mod error;
pub mod events;
pub mod files;
pub mod lock;
pub mod logs;
pub mod my_call;
mod outbox;
pub mod profile;
mod reads;
mod ring_poll;
pub mod ringing;
pub mod search;
pub mod secrets;
pub mod server_address;
pub mod session;
pub mod settings;
mod shared;
pub mod socket;
mod sync;
pub mod typing;
pub mod urgent;
pub mod vault;

pub use client::{Client, ClientConfig, ClientError};
pub use error::{ErrorKind, ErrorReport};
pub use events::{Event, EventStream};
pub use profile::Profile;
