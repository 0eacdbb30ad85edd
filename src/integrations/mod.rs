//! Adapters for HTTP clients whose requests are not `http::Request`, and
//! for hosts that hold the request themselves.

pub(crate) mod held;

#[cfg(feature = "reqwest")]
pub(crate) mod reqwest;
#[cfg(feature = "reqwest-middleware")]
pub(crate) mod reqwest_middleware;
