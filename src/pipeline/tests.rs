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
    if let Next::Read(_) | Next::ReadHead { .. } = pipeline.next(&ticket) {
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

#[test]
fn kept_resource_keys_are_the_keys_and_shared() {
    let keys = ResourceKeys::default();
    let key = |uri: &str, host: Option<&str>| {
        let uri: Uri = uri.parse().unwrap();
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(http::header::HOST, host.parse().unwrap());
        }
        let head = Head::from_parts(&Method::GET, &uri, &headers);
        let kept = keys.key(&head, Some("/gw"));
        assert_eq!(kept, resource_key(&head, Some("/gw")), "{uri} {host:?}");
        // Asked again, the last spelling's key.
        assert_eq!(keys.key(&head, Some("/gw")), kept, "{uri} {host:?}");
        kept
    };
    let first = key("https://myresource.cognitiveservices.azure.com/face", None).unwrap();
    for spelling in [
        "https://MyResource.CognitiveServices.Azure.com/face/v1.2/detect",
        "https://myresource.cognitiveservices.azure.com.:443/face/v1.2/detect",
        "HTTPS://myresource.cognitiveservices.azure.com/x",
    ] {
        let again = key(spelling, None).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "{spelling}");
    }
    for other in [
        "http://smyresource.cognitiveservices.azure.com/face",
        "https://myresource.cognitiveservices.azure.com:8443/face",
        "https://myresource.cognitiveservices.azure.co/face",
        "https://myresource.cognitiveservices.azure.com:443/face",
        "http://myresource.cognitiveservices.azure.com/face",
        "http://myresource.cognitiveservices.azure.com:8080/face",
        "http://myresource.cognitiveservices.azure.com:80/face",
        "https://[::1]:8443/face",
    ] {
        key(other, None);
    }
    assert_eq!(
        key("/face/v1.2/detect", Some("Example.com:8080")).as_deref(),
        Some("https://example.com:8080/gw")
    );
    assert_eq!(
        key("/face/v1.2/detect", Some("[::1]:8443")).as_deref(),
        Some("https://[::1]:8443/gw")
    );
    assert_eq!(key("/face/v1.2/detect", Some("user@example.com")), None);
    let long = format!("{}.example.com", "a".repeat(300));
    assert_eq!(
        key("/face/v1.2/detect", Some(&long)),
        None,
        "no host is that long"
    );
    // Past the kept few, keys are still right.
    for port in 1000..1020 {
        key(&format!("https://h:{port}/face"), None);
    }
    assert_eq!(keys.kept_len(), 8);
}
