//! Black-box tests of the real app: one test binary, one module per feature.
#![allow(clippy::unwrap_used)]

mod access;
mod accounts;
mod auth;
mod auth_metrics;
mod cli;
mod compat;
mod conditional;
mod config;
mod connections;
mod console;
mod cors;
mod errors;
mod files;
mod health;
mod helpers;
mod json_etags;
mod listing;
mod notify;
mod objects;
mod openapi;
mod ops_metrics;
mod overview;
mod profiles;
mod prometheus_server;
mod redis_outage;
mod security;
mod sessions;
mod slow_bodies;
mod storage_outage;
mod tools;
mod uploads;
mod variants;
