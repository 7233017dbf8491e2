//! picgate's gateway: the actix-web service in front of `storage` and `auth`. A library, so the
//! tests build the very app `main` runs.

pub mod body;
pub mod body_pace;
pub mod cli;
pub mod client_kind;
pub mod console;
pub mod cors;
pub mod envelope;
pub mod error;
pub mod json_etag;
pub mod metrics;
pub mod profiles;
pub mod proxies;
pub mod request_id;
pub mod routes;
pub mod service;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod unread_body;
pub mod upload_command;
pub mod variants;
pub mod views;

pub use settings::Settings;
pub use startup::Application;
