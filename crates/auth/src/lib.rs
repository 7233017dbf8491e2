//! picgate auth: accounts (JSON documents in the storage system area), bcrypt passwords,
//! short-lived JWT access tokens bound to sessions, rotating refresh tokens, API tokens,
//! invitations, per-user state (credential epoch, role, disabled), and throttling — sessions
//! and the rest in Redis or in process. Knows nothing about HTTP.

mod accounts;
mod admin;
mod api_token;
mod authenticate;
mod credentials;
mod email;
mod error;
mod invitation;
mod invitations;
mod jwt;
mod memory_store;
mod metrics;
mod model;
mod password;
mod phone;
mod redis_conn;
mod redis_store;
mod refresh;
mod registration;
mod scope;
mod service;
mod session;
mod session_fields;
mod settings;
mod signup;
mod store;
mod throttle;
mod tokens;

pub use api_token::{ApiToken, MAX_TOKEN_NAME_CHARS, NewToken, TOKEN_PREFIX};
pub use email::{Email, MAX_EMAIL_CHARS};
pub use error::{Error, FieldError, ValidationError};
pub use invitation::{Invitation, MAX_INVITATION_TTL_SECS};
pub use jwt::LEEWAY_SECS;
pub use memory_store::MemoryStore;
pub use model::{Device, NewAccount, Principal, Role, SessionInfo, TokenPair, User, Via};
pub use password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES, Password};
pub use phone::{MAX_E164_DIGITS, MIN_E164_DIGITS, Phone};
pub use redis_conn::LazyConnection;
pub use redis_store::RedisStore;
pub use registration::{MAX_NAME_CHARS, MAX_TFS_CHARS};
pub use scope::Scope;
pub use service::{Auth, TOUCH_INTERVAL_SECS};
pub use session::{Rotation, Session, SessionCreated, UserState};
pub use settings::{
    MAX_BCRYPT_COST, MIN_BCRYPT_COST, MIN_JWT_SECRET_BYTES, Registration, SessionBackend, Settings,
    SettingsError,
};
pub use store::{Counter, Reservation, SessionStore, StoredToken};
pub use throttle::IP_LIMIT_FACTOR;
pub use tokens::MAX_TOKEN_TTL_SECS;

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
