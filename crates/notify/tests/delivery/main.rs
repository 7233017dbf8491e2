//! Delivery end to end with real parts: a redis-server, a file system (or an S3 server) for the
//! system area, and an HTTP receiver.

#![allow(clippy::unwrap_used)]

mod journal;
mod receiver;
mod redis;
mod scenarios;
mod support;
