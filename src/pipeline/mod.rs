//! The one pipeline every adapter drives.
//!
//! A request is routed once; the match goes to every judge in turn — the
//! stateless rules, then the learned facts (feature `facts`), then the
//! pacing (feature `pace`) — on the head, on the body if one asks for it,
//! and last, where a judge must wait or ask Redis, in [`Pipeline::decide`].
//! The first answer wins. What follows from an answer is written here once
//! for every judge and adapter: the allowed answers, report-only mode (the
//! request is sent whatever any judge would have answered, and the
//! comparison recorded), the counters, tracing, metrics, and the
//! [`LocalRejection`](crate::LocalRejection) that names the judge.
//!
//! The adapters (`layer/`, `integrations/`, the proxy) only move bytes: they
//! ask [`Pipeline::next`] what to do, read a body when told to, and send.

mod answer;
mod resource;
mod sent;

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, Method};

pub(crate) use self::answer::LocalAnswer;
#[cfg(test)]
use self::resource::resource_key;
use self::resource::ResourceKeys;
pub(crate) use self::sent::Sent;
use crate::catalogue::Entry;
use crate::error::{FaceApiError, Source};
use crate::judge::{Answer, Body, Judge, Opened, Routed};
use crate::report::{Stats, Verdict};
use crate::router::{self, Operation};
use crate::rules::{BodyPlan, Options};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The service that `poll_ready` made ready, leaving a clone in its place:
/// a middleware that sends the request later (after reading its body, after
/// its wait) sends it with this one, as tower-http's async middleware does.
pub(crate) fn take_ready<S: Clone>(service: &mut S) -> S {
    let clone = service.clone();
    std::mem::replace(service, clone)
}

/// A user's callback for every report-only verdict.
pub(crate) type OnVerdict = Arc<dyn Fn(&Verdict<'_>) + Send + Sync>;

/// The judges and the settings of a [`PreflightLayer`](crate::PreflightLayer),
/// shared by every clone of it and every service it made.
#[derive(Clone, Default)]
pub(crate) struct Pipeline {
    /// The stateless rules' settings.
    pub(crate) options: Options,
    pub(crate) reject_with_error: bool,
    pub(crate) report_only: bool,
    /// Answers the user switched off: a request that would get one passes.
    pub(crate) allowed: Vec<Entry>,
    pub(crate) stats: Stats,
    pub(crate) on_verdict: Option<OnVerdict>,
    #[cfg(feature = "facts")]
    pub(crate) facts: Option<crate::facts::Facts>,
    #[cfg(feature = "pace")]
    pub(crate) pacing: Option<crate::pace::Pacing>,
    /// The resources' keys, made once each.
    resources: Arc<ResourceKeys>,
    /// The room for bodies read whole, shared by every request.
    #[cfg(feature = "budget")]
    pub(crate) body_budget: Option<crate::layer::BodyBudget>,
    /// Where the counters go instead of the process's global recorder.
    #[cfg(feature = "metrics")]
    pub(crate) recorder: Option<Arc<dyn metrics::Recorder + Send + Sync>>,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Pipeline");
        debug
            .field("options", &self.options)
            .field("reject_with_error", &self.reject_with_error)
            .field("report_only", &self.report_only)
            .field("allowed", &self.allowed)
            .field("on_verdict", &self.on_verdict.is_some());
        #[cfg(feature = "facts")]
        debug.field("facts", &self.facts.is_some());
        #[cfg(feature = "pace")]
        debug.field("pacing", &self.pacing.is_some());
        debug.finish_non_exhaustive()
    }
}

/// The head of a request, as every adapter has it.
#[derive(Clone, Copy)]
pub(crate) struct Head<'a> {
    pub(crate) method: &'a Method,
    pub(crate) origin: Origin<'a>,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
}

impl<'a> Head<'a> {
    pub(crate) fn of<B>(request: &'a http::Request<B>) -> Self {
        Self::from_parts(request.method(), request.uri(), request.headers())
    }

    pub(crate) fn from_parts(
        method: &'a Method,
        uri: &'a http::Uri,
        headers: &'a HeaderMap,
    ) -> Self {
        Self {
            method,
            origin: Origin::Uri(uri),
            path: uri.path(),
            query: uri.query(),
            headers,
        }
    }
}

/// Where a request goes: read only when a stateful judge needs the resource
/// (splitting an `http::Uri`'s authority costs more than routing).
#[derive(Clone, Copy)]
pub(crate) enum Origin<'a> {
    Uri(&'a http::Uri),
    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
    Parts {
        scheme: Option<&'a str>,
        host: Option<&'a str>,
        port: Option<u16>,
    },
}

impl<'a> Origin<'a> {
    fn parts(self) -> (Option<&'a str>, Option<&'a str>, Option<u16>) {
        match self {
            Origin::Uri(uri) => (uri.scheme_str(), uri.host(), uri.port_u16()),
            Origin::Parts { scheme, host, port } => (scheme, host, port),
        }
    }
}

/// One request's way through the pipeline: its operation, each judge's
/// open case, and the first answer.
pub(crate) struct Ticket {
    pub(crate) operation: Option<Operation>,
    answer: Option<LocalAnswer>,
    /// The rules' case: the body they still have to read.
    plan: Option<BodyPlan>,
    /// The first bytes of the body were read and did not decide.
    head_undecided: bool,
    decided: bool,
    #[cfg(feature = "facts")]
    facts: Option<<crate::facts::Facts as Judge>::Case>,
    #[cfg(feature = "pace")]
    pacing: Option<<crate::pace::Pacing as Judge>::Case>,
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("operation", &self.operation)
            .field("answer", &self.answer)
            .field("decided", &self.decided)
            .finish_non_exhaustive()
    }
}

/// What an adapter does next with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Answer locally: [`Pipeline::settle`] gives the answer.
    Answer,
    /// Read the body, up to this many bytes, and hand it to [`Pipeline::read`].
    Read(usize),
    /// Read this many first bytes of the body (or all of a shorter one) and
    /// hand them to [`Pipeline::read_head`]; if they decide, the rest is
    /// forwarded unread. An adapter holding the whole body reads it as
    /// [`Next::Read`] of `limit`.
    ReadHead { head: usize, limit: usize },
    /// Await [`Pipeline::decide`].
    Decide,
    /// Send: [`Pipeline::settle`] gives what follows the answer.
    Send,
}

/// The end of the pipeline before the service.
// Made once per request and matched at once: boxing the larger variant
// would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Settled {
    Answer(LocalAnswer),
    /// Send; what watches the answer, if anything does.
    Send(Option<Sent>),
}

impl Pipeline {
    /// Runs `count` (a `metrics` macro) against this pipeline's recorder,
    /// or the global one. A counter is a synchronous call, so a recorder
    /// local to the thread for its length reaches the right registry even
    /// on a multi-threaded runtime.
    #[cfg(feature = "metrics")]
    pub(crate) fn count(&self, count: impl FnOnce()) {
        match &self.recorder {
            Some(recorder) => metrics::with_local_recorder(&**recorder, count),
            None => count(),
        }
    }

    /// Routes the request once and lets every judge see its head.
    pub(crate) fn start(&self, head: Head<'_>) -> Ticket {
        let face_path = match self.options.path_prefix.as_deref() {
            Some(prefix) => head.path.strip_prefix(prefix),
            None => Some(head.path),
        };
        let matched = face_path.and_then(|path| router::route_versions(head.method, path, true));
        let resource = self.is_stateful().then(|| {
            self.resources
                .key(&head, self.options.path_prefix.as_deref())
        });
        let routed = Routed {
            matched: matched.as_ref(),
            query: head.query,
            headers: head.headers,
            resource: resource.as_ref().and_then(Option::as_ref),
        };
        let mut ticket = Ticket {
            operation: matched.map(|m| m.route.operation),
            answer: None,
            plan: None,
            head_undecided: false,
            decided: false,
            #[cfg(feature = "facts")]
            facts: None,
            #[cfg(feature = "pace")]
            pacing: None,
        };
        ticket.plan = self.open(&self.options, &routed, &mut ticket);
        #[cfg(feature = "facts")]
        if let Some(facts) = &self.facts {
            ticket.facts = self.open(facts, &routed, &mut ticket);
        }
        #[cfg(feature = "pace")]
        if let Some(pacing) = &self.pacing {
            ticket.pacing = self.open(pacing, &routed, &mut ticket);
        }
        ticket
    }

    fn is_stateful(&self) -> bool {
        #[allow(unused_mut)]
        let mut stateful = false;
        #[cfg(feature = "facts")]
        {
            stateful |= self.facts.is_some();
        }
        #[cfg(feature = "pace")]
        {
            stateful |= self.pacing.is_some();
        }
        stateful
    }

    /// Whether the judges still have a say: once one answered, the others
    /// look only in report-only mode (they may learn from what is sent).
    fn judging(&self, ticket: &Ticket) -> bool {
        ticket.answer.is_none() || self.report_only
    }

    fn open<J: Judge>(
        &self,
        judge: &J,
        routed: &Routed<'_>,
        ticket: &mut Ticket,
    ) -> Option<J::Case> {
        if !self.judging(ticket) {
            return None;
        }
        match judge.open(routed) {
            Opened::Pass => None,
            Opened::Answer(answer) => {
                self.give(ticket, answer, J::SOURCE);
                None
            }
            Opened::Case(case) => Some(case),
        }
    }

    /// Keeps the first answer that the user did not allow.
    fn give(&self, ticket: &mut Ticket, answer: Answer, source: Source) {
        if ticket.answer.is_none() && !self.allowed.iter().any(|entry| answer.error.is(entry)) {
            ticket.answer = Some(LocalAnswer::new(answer, source));
        }
    }

    /// What the adapter does next.
    pub(crate) fn next(&self, ticket: &Ticket) -> Next {
        if ticket.answer.is_some() && !self.report_only {
            return Next::Answer;
        }
        if let Some(plan) = &ticket.plan {
            return match plan.head() {
                Some(head) if !ticket.head_undecided => Next::ReadHead {
                    head,
                    limit: plan.limit(),
                },
                _ => Next::Read(plan.limit()),
            };
        }
        if !ticket.decided && self.decides(ticket) {
            return Next::Decide;
        }
        Next::Send
    }

    #[allow(unused_variables)]
    fn decides(&self, ticket: &Ticket) -> bool {
        #[allow(unused_mut)]
        let mut decides = false;
        #[cfg(feature = "facts")]
        if let (Some(facts), Some(case)) = (&self.facts, &ticket.facts) {
            decides |= facts.decides(case);
        }
        #[cfg(feature = "pace")]
        if let (Some(pacing), Some(case)) = (&self.pacing, &ticket.pacing) {
            decides |= pacing.decides(case);
        }
        decides
    }

    /// The body that [`Next::Read`] asked for, read whole: read as JSON
    /// once, when the rules read JSON, for every judge.
    pub(crate) fn read(&self, ticket: &mut Ticket, headers: &HeaderMap, body: &[u8]) {
        let as_json = ticket
            .plan
            .as_ref()
            .is_some_and(|plan| plan.reads_json(body.len()));
        Body::read(body, as_json, |body| self.judge_body(ticket, headers, body));
    }

    /// The first bytes [`Next::ReadHead`] asked for. `true`: they decided,
    /// and the rest of the body is not read; `false`: read the whole body
    /// ([`next`](Self::next) says [`Next::Read`]) — the bytes read so far
    /// are its start.
    pub(crate) fn read_head(&self, ticket: &mut Ticket, headers: &HeaderMap, head: &[u8]) -> bool {
        let Some(verdict) = ticket.plan.as_ref().and_then(|plan| plan.check_head(head)) else {
            ticket.head_undecided = true;
            return false;
        };
        ticket.plan = None;
        if let Err(error) = verdict {
            self.give(ticket, error.into(), Source::Rules);
        }
        // Only image bodies are judged on their head: no JSON for the others.
        self.judge_others(
            ticket,
            headers,
            &Body {
                bytes: head,
                json: None,
            },
        );
        true
    }

    fn judge_body(&self, ticket: &mut Ticket, headers: &HeaderMap, body: &Body<'_>) {
        if let Some(mut plan) = ticket.plan.take() {
            if let Some(answer) = self.options.read(&mut plan, headers, body) {
                self.give(ticket, answer, Source::Rules);
            }
        }
        self.judge_others(ticket, headers, body);
    }

    /// The judges after the rules, which read the body the rules read.
    #[allow(unused_variables)]
    fn judge_others(&self, ticket: &mut Ticket, headers: &HeaderMap, body: &Body<'_>) {
        #[cfg(feature = "facts")]
        if let (Some(facts), true) = (&self.facts, self.judging(ticket)) {
            let answer = ticket
                .facts
                .as_mut()
                .and_then(|case| facts.read(case, headers, body));
            if let Some(answer) = answer {
                self.give(ticket, answer, Source::Facts);
            }
        }
    }

    /// The body cannot be read without consuming it (a reqwest stream, a
    /// host's file): the judges that wanted it judge without it — they pass.
    pub(crate) fn skip_body(&self, ticket: &mut Ticket) {
        ticket.plan = None;
    }

    /// A streamed body grew past the plan's limit: nothing that long is
    /// legal, and what was read cannot be put back — answered even in
    /// report-only mode.
    pub(crate) fn too_large(&self, ticket: &Ticket) -> LocalAnswer {
        let error = match &ticket.plan {
            Some(plan) => plan.too_large(),
            None => crate::catalogue::IMAGE_TOO_BIG.into(),
        };
        let answer = LocalAnswer::new(error.into(), Source::Rules);
        self.note_answer(ticket.operation, &answer);
        answer
    }

    /// A host without a runtime ([`Judging`](crate::Judging)): the judges
    /// that wait do not decide — they pass.
    pub(crate) fn skip_decide(&self, ticket: &mut Ticket) {
        ticket.decided = true;
    }

    /// The judges that decide last: the facts that ask Redis, the pacing
    /// that waits for a slot.
    pub(crate) async fn decide(self: Arc<Self>, mut ticket: Ticket) -> Ticket {
        ticket.decided = true;
        #[cfg(feature = "facts")]
        if let (Some(facts), Some(case), true) = (
            &self.facts,
            ticket.facts.as_mut(),
            ticket.answer.is_none() || self.report_only,
        ) {
            if let Some(answer) = facts.decide(case).await {
                self.give(&mut ticket, answer, Source::Facts);
            }
        }
        #[cfg(feature = "pace")]
        if let (Some(pacing), Some(case), true) = (
            &self.pacing,
            ticket.pacing.as_mut(),
            ticket.answer.is_none() || self.report_only,
        ) {
            if let Some(answer) = pacing.decide(case).await {
                self.give(&mut ticket, answer, Source::Pacing);
            }
        }
        ticket
    }

    /// The end of the judging: a local answer (counted, traced), or what
    /// watches the service's answer (report-only comparison, learning).
    pub(crate) fn settle(self: &Arc<Self>, mut ticket: Ticket) -> Settled {
        match ticket.answer.take() {
            Some(answer) if !self.report_only => {
                self.note_answer(ticket.operation, &answer);
                Settled::Answer(answer)
            }
            local => {
                ticket.answer = local;
                // Report-only compares Face operations only: an unknown path
                // is no verdict of this crate to agree or disagree with.
                let compared = self.report_only && ticket.operation.is_some();
                let watched = compared || self.is_stateful();
                Settled::Send(watched.then(|| Sent::new(self, ticket)))
            }
        }
    }

    /// The whole verdict of the stateless rules on a request whose body is
    /// at hand ([`check`](crate::check)).
    pub(crate) fn check(&self, head: Head<'_>, body: &[u8]) -> Result<(), FaceApiError> {
        let face_path = match self.options.path_prefix.as_deref() {
            Some(prefix) => head.path.strip_prefix(prefix),
            None => Some(head.path),
        };
        let Some(matched) =
            face_path.and_then(|path| router::route_versions(head.method, path, true))
        else {
            return Ok(());
        };
        let routed = Routed {
            matched: Some(&matched),
            query: head.query,
            headers: head.headers,
            resource: None,
        };
        let answer = match self.options.open(&routed) {
            Opened::Pass => return Ok(()),
            Opened::Answer(answer) => answer,
            Opened::Case(mut plan) => {
                let as_json = plan.reads_json(body.len());
                let read = Body::read(body, as_json, |body| {
                    self.options.read(&mut plan, head.headers, body)
                });
                match read {
                    Some(answer) => answer,
                    None => return Ok(()),
                }
            }
        };
        if self.allowed.iter().any(|entry| answer.error.is(entry)) {
            Ok(())
        } else {
            Err(answer.error)
        }
    }

    /// Counts and traces a local answer sent in place of the service's.
    fn note_answer(&self, operation: Option<Operation>, answer: &LocalAnswer) {
        let (error, source) = (&answer.answer.error, answer.source);
        self.stats.count_rejection(operation, error, source);
        match source {
            Source::Rules => {}
            #[cfg(feature = "facts")]
            Source::Facts => {
                if let Some(facts) = &self.facts {
                    facts.count_answer(&answer.answer);
                }
            }
            #[cfg(feature = "pace")]
            Source::Pacing => {
                if let Some(pacing) = &self.pacing {
                    pacing.count_answer(&answer.answer);
                }
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
        #[cfg(feature = "tracing")]
        tracing::debug!(
            operation = ?operation,
            source = source.as_str(),
            status = error.status().as_u16(),
            code = error.code(),
            message = error.message(),
            "Face request rejected before sending",
        );
        #[cfg(feature = "metrics")]
        self.count(|| {
            metrics::counter!(
                "face_preflight_rejections_total",
                "operation" => crate::report::operation_label(operation),
                "source" => source.as_str(),
                "code" => error.code().to_owned(),
            )
            .increment(1);
        });
    }
}

#[cfg(test)]
mod tests;
