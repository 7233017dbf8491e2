//! `webhook` targets: `POST <endpoint>` with the message as the body, signed as Standard
//! Webhooks has it when the target has a secret. 2xx acknowledges; anything else (a redirect,
//! which is not followed, 4xx, 5xx, a timeout, a refused connection) is a failure to retry.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::redirect::Policy;
use reqwest::{StatusCode, Url};
use secrecy::ExposeSecret;
use time::OffsetDateTime;

use super::Failure;
use crate::entry::QueueEntry;
use crate::signature::{ID_HEADER, SIGNATURE_HEADER, SigningKey, TIMESTAMP_HEADER};
use crate::{Error, TargetSettings};

const USER_AGENT: &str = concat!("picgate/", env!("CARGO_PKG_VERSION"));

/// Most bytes of a response body read (and thrown away) so the connection can be reused.
const DRAIN_LIMIT: usize = 64 * 1024;

pub(crate) struct WebhookSender {
    /// One client per target: its own connection pool, no redirects, the request timeout.
    client: reqwest::Client,
    url: Url,
    key: Option<SigningKey>,
    /// `Bearer <token>` (or the token as it is when it names its scheme), marked sensitive.
    authorization: Option<HeaderValue>,
}

impl WebhookSender {
    /// Errors (`Internal`, never showing the endpoint, secret or token): no or a malformed
    /// endpoint, a secret that is not a signing key, a token that is not a header value.
    pub(crate) fn new(id: &str, target: &TargetSettings, timeout: Duration) -> Result<Self, Error> {
        let bad = |what: &str| Error::Internal(anyhow::anyhow!("notify.targets.{id}.{what}"));
        let endpoint = target
            .endpoint
            .as_deref()
            .ok_or_else(|| bad("endpoint: a webhook target needs an endpoint"))?;
        let url = Url::parse(endpoint).map_err(|_| bad("endpoint: not a URL"))?;
        let key = match &target.secret {
            Some(secret) => Some(
                SigningKey::from_secret(secret.expose_secret())
                    .map_err(|_| bad("secret: not a valid signing key"))?,
            ),
            None => None,
        };
        let authorization = match &target.auth_token {
            Some(token) => {
                let token = token.expose_secret().trim();
                let value = if token.contains(' ') {
                    token.to_owned()
                } else {
                    format!("Bearer {token}")
                };
                let mut value = HeaderValue::from_str(&value)
                    .map_err(|_| bad("auth_token: not a valid header value"))?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| Error::Internal(e.without_url().into()))?;
        Ok(Self {
            client,
            url,
            key,
            authorization,
        })
    }

    pub(crate) async fn send(&self, entry: &QueueEntry) -> Result<(), Failure> {
        let timestamp = OffsetDateTime::now_utc().unix_timestamp();
        let header = |value: &str| {
            HeaderValue::from_str(value).map_err(|_| Failure::new("request: invalid header value"))
        };
        let mut request = self
            .client
            .post(self.url.clone())
            .body(entry.message.clone())
            .build()
            .map_err(|e| Failure::new(describe(&e)))?;
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(HeaderName::from_static(ID_HEADER), header(&entry.id)?);
        headers.insert(
            HeaderName::from_static(TIMESTAMP_HEADER),
            HeaderValue::from(timestamp),
        );
        if let Some(key) = &self.key {
            let signature = key.sign(&entry.id, timestamp, entry.message.as_bytes());
            headers.insert(
                HeaderName::from_static(SIGNATURE_HEADER),
                header(&signature)?,
            );
        }
        if let Some(authorization) = &self.authorization {
            // Replaces any basic credentials reqwest took from the endpoint's user info.
            headers.insert(AUTHORIZATION, authorization.clone());
        }
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| Failure::new(describe(&e)))?;
        let status = response.status();
        let retry_after = if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
        } else {
            None
        };
        // Read a little of the body so the connection goes back to the pool.
        let mut drained = 0;
        while drained < DRAIN_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => drained += chunk.len(),
                Ok(None) | Err(_) => break,
            }
        }
        if status.is_success() {
            Ok(())
        } else {
            Err(Failure {
                error: format!("HTTP {}", status.as_u16()),
                retry_after,
            })
        }
    }
}

/// `timeout`, `connect: <cause>` or `request: <cause>`: the innermost cause, never the URL
/// (it may carry credentials).
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timeout".to_owned();
    }
    let kind = if err.is_connect() {
        "connect"
    } else {
        "request"
    };
    let mut last: &dyn std::error::Error = err;
    while let Some(source) = last.source() {
        last = source;
    }
    if std::ptr::addr_eq(last, err as &dyn std::error::Error) {
        return kind.to_owned();
    }
    format!("{kind}: {last}")
}
