//! `(method, path)` → [`Route`]: the Face operation, its API version and the
//! IDs in its path.
//!
//! Paths are `/face/{version}/…` as in the official specification. Fixed
//! segments and the version match ASCII-case-insensitively, as the service
//! does. A path this module does not know gives `None`: such a request is
//! never checked.
//!
//! ```
//! use face_preflight::router::{route, ApiVersion, Collection, Operation};
//! use http::Method;
//!
//! let routed = route(&Method::PUT, "/face/v1.2/PersonGroups/my-group").unwrap();
//! assert_eq!(routed.operation, Operation::CreateCollection(Collection::PersonGroup));
//! assert_eq!(routed.version, ApiVersion::V1_2);
//! assert_eq!(routed.collection_id, Some("my-group"));
//! assert!(route(&Method::GET, "/face/v9.9/persongroups").is_none());
//! ```

use http::Method;

/// The Face API versions this crate knows, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `v1.0`, the original API (with snapshots, without Person Directory).
    V1_0,
    /// `v1.1-preview.1` (Person Directory, preview liveness paths).
    V1_1Preview1,
    /// `v1.2-preview.1` (Person Directory, preview liveness paths).
    V1_2Preview1,
    /// `v1.2`, the GA version (new liveness paths, no Person Directory).
    V1_2,
    /// `v1.3-preview.1`: v1.2 plus liveness settings, the client-assets
    /// token and new liveness session fields.
    V1_3Preview1,
}

impl ApiVersion {
    /// Every known version, oldest first.
    pub const ALL: [ApiVersion; 5] = [
        Self::V1_0,
        Self::V1_1Preview1,
        Self::V1_2Preview1,
        Self::V1_2,
        Self::V1_3Preview1,
    ];

    /// The newest known version: the one whose rules judge newer versions
    /// when [`PreflightLayer::judge_newer_versions`](crate::PreflightLayer::judge_newer_versions) is on.
    pub const NEWEST: ApiVersion = Self::V1_3Preview1;

    /// The version named by a URL segment such as `"v1.2"` (any ASCII case).
    ///
    /// ```
    /// use face_preflight::router::ApiVersion;
    ///
    /// assert_eq!(ApiVersion::parse("V1.3-preview.1"), Some(ApiVersion::V1_3Preview1));
    /// assert_eq!(ApiVersion::parse("v1.4"), None);
    /// ```
    pub fn parse(segment: &str) -> Option<Self> {
        let mut buffer = [0u8; 24];
        match lowercase(segment, &mut buffer)? {
            b"v1.2" => Some(Self::V1_2),
            b"v1.3-preview.1" => Some(Self::V1_3Preview1),
            b"v1.2-preview.1" => Some(Self::V1_2Preview1),
            b"v1.1-preview.1" => Some(Self::V1_1Preview1),
            b"v1.0" => Some(Self::V1_0),
            _ => None,
        }
    }

    /// The version as it appears in the URL, e.g. `"v1.2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_0 => "v1.0",
            Self::V1_1Preview1 => "v1.1-preview.1",
            Self::V1_2Preview1 => "v1.2-preview.1",
            Self::V1_2 => "v1.2",
            Self::V1_3Preview1 => "v1.3-preview.1",
        }
    }

    /// Whether `segment` names a well-formed version newer than every known
    /// one (`v1.3-preview.2`, `v1.3`, `v1.4`, `v2.0-preview.1`, …).
    ///
    /// ```
    /// use face_preflight::router::ApiVersion;
    ///
    /// assert!(ApiVersion::is_newer_than_known("v1.4"));
    /// assert!(ApiVersion::is_newer_than_known("v1.3-preview.2"));
    /// assert!(ApiVersion::is_newer_than_known("v1.3"));
    /// assert!(!ApiVersion::is_newer_than_known("v1.1"));
    /// assert!(!ApiVersion::is_newer_than_known("latest"));
    /// ```
    pub fn is_newer_than_known(segment: &str) -> bool {
        version_key(segment)
            .zip(version_key(Self::NEWEST.as_str()))
            .is_some_and(|(key, newest)| key > newest)
    }

    /// Person Directory and dynamic person groups exist in the previews only.
    pub fn has_person_directory(self) -> bool {
        matches!(self, Self::V1_1Preview1 | Self::V1_2Preview1)
    }

    /// Liveness sessions live under `/detectLiveness/singleModal/sessions`
    /// (the previews, which also list sessions and audit entries) rather
    /// than `/detectLiveness-sessions` (v1.2 on).
    pub fn has_preview_liveness_paths(self) -> bool {
        matches!(self, Self::V1_1Preview1 | Self::V1_2Preview1)
    }

    /// Liveness sessions exist (every version but v1.0).
    pub fn has_liveness(self) -> bool {
        self != Self::V1_0
    }

    /// `/settings` and `/settings/getClientAssetsAccessToken`.
    pub fn has_liveness_settings(self) -> bool {
        self >= Self::V1_3Preview1
    }

    /// `POST /detect` takes `{"sessionImageId": …}` besides `{"url": …}`.
    pub fn has_session_images(self) -> bool {
        self >= Self::V1_2Preview1
    }
}

/// `(major, minor, release, preview number)` of `v{major}.{minor}` or
/// `v{major}.{minor}-preview.{n}`; a release sorts after its previews.
fn version_key(segment: &str) -> Option<(u32, u32, bool, u32)> {
    let rest = segment.strip_prefix(['v', 'V'])?;
    let (number, preview) = match rest.split_once('-') {
        Some((number, preview)) => (number, Some(preview)),
        None => (rest, None),
    };
    let (major, minor) = number.split_once('.')?;
    let digits = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (major, minor) = (digits(major)?, digits(minor)?);
    match preview {
        None => Some((major, minor, true, 0)),
        Some(preview) => {
            let (label, n) = preview.split_once('.')?;
            label
                .eq_ignore_ascii_case("preview")
                .then(|| digits(n))
                .flatten()
                .map(|n| (major, minor, false, n))
        }
    }
}

/// A collection that has an ID of the form `^[a-z0-9-_]{1,64}$` in its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Collection {
    /// `/facelists/{faceListId}`
    FaceList,
    /// `/largefacelists/{largeFaceListId}`
    LargeFaceList,
    /// `/persongroups/{personGroupId}`
    PersonGroup,
    /// `/largepersongroups/{largePersonGroupId}`
    LargePersonGroup,
    /// `/dynamicpersongroups/{dynamicPersonGroupId}` (Person Directory)
    DynamicPersonGroup,
}

/// Where persons live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PersonOwner {
    /// `/persongroups/{id}/persons`
    PersonGroup,
    /// `/largepersongroups/{id}/persons`
    LargePersonGroup,
    /// `/persons` (Person Directory)
    PersonDirectory,
}

/// Where persisted faces live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FaceOwner {
    /// `/facelists/{id}/persistedfaces`
    FaceList,
    /// `/largefacelists/{id}/persistedfaces`
    LargeFaceList,
    /// `/persongroups/{id}/persons/{personId}/persistedfaces`
    PersonGroupPerson,
    /// `/largepersongroups/{id}/persons/{personId}/persistedfaces`
    LargePersonGroupPerson,
    /// `/persons/{personId}/recognitionModels/{model}/persistedfaces`
    PersonDirectoryPerson,
}

/// The two kinds of liveness session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SessionKind {
    /// `detectLiveness` sessions.
    Liveness,
    /// `detectLivenessWithVerify` sessions.
    LivenessWithVerify,
}

/// One Face operation. Operations that share a shape across collections carry
/// the collection, so that one rule serves them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /detect` (image, URL or session image body).
    Detect,
    /// `POST /identify`
    Identify,
    /// `POST /verify`
    Verify,
    /// `POST /findsimilars`
    FindSimilar,
    /// `POST /group`
    Group,
    /// `GET /{collections}`
    ListCollections(Collection),
    /// `PUT /{collections}/{id}`
    CreateCollection(Collection),
    /// `GET /{collections}/{id}`
    GetCollection(Collection),
    /// `PATCH /{collections}/{id}`
    UpdateCollection(Collection),
    /// `DELETE /{collections}/{id}`
    DeleteCollection(Collection),
    /// `POST /{collections}/{id}/train`
    TrainCollection(Collection),
    /// `GET /{collections}/{id}/training`
    GetTrainingStatus(Collection),
    /// `GET …/persons`
    ListPersons(PersonOwner),
    /// `POST …/persons`
    CreatePerson(PersonOwner),
    /// `GET …/persons/{personId}`
    GetPerson(PersonOwner),
    /// `PATCH …/persons/{personId}`
    UpdatePerson(PersonOwner),
    /// `DELETE …/persons/{personId}`
    DeletePerson(PersonOwner),
    /// `GET …/persistedfaces`
    ListFaces(FaceOwner),
    /// `POST …/persistedfaces` (image or URL body)
    AddFace(FaceOwner),
    /// `GET …/persistedfaces/{persistedFaceId}`
    GetFace(FaceOwner),
    /// `PATCH …/persistedfaces/{persistedFaceId}`
    UpdateFace(FaceOwner),
    /// `DELETE …/persistedfaces/{persistedFaceId}`
    DeleteFace(FaceOwner),
    /// `GET /persons/{personId}/dynamicPersonGroupReferences`
    ListDynamicPersonGroupReferences,
    /// `GET /dynamicpersongroups/{id}/persons`
    ListDynamicPersonGroupPersons,
    /// `GET /operations/{operationId}`
    GetOperationResult,
    /// `POST` a liveness session
    CreateSession(SessionKind),
    /// `GET` the liveness sessions (previews)
    ListSessions(SessionKind),
    /// `GET` a liveness session
    GetSession(SessionKind),
    /// `DELETE` a liveness session
    DeleteSession(SessionKind),
    /// `GET` a session's audit entries (previews)
    ListSessionAuditEntries(SessionKind),
    /// `GET` a session image
    GetSessionImage,
    /// `POST /snapshots` (v1.0)
    TakeSnapshot,
    /// `GET /snapshots` (v1.0)
    ListSnapshots,
    /// `GET /snapshots/{id}` (v1.0)
    GetSnapshot,
    /// `PATCH /snapshots/{id}` (v1.0)
    UpdateSnapshot,
    /// `DELETE /snapshots/{id}` (v1.0)
    DeleteSnapshot,
    /// `POST /snapshots/{id}/apply` (v1.0)
    ApplySnapshot,
    /// `GET /settings` (v1.3-preview.1)
    GetSettings,
    /// `PATCH /settings` (v1.3-preview.1)
    UpdateSettings,
    /// `GET /settings/getClientAssetsAccessToken` (v1.3-preview.1)
    GetClientAssetsAccessToken,
}

/// A routed request: operation, version and the path IDs as written (still
/// percent-encoded, if they were).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route<'a> {
    /// The operation.
    pub operation: Operation,
    /// The API version of the URL.
    pub version: ApiVersion,
    /// `faceListId`, `largeFaceListId`, `personGroupId`, `largePersonGroupId`
    /// or `dynamicPersonGroupId`.
    pub collection_id: Option<&'a str>,
    /// `personId`.
    pub person_id: Option<&'a str>,
    /// `persistedFaceId`.
    pub persisted_face_id: Option<&'a str>,
    /// Person Directory's `recognitionModel` path segment.
    pub recognition_model: Option<&'a str>,
}

/// Most segments a Face path has after `/face/{version}`.
const MAX_SEGMENTS: usize = 6;

/// Routes a path that starts at `/face/{version}/`. A version this crate
/// does not know gives `None`.
pub fn route<'a>(method: &Method, path: &'a str) -> Option<Route<'a>> {
    route_versions(method, path, false)
}

/// Like [`route`], but a well-formed version newer than every known one
/// (see [`ApiVersion::is_newer_than_known`]) is routed as
/// [`ApiVersion::NEWEST`].
///
/// ```
/// use face_preflight::router::{route_newer_as_newest, ApiVersion, Operation};
/// use http::Method;
///
/// let routed = route_newer_as_newest(&Method::POST, "/face/v1.4/identify").unwrap();
/// assert_eq!(routed.operation, Operation::Identify);
/// assert_eq!(routed.version, ApiVersion::NEWEST);
/// ```
pub fn route_newer_as_newest<'a>(method: &Method, path: &'a str) -> Option<Route<'a>> {
    route_versions(method, path, true)
}

pub(crate) fn route_versions<'a>(
    method: &Method,
    path: &'a str,
    newer_as_newest: bool,
) -> Option<Route<'a>> {
    let rest = path.strip_prefix('/')?;
    let (face, rest) = split_segment(rest);
    if !face.eq_ignore_ascii_case("face") {
        return None;
    }
    let (version, rest) = split_segment(rest?);
    let version = match ApiVersion::parse(version) {
        Some(version) => version,
        None if newer_as_newest && ApiVersion::is_newer_than_known(version) => ApiVersion::NEWEST,
        None => return None,
    };

    let mut segments = [""; MAX_SEGMENTS];
    let mut count = 0;
    let mut rest = rest;
    while let Some(remaining) = rest {
        let (segment, next) = split_segment(remaining);
        // An empty segment (`//`, a trailing `/`) is no documented path.
        if segment.is_empty() {
            return None;
        }
        *segments.get_mut(count)? = segment;
        count += 1;
        rest = next;
    }
    let segments = &segments[..count];
    let mut route = Route {
        operation: Operation::Detect,
        version,
        collection_id: None,
        person_id: None,
        persisted_face_id: None,
        recognition_model: None,
    };
    route.operation = operation(method, version, segments, &mut route)?;
    Some(route)
}

/// The first segment of `path` and what follows its `/`, if any. A byte
/// scan: segments are short, and a `/` is ASCII.
fn split_segment(path: &str) -> (&str, Option<&str>) {
    match path.bytes().position(|b| b == b'/') {
        Some(at) => (
            path.get(..at).unwrap_or_default(),
            Some(path.get(at + 1..).unwrap_or_default()),
        ),
        None => (path, None),
    }
}

/// ASCII-case-insensitive comparison with a fixed segment.
fn is(segment: &str, name: &str) -> bool {
    segment.eq_ignore_ascii_case(name)
}

/// The first segment in lower case, in `buffer`, for one `match` over the
/// fixed names (`None` if longer than any of them).
fn lowercase<'b>(segment: &str, buffer: &'b mut [u8; 24]) -> Option<&'b [u8]> {
    let bytes = segment.as_bytes();
    let lower = buffer.get_mut(..bytes.len())?;
    for (to, from) in lower.iter_mut().zip(bytes) {
        *to = from.to_ascii_lowercase();
    }
    Some(lower)
}

fn operation<'a>(
    method: &Method,
    version: ApiVersion,
    segments: &[&'a str],
    route: &mut Route<'a>,
) -> Option<Operation> {
    use Operation::*;
    let (first, rest) = segments.split_first()?;
    let first = *first;
    let mut buffer = [0u8; 24];
    let post_alone = method == Method::POST && rest.is_empty();
    let collection = match lowercase(first, &mut buffer) {
        Some(b"detect") if post_alone => return Some(Detect),
        Some(b"identify") if post_alone => return Some(Identify),
        Some(b"verify") if post_alone => return Some(Verify),
        Some(b"findsimilars") if post_alone => return Some(FindSimilar),
        Some(b"group") if post_alone => return Some(Group),
        Some(b"facelists") => Some(Collection::FaceList),
        Some(b"largefacelists") => Some(Collection::LargeFaceList),
        Some(b"persongroups") => Some(Collection::PersonGroup),
        Some(b"largepersongroups") => Some(Collection::LargePersonGroup),
        Some(b"dynamicpersongroups") => Some(Collection::DynamicPersonGroup),
        _ => None,
    };
    if let Some(collection) = collection {
        if collection == Collection::DynamicPersonGroup && !version.has_person_directory() {
            return None;
        }
        return collection_operation(method, collection, rest, route);
    }
    if is(first, "persons") {
        if !version.has_person_directory() {
            return None;
        }
        return person_directory_operation(method, rest, route);
    }
    if is(first, "operations") && rest.len() == 1 && method == Method::GET {
        // The operations endpoint serves snapshot status in v1.0 and Person
        // Directory long-running operations in the previews.
        return (version == ApiVersion::V1_0 || version.has_person_directory())
            .then_some(GetOperationResult);
    }
    if is(first, "snapshots") {
        return (version == ApiVersion::V1_0)
            .then(|| snapshot_operation(method, rest))
            .flatten();
    }
    liveness_operation(method, version, first, rest)
}

fn collection_operation<'a>(
    method: &Method,
    collection: Collection,
    rest: &[&'a str],
    route: &mut Route<'a>,
) -> Option<Operation> {
    use Operation::*;
    let person_owner = match collection {
        Collection::PersonGroup => Some(PersonOwner::PersonGroup),
        Collection::LargePersonGroup => Some(PersonOwner::LargePersonGroup),
        _ => None,
    };
    let face_owner = match collection {
        Collection::FaceList => Some(FaceOwner::FaceList),
        Collection::LargeFaceList => Some(FaceOwner::LargeFaceList),
        _ => None,
    };
    let trainable =
        collection != Collection::FaceList && collection != Collection::DynamicPersonGroup;
    let Some((id, rest)) = rest.split_first() else {
        return (*method == Method::GET).then_some(ListCollections(collection));
    };
    route.collection_id = Some(id);
    match (method.as_str(), rest) {
        ("GET", []) => Some(GetCollection(collection)),
        ("PUT", []) => Some(CreateCollection(collection)),
        ("PATCH", []) => Some(UpdateCollection(collection)),
        ("DELETE", []) => Some(DeleteCollection(collection)),
        ("POST", [train]) if trainable && is(train, "train") => Some(TrainCollection(collection)),
        ("GET", [training]) if trainable && is(training, "training") => {
            Some(GetTrainingStatus(collection))
        }
        ("GET", [persons])
            if collection == Collection::DynamicPersonGroup && is(persons, "persons") =>
        {
            Some(ListDynamicPersonGroupPersons)
        }
        (_, [faces, face_rest @ ..]) if is(faces, "persistedfaces") => {
            face_operation(method, face_owner?, face_rest, route)
        }
        (_, [persons, person_rest @ ..]) if is(persons, "persons") => {
            person_operation(method, person_owner?, person_rest, route)
        }
        _ => None,
    }
}

/// `persons[/{personId}[/persistedfaces…]]` below a person group or large
/// person group.
fn person_operation<'a>(
    method: &Method,
    owner: PersonOwner,
    rest: &[&'a str],
    route: &mut Route<'a>,
) -> Option<Operation> {
    use Operation::*;
    let Some((person_id, rest)) = rest.split_first() else {
        return match method.as_str() {
            "GET" => Some(ListPersons(owner)),
            "POST" => Some(CreatePerson(owner)),
            _ => None,
        };
    };
    route.person_id = Some(person_id);
    match (method.as_str(), rest) {
        ("GET", []) => Some(GetPerson(owner)),
        ("PATCH", []) => Some(UpdatePerson(owner)),
        ("DELETE", []) => Some(DeletePerson(owner)),
        (_, [faces, face_rest @ ..]) if is(faces, "persistedfaces") => {
            let face_owner = match owner {
                PersonOwner::PersonGroup => FaceOwner::PersonGroupPerson,
                PersonOwner::LargePersonGroup => FaceOwner::LargePersonGroupPerson,
                PersonOwner::PersonDirectory => FaceOwner::PersonDirectoryPerson,
            };
            face_operation(method, face_owner, face_rest, route)
        }
        _ => None,
    }
}

/// `persistedfaces[/{persistedFaceId}]`.
fn face_operation<'a>(
    method: &Method,
    owner: FaceOwner,
    rest: &[&'a str],
    route: &mut Route<'a>,
) -> Option<Operation> {
    use Operation::*;
    // Listing faces is not an operation of face lists or of person group persons.
    let listable = matches!(
        owner,
        FaceOwner::LargeFaceList | FaceOwner::PersonDirectoryPerson
    );
    match (method.as_str(), rest) {
        ("GET", []) if listable => Some(ListFaces(owner)),
        ("POST", []) => Some(AddFace(owner)),
        (_, [face_id]) => {
            route.persisted_face_id = Some(face_id);
            match method.as_str() {
                "GET" if owner != FaceOwner::FaceList => Some(GetFace(owner)),
                "PATCH" if owner != FaceOwner::FaceList => Some(UpdateFace(owner)),
                "DELETE" => Some(DeleteFace(owner)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `/persons…` of Person Directory.
fn person_directory_operation<'a>(
    method: &Method,
    rest: &[&'a str],
    route: &mut Route<'a>,
) -> Option<Operation> {
    use Operation::*;
    let owner = PersonOwner::PersonDirectory;
    match (method.as_str(), rest) {
        ("GET", [person_id, references]) if is(references, "dynamicPersonGroupReferences") => {
            route.person_id = Some(person_id);
            Some(ListDynamicPersonGroupReferences)
        }
        (_, [person_id, models, model, faces, face_rest @ ..])
            if is(models, "recognitionModels") && is(faces, "persistedfaces") =>
        {
            route.person_id = Some(person_id);
            route.recognition_model = Some(model);
            face_operation(method, FaceOwner::PersonDirectoryPerson, face_rest, route)
        }
        (_, [_] | []) => person_operation(method, owner, rest, route),
        _ => None,
    }
}

fn snapshot_operation(method: &Method, rest: &[&str]) -> Option<Operation> {
    use Operation::*;
    match (method.as_str(), rest) {
        ("GET", []) => Some(ListSnapshots),
        ("POST", []) => Some(TakeSnapshot),
        ("GET", [_]) => Some(GetSnapshot),
        ("PATCH", [_]) => Some(UpdateSnapshot),
        ("DELETE", [_]) => Some(DeleteSnapshot),
        ("POST", [_, apply]) if is(apply, "apply") => Some(ApplySnapshot),
        _ => None,
    }
}

/// Liveness paths: `/detectLiveness/singleModal/sessions…` before v1.2,
/// `/detectLiveness-sessions…` from v1.2 on, and the settings of v1.3-preview.1.
fn liveness_operation(
    method: &Method,
    version: ApiVersion,
    first: &str,
    rest: &[&str],
) -> Option<Operation> {
    use Operation::*;
    if !version.has_liveness() {
        return None;
    }
    if version.has_preview_liveness_paths() {
        return preview_liveness_operation(method, version, first, rest);
    }
    if is(first, "sessionImages") && rest.len() == 1 && method == Method::GET {
        return Some(GetSessionImage);
    }
    if is(first, "settings") && version.has_liveness_settings() {
        return match (method.as_str(), rest) {
            ("GET", []) => Some(GetSettings),
            ("PATCH", []) => Some(UpdateSettings),
            ("GET", [token]) if is(token, "getClientAssetsAccessToken") => {
                Some(GetClientAssetsAccessToken)
            }
            _ => None,
        };
    }
    let kind = if is(first, "detectLiveness-sessions") {
        SessionKind::Liveness
    } else if is(first, "detectLivenessWithVerify-sessions") {
        SessionKind::LivenessWithVerify
    } else {
        return None;
    };
    match (method.as_str(), rest) {
        ("POST", []) => Some(CreateSession(kind)),
        ("GET", [_]) => Some(GetSession(kind)),
        ("DELETE", [_]) => Some(DeleteSession(kind)),
        _ => None,
    }
}

/// `/detectLiveness[WithVerify]/singleModal/sessions…` and
/// `/session/sessionImages/{id}` of v1.1-preview.1 and v1.2-preview.1.
fn preview_liveness_operation(
    method: &Method,
    version: ApiVersion,
    first: &str,
    rest: &[&str],
) -> Option<Operation> {
    use Operation::*;
    if is(first, "session") {
        return match rest {
            [images, _] if is(images, "sessionImages") && method == Method::GET => {
                version.has_session_images().then_some(GetSessionImage)
            }
            _ => None,
        };
    }
    let kind = if is(first, "detectLiveness") {
        SessionKind::Liveness
    } else if is(first, "detectLivenessWithVerify") {
        SessionKind::LivenessWithVerify
    } else {
        return None;
    };
    let [single_modal, sessions, rest @ ..] = rest else {
        return None;
    };
    if !is(single_modal, "singleModal") || !is(sessions, "sessions") {
        return None;
    }
    match (method.as_str(), rest) {
        ("POST", []) => Some(CreateSession(kind)),
        ("GET", []) => Some(ListSessions(kind)),
        ("GET", [_]) => Some(GetSession(kind)),
        ("DELETE", [_]) => Some(DeleteSession(kind)),
        ("GET", [_, audit]) if is(audit, "audit") => Some(ListSessionAuditEntries(kind)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: Method, path: &str) -> Option<Operation> {
        route(&method, path).map(|route| route.operation)
    }

    #[test]
    fn routes_every_family() {
        use Operation::*;
        assert_eq!(op(Method::POST, "/face/v1.0/detect"), Some(Detect));
        assert_eq!(op(Method::POST, "/FACE/V1.2/Detect"), Some(Detect));
        assert_eq!(op(Method::GET, "/face/v1.2/detect"), None);
        assert_eq!(
            op(Method::GET, "/face/v1.2/largefacelists/abc/training"),
            Some(GetTrainingStatus(Collection::LargeFaceList))
        );
        assert_eq!(op(Method::GET, "/face/v1.2/facelists/abc/training"), None);
        assert_eq!(
            op(
                Method::POST,
                "/face/v1.2/persongroups/g/persons/p/persistedfaces"
            ),
            Some(AddFace(FaceOwner::PersonGroupPerson))
        );
        assert_eq!(
            op(
                Method::GET,
                "/face/v1.2/persongroups/g/persons/p/persistedfaces"
            ),
            None
        );
        assert_eq!(op(Method::GET, "/face/v1.2/persons"), None);
        assert_eq!(
            op(Method::GET, "/face/v1.2-preview.1/persons"),
            Some(ListPersons(PersonOwner::PersonDirectory))
        );
        let r = route(
            &Method::POST,
            "/face/v1.1-preview.1/persons/p1/recognitionModels/recognition_04/persistedfaces",
        )
        .unwrap();
        assert_eq!(r.operation, AddFace(FaceOwner::PersonDirectoryPerson));
        assert_eq!(r.person_id, Some("p1"));
        assert_eq!(r.recognition_model, Some("recognition_04"));
        assert_eq!(
            op(Method::PUT, "/face/v1.2-preview.1/dynamicpersongroups/d"),
            Some(CreateCollection(Collection::DynamicPersonGroup))
        );
        assert_eq!(op(Method::PUT, "/face/v1.2/dynamicpersongroups/d"), None);
        assert_eq!(
            op(Method::POST, "/face/v1.0/snapshots/s/apply"),
            Some(ApplySnapshot)
        );
        assert_eq!(op(Method::POST, "/face/v1.2/snapshots"), None);
        assert_eq!(
            op(Method::POST, "/face/v1.2/detectLiveness-sessions"),
            Some(CreateSession(SessionKind::Liveness))
        );
        assert_eq!(
            op(
                Method::GET,
                "/face/v1.2/detectLiveness/singleModal/sessions"
            ),
            None
        );
        assert_eq!(
            op(
                Method::GET,
                "/face/v1.1-preview.1/detectLivenessWithVerify/singleModal/sessions/s/audit"
            ),
            Some(ListSessionAuditEntries(SessionKind::LivenessWithVerify))
        );
        assert_eq!(
            op(Method::GET, "/face/v1.2-preview.1/session/sessionImages/x"),
            Some(GetSessionImage)
        );
        assert_eq!(
            op(Method::GET, "/face/v1.1-preview.1/session/sessionImages/x"),
            None
        );
        assert_eq!(
            op(Method::GET, "/face/v1.2/sessionImages/x"),
            Some(GetSessionImage)
        );
    }

    #[test]
    fn every_version_parses_from_its_name_in_any_case() {
        for version in ApiVersion::ALL {
            assert_eq!(ApiVersion::parse(version.as_str()), Some(version));
            assert_eq!(
                ApiVersion::parse(&version.as_str().to_ascii_uppercase()),
                Some(version)
            );
        }
        assert_eq!(ApiVersion::parse("v1.2 "), None);
        assert_eq!(ApiVersion::parse("v1.3-preview.10"), None);
    }

    #[test]
    fn unknown_paths_do_not_route() {
        for path in [
            "",
            "/",
            "/face",
            "/face/v1.2",
            "/face/v1.3-preview.2/detect",
            "/vision/v1.2/detect",
            "/face/v1.2/a/b/c/d/e/f/g/h",
            "/face/v1.2/persongroups/a/b",
            "/face/v1.2/persongroups/",
            "/face/v1.2/persongroups//persons",
        ] {
            assert_eq!(route(&Method::POST, path), None, "{path}");
        }
    }
}
