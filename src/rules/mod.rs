//! The rules: one module per operation family, plus the shared checks.
//!
//! Which rules judge an operation is written in its row of the operation
//! table (`router/table.rs`); this module reads the row. A request is judged
//! in a fixed order, first failure wins: path IDs → query → headers → body.
//! [`check_head`] does everything but the body and says what the body needs
//! ([`BodyPlan`]); the layer uses the plan to read no more of the body than
//! it must.
//!
//! Rules answer with a [`Rejection`]: a documented row, or "the body does
//! not fit the schema", which each family answers its own way
//! ([`Family::answer`]).

mod collections;
pub(crate) mod detect;
mod fields;
mod find_similar;
mod form;
mod group;
mod identify;
pub(crate) mod ids;
pub(crate) mod image;
mod liveness;
mod person_directory;
pub(crate) mod query;
mod recognition;
mod verify;

use http::HeaderMap;

use crate::catalogue::{self, Entry};
use crate::error::{FaceApiError, Source};
use crate::json::{BodyError, Object, Reading, Shape};
use crate::judge::{Answer, Body, Judge, Opened, Routed};
use crate::router::table::{BodyRule, JsonRule, QueryRule};
use crate::router::{ApiVersion, Matched};

use self::detect::Rect;
use self::fields::Start;
use self::query::Query;

/// The largest JSON body read. Legal ones are far smaller (a thousand face
/// IDs are 40 KB; 16K of `userData` escaped as `\uXXXX` is under 100 KB), so
/// the image limit serves as a generous bound.
const MAX_JSON_BYTES: usize = image::MAX_IMAGE_BYTES;
/// Room for a form's parameters and framing beside its 6 MB image.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;

/// Why a body rule refuses a request, before its family makes it an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// The body does not fit the operation's schema (a missing required
    /// field, a value of the wrong type, …).
    Shape,
    /// A documented row.
    Error(Entry),
}

impl From<Shape> for Rejection {
    fn from(_: Shape) -> Self {
        Rejection::Shape
    }
}

impl From<Entry> for Rejection {
    fn from(entry: Entry) -> Self {
        Rejection::Error(entry)
    }
}

/// What a body rule returns.
pub(crate) type Verdict = Result<(), Rejection>;

/// The one signature of every JSON body rule.
type JsonCheck = fn(ApiVersion, &Object<'_>) -> Verdict;

/// The function of each JSON body rule of the table.
fn json_check(rule: JsonRule) -> JsonCheck {
    match rule {
        JsonRule::DetectSource => detect::check_detect_source,
        JsonRule::ImageUrl => detect::check_image_url,
        JsonRule::Identify => identify::check_identify,
        JsonRule::Verify => verify::check_verify,
        JsonRule::FindSimilar => find_similar::check_find_similar,
        JsonRule::Group => group::check_group,
        JsonRule::CreateCollection => collections::check_create_collection,
        JsonRule::CreatePerson => collections::check_create_person,
        JsonRule::UpdateNamed => collections::check_update_named,
        JsonRule::UpdateNamedNotBothEmpty => collections::check_update_named_not_both_empty,
        JsonRule::UpdateFace => collections::check_update_face,
        JsonRule::CreateDynamicPersonGroup => person_directory::check_create_dynamic_person_group,
        JsonRule::UpdateDynamicPersonGroup => person_directory::check_update_dynamic_person_group,
        JsonRule::CreateSession => liveness::check_create_session_json,
        JsonRule::UpdateSettings => liveness::check_update_settings,
    }
}

/// The two ways the service answers a body that does not fit the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// Detection, recognition and the collections: `BadArgument`.
    Face,
    /// Liveness sessions and settings: `InvalidRequestBody`.
    Liveness,
}

impl Family {
    fn of(rule: JsonRule) -> Family {
        match rule {
            JsonRule::CreateSession | JsonRule::UpdateSettings => Family::Liveness,
            JsonRule::DetectSource
            | JsonRule::ImageUrl
            | JsonRule::Identify
            | JsonRule::Verify
            | JsonRule::FindSimilar
            | JsonRule::Group
            | JsonRule::CreateCollection
            | JsonRule::CreatePerson
            | JsonRule::UpdateNamed
            | JsonRule::UpdateNamedNotBothEmpty
            | JsonRule::UpdateFace
            | JsonRule::CreateDynamicPersonGroup
            | JsonRule::UpdateDynamicPersonGroup => Family::Face,
        }
    }

    /// The service's answer to a rejection in this family.
    pub(crate) fn answer(self, rejection: Rejection) -> FaceApiError {
        match (self, rejection) {
            (_, Rejection::Error(entry)) => entry.into(),
            (Family::Face, Rejection::Shape) => catalogue::REQUEST_BODY_INVALID.into(),
            (Family::Liveness, Rejection::Shape) => catalogue::LIVENESS_REQUEST_BODY_INVALID.into(),
        }
    }

    /// The answer to a JSON body that is no object or no JSON at all.
    fn unreadable(self, error: BodyError) -> FaceApiError {
        match (self, error) {
            (Family::Liveness, _) => catalogue::LIVENESS_REQUEST_BODY_INVALID.into(),
            (Family::Face, BodyError::Syntax) => catalogue::JSON_PARSING_ERROR.into(),
            (Family::Face, BodyError::NotAnObject) => catalogue::REQUEST_BODY_INVALID.into(),
        }
    }
}

/// Settings that change the verdict.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    /// Refuse requests without `Ocp-Apim-Subscription-Key` or `Authorization`.
    pub require_credentials: bool,
    /// The resource is approved for age, smile, facialHair, hair and makeup.
    pub allow_limited_attributes: bool,
    /// A path prefix before `/face/{version}/` (an API gateway's).
    pub path_prefix: Option<String>,
    /// Judge versions newer than every known one by the newest's rules.
    pub judge_newer_versions: bool,
}

/// What a routed request's body needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct BodyPlan {
    version: ApiVersion,
    kind: BodyKind,
    /// The request's `Content-Length`, if it declares one.
    declared_length: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum BodyKind {
    Json(JsonRule),
    Image {
        target_face: Option<Rect>,
    },
    /// `multipart/form-data` (liveness-with-verify sessions).
    Form,
}

impl BodyPlan {
    /// The most bytes of body worth reading: past this, [`too_large`](Self::too_large).
    pub(crate) fn limit(&self) -> usize {
        match self.kind {
            BodyKind::Image { .. } => image::MAX_IMAGE_BYTES,
            BodyKind::Json(_) => MAX_JSON_BYTES,
            BodyKind::Form => image::MAX_IMAGE_BYTES + FORM_OVERHEAD_BYTES,
        }
    }

    /// Whether the request declares a `Content-Length` past the limit, so
    /// that it can be refused before a byte is read.
    pub(crate) fn declared_too_large(&self) -> bool {
        self.declared_length
            .is_some_and(|length| length > self.limit() as u64)
    }

    /// How many first bytes of the body decide, when fewer than the whole
    /// do: an image whose length is declared (the rest is streamed on,
    /// never held).
    pub(crate) fn head(&self) -> Option<usize> {
        let BodyKind::Image { .. } = self.kind else {
            return None;
        };
        self.declared_length
            .filter(|length| *length > image::HEAD_BYTES as u64)
            .map(|_| image::HEAD_BYTES)
    }

    /// Checks the first bytes of a body [`head`](Self::head) said would
    /// do; `None`: these do not decide, read the whole.
    pub(crate) fn check_head(&self, head: &[u8]) -> Option<Result<(), FaceApiError>> {
        let (BodyKind::Image { target_face }, Some(length)) = (self.kind, self.declared_length)
        else {
            return None;
        };
        image::check_image_head(head, length, target_face)
            .map(|verdict| verdict.map_err(FaceApiError::from))
    }

    /// Whether a body of `length` bytes is read as JSON.
    pub(crate) fn reads_json(&self, length: usize) -> bool {
        matches!(self.kind, BodyKind::Json(_)) && length <= self.limit()
    }

    /// Checks the whole body; `headers` are the request's (a form's boundary
    /// is in its `Content-Type`).
    pub(crate) fn check(&self, headers: &HeaderMap, body: &Body<'_>) -> Result<(), FaceApiError> {
        let (json, body) = (body.json, body.bytes);
        if body.len() > self.limit() {
            return Err(self.too_large());
        }
        match self.kind {
            BodyKind::Image { target_face } => {
                image::check_image(body, target_face).map_err(FaceApiError::from)
            }
            BodyKind::Form => {
                let content_type = headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default();
                liveness::check_create_session_form(self.version, content_type, body)
                    .map_err(|rejection| Family::Liveness.answer(rejection))
            }
            BodyKind::Json(rule) => {
                let family = Family::of(rule);
                match json {
                    Some(Reading::Object(object)) => {
                        json_check(rule)(self.version, object).map_err(|r| family.answer(r))
                    }
                    Some(Reading::Unreadable(error)) => Err(family.unreadable(error)),
                    // Read by the pipeline whenever `reads_json`.
                    Some(Reading::Undecided) | None => Ok(()),
                }
            }
        }
    }

    /// The answer to a body longer than [`limit`](Self::limit). A form that
    /// long can only owe it to its image.
    pub(crate) fn too_large(&self) -> FaceApiError {
        match self.kind {
            BodyKind::Image { .. } | BodyKind::Form => catalogue::IMAGE_TOO_BIG.into(),
            BodyKind::Json(rule) => Family::of(rule).unreadable(BodyError::NotAnObject),
        }
    }
}

/// The stateless rules as a judge of the pipeline: the head first, then
/// the body its plan asks for.
impl Judge for Options {
    type Case = BodyPlan;
    const SOURCE: Source = Source::Rules;

    fn open(&self, request: &Routed<'_>) -> Opened<BodyPlan> {
        let Some(matched) = request.matched else {
            return Opened::Pass;
        };
        if matched.newer_than_known && !self.judge_newer_versions {
            return Opened::Pass;
        }
        match check_routed(self, matched, request.query, request.headers) {
            Ok(None) => Opened::Pass,
            Ok(Some(plan)) if plan.declared_too_large() => Opened::Answer(plan.too_large().into()),
            Ok(Some(plan)) => Opened::Case(plan),
            Err(error) => Opened::Answer(error.into()),
        }
    }

    fn read(&self, plan: &mut BodyPlan, headers: &HeaderMap, body: &Body<'_>) -> Option<Answer> {
        plan.check(headers, body).err().map(Answer::from)
    }
}

/// Everything but the body of a routed request. `Ok(None)`: nothing left
/// to check (no body rule).
pub(crate) fn check_routed(
    options: &Options,
    matched: &Matched<'_>,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Option<BodyPlan>, FaceApiError> {
    ids::check_path_ids(matched)?;
    let target_face = check_query(matched.row.query, query, options)?;
    if options.require_credentials
        && !headers.contains_key("ocp-apim-subscription-key")
        && !headers.contains_key(http::header::AUTHORIZATION)
    {
        return Err(catalogue::ACCESS_DENIED.into());
    }
    Ok(
        body_kind(matched.row.body, headers, target_face).map(|kind| BodyPlan {
            version: matched.route.version,
            kind,
            declared_length: declared_length(headers),
        }),
    )
}

/// The query rule of the row; returns `targetFace` of add-face operations.
fn check_query(
    rule: QueryRule,
    query: Option<&str>,
    options: &Options,
) -> Result<Option<Rect>, Entry> {
    // Read only by the operations that have query rules.
    let query = || Query::parse(query);
    match rule {
        QueryRule::None => {}
        QueryRule::Detect => detect::check_detect_query(&query(), options)?,
        QueryRule::AddFace => return detect::check_add_face_query(&query()),
        QueryRule::ListingById => fields::check_listing(&query(), Start::Id)?,
        QueryRule::ListingByPersonId => fields::check_listing(&query(), Start::PersonId)?,
        QueryRule::SessionListing => liveness::check_session_listing(&query())?,
        QueryRule::AuditListing => liveness::check_audit_listing(&query())?,
    }
    Ok(None)
}

/// The `Content-Length` of a request. Hyper and every HTTP/1.1 peer refuse
/// a body that does not match it, so it is the length the service reads.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
}

/// Which body rule applies, from the row and the `Content-Type`.
fn body_kind(rule: BodyRule, headers: &HeaderMap, target_face: Option<Rect>) -> Option<BodyKind> {
    // Most operations have no body rule: no header to look up.
    if rule == BodyRule::None {
        return None;
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(';').next().unwrap_or_default().trim());
    let is = |media_type: &str| content_type.is_some_and(|c| c.eq_ignore_ascii_case(media_type));
    // A JSON operation is checked when the body says JSON or says nothing;
    // any other declared type is the service's to judge.
    let json = content_type.is_none()
        || is("application/json")
        || content_type.is_some_and(|c| {
            c.len() > 5
                && c.get(c.len() - 5..)
                    .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"))
        });
    match rule {
        BodyRule::None => None,
        BodyRule::Json(rule) => json.then_some(BodyKind::Json(rule)),
        // An image operation's JSON is judged only when declared exactly so.
        BodyRule::ImageOrJson(_) if is("application/octet-stream") => {
            Some(BodyKind::Image { target_face })
        }
        BodyRule::ImageOrJson(rule) => is("application/json").then_some(BodyKind::Json(rule)),
        BodyRule::Form => is("multipart/form-data").then_some(BodyKind::Form),
        BodyRule::FormOrJson(_) if is("multipart/form-data") => Some(BodyKind::Form),
        BodyRule::FormOrJson(rule) => json.then_some(BodyKind::Json(rule)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::table::ROWS;

    /// The `Content-Type` a row's body rule reads.
    fn content_type(rule: BodyRule) -> &'static str {
        match rule {
            BodyRule::None | BodyRule::Json(_) | BodyRule::FormOrJson(_) => "application/json",
            BodyRule::ImageOrJson(_) => "application/octet-stream",
            BodyRule::Form => "multipart/form-data; boundary=x",
        }
    }

    /// Through the real dispatch: a row with a body rule yields a plan for
    /// its body in every version that has it, a row without none.
    #[test]
    fn an_operation_is_never_routed_without_its_body_rule() {
        let options = Options::default();
        for row in ROWS {
            for version in ApiVersion::ALL.into_iter().filter(|v| (row.versions)(*v)) {
                let path = crate::router::table::sample_path(row, version);
                let mut headers = HeaderMap::new();
                headers.insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static(content_type(row.body)),
                );
                let matched = crate::router::route_versions(&row.method, &path, false)
                    .unwrap_or_else(|| panic!("{path} does not route"));
                let plan = check_routed(&options, &matched, None, &headers);
                let plan = plan.unwrap_or_else(|e| panic!("{path}: {e}"));
                assert_eq!(
                    plan.is_some(),
                    row.body != BodyRule::None,
                    "{} {path}",
                    row.method
                );
            }
        }
    }

    #[test]
    fn a_shape_rejection_is_answered_by_its_family() {
        assert_eq!(
            Family::Face.answer(Rejection::Shape),
            catalogue::REQUEST_BODY_INVALID.into()
        );
        assert_eq!(
            Family::Liveness.answer(Rejection::Shape),
            catalogue::LIVENESS_REQUEST_BODY_INVALID.into()
        );
        assert_eq!(
            Family::Liveness.answer(catalogue::INVALID_TOKEN_LIFETIME.into()),
            catalogue::INVALID_TOKEN_LIFETIME.into()
        );
    }
}
