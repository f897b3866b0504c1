//! One integration-test binary: every module drives the real app on a fresh temp database.

mod helpers;
#[path = "../common/postgres.rs"]
mod postgres;
#[path = "../common/server.rs"]
mod server;
#[path = "../common/smtp.rs"]
mod smtp;

mod accounts;
mod api_tokens;
mod audit;
mod auth_tokens;
mod cli;
mod conventions;
mod faults;
mod hardening;
mod mail;
mod markets_assets;
mod markets_ledger;
mod markets_portfolio;
mod metrics;
mod money;
mod parsers;
mod read_cache;
mod schema_parity;
mod store_cart;
mod store_catalog;
mod store_orders;
mod store_support;
mod two_factor;
mod web;
