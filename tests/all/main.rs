//! The integration tests, one module per family or concern, linked into one
//! binary. Two stay apart: `tests/memory.rs` installs its own global
//! allocator, and `tests/pace_redis.rs` measures real time against a real
//! Redis and must not share the cores with the rest.

#[cfg(feature = "redis-tls")]
#[path = "../common/certs.rs"]
mod certs;
#[path = "../common/mod.rs"]
mod common;
#[cfg(feature = "redis")]
#[path = "../common/private_redis.rs"]
mod private_redis;
#[path = "../common/xorshift.rs"]
mod xorshift;

mod catalogue;
mod collections;
mod end_to_end;
mod facts;
mod facts_model;
mod fuzz_regressions;
mod held;
mod image_variants;
mod images;
mod layer;
mod liveness;
mod metrics_counters;
mod one_pipeline;
mod pace;
mod pace_model;
mod properties;
mod proxy;
mod recognition;
mod redis_tls;
mod report_only;
mod shared_checks;
mod streaming;
mod tracing_events;
mod v1_3_preview;
