//! Image variants of file links: read access as for the original, then the variant from the
//! cache area of the bucket's storage (keyed by the original's ETag, so a replaced or deleted
//! original never serves an old one), else made once — concurrent requests for it share one
//! making ([`Flights`]), bounded by [`Transforms`] — and stored there for every instance.
//! Making them is in `making.rs`; the facts of an uploaded image (size, blurhash) in
//! `facts.rs`; the cache sweep in `sweep.rs`.

mod facts;
mod making;
mod sweep;

use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

use storage::{BucketName, ObjectKey, ObjectMeta, SignedLink};
use time::OffsetDateTime;

use super::{Caller, Found, ReadGrant, Served, Service};
use crate::error::{ApiError, Code};
use crate::variants::{
    Fit, Flights, FormatChoice, TransformError, Transforms, VariantRequest, VariantSettings,
    negotiate, signed_form,
};

/// A variant made (or found in the cache).
#[derive(Debug)]
struct Made {
    bytes: Bytes,
    content_type: String,
}

/// A making's result, shared by every request that waited for it.
type Outcome = Result<Arc<Made>, Shared>;

/// An error of a shared making, handed to each waiting request.
#[derive(Debug, Clone)]
enum Shared {
    Transform(TransformError),
    Other { code: Code, message: String },
}

impl From<ApiError> for Shared {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Transform(t) => Self::Transform(t),
            other => {
                if other.code().status().is_server_error() {
                    tracing::warn!(error = ?other, "an image variant could not be made");
                }
                Self::Other {
                    code: other.code(),
                    message: other.public_message(),
                }
            }
        }
    }
}

impl From<Shared> for ApiError {
    fn from(e: Shared) -> Self {
        match e {
            Shared::Transform(t) => ApiError::Transform(t),
            Shared::Other { code, message } => ApiError::new(code, message),
        }
    }
}

/// The variant machinery of one process: settings, transform bounds, work in progress.
pub struct Variants {
    settings: VariantSettings,
    transforms: Transforms,
    flights: Flights<Outcome>,
    /// Variants refused lately for what the image is (over a limit, too slow, corrupt), by
    /// flight key, with when: asked again within [`REFUSAL_TTL`], the answer is the same,
    /// without reading or decoding the original again.
    refusals: quick_cache::sync::Cache<String, (TransformError, Instant)>,
}

/// How long a refusal is remembered. A replaced original has another ETag, so another key.
const REFUSAL_TTL: Duration = Duration::from_secs(600);

/// How many refusals are remembered at most (the oldest go first).
const REFUSALS_KEPT: usize = 10_000;

impl Variants {
    pub fn new(settings: VariantSettings) -> Result<Self, prometheus::Error> {
        let transforms = Transforms::new(&settings)?;
        Ok(Self {
            settings,
            transforms,
            flights: Flights::default(),
            refusals: quick_cache::sync::Cache::new(REFUSALS_KEPT),
        })
    }

    /// A refusal of the variant `flight` remembered within [`REFUSAL_TTL`].
    fn refused(&self, flight: &str) -> Option<TransformError> {
        let (refusal, at) = self.refusals.get(flight)?;
        (at.elapsed() < REFUSAL_TTL).then_some(refusal)
    }

    /// Remembers a refusal that the same original would get again: over a limit, too slow,
    /// corrupt, not decodable. Not `busy` (a matter of the moment) nor `failed`.
    fn remember(&self, flight: String, outcome: &Outcome) {
        if let Err(Shared::Transform(e)) = outcome
            && matches!(
                e,
                TransformError::TooLarge(_)
                    | TransformError::TimedOut(_)
                    | TransformError::Malformed(_)
                    | TransformError::Unsupported(_)
            )
        {
            self.refusals.insert(flight, (e.clone(), Instant::now()));
        }
    }

    /// `[variants]`, for parsing requests and building links.
    pub fn settings(&self) -> &VariantSettings {
        &self.settings
    }

    /// The transform metrics, for the scrape.
    pub fn collectors(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        self.transforms.collectors()
    }
}

/// What a variant request asks: the checked parameters, the same parameters as signed links
/// carry them (see [`VariantRequest::signed_form`]), and the client's `Accept`.
pub struct VariantAsk<'a> {
    pub request: &'a VariantRequest,
    pub signed_form: &'a str,
    pub accept: Option<&'a str>,
    /// A `HEAD`: an original served as it is comes without its bytes (a variant is made all
    /// the same, to know its length).
    pub head: bool,
}

/// How a variant is described in a response.
#[derive(Debug, Clone)]
pub struct VariantHead {
    /// Strong and quoted: from the original's ETag and the variant's parameters.
    pub etag: String,
    /// The original's.
    pub last_modified: OffsetDateTime,
    pub content_type: String,
    /// Whether the format was chosen from `Accept` (`fmt=auto`).
    pub by_accept: bool,
    /// Whether the bucket is public (shared caches may keep it).
    pub public: bool,
}

/// What a variant request gets.
pub enum VariantServed {
    /// The variant's bytes.
    Made { head: VariantHead, bytes: Bytes },
    /// The client's copy (`If-None-Match`) is the current variant: nothing was made.
    Fresh(VariantHead),
    /// The original as it is: an image picgate cannot decode (SVG, AVIF) asked for without a
    /// format of its own (`fmt=auto` or none).
    Original(Served),
}

impl Service {
    /// `[variants]`.
    pub fn variant_settings(&self) -> &VariantSettings {
        self.variants.settings()
    }

    /// The variant `ask` names of `key`. Access as for reading the original (a signed link's
    /// signature covers `ask.signed_form`); `fresh` is asked with the variant's ETag before
    /// anything is made. Errors: those of [`Service::read`]; `unsupported_image` (415: not an
    /// image picgate decodes, or a format it cannot write); `image_too_large` (422: over
    /// `[variants]` bytes, pixels, memory or time); `image_malformed` (422);
    /// `transforms_busy` (503 with `Retry-After`).
    pub async fn variant(
        &self,
        grant: ReadGrant<'_>,
        bucket: &BucketName,
        key: &ObjectKey,
        ask: VariantAsk<'_>,
        fresh: impl Fn(&str) -> bool,
    ) -> Result<VariantServed, ApiError> {
        let public = self
            .may_read_file(grant, bucket, key, Some(ask.signed_form))
            .await?;
        let meta = self.storage.head(bucket, key).await?;
        let source =
            imaging::Format::from_content_type(&meta.content_type).filter(|f| f.can_decode());
        let Some(source) = source else {
            return self.as_it_is(bucket, key, meta, &ask, public).await;
        };
        let (format, by_accept) = output_format(ask.request.format, source, ask.accept)?;
        let spec = spec_of(ask.request, format);
        let keep_animation = matches!(source, imaging::Format::Gif | imaging::Format::Webp)
            && matches!(
                ask.request.format,
                FormatChoice::Auto | FormatChoice::Original
            );
        let name = cache_name(&spec, keep_animation);
        let head = VariantHead {
            etag: variant_etag(&meta.etag, &name),
            last_modified: meta.last_modified,
            content_type: format.content_type().to_owned(),
            by_accept,
            public,
        };
        if fresh(&head.etag) {
            return Ok(VariantServed::Fresh(head));
        }
        let cached = self
            .storage
            .read_variant(bucket, key, &meta.etag, &name)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(%bucket, %key, error = %e, "the variant cache could not be read");
                None
            });
        self.variants.transforms.looked_up(cached.is_some());
        if let Some(hit) = cached {
            return Ok(VariantServed::Made {
                head: VariantHead {
                    content_type: hit.content_type,
                    ..head
                },
                bytes: hit.bytes,
            });
        }
        let flight = format!("{bucket}\n{key}\n{}\n{name}", meta.etag);
        if let Some(refusal) = self.variants.refused(&flight) {
            return Err(self.variants.transforms.counted(refusal).into());
        }
        let service = self.clone();
        let (bucket, key) = (bucket.clone(), key.clone());
        let made = self
            .variants
            .flights
            .join(
                flight.clone(),
                move || {
                    async move {
                        service
                            .make_variant(&bucket, &key, meta, spec, name, keep_animation)
                            .await
                            .map(Arc::new)
                            .map_err(Shared::from)
                    }
                    .boxed()
                },
                Err(Shared::Transform(TransformError::Failed)),
            )
            .await;
        self.variants.remember(flight, &made);
        let made = made?;
        Ok(VariantServed::Made {
            head: VariantHead {
                content_type: made.content_type.clone(),
                ..head
            },
            bytes: made.bytes.clone(),
        })
    }

    /// The original of a variant request as it is, when picgate cannot decode it (SVG, AVIF)
    /// and no format was named (`fmt=auto` or none); else 415 `unsupported_image`.
    async fn as_it_is(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        meta: ObjectMeta,
        ask: &VariantAsk<'_>,
        public: bool,
    ) -> Result<VariantServed, ApiError> {
        let as_is = matches!(
            ask.request.format,
            FormatChoice::Auto | FormatChoice::Original
        );
        if !as_is || !meta.content_type.starts_with("image/") {
            let refused = TransformError::Unsupported(format!(
                "no variant can be made of {}: variants are made of JPEG, PNG, WebP and GIF images",
                meta.content_type
            ));
            return Err(self.variants.transforms.counted(refused).into());
        }
        let object = match ask.head {
            true => Found::Meta(meta),
            false => Found::Body(self.storage.read(bucket, key, None).await?),
        };
        Ok(VariantServed::Original(Served { public, object }))
    }

    /// A time-limited gateway link to the variant of `key` that `query` names (a file link's
    /// variant parameters, `w=320&fmt=webp`), and those parameters in their signed form (see
    /// [`signed_form`]), which the link must carry. Who may sign as [`Service::sign`].
    /// Errors: those of [`Service::sign`]; `invalid_query` naming the parameter (checked as a
    /// file link checks it), or for a query that names none.
    pub async fn sign_variant(
        &self,
        caller: &Caller,
        bucket: &BucketName,
        key: &ObjectKey,
        query: &str,
        expires_in: Duration,
    ) -> Result<(SignedLink, String), ApiError> {
        self.require_read(caller, bucket).await?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| ApiError::new(Code::InvalidQuery, format!("variant: {e}")))?;
        let settings = self.variant_settings();
        // `v=auto` takes the fetching client's width; any ladder width stands in to check it.
        let any_width = settings.sizes.first().copied().unwrap_or_default();
        VariantRequest::parse(&pairs, settings, any_width)
            .map_err(|e| ApiError::new(Code::InvalidQuery, format!("variant.{e}")))?
            .ok_or_else(|| {
                ApiError::new(
                    Code::InvalidQuery,
                    "variant: names no variant parameter (w, h, fit, fmt, q, v)",
                )
            })?;
        let variant = signed_form(&pairs);
        self.storage.stat(bucket, key).await?;
        let signed = self
            .storage
            .sign_variant(bucket, key, &variant, expires_in)?;
        Ok((SignedLink::Gateway(signed), variant))
    }
}

/// The format to write and whether `Accept` chose it. `fmt` absent: the original's (GIF, which
/// picgate does not write, as PNG); `auto`: AVIF or WebP as `Accept` allows (AVIF only in a
/// build with the `avif` feature), else as absent; named: that one, when this build writes
/// it (else 415 `unsupported_image`).
fn output_format(
    choice: FormatChoice,
    source: imaging::Format,
    accept: Option<&str>,
) -> Result<(imaging::Format, bool), ApiError> {
    use imaging::Format as F;
    let same = if source.can_encode() { source } else { F::Png };
    let named = match choice {
        FormatChoice::Original => return Ok((same, false)),
        FormatChoice::Auto => {
            return Ok((negotiate(accept, same, F::Avif.can_encode()), true));
        }
        FormatChoice::Jpeg => F::Jpeg,
        FormatChoice::Png => F::Png,
        FormatChoice::Webp => F::Webp,
        FormatChoice::Avif => F::Avif,
    };
    if !named.can_encode() {
        return Err(ApiError::new(
            Code::UnsupportedImage,
            format!(
                "fmt: this build does not write {} (it writes JPEG, PNG and WebP{})",
                named.content_type(),
                if F::Avif.can_encode() { ", AVIF" } else { "" }
            ),
        ));
    }
    Ok((named, false))
}

/// What the imaging crate makes for `request` in `format`.
fn spec_of(request: &VariantRequest, format: imaging::Format) -> imaging::Spec {
    imaging::Spec {
        width: request.width,
        height: request.height,
        fit: match request.fit {
            Fit::Cover => imaging::Fit::Cover,
            Fit::Contain => imaging::Fit::Contain,
            Fit::Inside => imaging::Fit::Inside,
        },
        format,
        // PNG is lossless: one variant whatever `q` says.
        quality: match format {
            imaging::Format::Png => 100,
            _ => request.quality,
        },
    }
}

/// The variant's name in the cache: its box, fit, quality and format, e.g.
/// `320x0-inside-q80.webp` (0: no bound on that side); `-anim` before the extension when an
/// animated original would be kept as it is.
fn cache_name(spec: &imaging::Spec, keep_animation: bool) -> String {
    let fit = match spec.fit {
        imaging::Fit::Cover => "cover",
        imaging::Fit::Contain => "contain",
        imaging::Fit::Inside => "inside",
    };
    // An animation kept as it is is another entry than the still a named format makes.
    let kept = if keep_animation { "-anim" } else { "" };
    format!(
        "{}x{}-{fit}-q{}{kept}.{}",
        spec.width.unwrap_or(0),
        spec.height.unwrap_or(0),
        spec.quality,
        spec.format.extension()
    )
}

/// A strong ETag for the variant `name` of the version `etag` of an original: the first 128
/// bits of SHA-256 over both, hex, quoted (RFC 9110 §8.8.3).
fn variant_etag(etag: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{etag}\n{name}").as_bytes());
    format!("\"{}\"", hex::encode(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_etag_changes_with_the_original_and_the_parameters() {
        let a = variant_etag("\"1\"", "320x0-inside-q80.webp");
        assert_eq!(a.len(), 34);
        assert!(a.starts_with('"') && a.ends_with('"'));
        assert_ne!(a, variant_etag("\"2\"", "320x0-inside-q80.webp"));
        assert_ne!(a, variant_etag("\"1\"", "320x0-inside-q80.jpg"));
    }

    #[test]
    fn no_format_keeps_the_original_and_gif_becomes_png() {
        use imaging::Format as F;
        let keep = |source| output_format(FormatChoice::Original, source, None).unwrap();
        assert_eq!(keep(F::Jpeg), (F::Jpeg, false));
        assert_eq!(keep(F::Gif), (F::Png, false));
        let auto = output_format(FormatChoice::Auto, F::Jpeg, Some("image/webp,*/*")).unwrap();
        assert_eq!(auto, (F::Webp, true));
        let old = output_format(FormatChoice::Auto, F::Png, Some("*/*")).unwrap();
        assert_eq!(old, (F::Png, true));
    }

    #[test]
    fn cache_names_are_short_and_plain() {
        let spec = imaging::Spec {
            width: Some(320),
            height: None,
            fit: imaging::Fit::Inside,
            format: imaging::Format::Webp,
            quality: 80,
        };
        assert_eq!(cache_name(&spec, false), "320x0-inside-q80.webp");
        assert_eq!(cache_name(&spec, true), "320x0-inside-q80-anim.webp");
    }
}
