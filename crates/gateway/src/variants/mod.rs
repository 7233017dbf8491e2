//! Image variants of file links: what a request asks for ([`request`]), the `[variants]`
//! settings ([`settings`]), and the making of them, bounded in number, memory and time
//! ([`transforms`]).

mod flights;
mod links;
pub mod request;
pub mod settings;
pub mod transforms;

pub use flights::Flights;
pub use links::{THUMB_PRESET, srcset, thumbnail_form, with_form};
pub use request::{
    BadParameter, Fit, FormatChoice, PARAMETERS, VariantRequest, negotiate, signed_form,
};
pub use settings::{AUTO_PRESET, Preset, VariantSettings};
pub use transforms::{Slot, TransformError, Transforms};
