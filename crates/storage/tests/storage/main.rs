//! Black-box tests of `Storage` over the fs backend, each in its own temporary data directory.

mod config;
mod delete;
mod helpers;
mod list;
mod policy;
mod read;
mod sign;
mod write;
