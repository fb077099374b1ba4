//! The server's integration tests: one binary (faster to build), one module per concern.
//! New tests go in the module of what they test; `util` holds the harness.

mod accounts;
mod authz;
mod calls;
mod compat;
mod files;
mod hardening;
mod input;
mod logs;
mod node;
mod rest;
mod restart;
mod sign_out;
mod socket;
mod tokens;
mod util;
mod web;
