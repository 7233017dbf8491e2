//! Test support shared by every suite: real server processes on free loopback ports, each in
//! its own temporary directory, so tests never share state and never assume something is
//! already running. A missing binary is a loud failure with the install command, never a skip.

mod counting_proxy;
mod process;
mod redis;
mod s3;
mod webhook;

use std::fmt;

pub use counting_proxy::CountingProxy;
pub use process::free_port;
pub use redis::RedisServer;
pub use s3::S3Server;
pub use webhook::{Mode as WebhookMode, ReceivedRequest, WebhookReceiver};

/// Where a suite keeps objects: the local disk, or a real S3 server on loopback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Fs,
    S3,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Fs => "fs",
            Backend::S3 => "s3",
        })
    }
}
