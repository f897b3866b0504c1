//! One integration-test binary: every module drives the real app on a fresh temp database.

mod helpers;
#[path = "../common/server.rs"]
mod server;

mod accounts;
mod auth_tokens;
mod cli;
mod conventions;
mod faults;
mod web;
