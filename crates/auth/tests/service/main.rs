//! Service flows of `auth::Auth`, each run against both session stores (in-process and a real
//! Redis started by the test), plus Redis outage and recovery.

/// Generates one `#[tokio::test]` per backend for each listed `async fn name(Backend)`.
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::support::Backend::Memory).await;
                }
            )+
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::support::Backend::Redis).await;
                }
            )+
        }
    };
}

mod accounts;
mod admin;
mod api_tokens;
mod outage;
mod registration;
mod sessions;
mod store;
mod support;
mod throttle;
mod tokens;
