//! Accounts as JSON documents in the storage system area:
//!
//! - `users/<id>.json`: the user and the bcrypt hash of the password (never the password);
//! - `index/phone/<e164>`: the user id;
//! - `index/email/<sha256 hex of the lowercased address>`: the user id. Hashed because an
//!   address may contain `/` and other characters that are unsafe or too long as a file name.
//!
//! Uniqueness comes from creating the index files with `if_not_exists`, an `O_EXCL` create on
//! fs, so two registrations of one phone or email never both succeed, even across instances.

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
}

impl Accounts {
    pub fn new(op: Operator) -> Self {
        Self {
            op,
            register: tokio::sync::Mutex::new(()),
        }
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

    pub async fn by_phone(&self, phone: &Phone) -> Result<Option<StoredUser>, Error> {
        self.by_index(&phone_path(phone)).await
    }

    pub async fn by_email(&self, email: &Email) -> Result<Option<StoredUser>, Error> {
        self.by_index(&email_path(email)).await
    }

    /// Replaces the user document (written aside, then renamed over the old one, so a reader
    /// never sees half a document; written in place where the storage cannot rename (S3, COS),
    /// as a PUT there replaces an object whole).
    pub async fn put(&self, stored: &StoredUser) -> Result<(), Error> {
        let json = serde_json::to_vec_pretty(stored).map_err(Error::internal)?;
        let target = user_path(stored.user.id);
        if !self.op.info().capability().rename {
            self.op.write(&target, json).await.map_err(Error::Storage)?;
            return Ok(());
        }
        let temp = format!("users/.tmp/{}.json", Uuid::new_v4());
        self.op.write(&temp, json).await.map_err(Error::Storage)?;
        if let Err(err) = self.op.rename(&temp, &target).await {
            self.release(&temp).await;
            return Err(Error::Storage(err));
        }
        Ok(())
    }

    async fn by_index(&self, path: &str) -> Result<Option<StoredUser>, Error> {
        let Some(bytes) = self.read(path).await? else {
            return Ok(None);
        };
        // An index being created right now may still be empty: treat it as absent.
        let id = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| Uuid::parse_str(s.trim()).ok());
        match id {
            Some(id) => self.by_id(id).await,
            None => Ok(None),
        }
    }

    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.op.read(path).await {
            Ok(buf) => Ok(Some(buf.to_vec())),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(Error::Storage(err)),
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
            Err(err) => Err(Error::Storage(err)),
        }
    }

    /// Best effort: a leftover index only blocks its phone or email, it grants nothing.
    async fn release(&self, path: &str) {
        if let Err(err) = self.op.delete(path).await {
            tracing::warn!(path, error = %err, "could not release an account index entry");
        }
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
