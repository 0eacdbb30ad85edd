//! Calls `check` in a loop on one request, for counting instructions with
//! callgrind (deterministic where wall time on a shared machine is not):
//!
//! ```text
//! cargo bench --bench instructions --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/deps/instructions-* get 20000
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/deps/instructions-* get 0
//! ```
//!
//! (the difference of the two totals ÷ 20,000 is the cost of one call).
//! Cases: get, person, list, create, liveness, identify.

use bytes::Bytes;
use http::Request;
use std::hint::black_box;

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let base = "https://myresource.cognitiveservices.azure.com";
    let request = match which.as_str() {
        "get" => Request::get(format!("{base}/face/v1.2/persongroups/staff-2026")).body(Bytes::new()).unwrap(),
        "person" => Request::get(format!("{base}/face/v1.2/persongroups/staff-2026/persons/c5c24a82-6845-4031-9d5d-978df9175426")).body(Bytes::new()).unwrap(),
        "list" => Request::get(format!("{base}/face/v1.2/persongroups?start=a&top=10")).body(Bytes::new()).unwrap(),
        "create" => Request::put(format!("{base}/face/v1.2/persongroups/staff-2026")).header("content-type", "application/json").body(Bytes::from_static(br#"{"name":"Staff 2026","userData":"badge holders","recognitionModel":"recognition_04"}"#)).unwrap(),
        "liveness" => Request::post(format!("{base}/face/v1.2/detectLiveness-sessions")).header("content-type", "application/json").body(Bytes::from_static(br#"{"livenessOperationMode":"Passive","deviceCorrelationId":"723d6d03-ef33-40a8-9682-23a1feb7bccd","authTokenTimeToLiveInSeconds":600,"sendResultsToClient":false}"#)).unwrap(),
        "identify" => Request::post(format!("{base}/face/v1.2/identify")).header("content-type", "application/json").body(Bytes::from(format!(r#"{{"faceIds":[{}],"personGroupId":"staff-2026","maxNumOfCandidatesReturned":3}}"#, (0..10).map(|i| format!("\"c5c24a82-6845-4031-9d5d-978df91754{i:02}\"")).collect::<Vec<_>>().join(",")))).unwrap(),
        _ => Request::get(format!("{base}/face/v1.2/unknown")).body(Bytes::new()).unwrap(),
    };
    assert!(face_preflight::check(&request).is_ok(), "{which}");
    for _ in 0..n {
        black_box(face_preflight::check(black_box(&request))).ok();
    }
}
