#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(request) = harness::request_from_bytes(data) {
        harness::assert_invariants(request);
    }
});
