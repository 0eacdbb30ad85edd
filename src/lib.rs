//! Client-side preflight checks for the Azure AI Face REST API.
//!
//! Requests that the Face service would reject (an upper-case person group
//! ID, eleven face IDs in an identify call, a 600-byte image, a TIFF,
//! attributes with `detection_02`, a liveness token lifetime of 30 s) are
//! answered at once with the error the service documents — same status, same
//! `{"error":{"code":…,"message":…}}` body — without a network round trip.
//! Valid requests pass through untouched.
//!
//! ```
//! use face_preflight::check;
//!
//! let request = http::Request::post("https://x.cognitiveservices.azure.com/face/v1.2/group")
//!     .header("content-type", "application/json")
//!     .body(r#"{"faceIds":["c5c24a82-6845-4031-9d5d-978df9175426"]}"#)
//!     .unwrap();
//! let error = check(&request).unwrap_err();
//! assert_eq!(error.message(), "The length of faceIds is not in a valid range.");
//! ```
//!
//! As tower middleware, see [`PreflightLayer`].
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod catalogue;
mod check;
mod error;
#[cfg(feature = "facts")]
#[cfg_attr(docsrs, doc(cfg(feature = "facts")))]
pub mod facts;
mod integrations;
mod json;
mod judge;
mod layer;
mod lexical;
#[cfg(feature = "pace")]
#[cfg_attr(docsrs, doc(cfg(feature = "pace")))]
pub mod pace;
mod pipeline;
#[cfg(feature = "proxy")]
#[cfg_attr(docsrs, doc(cfg(feature = "proxy")))]
pub mod proxy;
#[cfg(feature = "redis")]
mod redis_link;
pub mod report;
pub mod router;
mod rules;
mod tap;

pub use check::check;
pub use error::{FaceApiError, LocalRejection, Source};
pub use integrations::held::{Decision, Judging, Watch};
#[cfg(feature = "budget")]
#[cfg_attr(docsrs, doc(cfg(feature = "budget")))]
pub use layer::{BodyBudget, BodyBudgetExhausted};
pub use layer::{
    BodyRoom, ForwardBody, Preflight, PreflightLayer, RequestBody, ResponseBody, ResponseFuture,
};
pub use rules::image::{MAX_IMAGE_BYTES, MIN_IMAGE_BYTES};

#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use integrations::reqwest::ReqwestResponseFuture;
#[cfg(feature = "reqwest-middleware")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest-middleware")))]
pub use integrations::reqwest_middleware::PreflightMiddleware;

/// The README's examples, compiled by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
