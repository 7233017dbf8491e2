//! Black-box tests of `Storage`, each in its own temporary data directory; the tests about
//! objects run on the fs backend and on a real S3 server (s3s-fs) on loopback.

mod config;
mod delete;
mod helpers;
mod list;
mod outage;
mod owner;
mod policy;
mod read;
mod sign;
mod variants;
mod write;
