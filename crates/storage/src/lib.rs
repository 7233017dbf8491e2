//! picgate storage: buckets, object keys and object operations over Apache OpenDAL.
//!
//! Knows nothing about HTTP. The gateway parses input into [`BucketName`] and [`ObjectKey`],
//! calls one method of [`Storage`], and maps [`Error`] variants to responses.
//!
//! Each bucket also holds picgate's variant cache, in its top-level folder [`RESERVED_FOLDER`]
//! (`variants.rs`, `sweep.rs`): no object key may start there, and no listing shows it.

mod backend;
mod bucket_name;
mod disk;
mod disk_dir;
mod document;
mod envelope;
mod error;
mod key_lock;
mod key_template;
mod listing;
mod meta;
mod metrics;
mod object_key;
mod objects;
mod ordered;
mod owner;
mod owner_record;
mod policy;
mod settings;
mod signing;
mod sniff;
mod staging;
mod storage;
mod sweep;
mod tree;
mod upload;
mod variant_path;
mod variants;
mod window;

pub use bucket_name::{BucketName, BucketNameError, MAX_BUCKET_NAME_BYTES, MIN_BUCKET_NAME_BYTES};
pub use error::{Error, is_unavailable};
pub use key_template::{HASH_DIGITS, KeyTemplate, PlannedKey, split_extension};
pub use listing::{
    Detail, Entry, ListPage, ListQuery, ListedObject, MAX_PAGE_SIZE, NumberedPage, ObjectDetail,
    PageNumber,
};
pub use meta::ObjectMeta;
pub use metrics::{
    STORAGE_OPERATION_DURATION, STORAGE_OPERATION_ERRORS_TOTAL, SYSTEM_LABEL, StorageMetrics,
};
pub use object_key::{
    MAX_KEY_BYTES, MAX_SEGMENT_BYTES, ObjectKey, ObjectKeyError, RESERVED_FOLDER,
};
pub use objects::{ByteRange, Current, ObjectBody, Payload};
pub use owner::{MAX_OWNER_BYTES, is_valid_owner};
pub use policy::POLICY_CACHE_TTL;
pub use settings::{
    BackendSettings, BucketSettings, Policy, Remote, Settings, UnknownPolicy, WriteMode,
};
pub use signing::{MAX_SIGN_SECS, SignedUrl};
pub use sniff::renders_inline;
pub use staging::{Digests, Staged};
pub use storage::{BucketInfo, CHECK_TIMEOUT, SignedLink, Storage};
pub use sweep::SweepReport;
pub use upload::{Precondition, body_error};
pub use variant_path::{MAX_VARIANT_NAME_BYTES, is_valid_variant_name};
pub use variants::Variant;
