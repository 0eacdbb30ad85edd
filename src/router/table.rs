//! The one description of every Face operation: its method and path in the
//! official specification, the API versions that have it, and the rules
//! that judge its query and body.
//!
//! Adding an operation is one [`Row`] here (and, if it brings a new kind of
//! body, one [`JsonRule`] with its function in `rules/`). The router matches
//! paths against these rows and the rules read the row's [`QueryRule`] and
//! [`BodyRule`], so an operation cannot be routed without its rules.
//!
//! Path placeholders name what the segment is: `{faceListId}`,
//! `{largeFaceListId}`, `{personGroupId}`, `{largePersonGroupId}` and
//! `{dynamicPersonGroupId}` are collection IDs of that collection,
//! `{personId}`, `{persistedFaceId}` and `{recognitionModel}` are checked
//! as such; any other `{…}` is taken as written.

use http::Method;

use super::{ApiVersion, Collection, FaceOwner, Operation, PersonOwner, SessionKind};

/// One operation in the versions that have it at this path.
#[derive(Debug)]
pub(crate) struct Row {
    pub method: Method,
    /// Segments after `/face/{version}/`, fixed ones in the specification's
    /// spelling (matched without regard to ASCII case).
    pub path: &'static str,
    pub versions: fn(ApiVersion) -> bool,
    pub operation: Operation,
    pub query: QueryRule,
    pub body: BodyRule,
}

/// What the query string of an operation is checked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueryRule {
    /// Nothing: any parameter is the service's to judge (or to ignore).
    None,
    /// `detectionModel`, `recognitionModel`, `returnFaceAttributes`, `returnFaceLandmarks`.
    Detect,
    /// `detectionModel`, `userData`, `targetFace`.
    AddFace,
    /// `start` (an ID of at most 64 characters) and `top`.
    ListingById,
    /// `start` (a person ID) and `top`.
    ListingByPersonId,
    /// `top` of a liveness session listing.
    SessionListing,
    /// `start` (an entry number) and `top` of a session's audit entries.
    AuditListing,
}

/// Which bodies of an operation are checked, by declared `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyRule {
    /// No body, or none whose errors are decidable here.
    None,
    /// JSON, when declared (`application/json`, `…+json`) or undeclared.
    Json(JsonRule),
    /// An image as `application/octet-stream`, or a JSON body declared
    /// `application/json` judged by the rule.
    ImageOrJson(JsonRule),
    /// `multipart/form-data` with the session's fields and a verify image.
    Form,
    /// A form as [`Form`](Self::Form) (a `Parameters` part), or the session
    /// as JSON: the previews' liveness-with-verify sessions.
    FormOrJson(JsonRule),
}

/// A JSON body rule; each is one function of `rules/` with one signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonRule {
    /// `{"url": …}`, or from v1.2-preview.1 on `{"sessionImageId": …}`.
    DetectSource,
    /// `{"url": …}` of an add-face operation.
    ImageUrl,
    Identify,
    Verify,
    FindSimilar,
    Group,
    /// `name` (required after v1.0), `userData`, `recognitionModel`.
    CreateCollection,
    /// `name` (required after v1.0), `userData`.
    CreatePerson,
    /// Optional `name` and `userData`.
    UpdateNamed,
    /// As [`UpdateNamed`](Self::UpdateNamed), where the table documents
    /// "Both 'name' and 'userData' are empty.".
    UpdateNamedNotBothEmpty,
    /// A persisted face's `userData` (1K).
    UpdateFace,
    CreateDynamicPersonGroup,
    UpdateDynamicPersonGroup,
    CreateSession,
    UpdateSettings,
}

/// How a path segment is matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Fixed(&'static str),
    CollectionId(Collection),
    PersonId,
    PersistedFaceId,
    RecognitionModel,
    /// An ID with no documented form (session, snapshot, operation, image).
    Other,
}

impl Segment {
    /// A segment of a row's path.
    pub(crate) fn parse(segment: &'static str) -> Segment {
        let Some(name) = segment
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        else {
            return Segment::Fixed(segment);
        };
        match name {
            "faceListId" => Segment::CollectionId(Collection::FaceList),
            "largeFaceListId" => Segment::CollectionId(Collection::LargeFaceList),
            "personGroupId" => Segment::CollectionId(Collection::PersonGroup),
            "largePersonGroupId" => Segment::CollectionId(Collection::LargePersonGroup),
            "dynamicPersonGroupId" => Segment::CollectionId(Collection::DynamicPersonGroup),
            "personId" => Segment::PersonId,
            "persistedFaceId" => Segment::PersistedFaceId,
            "recognitionModel" => Segment::RecognitionModel,
            _ => Segment::Other,
        }
    }
}

// ---- The versions that have an operation -----------------------------------

fn every_version(_: ApiVersion) -> bool {
    true
}

fn snapshots(version: ApiVersion) -> bool {
    version.has_snapshots()
}

fn person_directory(version: ApiVersion) -> bool {
    version.has_person_directory()
}

/// The operations endpoint serves snapshot status in v1.0 and Person
/// Directory's long-running operations in the previews.
fn operations_endpoint(version: ApiVersion) -> bool {
    version.has_snapshots() || version.has_person_directory()
}

fn preview_liveness(version: ApiVersion) -> bool {
    version.has_preview_liveness_paths()
}

fn preview_session_images(version: ApiVersion) -> bool {
    version.has_preview_liveness_paths() && version.has_session_images()
}

fn liveness(version: ApiVersion) -> bool {
    version.has_liveness() && !version.has_preview_liveness_paths()
}

fn liveness_settings(version: ApiVersion) -> bool {
    version.has_liveness_settings()
}

// ---- The rows ---------------------------------------------------------------

const fn row(
    method: Method,
    path: &'static str,
    versions: fn(ApiVersion) -> bool,
    operation: Operation,
) -> Row {
    Row {
        method,
        path,
        versions,
        operation,
        query: QueryRule::None,
        body: BodyRule::None,
    }
}

impl Row {
    const fn query(mut self, query: QueryRule) -> Row {
        self.query = query;
        self
    }

    const fn body(mut self, body: BodyRule) -> Row {
        self.body = body;
        self
    }
}

use self::BodyRule::{Form, FormOrJson, ImageOrJson, Json};
use self::Collection::{
    DynamicPersonGroup, FaceList, LargeFaceList, LargePersonGroup, PersonGroup,
};
use self::JsonRule::{DetectSource, ImageUrl, UpdateNamed, UpdateNamedNotBothEmpty};
use self::Operation::*;
use self::QueryRule::{
    AddFace as AddFaceQuery, AuditListing, Detect as DetectQuery, ListingById, ListingByPersonId,
    SessionListing,
};
use self::SessionKind::{Liveness, LivenessWithVerify};

const GET: Method = Method::GET;
const PUT: Method = Method::PUT;
const POST: Method = Method::POST;
const PATCH: Method = Method::PATCH;
const DELETE: Method = Method::DELETE;
const ANY: fn(ApiVersion) -> bool = every_version;

/// Every operation of every known version.
pub(crate) static ROWS: &[Row] = &[
    // Detection and recognition.
    row(POST, "detect", ANY, Operation::Detect)
        .query(DetectQuery)
        .body(ImageOrJson(DetectSource)),
    row(POST, "identify", ANY, Operation::Identify).body(Json(JsonRule::Identify)),
    row(POST, "verify", ANY, Operation::Verify).body(Json(JsonRule::Verify)),
    row(POST, "findsimilars", ANY, Operation::FindSimilar).body(Json(JsonRule::FindSimilar)),
    row(POST, "group", ANY, Operation::Group).body(Json(JsonRule::Group)),
    // Face lists. Not paged: `start` and `top` are unknown parameters there,
    // which the service ignores. No listing, getting or updating of faces.
    row(GET, "facelists", ANY, ListCollections(FaceList)),
    row(PUT, "facelists/{faceListId}", ANY, CreateCollection(FaceList))
        .body(Json(JsonRule::CreateCollection)),
    row(GET, "facelists/{faceListId}", ANY, GetCollection(FaceList)),
    row(PATCH, "facelists/{faceListId}", ANY, UpdateCollection(FaceList))
        .body(Json(UpdateNamed)),
    row(DELETE, "facelists/{faceListId}", ANY, DeleteCollection(FaceList)),
    row(POST, "facelists/{faceListId}/persistedfaces", ANY, AddFace(FaceOwner::FaceList))
        .query(AddFaceQuery)
        .body(ImageOrJson(ImageUrl)),
    row(DELETE, "facelists/{faceListId}/persistedfaces/{persistedFaceId}", ANY, DeleteFace(FaceOwner::FaceList)),
    // Large face lists.
    row(GET, "largefacelists", ANY, ListCollections(LargeFaceList)).query(ListingById),
    row(PUT, "largefacelists/{largeFaceListId}", ANY, CreateCollection(LargeFaceList))
        .body(Json(JsonRule::CreateCollection)),
    row(GET, "largefacelists/{largeFaceListId}", ANY, GetCollection(LargeFaceList)),
    row(PATCH, "largefacelists/{largeFaceListId}", ANY, UpdateCollection(LargeFaceList))
        .body(Json(UpdateNamedNotBothEmpty)),
    row(DELETE, "largefacelists/{largeFaceListId}", ANY, DeleteCollection(LargeFaceList)),
    row(POST, "largefacelists/{largeFaceListId}/train", ANY, TrainCollection(LargeFaceList)),
    row(GET, "largefacelists/{largeFaceListId}/training", ANY, GetTrainingStatus(LargeFaceList)),
    row(GET, "largefacelists/{largeFaceListId}/persistedfaces", ANY, ListFaces(FaceOwner::LargeFaceList))
        .query(ListingById),
    row(POST, "largefacelists/{largeFaceListId}/persistedfaces", ANY, AddFace(FaceOwner::LargeFaceList))
        .query(AddFaceQuery)
        .body(ImageOrJson(ImageUrl)),
    row(GET, "largefacelists/{largeFaceListId}/persistedfaces/{persistedFaceId}", ANY, GetFace(FaceOwner::LargeFaceList)),
    row(PATCH, "largefacelists/{largeFaceListId}/persistedfaces/{persistedFaceId}", ANY, UpdateFace(FaceOwner::LargeFaceList))
        .body(Json(JsonRule::UpdateFace)),
    row(DELETE, "largefacelists/{largeFaceListId}/persistedfaces/{persistedFaceId}", ANY, DeleteFace(FaceOwner::LargeFaceList)),
    // Person groups.
    row(GET, "persongroups", ANY, ListCollections(PersonGroup)).query(ListingById),
    row(PUT, "persongroups/{personGroupId}", ANY, CreateCollection(PersonGroup))
        .body(Json(JsonRule::CreateCollection)),
    row(GET, "persongroups/{personGroupId}", ANY, GetCollection(PersonGroup)),
    row(PATCH, "persongroups/{personGroupId}", ANY, UpdateCollection(PersonGroup))
        .body(Json(UpdateNamed)),
    row(DELETE, "persongroups/{personGroupId}", ANY, DeleteCollection(PersonGroup)),
    row(POST, "persongroups/{personGroupId}/train", ANY, TrainCollection(PersonGroup)),
    row(GET, "persongroups/{personGroupId}/training", ANY, GetTrainingStatus(PersonGroup)),
    row(GET, "persongroups/{personGroupId}/persons", ANY, ListPersons(PersonOwner::PersonGroup))
        .query(ListingById),
    row(POST, "persongroups/{personGroupId}/persons", ANY, CreatePerson(PersonOwner::PersonGroup))
        .body(Json(JsonRule::CreatePerson)),
    row(GET, "persongroups/{personGroupId}/persons/{personId}", ANY, GetPerson(PersonOwner::PersonGroup)),
    row(PATCH, "persongroups/{personGroupId}/persons/{personId}", ANY, UpdatePerson(PersonOwner::PersonGroup))
        .body(Json(UpdateNamed)),
    row(DELETE, "persongroups/{personGroupId}/persons/{personId}", ANY, DeletePerson(PersonOwner::PersonGroup)),
    row(POST, "persongroups/{personGroupId}/persons/{personId}/persistedfaces", ANY, AddFace(FaceOwner::PersonGroupPerson))
        .query(AddFaceQuery)
        .body(ImageOrJson(ImageUrl)),
    row(GET, "persongroups/{personGroupId}/persons/{personId}/persistedfaces/{persistedFaceId}", ANY, GetFace(FaceOwner::PersonGroupPerson)),
    row(PATCH, "persongroups/{personGroupId}/persons/{personId}/persistedfaces/{persistedFaceId}", ANY, UpdateFace(FaceOwner::PersonGroupPerson))
        .body(Json(JsonRule::UpdateFace)),
    row(DELETE, "persongroups/{personGroupId}/persons/{personId}/persistedfaces/{persistedFaceId}", ANY, DeleteFace(FaceOwner::PersonGroupPerson)),
    // Large person groups.
    row(GET, "largepersongroups", ANY, ListCollections(LargePersonGroup)).query(ListingById),
    row(PUT, "largepersongroups/{largePersonGroupId}", ANY, CreateCollection(LargePersonGroup))
        .body(Json(JsonRule::CreateCollection)),
    row(GET, "largepersongroups/{largePersonGroupId}", ANY, GetCollection(LargePersonGroup)),
    row(PATCH, "largepersongroups/{largePersonGroupId}", ANY, UpdateCollection(LargePersonGroup))
        .body(Json(UpdateNamedNotBothEmpty)),
    row(DELETE, "largepersongroups/{largePersonGroupId}", ANY, DeleteCollection(LargePersonGroup)),
    row(POST, "largepersongroups/{largePersonGroupId}/train", ANY, TrainCollection(LargePersonGroup)),
    row(GET, "largepersongroups/{largePersonGroupId}/training", ANY, GetTrainingStatus(LargePersonGroup)),
    row(GET, "largepersongroups/{largePersonGroupId}/persons", ANY, ListPersons(PersonOwner::LargePersonGroup))
        .query(ListingById),
    row(POST, "largepersongroups/{largePersonGroupId}/persons", ANY, CreatePerson(PersonOwner::LargePersonGroup))
        .body(Json(JsonRule::CreatePerson)),
    row(GET, "largepersongroups/{largePersonGroupId}/persons/{personId}", ANY, GetPerson(PersonOwner::LargePersonGroup)),
    row(PATCH, "largepersongroups/{largePersonGroupId}/persons/{personId}", ANY, UpdatePerson(PersonOwner::LargePersonGroup))
        .body(Json(UpdateNamed)),
    row(DELETE, "largepersongroups/{largePersonGroupId}/persons/{personId}", ANY, DeletePerson(PersonOwner::LargePersonGroup)),
    row(POST, "largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces", ANY, AddFace(FaceOwner::LargePersonGroupPerson))
        .query(AddFaceQuery)
        .body(ImageOrJson(ImageUrl)),
    row(GET, "largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces/{persistedFaceId}", ANY, GetFace(FaceOwner::LargePersonGroupPerson)),
    row(PATCH, "largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces/{persistedFaceId}", ANY, UpdateFace(FaceOwner::LargePersonGroupPerson))
        .body(Json(JsonRule::UpdateFace)),
    row(DELETE, "largepersongroups/{largePersonGroupId}/persons/{personId}/persistedfaces/{persistedFaceId}", ANY, DeleteFace(FaceOwner::LargePersonGroupPerson)),
    // Person Directory: dynamic person groups.
    row(GET, "dynamicpersongroups", person_directory, ListCollections(DynamicPersonGroup))
        .query(ListingById),
    row(PUT, "dynamicpersongroups/{dynamicPersonGroupId}", person_directory, CreateCollection(DynamicPersonGroup))
        .body(Json(JsonRule::CreateDynamicPersonGroup)),
    row(GET, "dynamicpersongroups/{dynamicPersonGroupId}", person_directory, GetCollection(DynamicPersonGroup)),
    row(PATCH, "dynamicpersongroups/{dynamicPersonGroupId}", person_directory, UpdateCollection(DynamicPersonGroup))
        .body(Json(JsonRule::UpdateDynamicPersonGroup)),
    row(DELETE, "dynamicpersongroups/{dynamicPersonGroupId}", person_directory, DeleteCollection(DynamicPersonGroup)),
    row(GET, "dynamicpersongroups/{dynamicPersonGroupId}/persons", person_directory, ListDynamicPersonGroupPersons)
        .query(ListingByPersonId),
    // Person Directory: persons and their faces (per recognition model; not paged).
    row(GET, "persons", person_directory, ListPersons(PersonOwner::PersonDirectory))
        .query(ListingByPersonId),
    row(POST, "persons", person_directory, CreatePerson(PersonOwner::PersonDirectory))
        .body(Json(JsonRule::CreatePerson)),
    row(GET, "persons/{personId}", person_directory, GetPerson(PersonOwner::PersonDirectory)),
    row(PATCH, "persons/{personId}", person_directory, UpdatePerson(PersonOwner::PersonDirectory))
        .body(Json(UpdateNamedNotBothEmpty)),
    row(DELETE, "persons/{personId}", person_directory, DeletePerson(PersonOwner::PersonDirectory)),
    row(GET, "persons/{personId}/dynamicPersonGroupReferences", person_directory, ListDynamicPersonGroupReferences)
        .query(ListingById),
    row(GET, "persons/{personId}/recognitionModels/{recognitionModel}/persistedfaces", person_directory, ListFaces(FaceOwner::PersonDirectoryPerson)),
    row(POST, "persons/{personId}/recognitionModels/{recognitionModel}/persistedfaces", person_directory, AddFace(FaceOwner::PersonDirectoryPerson))
        .query(AddFaceQuery)
        .body(ImageOrJson(ImageUrl)),
    row(GET, "persons/{personId}/recognitionModels/{recognitionModel}/persistedfaces/{persistedFaceId}", person_directory, GetFace(FaceOwner::PersonDirectoryPerson)),
    row(PATCH, "persons/{personId}/recognitionModels/{recognitionModel}/persistedfaces/{persistedFaceId}", person_directory, UpdateFace(FaceOwner::PersonDirectoryPerson))
        .body(Json(JsonRule::UpdateFace)),
    row(DELETE, "persons/{personId}/recognitionModels/{recognitionModel}/persistedfaces/{persistedFaceId}", person_directory, DeleteFace(FaceOwner::PersonDirectoryPerson)),
    row(GET, "operations/{operationId}", operations_endpoint, GetOperationResult),
    // Snapshots (v1.0): no documented error is decidable without the service.
    row(GET, "snapshots", snapshots, ListSnapshots),
    row(POST, "snapshots", snapshots, TakeSnapshot),
    row(GET, "snapshots/{snapshotId}", snapshots, GetSnapshot),
    row(PATCH, "snapshots/{snapshotId}", snapshots, UpdateSnapshot),
    row(DELETE, "snapshots/{snapshotId}", snapshots, DeleteSnapshot),
    row(POST, "snapshots/{snapshotId}/apply", snapshots, ApplySnapshot),
    // Liveness from v1.2 on. Liveness-with-verify sessions are created
    // from a form only.
    row(POST, "detectLiveness-sessions", liveness, CreateSession(Liveness))
        .body(Json(JsonRule::CreateSession)),
    row(GET, "detectLiveness-sessions/{sessionId}", liveness, GetSession(Liveness)),
    row(DELETE, "detectLiveness-sessions/{sessionId}", liveness, DeleteSession(Liveness)),
    row(POST, "detectLivenessWithVerify-sessions", liveness, CreateSession(LivenessWithVerify))
        .body(Form),
    row(GET, "detectLivenessWithVerify-sessions/{sessionId}", liveness, GetSession(LivenessWithVerify)),
    row(DELETE, "detectLivenessWithVerify-sessions/{sessionId}", liveness, DeleteSession(LivenessWithVerify)),
    row(GET, "sessionImages/{sessionImageId}", liveness, GetSessionImage),
    row(GET, "settings", liveness_settings, GetSettings),
    row(PATCH, "settings", liveness_settings, UpdateSettings).body(Json(JsonRule::UpdateSettings)),
    row(GET, "settings/getClientAssetsAccessToken", liveness_settings, GetClientAssetsAccessToken),
    // Liveness in the previews.
    row(POST, "detectLiveness/singleModal/sessions", preview_liveness, CreateSession(Liveness))
        .body(Json(JsonRule::CreateSession)),
    row(GET, "detectLiveness/singleModal/sessions", preview_liveness, ListSessions(Liveness))
        .query(SessionListing),
    row(GET, "detectLiveness/singleModal/sessions/{sessionId}", preview_liveness, GetSession(Liveness)),
    row(DELETE, "detectLiveness/singleModal/sessions/{sessionId}", preview_liveness, DeleteSession(Liveness)),
    row(GET, "detectLiveness/singleModal/sessions/{sessionId}/audit", preview_liveness, ListSessionAuditEntries(Liveness))
        .query(AuditListing),
    row(POST, "detectLivenessWithVerify/singleModal/sessions", preview_liveness, CreateSession(LivenessWithVerify))
        .body(FormOrJson(JsonRule::CreateSession)),
    row(GET, "detectLivenessWithVerify/singleModal/sessions", preview_liveness, ListSessions(LivenessWithVerify))
        .query(SessionListing),
    row(GET, "detectLivenessWithVerify/singleModal/sessions/{sessionId}", preview_liveness, GetSession(LivenessWithVerify)),
    row(DELETE, "detectLivenessWithVerify/singleModal/sessions/{sessionId}", preview_liveness, DeleteSession(LivenessWithVerify)),
    row(GET, "detectLivenessWithVerify/singleModal/sessions/{sessionId}/audit", preview_liveness, ListSessionAuditEntries(LivenessWithVerify))
        .query(AuditListing),
    row(GET, "session/sessionImages/{sessionImageId}", preview_session_images, GetSessionImage),
];

/// A path of the row with every placeholder filled with a valid value
/// (for the tests of the router and of the rules).
#[cfg(test)]
pub(crate) fn sample_path(row: &Row, version: ApiVersion) -> String {
    let segments: Vec<&str> = row
        .path
        .split('/')
        .map(|segment| match Segment::parse(segment) {
            Segment::Fixed(name) => name,
            Segment::CollectionId(_) => "staff-2026",
            Segment::PersonId | Segment::PersistedFaceId => "c5c24a82-6845-4031-9d5d-978df9175426",
            Segment::RecognitionModel => "recognition_04",
            Segment::Other => "a1b2",
        })
        .collect();
    format!("/face/{}/{}", version.as_str(), segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::route_versions;

    #[test]
    fn every_row_routes_to_itself_in_its_versions_only() {
        for row in ROWS {
            for version in ApiVersion::ALL {
                let path = sample_path(row, version);
                let matched = route_versions(&row.method, &path, false);
                if (row.versions)(version) {
                    let matched = matched.unwrap_or_else(|| panic!("{} {path}", row.method));
                    assert!(std::ptr::eq(matched.row, row), "{} {path}", row.method);
                    assert_eq!(matched.route.operation, row.operation);
                } else {
                    assert!(matched.is_none(), "{} {path} routed", row.method);
                }
            }
        }
    }

    #[test]
    fn no_two_rows_share_a_method_path_and_version() {
        for (i, a) in ROWS.iter().enumerate() {
            for b in &ROWS[i + 1..] {
                let same_path = a.method == b.method && a.path.eq_ignore_ascii_case(b.path);
                let shared = ApiVersion::ALL
                    .iter()
                    .any(|v| (a.versions)(*v) && (b.versions)(*v));
                assert!(!(same_path && shared), "{} {}", a.method, a.path);
            }
        }
    }

    /// Operations whose requests carry a body that no rule judges, each
    /// with the reason; any other POST, PUT or PATCH must have a body rule.
    const UNJUDGED_BODIES: &[(Operation, &str)] = &[
        (
            Operation::TrainCollection(Collection::LargeFaceList),
            "no body",
        ),
        (
            Operation::TrainCollection(Collection::PersonGroup),
            "no body",
        ),
        (
            Operation::TrainCollection(Collection::LargePersonGroup),
            "no body",
        ),
        (Operation::TakeSnapshot, "v1.0 snapshots: nothing decidable"),
        (
            Operation::UpdateSnapshot,
            "v1.0 snapshots: nothing decidable",
        ),
        (
            Operation::ApplySnapshot,
            "v1.0 snapshots: nothing decidable",
        ),
    ];

    #[test]
    fn every_operation_with_a_body_has_a_body_rule() {
        for row in ROWS {
            let takes_body = [Method::POST, Method::PUT, Method::PATCH].contains(&row.method);
            let unjudged = UNJUDGED_BODIES.iter().any(|(op, _)| *op == row.operation);
            match (takes_body, row.body) {
                (true, BodyRule::None) => {
                    assert!(unjudged, "{} {} has no body rule", row.method, row.path)
                }
                (true, _) => assert!(
                    !unjudged,
                    "{} {} is listed as unjudged",
                    row.method, row.path
                ),
                (false, body) => assert_eq!(body, BodyRule::None, "{} {}", row.method, row.path),
            }
        }
    }
}
