//! `(method, path)` → [`Route`]: the Face operation, its API version and the
//! IDs in its path.
//!
//! Paths are `/face/{version}/…` as in the official specification. Fixed
//! segments and the version match ASCII-case-insensitively, as the service
//! does. A path this module does not know gives `None`: such a request is
//! never checked. The paths are the rows of one table (`router/table.rs`),
//! which also names each operation's query and body rules.
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

use std::sync::LazyLock;

use http::Method;

// What the stateful judges (features `facts`, `pace`) read.
#[cfg_attr(not(any(feature = "facts", feature = "pace")), allow(dead_code))]
mod roles;
pub(crate) mod table;

#[cfg(feature = "facts")]
pub(crate) use self::roles::{FaceReferences, Roles};
use self::table::{Row, Segment, ROWS};

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

/// What a version has; the rules and the operation table ask these, never
/// which version it is.
#[derive(Clone, Copy)]
struct Features {
    /// Snapshots (v1.0 only).
    snapshots: bool,
    /// Person Directory and dynamic person groups (the previews).
    person_directory: bool,
    /// Liveness under `/detectLiveness/singleModal/sessions` (the previews).
    preview_liveness_paths: bool,
    /// Liveness sessions at all.
    liveness: bool,
    /// `/settings`, the client-assets token, the newer liveness fields.
    liveness_settings: bool,
    /// `POST /detect` from a `sessionImageId`.
    session_images: bool,
    /// Identify and verify take scopes beyond person groups (Person
    /// Directory persons, dynamic groups); v1.0 knows groups only.
    scopes_beyond_groups: bool,
    /// Creating a collection requires `name` (v1.0's contract does not).
    collection_name_required: bool,
}

/// One row of the version table.
struct VersionRow {
    version: ApiVersion,
    /// As the URL spells it.
    name: &'static str,
    features: Features,
}

const NONE: Features = Features {
    snapshots: false,
    person_directory: false,
    preview_liveness_paths: false,
    liveness: false,
    liveness_settings: false,
    session_images: false,
    scopes_beyond_groups: false,
    collection_name_required: false,
};

/// THE VERSION TABLE, oldest first: a new version is one row (and its
/// variant of [`ApiVersion`]).
const VERSIONS: [VersionRow; 5] = [
    VersionRow {
        version: ApiVersion::V1_0,
        name: "v1.0",
        features: Features {
            snapshots: true,
            ..NONE
        },
    },
    VersionRow {
        version: ApiVersion::V1_1Preview1,
        name: "v1.1-preview.1",
        features: Features {
            person_directory: true,
            preview_liveness_paths: true,
            liveness: true,
            scopes_beyond_groups: true,
            collection_name_required: true,
            ..NONE
        },
    },
    VersionRow {
        version: ApiVersion::V1_2Preview1,
        name: "v1.2-preview.1",
        features: Features {
            person_directory: true,
            preview_liveness_paths: true,
            liveness: true,
            session_images: true,
            scopes_beyond_groups: true,
            collection_name_required: true,
            ..NONE
        },
    },
    VersionRow {
        version: ApiVersion::V1_2,
        name: "v1.2",
        features: Features {
            liveness: true,
            session_images: true,
            scopes_beyond_groups: true,
            collection_name_required: true,
            ..NONE
        },
    },
    VersionRow {
        version: ApiVersion::V1_3Preview1,
        name: "v1.3-preview.1",
        features: Features {
            liveness: true,
            liveness_settings: true,
            session_images: true,
            scopes_beyond_groups: true,
            collection_name_required: true,
            ..NONE
        },
    },
];

// Each row sits at its variant's index (`as_str` and `features` look rows up
// by it), and a set of versions is a `u8` of bits.
const _: () = {
    let mut i = 0;
    while i < VERSIONS.len() {
        assert!(VERSIONS[i].version as usize == i);
        i += 1;
    }
    assert!(VERSIONS.len() <= u8::BITS as usize);
};

const fn all_versions() -> [ApiVersion; VERSIONS.len()] {
    let mut all = [ApiVersion::V1_0; VERSIONS.len()];
    let mut i = 0;
    while i < VERSIONS.len() {
        all[i] = VERSIONS[i].version;
        i += 1;
    }
    all
}

impl ApiVersion {
    /// Every known version, oldest first.
    pub const ALL: [ApiVersion; VERSIONS.len()] = all_versions();

    /// The newest known version: the one whose rules judge newer versions
    /// when [`PreflightLayer::judge_newer_versions`](crate::PreflightLayer::judge_newer_versions) is on.
    pub const NEWEST: ApiVersion = VERSIONS[VERSIONS.len() - 1].version;

    fn row(self) -> &'static VersionRow {
        // In bounds: the assertion above.
        &VERSIONS[self as usize]
    }

    fn features(self) -> Features {
        self.row().features
    }

    /// The version named by a URL segment such as `"v1.2"` (any ASCII case).
    ///
    /// ```
    /// use face_preflight::router::ApiVersion;
    ///
    /// assert_eq!(ApiVersion::parse("V1.3-preview.1"), Some(ApiVersion::V1_3Preview1));
    /// assert_eq!(ApiVersion::parse("v1.4"), None);
    /// ```
    pub fn parse(segment: &str) -> Option<Self> {
        // As written first, newest first (clients send the lower-case names
        // of recent versions), then in any case.
        let rows = || VERSIONS.iter().rev();
        rows()
            .find(|row| row.name == segment)
            .or_else(|| rows().find(|row| row.name.eq_ignore_ascii_case(segment)))
            .map(|row| row.version)
    }

    /// The version as it appears in the URL, e.g. `"v1.2"`.
    pub fn as_str(self) -> &'static str {
        self.row().name
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

    /// Snapshots (v1.0 only).
    pub fn has_snapshots(self) -> bool {
        self.features().snapshots
    }

    /// Person Directory and dynamic person groups exist in the previews only.
    pub fn has_person_directory(self) -> bool {
        self.features().person_directory
    }

    /// Liveness sessions live under `/detectLiveness/singleModal/sessions`
    /// (the previews, which also list sessions and audit entries) rather
    /// than `/detectLiveness-sessions` (v1.2 on).
    pub fn has_preview_liveness_paths(self) -> bool {
        self.features().preview_liveness_paths
    }

    /// Liveness sessions exist (every version but v1.0).
    pub fn has_liveness(self) -> bool {
        self.features().liveness
    }

    /// `/settings` and `/settings/getClientAssetsAccessToken`, and the
    /// liveness session fields that came with them.
    pub fn has_liveness_settings(self) -> bool {
        self.features().liveness_settings
    }

    /// `POST /detect` takes `{"sessionImageId": …}` besides `{"url": …}`.
    pub fn has_session_images(self) -> bool {
        self.features().session_images
    }

    /// Identify and verify take scopes beyond person groups and large
    /// person groups (every version but v1.0).
    pub fn has_scopes_beyond_groups(self) -> bool {
        self.features().scopes_beyond_groups
    }

    /// Creating a collection requires `name` (every version but v1.0).
    pub fn requires_collection_name(self) -> bool {
        self.features().collection_name_required
    }

    /// This version's bit in a set of versions.
    fn bit(self) -> u8 {
        1 << (self as u8)
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
    route_versions(method, path, false).map(|matched| matched.route)
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
    route_versions(method, path, true).map(|matched| matched.route)
}

/// A routed request with its row of the [table](table): the rules that
/// judge it, and the collection whose ID is in its path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Matched<'a> {
    pub route: Route<'a>,
    pub row: &'static Row,
    pub collection: Option<Collection>,
    /// The URL's version is newer than every known one and was routed as
    /// [`ApiVersion::NEWEST`].
    pub newer_than_known: bool,
}

pub(crate) fn route_versions<'a>(
    method: &Method,
    path: &'a str,
    newer_as_newest: bool,
) -> Option<Matched<'a>> {
    #[cfg(test)]
    ROUTINGS.with(|count| count.set(count.get() + 1));
    let rest = path.strip_prefix('/')?;
    let (face, rest) = split_segment(rest);
    if !face.eq_ignore_ascii_case("face") {
        return None;
    }
    let (version, rest) = split_segment(rest?);
    let (version, newer_than_known) = match ApiVersion::parse(version) {
        Some(version) => (version, false),
        None if newer_as_newest && ApiVersion::is_newer_than_known(version) => {
            (ApiVersion::NEWEST, true)
        }
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
    let (first, rest) = segments.get(..count)?.split_first()?;
    // At most two first segments share a length: one or two comparisons,
    // with the specification's spelling first (what clients send), then
    // in lower case.
    let same_length = INDEX.get(first.len())?;
    let group = match same_length.iter().find(|group| group.spelling == *first) {
        Some(group) => group,
        None => {
            let mut buffer = [0u8; LONGEST_FIRST_SEGMENT];
            let lower = lowercase(first, &mut buffer)?;
            same_length.iter().find(|group| group.first == lower)?
        }
    };
    group
        .rows
        .get(rest.len())?
        .iter()
        .filter(|row| row.row.method == *method && row.versions & version.bit() != 0)
        .find_map(|row| row.bind(version, rest))
        .map(|matched| Matched {
            newer_than_known,
            ..matched
        })
}

#[cfg(test)]
thread_local! {
    /// How many times this thread routed a path: one request, one routing.
    pub(crate) static ROUTINGS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Longer than every first segment of the table.
const LONGEST_FIRST_SEGMENT: usize = 40;

/// The rows of [`table::ROWS`] grouped by their first segment (always a
/// fixed one) and by how many segments follow it, with their paths split
/// once.
static INDEX: LazyLock<Vec<Vec<Group>>> = LazyLock::new(|| {
    // Groups by the length of their first segment, in bytes.
    let mut index: Vec<Vec<Group>> = Vec::new();
    for row in ROWS {
        let mut segments = row.path.split('/');
        let spelling = segments.next().unwrap_or_default();
        let compiled = CompiledRow {
            row,
            rest: segments.map(Segment::parse).collect(),
            versions: ApiVersion::ALL
                .into_iter()
                .filter(|version| (row.versions)(*version))
                .fold(0, |mask, version| mask | version.bit()),
        };
        let first = spelling.to_ascii_lowercase().into_bytes();
        if index.len() <= first.len() {
            index.resize_with(first.len() + 1, Vec::new);
        }
        let Some(same_length) = index.get_mut(first.len()) else {
            continue;
        };
        let at = match same_length.iter().position(|group| group.first == first) {
            Some(at) => at,
            None => {
                same_length.push(Group {
                    first,
                    spelling,
                    rows: Default::default(),
                });
                same_length.len() - 1
            }
        };
        if let Some(rows) = same_length
            .get_mut(at)
            .and_then(|group| group.rows.get_mut(compiled.rest.len()))
        {
            rows.push(compiled);
        }
    }
    index
});

struct Group {
    /// The first segment, in lower case.
    first: Vec<u8>,
    /// The first segment as the specification spells it.
    spelling: &'static str,
    /// The rows by how many segments follow the first.
    rows: [Vec<CompiledRow>; MAX_SEGMENTS],
}

struct CompiledRow {
    row: &'static Row,
    rest: Vec<Segment>,
    /// The versions that have the row, one bit each ([`ApiVersion::bit`]).
    versions: u8,
}

impl CompiledRow {
    /// The route, if the segments after the first fit this row's pattern.
    fn bind<'a>(&self, version: ApiVersion, segments: &[&'a str]) -> Option<Matched<'a>> {
        let mut route = Route {
            operation: self.row.operation,
            version,
            collection_id: None,
            person_id: None,
            persisted_face_id: None,
            recognition_model: None,
        };
        let mut collection = None;
        for (pattern, segment) in self.rest.iter().zip(segments) {
            match *pattern {
                Segment::Fixed(name) => {
                    if !segment.eq_ignore_ascii_case(name) {
                        return None;
                    }
                }
                Segment::CollectionId(of) => {
                    route.collection_id = Some(segment);
                    collection = Some(of);
                }
                Segment::PersonId => route.person_id = Some(segment),
                Segment::PersistedFaceId => route.persisted_face_id = Some(segment),
                Segment::RecognitionModel => route.recognition_model = Some(segment),
                Segment::Other => {}
            }
        }
        Some(Matched {
            route,
            row: self.row,
            collection,
            newer_than_known: false,
        })
    }
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

/// The segment in lower case, in `buffer` (`None` if longer than it).
fn lowercase<'b, const N: usize>(segment: &str, buffer: &'b mut [u8; N]) -> Option<&'b [u8]> {
    let bytes = segment.as_bytes();
    let lower = buffer.get_mut(..bytes.len())?;
    for (to, from) in lower.iter_mut().zip(bytes) {
        *to = from.to_ascii_lowercase();
    }
    Some(lower)
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
