//! The rules: one module per operation family, plus the shared checks.
//!
//! A request is judged in a fixed order, first failure wins: path IDs →
//! query → headers → body. [`check_head`] does everything but the body and
//! says what the body needs ([`BodyPlan`]); the layer uses the plan to read
//! no more of the body than it must.
//!
//! To add a rule: find the operation's family module below and add the check
//! there; [`check_query`] and [`check_json`] are the only dispatch tables.

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

use http::{HeaderMap, Method};

use crate::catalogue;
use crate::error::FaceApiError;
use crate::json::{BodyError, Object};
use crate::router::{
    self, ApiVersion, Collection, FaceOwner, Operation, PersonOwner, Route, SessionKind,
};

use self::detect::Rect;
use self::fields::Start;
use self::query::Query;

/// The largest JSON body read. Legal ones are far smaller (a thousand face
/// IDs are 40 KB; 16K of `userData` escaped as `\uXXXX` is under 100 KB), so
/// the image limit serves as a generous bound.
const MAX_JSON_BYTES: usize = image::MAX_IMAGE_BYTES;
/// Room for a form's parameters and framing beside its 6 MB image.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;

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
    operation: Operation,
    version: ApiVersion,
    kind: BodyKind,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum BodyKind {
    Json,
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
            BodyKind::Json => MAX_JSON_BYTES,
            BodyKind::Form => image::MAX_IMAGE_BYTES + FORM_OVERHEAD_BYTES,
        }
    }

    /// Whether the request declares a `Content-Length` past the limit, so
    /// that it can be refused before a byte is read.
    pub(crate) fn declared_too_large(&self, headers: &HeaderMap) -> bool {
        headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .is_some_and(|length| length > self.limit() as u64)
    }

    /// Checks the whole body; `headers` are the request's (a form's boundary
    /// is in its `Content-Type`).
    pub(crate) fn check(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), FaceApiError> {
        if body.len() > self.limit() {
            return Err(self.too_large());
        }
        match self.kind {
            BodyKind::Image { target_face } => image::check_image(body, target_face),
            BodyKind::Form => {
                let content_type = headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default();
                liveness::check_create_session_form(self.version, content_type, body)
            }
            BodyKind::Json => crate::json::judge_object(body, |object| match object {
                Ok(object) => check_json(self.operation, self.version, object),
                Err(error) => Err(self.unreadable(error)),
            })
            .unwrap_or(Ok(())),
        }
    }

    /// The answer to a body longer than [`limit`](Self::limit). A form that
    /// long can only owe it to its image.
    pub(crate) fn too_large(&self) -> FaceApiError {
        match self.kind {
            BodyKind::Image { .. } | BodyKind::Form => catalogue::IMAGE_TOO_BIG.into(),
            BodyKind::Json => self.unreadable(BodyError::NotAnObject),
        }
    }

    fn unreadable(&self, error: BodyError) -> FaceApiError {
        match (is_liveness(self.operation), error) {
            (true, _) => liveness::shape_error(),
            (false, BodyError::Syntax) => catalogue::JSON_PARSING_ERROR.into(),
            (false, BodyError::NotAnObject) => catalogue::REQUEST_BODY_INVALID.into(),
        }
    }
}

/// Everything but the body. `Ok(None)`: nothing left to check (unknown path,
/// or no body rule).
pub(crate) fn check_head(
    options: &Options,
    method: &Method,
    mut path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Option<BodyPlan>, FaceApiError> {
    if let Some(prefix) = options.path_prefix.as_deref() {
        match path.strip_prefix(prefix) {
            Some(rest) => path = rest,
            None => return Ok(None),
        }
    }
    let Some(route) = router::route_versions(method, path, options.judge_newer_versions) else {
        return Ok(None);
    };
    ids::check_path_ids(&route)?;
    let target_face = check_query(&route, query, options)?;
    if options.require_credentials
        && !headers.contains_key("ocp-apim-subscription-key")
        && !headers.contains_key(http::header::AUTHORIZATION)
    {
        return Err(catalogue::ACCESS_DENIED.into());
    }
    Ok(
        body_kind(&route, headers, target_face).map(|kind| BodyPlan {
            operation: route.operation,
            version: route.version,
            kind,
        }),
    )
}

/// Query rules; returns `targetFace` of add-face operations.
fn check_query(
    route: &Route<'_>,
    query: Option<&str>,
    options: &Options,
) -> Result<Option<Rect>, FaceApiError> {
    use Operation::*;
    // Read only by the operations that have query rules.
    let query = || Query::parse(query);
    match route.operation {
        Detect => detect::check_detect_query(&query(), options)?,
        AddFace(_) => return detect::check_add_face_query(&query()),
        // Face lists and a Person Directory person's faces are not paged:
        // `start` and `top` there are unknown parameters, which the
        // service ignores.
        ListCollections(Collection::FaceList) | ListFaces(FaceOwner::PersonDirectoryPerson) => {}
        ListPersons(PersonOwner::PersonDirectory) | ListDynamicPersonGroupPersons => {
            fields::check_listing(&query(), Start::PersonId)?
        }
        ListCollections(_) | ListPersons(_) | ListFaces(_) | ListDynamicPersonGroupReferences => {
            fields::check_listing(&query(), Start::Id)?
        }
        ListSessions(_) | ListSessionAuditEntries(_) => {
            liveness::check_listing(route.operation, &query())?
        }
        _ => {}
    }
    Ok(None)
}

/// Which body rule applies, from the operation and the `Content-Type`.
fn body_kind(
    route: &Route<'_>,
    headers: &HeaderMap,
    target_face: Option<Rect>,
) -> Option<BodyKind> {
    use Operation::*;
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
    match route.operation {
        Detect | AddFace(_) if is("application/octet-stream") => {
            Some(BodyKind::Image { target_face })
        }
        Detect | AddFace(_) if is("application/json") => Some(BodyKind::Json),
        CreateSession(SessionKind::LivenessWithVerify) if is("multipart/form-data") => {
            Some(BodyKind::Form)
        }
        // From v1.2 on, liveness-with-verify sessions are created from a form only.
        CreateSession(SessionKind::LivenessWithVerify)
            if !route.version.has_preview_liveness_paths() =>
        {
            None
        }
        Identify | Verify | FindSimilar | Group | CreateCollection(_) | UpdateCollection(_)
        | CreatePerson(_) | UpdatePerson(_) | UpdateFace(_) | CreateSession(_) | UpdateSettings
            if json =>
        {
            Some(BodyKind::Json)
        }
        _ => None,
    }
}

fn is_liveness(operation: Operation) -> bool {
    matches!(
        operation,
        Operation::CreateSession(_) | Operation::UpdateSettings
    )
}

/// JSON body rules, by operation family.
fn check_json(
    operation: Operation,
    version: ApiVersion,
    body: &Object<'_>,
) -> Result<(), FaceApiError> {
    use Operation::*;
    match operation {
        Detect | AddFace(_) => detect::check_url_body(operation, version, body),
        Identify => identify::check_identify(version, body),
        Verify => verify::check_verify(version, body),
        FindSimilar => find_similar::check_find_similar(body),
        Group => group::check_group(body),
        CreateSession(_) => liveness::check_create_session(version, liveness::Encoding::Json, body),
        UpdateSettings => liveness::check_update_settings(body),
        CreateCollection(Collection::DynamicPersonGroup)
        | UpdateCollection(Collection::DynamicPersonGroup)
        | CreatePerson(PersonOwner::PersonDirectory)
        | UpdatePerson(PersonOwner::PersonDirectory)
        | UpdateFace(FaceOwner::PersonDirectoryPerson) => {
            person_directory::check_person_directory_body(operation, body)
        }
        _ => collections::check_collection_body(operation, version, body),
    }
}
