//! A model-based test of the pacing (issue #25).
//!
//! A stand-in Face resource accepts 10 requests in any sliding window of one
//! second (S0) and answers 429 "Rate limit is exceeded." to the rest; it
//! also answers chosen requests with 429s of its own (odd, negative, huge
//! and fractional `Retry-After`s, waits named only in the message, none at
//! all), and lets a chosen add-face hang for ten minutes. Generated
//! workloads drive it on tokio's paused clock: closed-loop clients, patient
//! or giving up after a while (a cancellation or a timeout above the
//! layer), listing or adding faces to a few persons, through several layers
//! of one process and, with the `redis` feature, through a fleet of up to
//! three processes whose Redis is unreachable (each on its local share).
//!
//! After each workload:
//! - no panic (every client task is joined);
//! - the stand-in refused no request for the rate (the docs' bound: 0);
//! - no request waited longer than its longest wait (the paused clock's
//!   timer fires on the millisecond after: 1 ms of slack);
//! - once the last pause is over, an idle resource admits a request at once;
//! - under saturation, with no 429s of the stand-in's own and nothing
//!   hanging, each process used at least [`CAPACITY_SHARE`] of its share.
//!
//! `PACE_MODEL_CASES` raises the number of workloads for a long local run.
#![cfg(feature = "pace")]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use bytes::Bytes;
use face_preflight::pace::{Pacing, Tier};
use face_preflight::PreflightLayer;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use proptest::prelude::*;
use tokio::time::Instant;
use tower::{service_fn, Layer, ServiceExt};

/// The stand-in's limit: requests in any window of [`WINDOW`].
const LIMIT: usize = 10;
const WINDOW: Duration = Duration::from_secs(1);
/// The longest pause the crate learns from a 429 (documented).
const MAX_PAUSE: Duration = Duration::from_secs(120);
/// How long a hanging add-face hangs.
const HANG: Duration = Duration::from_secs(600);
/// The least share of its rate a saturated process uses.
const CAPACITY_SHARE: f64 = 0.9;

#[derive(Clone, Copy, Debug)]
enum Target {
    List,
    AddFace(u8),
}

#[derive(Clone, Copy, Debug)]
struct Client {
    process: usize,
    layer: usize,
    target: Target,
    /// Gives up on a request after this long (`None`: waits for it).
    gives_up_ms: Option<u64>,
    /// At least 1 ms: a local 429 comes at once, and a client that asks
    /// again without a pause would spin at one instant of the paused clock.
    think_ms: u64,
}

#[derive(Clone, Debug)]
enum Own429 {
    RetryAfter(&'static str),
    Message(&'static str),
    Bare,
}

#[derive(Clone, Debug)]
struct Workload {
    processes: usize,
    max_wait_ms: u64,
    delay_ms: u64,
    duration_ms: u64,
    clients: Vec<Client>,
    /// The stand-in answers its nth request with its own 429.
    own_429s: Vec<(usize, Own429)>,
    /// The stand-in lets its nth add-face hang.
    hang: Option<usize>,
    /// What befalls the private Redis server (Redis mode only).
    chaos: Option<Chaos>,
}

/// The private Redis server is killed (and restarted empty) or frozen (and
/// thawed) at `at_ms`, and back `back_after_ms` later.
#[derive(Clone, Copy, Debug)]
struct Chaos {
    at_ms: u64,
    freeze: bool,
    back_after_ms: u64,
}

/// Where the fleet's schedule lives, and the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Each process's own budget (a fleet's Redis never answers); tokio's
    /// paused clock.
    Paused,
    /// A private `redis-server` shared by the fleet, killed or frozen and
    /// brought back mid-run; the real clock.
    #[cfg(feature = "redis")]
    Redis,
}

/// The Redis budget's timeout in Redis mode.
#[cfg(feature = "redis")]
const REDIS_TIMEOUT: Duration = Duration::from_millis(100);

/// What each mode allows.
struct Bounds {
    /// Past the longest wait: the paused clock's timer fires on the
    /// millisecond after; on the real clock a connect and a call to a
    /// frozen Redis each take up to the timeout, and wake-ups jitter.
    slack: Duration,
    /// Requests the stand-in may refuse for the rate: 0 on the paused
    /// clock; on the real clock one, for a wake-up delayed on a loaded
    /// machine (the schedule itself keeps to 10 in any second).
    refused: usize,
    /// When every pause learned is over.
    idle_after: Duration,
}

impl Mode {
    fn bounds(self) -> Bounds {
        match self {
            Mode::Paused => Bounds {
                slack: Duration::from_millis(1),
                refused: 0,
                idle_after: MAX_PAUSE + WINDOW,
            },
            #[cfg(feature = "redis")]
            Mode::Redis => Bounds {
                slack: REDIS_TIMEOUT * 2 + Duration::from_millis(50),
                refused: 1,
                // Its 429s name 1 or 2 seconds.
                idle_after: Duration::from_secs(3),
            },
        }
    }
}

fn own_429() -> impl Strategy<Value = Own429> {
    prop_oneof![
        prop::sample::select(vec![
            "0",
            "1",
            "3",
            "-5",
            "1.5",
            "abc",
            "",
            "100000",
            "18446744073709551615",
            "9999999999999999999",
            "Wed, 21 Oct 2015 07:28:00 GMT",
        ])
        .prop_map(Own429::RetryAfter),
        prop::sample::select(vec![
            "Rate limit is exceeded. Try again in 2 seconds.",
            "Rate limit is exceeded. Try again in 18446744073709551615 seconds.",
            "Rate limit is exceeded. Try again in 0 seconds.",
            "Rate limit is exceeded. Try again later.",
        ])
        .prop_map(Own429::Message),
        Just(Own429::Bare),
    ]
}

fn workload(max_processes: usize) -> impl Strategy<Value = Workload> {
    (1..=max_processes).prop_flat_map(|processes| {
        let client = (
            0..processes,
            0..2usize,
            prop_oneof![3 => Just(Target::List), 1 => (0..3u8).prop_map(Target::AddFace)],
            prop::option::weighted(0.3, 1..1500u64),
            prop_oneof![Just(1u64), 1..400u64],
        )
            .prop_map(|(process, layer, target, gives_up_ms, think_ms)| Client {
                process,
                layer,
                target,
                gives_up_ms,
                think_ms,
            });
        (
            Just(processes),
            300..4000u64,
            1..200u64,
            2000..10_000u64,
            prop::collection::vec(client, 1..10),
            prop::collection::vec((0..150usize, own_429()), 0..4),
            prop::option::weighted(0.2, 0..5usize),
        )
            .prop_map(
                |(processes, max_wait_ms, delay_ms, duration_ms, clients, own_429s, hang)| {
                    Workload {
                        processes,
                        max_wait_ms,
                        delay_ms,
                        duration_ms,
                        clients,
                        own_429s,
                        hang,
                        chaos: None,
                    }
                },
            )
    })
}

/// Shorter workloads on the real clock, a private Redis shared by up to
/// three processes, and 429s of the stand-in's own that name short waits.
#[cfg(feature = "redis")]
fn redis_workload() -> impl Strategy<Value = Workload> {
    let own = prop_oneof![
        Just(Own429::RetryAfter("1")),
        Just(Own429::Message(
            "Rate limit is exceeded. Try again in 2 seconds."
        )),
    ];
    (
        workload(3),
        2000..4000u64,
        300..2000u64,
        prop::collection::vec((0..60usize, own), 0..2),
        (200..1500u64, any::<bool>(), 200..1500u64),
    )
        .prop_map(
            |(mut workload, duration_ms, max_wait_ms, own_429s, (at_ms, freeze, back))| {
                workload.duration_ms = duration_ms;
                workload.max_wait_ms = max_wait_ms;
                workload.own_429s = own_429s;
                workload.hang = None;
                workload.clients.truncate(6);
                workload.chaos = Some(Chaos {
                    at_ms,
                    freeze,
                    back_after_ms: back,
                });
                workload
            },
        )
}

/// What the stand-in saw.
#[derive(Default)]
struct StandIn {
    /// Requests it accepted, in the last window.
    window: VecDeque<Instant>,
    /// Every arrival: the call's id and when.
    arrivals: Vec<(u64, Instant, usize)>,
    /// Requests refused for the rate.
    refused: usize,
    add_faces: usize,
    /// The workload is over: the stand-in answers no 429 of its own.
    over: bool,
}

/// One call from a client: when it was made and answered.
struct Call {
    id: u64,
    started: Instant,
    answered: Option<Instant>,
}

fn header_id(request: &Request<Full<Bytes>>) -> (u64, usize) {
    let value = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(u64::MAX)
    };
    (value("x-call"), value("x-process") as usize)
}

fn rate_limited(retry_after: Option<&str>, message: &str) -> Response<Full<Bytes>> {
    let mut response = Response::builder().status(429);
    if let Some(seconds) = retry_after {
        response = response.header("retry-after", seconds);
    }
    let body = format!(r#"{{"error":{{"code":"429","message":"{message}"}}}}"#);
    response.body(Full::new(Bytes::from(body))).unwrap()
}

fn pacing(workload: &Workload, redis_url: Option<&str>) -> Vec<Pacing> {
    let max_wait = Duration::from_millis(workload.max_wait_ms);
    (0..workload.processes)
        .map(|_| {
            let pacing = Pacing::tier(Tier::S0).max_wait(max_wait);
            match redis_url {
                #[cfg(feature = "redis")]
                Some(url) => pacing.redis(
                    face_preflight::pace::RedisBudget::open(url)
                        .unwrap()
                        .fleet_size(u32::try_from(workload.processes).unwrap())
                        .timeout(REDIS_TIMEOUT)
                        .cool_down(Duration::from_millis(300)),
                ),
                _ => fleet(pacing, workload.processes),
            }
        })
        .collect()
}

/// A fleet of processes whose Redis never answers: each on its local share.
#[cfg(feature = "redis")]
fn fleet(pacing: Pacing, processes: usize) -> Pacing {
    if processes == 1 {
        return pacing;
    }
    // Port 9 (discard) on loopback: nothing listens there.
    let budget = face_preflight::pace::RedisBudget::open("redis://127.0.0.1:9")
        .unwrap()
        .fleet_size(u32::try_from(processes).unwrap());
    pacing.redis(budget)
}

#[cfg(not(feature = "redis"))]
fn fleet(pacing: Pacing, _processes: usize) -> Pacing {
    pacing
}

const PERSON: &str = "/face/v1.2/persongroups/staff/persons";
const PERSONS: [&str; 3] = [
    "c5c24a82-6845-4031-9d5d-978df9175426",
    "0e7d5f4e-4a6c-4a57-9d4e-8a1c2b3d4e5f",
    "7f3a1b2c-1111-4222-8333-944455566677",
];

fn request(target: Target, image: &Bytes, id: u64, process: usize) -> Request<Full<Bytes>> {
    let mut request = match target {
        Target::List => get("/face/v1.2/persongroups"),
        Target::AddFace(person) => post_image(
            &format!(
                "{PERSON}/{}/persistedfaces",
                PERSONS[usize::from(person) % 3]
            ),
            image.clone(),
        ),
    };
    let headers = request.headers_mut();
    headers.insert("x-call", id.into());
    headers.insert("x-process", process.into());
    to_full(request)
}

/// Runs one workload on the paused clock; returns the requests the
/// stand-in accepted.
fn run(workload: Workload) -> usize {
    run_in(Mode::Paused, workload)
}

fn run_in(mode: Mode, workload: Workload) -> usize {
    let mut runtime = match mode {
        Mode::Paused => {
            let mut runtime = tokio::runtime::Builder::new_current_thread();
            runtime.start_paused(true);
            runtime
        }
        #[cfg(feature = "redis")]
        Mode::Redis => {
            let mut runtime = tokio::runtime::Builder::new_multi_thread();
            runtime.worker_threads(2);
            runtime
        }
    };
    let runtime = runtime.enable_all().build().unwrap();
    runtime.block_on(drive(mode, workload))
}

/// Starts the private Redis of a Redis-mode run and what befalls it.
#[cfg(feature = "redis")]
fn private_redis(chaos: Option<Chaos>) -> (String, tokio::task::JoinHandle<()>) {
    use crate::private_redis::PrivateRedis;
    let redis = Arc::new(Mutex::new(PrivateRedis::start()));
    let url = redis.lock().unwrap().url.clone();
    let chaos = tokio::spawn(async move {
        type Act = fn(&mut PrivateRedis);
        let blocking = |redis: &Arc<Mutex<PrivateRedis>>, act: Act| {
            let redis = redis.clone();
            tokio::task::spawn_blocking(move || act(&mut redis.lock().unwrap()))
        };
        if let Some(chaos) = chaos {
            tokio::time::sleep(Duration::from_millis(chaos.at_ms)).await;
            let (down, up): (Act, Act) = if chaos.freeze {
                (|r| r.freeze(), |r| r.thaw())
            } else {
                (|r| r.stop(), |r| r.restart())
            };
            blocking(&redis, down).await.unwrap();
            tokio::time::sleep(Duration::from_millis(chaos.back_after_ms)).await;
            blocking(&redis, up).await.unwrap();
        }
        // Held until the run ends; stopped when the last handle drops.
        std::future::pending::<()>().await;
        drop(redis);
    });
    (url, chaos)
}

async fn drive(mode: Mode, workload: Workload) -> usize {
    let start = Instant::now();
    let bounds = mode.bounds();
    let (redis_url, chaos) = match mode {
        Mode::Paused => (None, None),
        #[cfg(feature = "redis")]
        Mode::Redis => {
            let (url, chaos) = private_redis(workload.chaos);
            (Some(url), Some(chaos))
        }
    };
    let stand_in: Arc<Mutex<StandIn>> = Arc::default();
    let own_429s = Arc::new(workload.own_429s.clone());
    let delay = Duration::from_millis(workload.delay_ms);
    let hang = workload.hang;
    let service = {
        let stand_in = stand_in.clone();
        service_fn(move |request: Request<Full<Bytes>>| {
            let stand_in = stand_in.clone();
            let own_429s = own_429s.clone();
            async move {
                let now = Instant::now();
                let (id, process) = header_id(&request);
                let add_face = request.method() == http::Method::POST;
                let (nth, hangs, over, own_429s_on) = {
                    let mut seen = stand_in.lock().unwrap();
                    let nth = seen.arrivals.len();
                    seen.arrivals.push((id, now, process));
                    while seen
                        .window
                        .front()
                        .is_some_and(|at| now.duration_since(*at) >= WINDOW)
                    {
                        seen.window.pop_front();
                    }
                    let over = seen.window.len() >= LIMIT;
                    if over {
                        seen.refused += 1;
                    } else {
                        seen.window.push_back(now);
                    }
                    let hangs = add_face && hang == Some(seen.add_faces);
                    if add_face {
                        seen.add_faces += 1;
                    }
                    (nth, hangs, over, !seen.over)
                };
                if over {
                    return Ok(rate_limited(Some("1"), "Rate limit is exceeded."));
                }
                let own = own_429s.iter().find(|(n, _)| *n == nth && own_429s_on);
                if let Some((_, own)) = own {
                    return Ok(match own {
                        Own429::RetryAfter(seconds) => {
                            rate_limited(Some(seconds), "Rate limit is exceeded.")
                        }
                        Own429::Message(message) => rate_limited(None, message),
                        Own429::Bare => rate_limited(None, "Rate limit is exceeded."),
                    });
                }
                tokio::time::sleep(if hangs { HANG } else { delay }).await;
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"[]"))))
            }
        })
    };
    let pacings = pacing(&workload, redis_url.as_deref());
    let layers: Vec<Vec<PreflightLayer>> = pacings
        .iter()
        .map(|pacing| {
            (0..2)
                .map(|_| PreflightLayer::new().pacing(pacing.clone()))
                .collect()
        })
        .collect();
    let image = Bytes::from(jpeg_at_least(2000));
    let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
    let next_id = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let end = start + Duration::from_millis(workload.duration_ms);
    let mut tasks = Vec::new();
    for client in &workload.clients {
        let client = *client;
        let service = layers[client.process][client.layer].layer(service.clone());
        let (calls, next_id, image) = (calls.clone(), next_id.clone(), image.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                let id = next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let index = {
                    let mut calls = calls.lock().unwrap();
                    calls.push(Call {
                        id,
                        started: Instant::now(),
                        answered: None,
                    });
                    calls.len() - 1
                };
                let call = async {
                    let response = service
                        .clone()
                        .oneshot(request(client.target, &image, id, client.process))
                        .await
                        .unwrap();
                    // Reading the body lets the pacing read a 429's message.
                    let _ = response.into_body().collect().await;
                };
                let answered = match client.gives_up_ms {
                    Some(ms) => tokio::time::timeout(Duration::from_millis(ms), call)
                        .await
                        .is_ok(),
                    None => {
                        call.await;
                        true
                    }
                };
                if answered {
                    calls.lock().unwrap()[index].answered = Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(client.think_ms)).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("no client panicked");
    }

    let accepted = {
        let mut seen = stand_in.lock().unwrap();
        assert!(
            seen.refused <= bounds.refused,
            "the stand-in refused {} requests for the rate",
            seen.refused
        );
        let max_wait = Duration::from_millis(workload.max_wait_ms);
        let slack = bounds.slack;
        let arrived: std::collections::HashMap<u64, Instant> =
            seen.arrivals.iter().map(|(id, at, _)| (*id, *at)).collect();
        for call in calls.lock().unwrap().iter() {
            let waited = match (arrived.get(&call.id), call.answered) {
                (Some(at), _) => *at - call.started,
                // Answered locally (a 429).
                (None, Some(answered)) => answered - call.started,
                (None, None) => continue,
            };
            assert!(
                waited <= max_wait + slack,
                "call {} waited {waited:?} (longest wait {max_wait:?})",
                call.id
            );
        }
        let accepted = seen.arrivals.len();
        seen.over = true;

        // Capacity under saturation: each process's patient listing clients
        // offer at least twice its share.
        if mode == Mode::Paused && workload.own_429s.is_empty() && workload.hang.is_none() {
            let share = 9.5 / workload.processes as f64;
            for process in 0..workload.processes {
                let offered: f64 = workload
                    .clients
                    .iter()
                    .filter(|c| {
                        c.process == process
                            && c.gives_up_ms.is_none()
                            && matches!(c.target, Target::List)
                    })
                    .map(|c| 1000.0 / (workload.delay_ms + c.think_ms) as f64)
                    .sum();
                if offered < 2.0 * share {
                    continue;
                }
                let used = seen
                    .arrivals
                    .iter()
                    .filter(|(_, at, p)| *p == process && *at < end)
                    .count() as f64;
                let capacity = share * workload.duration_ms as f64 / 1000.0;
                assert!(
                    used >= CAPACITY_SHARE * capacity - 1.0,
                    "process {process} sent {used} of a capacity of {capacity:.1}"
                );
            }
        }
        accepted
    };

    // Idle: once the longest pause is over, a request goes at once.
    tokio::time::sleep(bounds.idle_after).await;
    for (process, layers) in layers.iter().enumerate() {
        let service = layers[0].layer(service.clone());
        let called = Instant::now();
        let id = u64::MAX - 1;
        let response = service
            .oneshot(request(Target::List, &image, id, process))
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "process {process} after the pause");
        let seen = stand_in.lock().unwrap();
        let (_, at, _) = seen.arrivals.last().copied().unwrap();
        assert!(
            at - called <= bounds.slack,
            "an idle resource waited {:?}",
            at - called
        );
    }
    if let Some(chaos) = chaos {
        // Stops the private Redis server.
        chaos.abort();
        let _ = chaos.await;
    }
    accepted
}

fn cases() -> u32 {
    std::env::var("PACE_MODEL_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]
    #[test]
    fn pacing_keeps_every_invariant(workload in workload(if cfg!(feature = "redis") { 3 } else { 1 })) {
        run(workload);
    }
}

#[cfg(feature = "redis")]
proptest! {
    // A few seconds each on the real clock: a fiftieth of the paused runs.
    #![proptest_config(ProptestConfig::with_cases((cases() / 50).max(4)))]
    #[test]
    fn pacing_keeps_every_invariant_with_redis_killed_or_frozen(workload in redis_workload()) {
        run_in(Mode::Redis, workload);
    }
}

/// A fixed saturating workload, for its figures: one process, four patient
/// listing clients for 10 s: 95 % of S0's limit is 9.5 a second.
#[test]
fn a_saturated_resource_uses_its_rate() {
    let clients = (0..4)
        .map(|layer| Client {
            process: 0,
            layer: layer % 2,
            target: Target::List,
            gives_up_ms: None,
            think_ms: 1,
        })
        .collect();
    let accepted = run(Workload {
        processes: 1,
        max_wait_ms: 5000,
        delay_ms: 20,
        duration_ms: 10_000,
        clients,
        own_429s: vec![],
        hang: None,
        chaos: None,
    });
    // Slots at 0, 105.3 ms, … up to 10 s (the last reserved before the end
    // is sent after it).
    assert!((95..=100).contains(&accepted), "{accepted}");
}

/// Three processes on their local shares, each saturated: a share of
/// 9.5 / 3 a second (a slot every 316 ms) would let 4 + 4 + 4 into one
/// second; each keeps to 3 in any second (one every 333 ms).
#[cfg(feature = "redis")]
#[test]
fn a_fleet_of_three_on_local_shares_stays_under_the_limit() {
    for offset_ms in [0, 1, 50, 150] {
        let clients = (0..3)
            .map(|process| Client {
                process,
                layer: 0,
                target: Target::List,
                gives_up_ms: None,
                think_ms: 1 + offset_ms * process as u64,
            })
            .collect();
        let accepted = run(Workload {
            processes: 3,
            max_wait_ms: 5000,
            delay_ms: 1,
            duration_ms: 6000,
            clients,
            own_429s: vec![],
            hang: None,
            chaos: None,
        });
        // 3 a second each for 6 s, and the slots reserved before the end.
        assert!((51..=60).contains(&accepted), "{accepted}");
    }
}
