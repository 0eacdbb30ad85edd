//! The pipeline's own promises: one routing per request, whatever judges
//! it holds.

use http::{Request, Uri};

use super::*;
use crate::router::ROUTINGS;

fn routings() -> u64 {
    ROUTINGS.with(std::cell::Cell::get)
}

fn identify() -> Request<()> {
    Request::post("https://myresource.cognitiveservices.azure.com/face/v1.2/identify")
        .header("content-type", "application/json")
        .body(())
        .unwrap()
}

/// Runs the pipeline's synchronous steps on a request with `body`.
fn judge(pipeline: &Arc<Pipeline>, request: &Request<()>, body: &[u8]) -> Ticket {
    let mut ticket = pipeline.start(Head::of(request));
    if let Next::Read(_) = pipeline.next(&ticket) {
        pipeline.read(&mut ticket, request.headers(), body);
    }
    ticket
}

#[test]
fn a_request_is_routed_once_by_the_rules_alone() {
    let pipeline = Arc::new(Pipeline::default());
    let before = routings();
    let ticket = judge(
        &pipeline,
        &identify(),
        br#"{"faceIds":[],"personGroupId":"g"}"#,
    );
    assert_eq!(routings() - before, 1);
    assert_eq!(pipeline.next(&ticket), Next::Answer);
}

#[cfg(all(feature = "facts", feature = "pace"))]
#[test]
fn a_request_is_routed_once_by_every_judge() {
    let pipeline = Arc::new(Pipeline {
        facts: Some(crate::facts::Facts::new()),
        pacing: Some(crate::pace::Pacing::tier(crate::pace::Tier::S0)),
        ..Pipeline::default()
    });
    let before = routings();
    let body = br#"{"faceIds":["c5c24a82-6845-4031-9d5d-978df9175426"],"personGroupId":"g"}"#;
    let ticket = judge(&pipeline, &identify(), body);
    assert_eq!(routings() - before, 1);
    // The facts and the pacing both still have their say.
    assert_eq!(pipeline.next(&ticket), Next::Decide);
    assert!(ticket.facts.is_some() && ticket.pacing.is_some());
}

#[test]
fn resources_are_named_alike_however_the_uri_spells_them() {
    let key = |uri: &str| {
        let uri: Uri = uri.parse().unwrap();
        let headers = HeaderMap::new();
        resource_key(&Head::from_parts(&Method::GET, &uri, &headers), Some("/gw"))
    };
    let plain = key("https://myresource.cognitiveservices.azure.com/face/v1.2/detect");
    assert_eq!(
        plain.as_deref(),
        Some("https://myresource.cognitiveservices.azure.com/gw")
    );
    for same in [
        "https://MyResource.CognitiveServices.Azure.com/face/v1.2/detect",
        "https://myresource.cognitiveservices.azure.com.:443/face/v1.2/detect",
        "HTTPS://myresource.cognitiveservices.azure.com/x",
    ] {
        assert_eq!(key(same), plain, "{same}");
    }
    assert_ne!(
        key("https://myresource.cognitiveservices.azure.com:8443/face"),
        plain
    );
    assert_ne!(
        key("http://myresource.cognitiveservices.azure.com/face"),
        plain
    );
    assert_eq!(key("/face/v1.2/detect"), None, "no host, no resource");
}
