//! Which files NurseCare shares and under which names: one rule for the server (which refuses
//! the rest) and the client (which refuses them before uploading, also to production, which
//! takes anything, and never opens them).

#![deny(missing_docs)]

pub mod kind;
pub mod names;
