//! picgate auth: accounts (JSON documents in the storage system area), bcrypt passwords,
//! short-lived JWT access tokens bound to sessions, rotating refresh tokens, sessions in Redis
//! or in process, and login throttling. Knows nothing about HTTP.

mod accounts;
mod credentials;
mod email;
mod error;
mod jwt;
mod memory_store;
mod model;
mod password;
mod phone;
mod redis_conn;
mod redis_store;
mod refresh;
mod registration;
mod service;
mod session;
mod session_fields;
mod settings;
mod throttle;

pub use email::{Email, MAX_EMAIL_CHARS};
pub use error::{Error, FieldError, ValidationError};
pub use jwt::LEEWAY_SECS;
pub use memory_store::MemoryStore;
pub use model::{Device, NewAccount, Principal, Role, SessionInfo, TokenPair, User};
pub use password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES, Password};
pub use phone::{MAX_E164_DIGITS, MIN_E164_DIGITS, Phone};
pub use redis_store::RedisStore;
pub use registration::{MAX_NAME_CHARS, MAX_TFS_CHARS};
pub use service::{Auth, TOUCH_INTERVAL_SECS};
pub use session::{Failures, Rotation, Session, SessionStore};
pub use settings::{
    MAX_BCRYPT_COST, MIN_BCRYPT_COST, MIN_JWT_SECRET_BYTES, SessionBackend, Settings, SettingsError,
};
pub use throttle::IP_LIMIT_FACTOR;

#[cfg(test)]
mod tests {
    fn shareable<T: Send + Sync + 'static>() {}

    #[test]
    fn the_service_and_its_errors_can_cross_threads() {
        shareable::<super::Auth>();
        shareable::<super::Error>();
        shareable::<super::Principal>();
    }
}
