//! Accounts as JSON documents in the storage system area:
//!
//! - `users/<id>.json`: the user and the bcrypt hash of the password (never the password);
//! - `index/phone/<e164>`: the user id;
//! - `index/email/<sha256 hex of the lowercased address>`: the user id. Hashed because an
//!   address may contain `/` and other characters that are unsafe or too long as a file name.
//!
//! Uniqueness comes from creating the index files with `if_not_exists`, an `O_EXCL` create on
//! fs, so two registrations of one phone or email never both succeed, even across instances.
//!
//! OpenDAL errors become `Unavailable` when the backend could not be reached or failed
//! temporarily, `Internal` otherwise.

use opendal::{ErrorKind, Operator};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::email::Email;
use crate::error::Error;
use crate::model::User;
use crate::phone::Phone;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredUser {
    #[serde(flatten)]
    pub user: User,
    pub password_hash: String,
}

pub(crate) struct Accounts {
    op: Operator,
    /// Serializes registrations within this process; across processes the index files do.
    register: tokio::sync::Mutex<()>,
    /// Serializes read-modify-write of user documents within this process, so a password
    /// change and an admin change never overwrite each other here.
    update: tokio::sync::Mutex<()>,
}

impl Accounts {
    pub fn new(op: Operator) -> Self {
        Self {
            op,
            register: tokio::sync::Mutex::new(()),
            update: tokio::sync::Mutex::new(()),
        }
    }

    /// Reads the document of `id`, applies `change` and writes it back, under the update lock.
    /// `UserNotFound` if there is none. Returns the document as written.
    pub async fn update(
        &self,
        id: Uuid,
        change: impl FnOnce(&mut StoredUser),
    ) -> Result<StoredUser, Error> {
        let _guard = self.update.lock().await;
        let mut stored = self.by_id(id).await?.ok_or(Error::UserNotFound)?;
        change(&mut stored);
        self.put(&stored).await?;
        Ok(stored)
    }

    /// Every account, in no particular order (documents that fail to parse are skipped and
    /// logged).
    pub async fn all(&self) -> Result<Vec<User>, Error> {
        let entries = match self.op.list("users/").await {
            Ok(entries) => entries,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(storage_error(err)),
        };
        let mut users = Vec::new();
        for entry in entries {
            let Some(id) = entry
                .name()
                .strip_suffix(".json")
                .and_then(|id| Uuid::parse_str(id).ok())
            else {
                continue;
            };
            match self.by_id(id).await {
                Ok(Some(stored)) => users.push(stored.user),
                Ok(None) => {}
                Err(Error::Internal(err)) => {
                    tracing::warn!(user_id = %id, error = %err, "unreadable user document skipped");
                }
                Err(err) => return Err(err),
            }
        }
        Ok(users)
    }

    /// Removes the phone and email index entries (those that still name this user), then the
    /// document.
    pub async fn delete(&self, user: &User) -> Result<(), Error> {
        let _guard = self.update.lock().await;
        let id = user.id.to_string();
        let phone = Phone::parse(user.phone.as_str())
            .ok()
            .map(|p| phone_path(&p));
        let email = Email::parse(user.email.as_str())
            .ok()
            .map(|e| email_path(&e));
        for path in [phone, email].into_iter().flatten() {
            let owner = self.read(&path).await?;
            if owner.is_some_and(|bytes| String::from_utf8_lossy(&bytes).trim() == id) {
                self.op.delete(&path).await.map_err(storage_error)?;
            }
        }
        self.op
            .delete(&user_path(user.id))
            .await
            .map_err(storage_error)
    }

    /// Whether the phone or the email is already claimed (a quick check before the expensive
    /// hashing; `create` is what guarantees uniqueness).
    pub async fn taken(&self, phone: &Phone, email: &Email) -> Result<bool, Error> {
        Ok(self.read(&phone_path(phone)).await?.is_some()
            || self.read(&email_path(email)).await?.is_some())
    }

    /// The id an index entry names, without reading the document.
    pub async fn id_by_phone(&self, phone: &Phone) -> Result<Option<Uuid>, Error> {
        self.index(&phone_path(phone)).await
    }

    /// The id an index entry names, without reading the document.
    pub async fn id_by_email(&self, email: &Email) -> Result<Option<Uuid>, Error> {
        self.index(&email_path(email)).await
    }

    /// Claims the phone, then the email, then writes the user document. Releases what it
    /// claimed if a later step fails. `AccountExists` if either is taken.
    pub async fn create(
        &self,
        stored: &StoredUser,
        phone: &Phone,
        email: &Email,
    ) -> Result<(), Error> {
        let _guard = self.register.lock().await;
        let id = stored.user.id.to_string();
        let phone_path = phone_path(phone);
        let email_path = email_path(email);
        self.claim(&phone_path, &id).await?;
        if let Err(err) = self.claim(&email_path, &id).await {
            self.release(&phone_path).await;
            return Err(err);
        }
        if let Err(err) = self.put(stored).await {
            self.release(&email_path).await;
            self.release(&phone_path).await;
            return Err(err);
        }
        Ok(())
    }

    pub async fn by_id(&self, id: Uuid) -> Result<Option<StoredUser>, Error> {
        let Some(bytes) = self.read(&user_path(id)).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(Error::internal)
    }

    /// Replaces the user document (written aside, then renamed over the old one, so a reader
    /// never sees half a document; written in place where the storage cannot rename (S3, COS),
    /// as a PUT there replaces an object whole).
    pub async fn put(&self, stored: &StoredUser) -> Result<(), Error> {
        let json = serde_json::to_vec_pretty(stored).map_err(Error::internal)?;
        let target = user_path(stored.user.id);
        if !self.op.info().capability().rename {
            self.op.write(&target, json).await.map_err(storage_error)?;
            return Ok(());
        }
        let temp = format!("users/.tmp/{}.json", Uuid::new_v4());
        self.op.write(&temp, json).await.map_err(storage_error)?;
        if let Err(err) = self.op.rename(&temp, &target).await {
            self.release(&temp).await;
            return Err(storage_error(err));
        }
        Ok(())
    }

    async fn index(&self, path: &str) -> Result<Option<Uuid>, Error> {
        let Some(bytes) = self.read(path).await? else {
            return Ok(None);
        };
        // An index being created right now may still be empty: treat it as absent.
        Ok(std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| Uuid::parse_str(s.trim()).ok()))
    }

    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.op.read(path).await {
            Ok(buf) => Ok(Some(buf.to_vec())),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(storage_error(err)),
        }
    }

    async fn claim(&self, path: &str, id: &str) -> Result<(), Error> {
        match self
            .op
            .write_with(path, id.as_bytes().to_vec())
            .if_not_exists(true)
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if err.kind() == ErrorKind::ConditionNotMatch => Err(Error::AccountExists),
            Err(err) => Err(storage_error(err)),
        }
    }

    /// Best effort: a leftover index only blocks its phone or email, it grants nothing.
    async fn release(&self, path: &str) {
        if let Err(err) = self.op.delete(path).await {
            tracing::warn!(path, error = %err, "could not release an account index entry");
        }
    }
}

/// `AccountsUnavailable` when the backend could not be reached or failed temporarily
/// (throttled, or still failing after the retry layer gave up), `Internal` for everything else
/// (permissions, config, unsupported operations, corrupt data). The same rule as
/// `storage::is_unavailable` for objects, so one outage answers one code everywhere.
pub(crate) fn storage_error(err: opendal::Error) -> Error {
    let unavailable = match err.kind() {
        ErrorKind::RateLimited => true,
        ErrorKind::ConfigInvalid | ErrorKind::PermissionDenied | ErrorKind::Unsupported => false,
        _ => err.is_temporary() || err.is_persistent(),
    };
    if unavailable {
        Error::AccountsUnavailable(err.into())
    } else {
        Error::internal(err)
    }
}

fn user_path(id: Uuid) -> String {
    format!("users/{id}.json")
}

fn phone_path(phone: &Phone) -> String {
    format!("index/phone/{phone}")
}

fn email_path(email: &Email) -> String {
    format!(
        "index/email/{}",
        hex::encode(Sha256::digest(email.as_ref()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_or_temporary_storage_is_unavailable_and_the_rest_internal() {
        let temporary = opendal::Error::new(ErrorKind::Unexpected, "reset").set_temporary();
        let limited = opendal::Error::new(ErrorKind::RateLimited, "x");
        let retried = opendal::Error::new(ErrorKind::Unexpected, "refused").set_persistent();
        let denied = opendal::Error::new(ErrorKind::PermissionDenied, "x").set_temporary();
        let config = opendal::Error::new(ErrorKind::ConfigInvalid, "x");
        let corrupt = opendal::Error::new(ErrorKind::Unexpected, "bad xml");

        for err in [temporary, limited, retried] {
            assert!(matches!(storage_error(err), Error::AccountsUnavailable(_)));
        }
        for err in [denied, config, corrupt] {
            assert!(matches!(storage_error(err), Error::Internal(_)));
        }
    }
}
