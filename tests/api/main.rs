//! One integration-test binary: every module drives the real app on a fresh temp database.

mod helpers;

mod accounts;
mod auth_tokens;
mod cli;
mod conventions;
