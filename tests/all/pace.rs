//! Pacing on tokio's paused clock: tier spacing, the longest wait and the
//! local 429, pauses learned from the service's 429s, one add-face at a time
//! per person; then reqwest and reqwest-middleware over loopback.
#![cfg(feature = "pace")]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use bytes::Bytes;
use face_preflight::pace::{Pacing, Rate, Tier};
use face_preflight::{catalogue, LocalRejection, PreflightLayer, Source};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use tokio::time::Instant;
use tower::{service_fn, Layer, Service, ServiceExt};

type Answer = (u16, Vec<(&'static str, String)>, String);

/// An inner service that records when each request arrived and answers
/// from a script (200 `[]` once the script is used up), after `delay`.
#[derive(Clone)]
struct Clocked {
    start: Instant,
    arrivals: Arc<Mutex<Vec<(Duration, String)>>>,
    script: Arc<Mutex<Vec<Answer>>>,
    in_flight: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
    delay: Duration,
}

impl Clocked {
    fn new(delay: Duration, script: Vec<Answer>) -> Self {
        Self {
            start: Instant::now(),
            arrivals: Arc::default(),
            script: Arc::new(Mutex::new(script.into_iter().rev().collect())),
            in_flight: Arc::default(),
            most_in_flight: Arc::default(),
            delay,
        }
    }

    fn service(
        &self,
    ) -> impl Service<
        Request<Full<Bytes>>,
        Response = Response<Full<Bytes>>,
        Error = Infallible,
        Future = impl Send,
    > + Clone {
        let this = self.clone();
        service_fn(move |request: Request<Full<Bytes>>| {
            let this = this.clone();
            async move {
                let at = this.start.elapsed();
                this.arrivals
                    .lock()
                    .unwrap()
                    .push((at, request.uri().path().to_owned()));
                let now = this.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                this.most_in_flight.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(this.delay).await;
                this.in_flight.fetch_sub(1, Ordering::SeqCst);
                let (status, headers, body) =
                    this.script
                        .lock()
                        .unwrap()
                        .pop()
                        .unwrap_or((200, Vec::new(), "[]".to_owned()));
                let mut response = Response::builder().status(status);
                for (name, value) in headers {
                    response = response.header(name, value);
                }
                Ok::<_, Infallible>(response.body(Full::new(Bytes::from(body))).unwrap())
            }
        })
    }

    fn arrivals(&self) -> Vec<Duration> {
        self.arrivals
            .lock()
            .unwrap()
            .iter()
            .map(|(at, _)| *at)
            .collect()
    }
}

/// The pacing as the one judge of a preflight layer (the rules pass every
/// request here).
fn preflight(pacing: &Pacing) -> PreflightLayer {
    PreflightLayer::new().pacing(pacing.clone())
}

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// Sends `n` GETs at once through `layer` around `clocked`; returns the
/// statuses in order of sending.
async fn burst(
    layer: &Pacing,
    clocked: &Clocked,
    n: usize,
    path: &str,
) -> Vec<(u16, Option<String>)> {
    let service = preflight(layer).layer(clocked.service());
    let calls = (0..n).map(|_| {
        let service = service.clone();
        let request = to_full(get(path));
        async move {
            let response = service.oneshot(request).await.unwrap();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let status = response.status().as_u16();
            response.into_body().collect().await.unwrap();
            (status, retry_after)
        }
    });
    futures_util::future::join_all(calls).await
}

/// Each arrival lies on its slot `interval` apart (tokio's timer fires on
/// the millisecond after).
fn assert_spaced(arrivals: &[Duration], interval: Duration) {
    for (k, at) in arrivals.iter().enumerate() {
        let slot = interval * u32::try_from(k).unwrap();
        assert!(
            *at >= slot && *at <= slot + ms(1),
            "arrival {k} at {at:?}, slot {slot:?}: {arrivals:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn s0_is_paced_five_per_cent_under_ten_a_second() {
    let clocked = Clocked::new(Duration::ZERO, vec![]);
    let layer = Pacing::tier(Tier::S0);
    let statuses = burst(&layer, &clocked, 5, "/face/v1.2/persongroups").await;
    assert!(statuses.iter().all(|(s, _)| *s == 200));
    // 9.5 a second: 105.26 ms apart, never 100 (issue #25, case 10: at
    // exactly 10/s a fleet drew 429s from the sliding window).
    let interval = Duration::from_secs(100) / 950;
    assert_eq!(interval, Duration::from_nanos(105_263_157));
    assert_eq!(clocked.arrivals().len(), 5);
    assert_spaced(&clocked.arrivals(), interval);
    let stats = layer.stats().snapshot();
    assert_eq!((stats.sent, stats.waited, stats.local_429), (5, 4, 0));
}

#[tokio::test(start_paused = true)]
async fn an_exact_rate_and_a_margin_of_one_s_own() {
    let clocked = Clocked::new(Duration::ZERO, vec![]);
    let layer = Pacing::new(Rate::per_second(10));
    burst(&layer, &clocked, 5, "/face/v1.2/persongroups").await;
    assert_eq!(
        clocked.arrivals(),
        [ms(0), ms(100), ms(200), ms(300), ms(400)]
    );
    assert_eq!(
        layer.stats().snapshot().waited_total,
        ms(100 + 200 + 300 + 400)
    );

    // A margin set on a clone reaches the layer already made; the margin
    // is at most 50 %.
    let clocked = Clocked::new(Duration::ZERO, vec![]);
    let layer = Pacing::new(Rate::per_second(10));
    let _ = layer.clone().margin(20);
    burst(&layer, &clocked, 3, "/face/v1.2/persongroups").await;
    assert_eq!(clocked.arrivals(), [ms(0), ms(125), ms(250)]);
    let clocked = Clocked::new(Duration::ZERO, vec![]);
    burst(
        &Pacing::tier(Tier::S0).margin(90),
        &clocked,
        2,
        "/face/v1.2/persongroups",
    )
    .await;
    assert_eq!(clocked.arrivals(), [ms(0), ms(200)]);
}

#[tokio::test(start_paused = true)]
async fn f0_is_paced_five_per_cent_under_twenty_a_minute() {
    let clocked = Clocked::new(Duration::ZERO, vec![]);
    let layer = Pacing::tier(Tier::F0);
    burst(&layer, &clocked, 3, "/face/v1.2/persongroups").await;
    // 19 a minute: 3.158 s apart.
    assert_spaced(&clocked.arrivals(), Duration::from_secs(6000) / 1900);
    // A custom rate: 600 a minute is one every 100 ms.
    assert_eq!(Rate::per_minute(600).interval(), ms(100));
}

#[tokio::test(start_paused = true)]
async fn past_the_longest_wait_a_local_429_with_retry_after() {
    let clocked = Clocked::new(Duration::ZERO, vec![]);
    let layer = Pacing::new(Rate::per_second(10)).max_wait(ms(250));
    let statuses = burst(&layer, &clocked, 5, "/face/v1.2/persongroups").await;
    // Slots at 0, 100, 200 ms; the fourth would wait 300 ms.
    assert_eq!(clocked.arrivals(), [ms(0), ms(100), ms(200)]);
    assert_eq!(
        statuses,
        [
            (200, None),
            (200, None),
            (200, None),
            (429, Some("1".to_owned())),
            (429, Some("1".to_owned()))
        ]
    );
    assert_eq!(layer.stats().snapshot().local_429, 2);

    // The answer is the service's own 429, marked as local.
    tokio::time::sleep(ms(1000)).await;
    let service = preflight(&layer).layer(clocked.service());
    let calls = (0..4).map(|_| {
        service
            .clone()
            .oneshot(to_full(get("/face/v1.2/persongroups")))
    });
    let mut responses = futures_util::future::join_all(calls).await;
    let response = responses.pop().unwrap().unwrap();
    assert_eq!(response.status(), 429);
    let rejection = response.extensions().get::<LocalRejection>().unwrap();
    assert_eq!(rejection.source, Source::Pacing);
    assert_eq!(rejection.error.code(), "429");
    assert_eq!(response.headers()["x-ms-error-code"], "429");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_response(429, &body, &catalogue::RATE_LIMIT_EXCEEDED);
}

#[tokio::test(start_paused = true)]
async fn reject_when_over_never_waits() {
    let clocked = Clocked::new(Duration::ZERO, vec![]);
    let layer = Pacing::new(Rate::per_minute(20)).reject_when_over(true);
    let statuses = burst(&layer, &clocked, 3, "/face/v1.2/persongroups").await;
    assert_eq!(
        statuses,
        [
            (200, None),
            (429, Some("3".to_owned())),
            (429, Some("3".to_owned()))
        ]
    );
    tokio::time::sleep(ms(3000)).await;
    let statuses = burst(&layer, &clocked, 1, "/face/v1.2/persongroups").await;
    assert_eq!(statuses, [(200, None)]);
}

#[tokio::test(start_paused = true)]
async fn resources_have_their_own_budgets() {
    let clocked = Clocked::new(Duration::ZERO, vec![]);
    let layer = Pacing::new(Rate::per_minute(20));
    let service = preflight(&layer).layer(clocked.service());
    let a = Request::get("https://a.cognitiveservices.azure.com/face/v1.2/persongroups")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let b = Request::get("https://b.cognitiveservices.azure.com/face/v1.2/persongroups")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (a, b) = tokio::join!(service.clone().oneshot(a), service.oneshot(b));
    assert_eq!(
        (a.unwrap().status().as_u16(), b.unwrap().status().as_u16()),
        (200, 200)
    );
    assert_eq!(clocked.arrivals(), [ms(0), ms(0)]);
}

#[tokio::test(start_paused = true)]
async fn a_real_429_pauses_the_resource() {
    let message = |text: &str| format!(r#"{{"error":{{"code":"429","message":"{text}"}}}}"#);
    // Retry-After header: 5 s.
    let clocked = Clocked::new(
        Duration::ZERO,
        vec![(
            429,
            vec![("retry-after", "5".to_owned())],
            message("Rate limit is exceeded."),
        )],
    );
    let layer = Pacing::new(Rate::per_second(10));
    let statuses = burst(&layer, &clocked, 1, "/face/v1.2/persongroups").await;
    assert_eq!(
        statuses,
        [(429, Some("5".to_owned()))],
        "the service's own 429 is passed on, not retried"
    );
    burst(&layer, &clocked, 2, "/face/v1.2/persongroups").await;
    assert_eq!(clocked.arrivals(), [ms(0), ms(5000), ms(5100)]);
    assert_eq!(layer.stats().snapshot().remote_429, 1);

    // No header: the seconds in the message.
    let clocked = Clocked::new(
        Duration::ZERO,
        vec![(
            429,
            vec![],
            message("Rate limit is exceeded. Try again in 26 seconds."),
        )],
    );
    let layer = Pacing::new(Rate::per_second(10));
    burst(&layer, &clocked, 1, "/face/v1.2/persongroups").await;
    burst(&layer, &clocked, 1, "/face/v1.2/persongroups").await;
    assert_eq!(clocked.arrivals(), [ms(0), ms(26_000)]);

    // Neither: an exponential back-off, 1 s then 2 s, reset by a success.
    let clocked = Clocked::new(
        Duration::ZERO,
        vec![
            (429, vec![], message("Rate limit is exceeded.")),
            (429, vec![], message("Rate limit is exceeded.")),
        ],
    );
    let layer = Pacing::new(Rate::per_second(10));
    for _ in 0..3 {
        burst(&layer, &clocked, 1, "/face/v1.2/persongroups").await;
    }
    assert_eq!(clocked.arrivals(), [ms(0), ms(1000), ms(3000)]);
}

#[tokio::test(start_paused = true)]
async fn one_face_add_at_a_time_per_person() {
    // The service takes 2 s per add; the budget is generous.
    let clocked = Clocked::new(ms(2000), vec![]);
    let layer = Pacing::new(Rate::per_second(1000));
    let service = preflight(&layer).layer(clocked.service());
    let person = |id: &str| {
        format!(
            "/face/v1.2/persongroups/staff/persons/{id}/persistedfaces?detectionModel=detection_03"
        )
    };
    let calls = [GUID, GUID, GUID, GUID2].map(|id| {
        let service = service.clone();
        let request = to_full(post_image(&person(id), jpeg_at_least(2000)));
        async move { service.oneshot(request).await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert_eq!(statuses, [200, 200, 200, 200], "queued, never refused");
    let arrivals = clocked.arrivals.lock().unwrap().clone();
    let first_person: Vec<Duration> = arrivals
        .iter()
        .filter(|(_, path)| path.contains(GUID))
        .map(|(at, _)| *at)
        .collect();
    // One after another: each starts when the previous one was answered.
    assert_eq!(first_person, [ms(0), ms(2000), ms(4000)]);
    // The other person's add did not wait for them.
    let other: Vec<Duration> = arrivals
        .iter()
        .filter(|(_, path)| path.contains(GUID2))
        .map(|(at, _)| *at)
        .collect();
    assert_eq!(other, [ms(1)], "the next 1 ms slot");
    assert_eq!(clocked.most_in_flight.load(Ordering::SeqCst), 2);
}

#[cfg(all(feature = "reqwest", feature = "reqwest-middleware"))]
mod over_loopback {
    use super::*;
    use face_preflight::PreflightMiddleware;
    use hyper::server::conn::http1;
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpListener;

    async fn server(hits: Arc<AtomicUsize>) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let hits = hits.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |_: hyper::Request<hyper::body::Incoming>| {
                            let n = hits.fetch_add(1, Ordering::SeqCst);
                            async move {
                                // The second request gets the service's 429.
                                let (status, retry) = if n == 1 { (429, "1") } else { (200, "0") };
                                let mut response = hyper::Response::builder().status(status);
                                if status == 429 {
                                    response = response.header("retry-after", retry);
                                }
                                Ok::<_, Infallible>(
                                    response.body(Full::new(Bytes::from_static(b"[]"))).unwrap(),
                                )
                            }
                        },
                    );
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        address
    }

    #[tokio::test]
    async fn reqwest_and_reqwest_middleware_are_paced() {
        let hits = Arc::new(AtomicUsize::new(0));
        let address = server(hits.clone()).await;
        let url = format!("http://{address}/face/v1.2/persongroups");
        let layer = Pacing::new(Rate::per_second(20)).max_wait(Duration::from_millis(120));
        let client = reqwest::Client::new();
        let service = preflight(&layer).layer(client.clone());
        let started = std::time::Instant::now();
        let first = service
            .clone()
            .oneshot(client.get(&url).build().unwrap())
            .await
            .unwrap();
        assert_eq!(first.status(), 200);
        // The service's 429 (Retry-After: 1) passes through and pauses the resource.
        let second = service
            .clone()
            .oneshot(client.get(&url).build().unwrap())
            .await
            .unwrap();
        assert_eq!(second.status(), 429);
        assert!(second.extensions().get::<LocalRejection>().is_none());
        // Within the pause: answered locally, with the URL of the request.
        let third = service
            .clone()
            .oneshot(client.get(&url).build().unwrap())
            .await
            .unwrap();
        assert_eq!(third.status(), 429);
        assert_eq!(third.url().as_str(), url);
        assert!(third.extensions().get::<LocalRejection>().is_some());
        assert_eq!(third.headers()["retry-after"], "1");
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        assert!(
            started.elapsed() >= Duration::from_millis(50),
            "the second waited its slot"
        );

        // reqwest-middleware shares the layer's state: still paused.
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(PreflightMiddleware::new(preflight(&layer)))
            .build();
        let response = client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 429);
        assert!(response.extensions().get::<LocalRejection>().is_some());
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let response = client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(hits.load(Ordering::SeqCst), 3);
        let stats = layer.stats().snapshot();
        assert_eq!((stats.remote_429, stats.local_429), (1, 2));
    }
}

/// Issue #25: the edges of pacing, each case on tokio's paused clock.
mod edges {
    use super::*;

    fn message(text: &str) -> String {
        format!(r#"{{"error":{{"code":"429","message":"{text}"}}}}"#)
    }

    /// `n` GETs of `uri` at once through `layer`: statuses and Retry-After.
    async fn send_all(
        layer: &PreflightLayer,
        clocked: &Clocked,
        uris: &[String],
    ) -> Vec<(u16, Option<String>)> {
        let service = layer.clone().layer(clocked.service());
        let calls = uris.iter().map(|uri| {
            let request = Request::get(uri.as_str())
                .body(Full::new(Bytes::new()))
                .unwrap();
            let service = service.clone();
            async move {
                let response = service.oneshot(request).await.unwrap();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                let status = response.status().as_u16();
                response.into_body().collect().await.unwrap();
                (status, retry_after)
            }
        });
        futures_util::future::join_all(calls).await
    }

    const PATH: &str = "/face/v1.2/persongroups";

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_waiter_gives_its_slot_back() {
        let clocked = Clocked::new(Duration::ZERO, vec![]);
        let pacing = Pacing::new(Rate::per_second(10));
        let service = preflight(&pacing).layer(clocked.service());
        // 20 at once, each given up by its caller after 250 ms.
        let calls = (0..20).map(|_| {
            let service = service.clone();
            async move {
                tokio::time::timeout(ms(250), service.oneshot(to_full(get(PATH))))
                    .await
                    .is_ok()
            }
        });
        let done = futures_util::future::join_all(calls).await;
        assert_eq!(done.iter().filter(|d| **d).count(), 3);
        // The 17 slots given up are free again: an idle resource at 1 s
        // admits a new request at once.
        tokio::time::sleep_until(clocked.start + ms(1000)).await;
        let response = service.oneshot(to_full(get(PATH))).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(clocked.arrivals(), [ms(0), ms(100), ms(200), ms(1000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_huge_retry_after_is_bounded_and_never_panics() {
        for answer in [
            (
                429,
                vec![("retry-after", u64::MAX.to_string())],
                message("Rate limit is exceeded."),
            ),
            (
                429,
                vec![],
                message("Rate limit is exceeded. Try again in 18446744073709551615 seconds."),
            ),
            (
                429,
                vec![],
                message("Try again in 99999999999999999999999999 seconds."),
            ),
            (
                429,
                vec![("retry-after", "1000000000".to_owned())],
                message("Rate limit is exceeded."),
            ),
        ] {
            let clocked = Clocked::new(Duration::ZERO, vec![answer]);
            let pacing = Pacing::new(Rate::per_second(10));
            let statuses = burst(&pacing, &clocked, 1, PATH).await;
            assert_eq!(statuses[0].0, 429);
            // The pause is at most two minutes: past the longest wait
            // (30 s) a local 429 names it ...
            let statuses = burst(&pacing, &clocked, 1, PATH).await;
            assert_eq!(statuses, [(429, Some("120".to_owned()))]);
            // ... and two minutes later the resource is open again.
            tokio::time::sleep(Duration::from_secs(120)).await;
            let statuses = burst(&pacing, &clocked, 1, PATH).await;
            assert_eq!(statuses, [(200, None)]);
            assert_eq!(clocked.arrivals().len(), 2);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_429s_count_as_one_episode() {
        let answers = (0..10)
            .map(|_| {
                (
                    429,
                    vec![],
                    message("Rate limit is exceeded. Try again in 1 seconds."),
                )
            })
            .collect();
        // All ten in flight at once (the service takes 50 ms).
        let clocked = Clocked::new(ms(50), answers);
        let pacing = Pacing::new(Rate::per_second(1000));
        let statuses = burst(&pacing, &clocked, 10, PATH).await;
        assert!(statuses.iter().all(|(s, _)| *s == 429));
        // The message's one second replaces the back-off: the next request
        // goes about a second after the last 429, not 64 s later.
        let statuses = burst(&pacing, &clocked, 1, PATH).await;
        assert_eq!(statuses, [(200, None)]);
        let last = *clocked.arrivals().last().unwrap();
        assert!(last >= ms(1050) && last <= ms(1060), "{last:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_reserved_slot_waits_out_a_later_pause() {
        let clocked = Clocked::new(
            ms(150),
            vec![(
                429,
                vec![("retry-after", "10".to_owned())],
                message("Rate limit is exceeded."),
            )],
        );
        let pacing = Pacing::new(Rate::per_second(10));
        let statuses = burst(&pacing, &clocked, 30, PATH).await;
        assert_eq!(statuses[0], (429, Some("10".to_owned())));
        let arrivals = clocked.arrivals();
        // Sent before the 429 arrived (at 150 ms): the first two. Then
        // nothing until the pause ends at 10.15 s.
        assert_eq!(arrivals[..2], [ms(0), ms(100)]);
        assert!(
            arrivals[2..].iter().all(|at| *at >= ms(10_150)),
            "{arrivals:?}"
        );
        assert_eq!(arrivals.len(), 30, "all still sent, none refused");
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_turn_waits_no_longer_than_max_wait() {
        let arrivals: Arc<Mutex<Vec<Duration>>> = Arc::default();
        let start = Instant::now();
        let service = {
            let arrivals = arrivals.clone();
            service_fn(move |_: Request<Full<Bytes>>| {
                let arrivals = arrivals.clone();
                async move {
                    let first = {
                        let mut arrivals = arrivals.lock().unwrap();
                        arrivals.push(start.elapsed());
                        arrivals.len() == 1
                    };
                    if first {
                        // The first add hangs upstream.
                        std::future::pending::<()>().await;
                    }
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"{}"))))
                }
            })
        };
        let pacing = Pacing::new(Rate::per_second(1000)).max_wait(ms(1000));
        let service = preflight(&pacing).layer(service);
        let add = || {
            to_full(post_image(
                "/face/v1.2/persongroups/staff/persons/c5c24a82-6845-4031-9d5d-978df9175426/persistedfaces",
                jpeg_at_least(2000),
            ))
        };
        let hanging = tokio::spawn(service.clone().oneshot(add()));
        tokio::time::sleep(ms(10)).await;
        let second = service.oneshot(add()).await.unwrap();
        assert_eq!(second.status(), 200);
        let arrivals = arrivals.lock().unwrap().clone();
        assert_eq!(arrivals, [ms(0), ms(1010)], "sent when its wait ran out");
        hanging.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn one_budget_per_resource_however_the_host_is_spelled() {
        let clocked = Clocked::new(Duration::ZERO, vec![]);
        let pacing = Pacing::new(Rate::per_second(10));
        let uris = [
            "https://myresource.cognitiveservices.azure.com",
            "https://MyResource.cognitiveservices.azure.com:443",
            "https://myresource.cognitiveservices.azure.com.",
        ]
        .map(|host| format!("{host}{PATH}"));
        send_all(&preflight(&pacing), &clocked, &uris).await;
        assert_eq!(clocked.arrivals(), [ms(0), ms(100), ms(200)]);

        // Two resources behind one gateway: two budgets.
        let clocked = Clocked::new(Duration::ZERO, vec![]);
        let east = preflight(&pacing).path_prefix("/east");
        let west = preflight(&pacing).path_prefix("/west");
        let uri = |prefix: &str| vec![format!("https://gateway.example{prefix}{PATH}")];
        let (east_uris, west_uris) = (uri("/east"), uri("/west"));
        let (_, _) = tokio::join!(
            send_all(&east, &clocked, &east_uris),
            send_all(&west, &clocked, &west_uris)
        );
        assert_eq!(clocked.arrivals(), [ms(0), ms(0)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_setting_changed_on_a_clone_keeps_one_budget() {
        let clocked = Clocked::new(Duration::ZERO, vec![]);
        let pacing = Pacing::new(Rate::per_second(10));
        let first = preflight(&pacing);
        let changed = pacing.clone().max_wait(ms(5000));
        let second = preflight(&changed);
        let uris = vec![format!("{HOST}{PATH}")];
        let (_, _) = tokio::join!(
            send_all(&first, &clocked, &uris),
            send_all(&second, &clocked, &uris)
        );
        assert_eq!(clocked.arrivals(), [ms(0), ms(100)], "one budget, not two");
    }
}
