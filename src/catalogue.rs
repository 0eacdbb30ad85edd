//! The documented errors of the Face service, one constant per row of the
//! official error table ("Azure AI Face API error codes", ms.date 2024-05-24).
//!
//! A row that appears in several sections of the table with the same status,
//! code and message is one constant. Rows whose message names a value
//! (`<personId>`, `<faceId>`, `<groupId>`, `<resourceName>`) are filled in with
//! [`Entry::with`].
//!
//! ```
//! use face_preflight::catalogue;
//!
//! let error = catalogue::PERSON_NOT_FOUND_BY_ID.with("25985303-c537-4467-b41d-bdb45cd95ca1");
//! assert_eq!(error.status(), 404);
//! assert_eq!(error.message(), "Person 25985303-c537-4467-b41d-bdb45cd95ca1 is not found.");
//! ```

use http::StatusCode;

/// One row of the error table: HTTP status, error code and message template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Entry {
    /// HTTP status.
    pub status: StatusCode,
    /// Error code, e.g. `"BadArgument"`.
    pub code: &'static str,
    /// Message, verbatim; may hold one placeholder such as `<personId>`.
    pub message: &'static str,
}

impl Entry {
    const fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        Self {
            status,
            code,
            message,
        }
    }

    /// Byte range of the `<…>` placeholder in the message, if any.
    pub(crate) fn placeholder(self) -> Option<(usize, usize)> {
        let start = self.message.find('<')?;
        let end = start + self.message[start..].find('>')? + 1;
        Some((start, end))
    }

    pub(crate) fn matches_message(self, message: &str) -> bool {
        match self.placeholder() {
            Some((start, end)) => {
                let (prefix, suffix) = (&self.message[..start], &self.message[end..]);
                message.len() > prefix.len() + suffix.len()
                    && message.starts_with(prefix)
                    && message.ends_with(suffix)
            }
            None => message == self.message,
        }
    }
}

/// Declares each row once: its constant (with its doc) and its place in
/// [`ALL`], in the order of the official table.
macro_rules! catalogue {
    ($($(#[$doc:meta])* $name:ident = ($status:ident, $code:literal, $message:literal);)*) => {
        $(
            $(#[$doc])*
            pub const $name: Entry = Entry::new(StatusCode::$status, $code, $message);
        )*

        /// Every documented error, in the order of the table (each distinct row once).
        pub const ALL: &[Entry] = &[$($name),*];
    };
}

catalogue! {
    // ---- Common error codes -------------------------------------------------
    /// 400 BadArgument "Request body is invalid."
    REQUEST_BODY_INVALID = (BAD_REQUEST, "BadArgument", "Request body is invalid.");
    /// 400 BadArgument "JSON parsing error."
    JSON_PARSING_ERROR = (BAD_REQUEST, "BadArgument", "JSON parsing error.");
    /// 400 BadArgument "'recognitionModel' is invalid."
    RECOGNITION_MODEL_INVALID = (BAD_REQUEST, "BadArgument", "'recognitionModel' is invalid.");
    /// 400 BadArgument "'detectionModel' is invalid."
    DETECTION_MODEL_INVALID = (BAD_REQUEST, "BadArgument", "'detectionModel' is invalid.");
    /// 400 BadArgument "'name' is empty."
    NAME_EMPTY = (BAD_REQUEST, "BadArgument", "'name' is empty.");
    /// 400 BadArgument "'name' is too long."
    NAME_TOO_LONG = (BAD_REQUEST, "BadArgument", "'name' is too long.");
    /// 400 BadArgument "'userData' is too long."
    USER_DATA_TOO_LONG = (BAD_REQUEST, "BadArgument", "'userData' is too long.");
    /// 400 BadArgument "'start' is too long."
    START_TOO_LONG = (BAD_REQUEST, "BadArgument", "'start' is too long.");
    /// 400 BadArgument "'top' is invalid."
    TOP_INVALID = (BAD_REQUEST, "BadArgument", "'top' is invalid.");
    /// 400 BadArgument "Argument targetFace out of range."
    TARGET_FACE_OUT_OF_RANGE = (BAD_REQUEST, "BadArgument", "Argument targetFace out of range.");
    /// 400 BadArgument "Invalid argument targetFace."
    TARGET_FACE_INVALID = (BAD_REQUEST, "BadArgument", "Invalid argument targetFace.");
    /// 400 InvalidURL "Invalid image URL."
    IMAGE_URL_INVALID = (BAD_REQUEST, "InvalidURL", "Invalid image URL.");
    /// 400 InvalidURL "Invalid image URL or error downloading from target server. …"
    IMAGE_URL_DOWNLOAD_FAILED = (BAD_REQUEST, "InvalidURL", "Invalid image URL or error downloading from target server. Remote server error returned: \"An error occurred while sending the request.\"");
    /// 400 InvalidImage "Decoding error, image format unsupported."
    IMAGE_FORMAT_UNSUPPORTED = (BAD_REQUEST, "InvalidImage", "Decoding error, image format unsupported.");
    /// 400 InvalidImage "No face detected in the image."
    NO_FACE_DETECTED = (BAD_REQUEST, "InvalidImage", "No face detected in the image.");
    /// 400 InvalidImage "There is more than 1 face in the image."
    MORE_THAN_ONE_FACE = (BAD_REQUEST, "InvalidImage", "There is more than 1 face in the image.");
    /// 400 InvalidImageSize "Image size is too small."
    IMAGE_TOO_SMALL = (BAD_REQUEST, "InvalidImageSize", "Image size is too small.");
    /// 400 InvalidImageSize "Image size is too big."
    IMAGE_TOO_BIG = (BAD_REQUEST, "InvalidImageSize", "Image size is too big.");
    /// 401 "Access denied due to invalid subscription key or wrong API endpoint. …"
    ACCESS_DENIED = (UNAUTHORIZED, "401", "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.");
    /// 403 UnsupportedFeature "Feature is not supported, missing approval for … Identification, Verification."
    FEATURE_NOT_APPROVED = (FORBIDDEN, "UnsupportedFeature", "Feature is not supported, missing approval for one or more of the following features: Identification, Verification.");
    /// 409 ConcurrentOperationConflict "There is a conflict operation on resource `<resourceName>`, please try later."
    CONCURRENT_OPERATION_CONFLICT = (CONFLICT, "ConcurrentOperationConflict", "There is a conflict operation on resource <resourceName>, please try later.");
    /// 429 "Rate limit is exceeded."
    RATE_LIMIT_EXCEEDED = (TOO_MANY_REQUESTS, "429", "Rate limit is exceeded.");

    // ---- Face Detection -------------------------------------------------------
    /// 400 BadArgument "Invalid argument returnFaceAttributes."
    RETURN_FACE_ATTRIBUTES_INVALID = (BAD_REQUEST, "BadArgument", "Invalid argument returnFaceAttributes.");
    /// 400 BadArgument "'returnFaceAttributes' is not supported by detection_02."
    ATTRIBUTES_NOT_SUPPORTED_BY_DETECTION_02 = (BAD_REQUEST, "BadArgument", "'returnFaceAttributes' is not supported by detection_02.");
    /// 400 BadArgument "'returnLandmarks' is not supported by detection_02."
    LANDMARKS_NOT_SUPPORTED_BY_DETECTION_02 = (BAD_REQUEST, "BadArgument", "'returnLandmarks' is not supported by detection_02.");
    /// 403 UnsupportedFeature "Return Attributes (emotion, gender, age, smile, facial hair, hair and makeup) have been deprecated …"
    ATTRIBUTES_DEPRECATED = (FORBIDDEN, "UnsupportedFeature", "Return Attributes (emotion, gender, age, smile, facial hair, hair and makeup) have been deprecated and are no longer supported.");

    // ---- Face Liveness Session -----------------------------------------------
    /// 400 BadArgument "Start parameter is invalid. …" (liveness listings)
    LIVENESS_START_INVALID = (BAD_REQUEST, "BadArgument", "Start parameter is invalid. Please specify the 'Id' field of the last entry to continue the listing process.");
    /// 400 BadArgument "Top parameter is invalid. Valid range is between 1 and 1000 inclusive."
    LIVENESS_TOP_INVALID = (BAD_REQUEST, "BadArgument", "Top parameter is invalid. Valid range is between 1 and 1000 inclusive.");
    /// 400 InvalidRequestBody "Incorrect request body provided. …"
    LIVENESS_REQUEST_BODY_INVALID = (BAD_REQUEST, "InvalidRequestBody", "Incorrect request body provided. Please check the operation schema and try again.");
    /// 400 InvalidTokenLifetime "Invalid authTokenTimeToLiveInSeconds specified. Must be within 60 to 86400."
    INVALID_TOKEN_LIFETIME = (BAD_REQUEST, "InvalidTokenLifetime", "Invalid authTokenTimeToLiveInSeconds specified. Must be within 60 to 86400.");
    /// 400 InvalidLivenessOperationMode "Invalid livenessOperationMode specified. Must be 'Passive'."
    INVALID_LIVENESS_OPERATION_MODE = (BAD_REQUEST, "InvalidLivenessOperationMode", "Invalid livenessOperationMode specified. Must be 'Passive'.");
    /// 400 InvalidDeviceCorrelationId "A device correlation ID is required …"
    INVALID_DEVICE_CORRELATION_ID = (BAD_REQUEST, "InvalidDeviceCorrelationId", "A device correlation ID is required in the request body during session create or session start. Must not be null or empty, and be no more than 64 characters.");
    /// 404 SessionNotFound "Session ID is not found. …"
    SESSION_NOT_FOUND = (NOT_FOUND, "SessionNotFound", "Session ID is not found. The session ID is expired or does not exist.");

    // ---- Identify, Verify, Find Similar, Group ---------------------------------
    /// 400 BadArgument "'recognitionModel' is incompatible."
    RECOGNITION_MODEL_INCOMPATIBLE = (BAD_REQUEST, "BadArgument", "'recognitionModel' is incompatible.");
    /// 400 BadArgument "Person group ID is invalid."
    PERSON_GROUP_ID_INVALID = (BAD_REQUEST, "BadArgument", "Person group ID is invalid.");
    /// 400 BadArgument "Large person group ID is invalid."
    LARGE_PERSON_GROUP_ID_INVALID = (BAD_REQUEST, "BadArgument", "Large person group ID is invalid.");
    /// 400 BadArgument "Dynamic person group ID is invalid."
    DYNAMIC_PERSON_GROUP_ID_INVALID = (BAD_REQUEST, "BadArgument", "Dynamic person group ID is invalid.");
    /// 400 BadArgument "The argument maxNumOfCandidatesReturned is not valid."
    MAX_NUM_OF_CANDIDATES_INVALID = (BAD_REQUEST, "BadArgument", "The argument maxNumOfCandidatesReturned is not valid.");
    /// 400 BadArgument "The argument confidenceThreshold is not valid."
    CONFIDENCE_THRESHOLD_INVALID = (BAD_REQUEST, "BadArgument", "The argument confidenceThreshold is not valid.");
    /// 400 BadArgument "The length of faceIds is not in a valid range."
    FACE_IDS_LENGTH_INVALID = (BAD_REQUEST, "BadArgument", "The length of faceIds is not in a valid range.");
    /// 400 FaceNotFound "Face is not found."
    FACE_NOT_FOUND = (BAD_REQUEST, "FaceNotFound", "Face is not found.");
    /// 400 PersonGroupNotFound "Person group is not found."
    PERSON_GROUP_NOT_FOUND = (BAD_REQUEST, "PersonGroupNotFound", "Person group is not found.");
    /// 400 LargePersonGroupNotFound "Large person group is not found."
    LARGE_PERSON_GROUP_NOT_FOUND = (BAD_REQUEST, "LargePersonGroupNotFound", "Large person group is not found.");
    /// 400 DynamicPersonGroupNotFound "Dynamic person group is not found."
    DYNAMIC_PERSON_GROUP_NOT_FOUND = (BAD_REQUEST, "DynamicPersonGroupNotFound", "Dynamic person group is not found.");
    /// 400 PersonGroupNotTrained "Person group not trained."
    PERSON_GROUP_NOT_TRAINED = (BAD_REQUEST, "PersonGroupNotTrained", "Person group not trained.");
    /// 400 LargePersonGroupNotTrained "Large person group not trained."
    LARGE_PERSON_GROUP_NOT_TRAINED = (BAD_REQUEST, "LargePersonGroupNotTrained", "Large person group not trained.");
    /// 400 PersonGroupIdAndLargePersonGroupIdBothNotNull
    GROUP_IDS_BOTH_NOT_NULL = (BAD_REQUEST, "PersonGroupIdAndLargePersonGroupIdBothNotNull", "Large person group ID and person group ID are both not null.");
    /// 400 PersonGroupIdAndLargePersonGroupIdBothNull
    GROUP_IDS_BOTH_NULL = (BAD_REQUEST, "PersonGroupIdAndLargePersonGroupIdBothNull", "Large person group ID and person group ID are both null.");
    /// 400 MissingIdentificationScopeParameters
    MISSING_IDENTIFICATION_SCOPE = (BAD_REQUEST, "MissingIdentificationScopeParameters", "No identification scope parameter is present in the request.");
    /// 400 IncompatibleIdentificationScopeParametersCombination
    INCOMPATIBLE_IDENTIFICATION_SCOPE = (BAD_REQUEST, "IncompatibleIdentificationScopeParametersCombination", "Incompatible identification scope parameters are present in the request.");
    /// 409 PersonGroupTrainingNotFinished "Person group is under training."
    PERSON_GROUP_UNDER_TRAINING = (CONFLICT, "PersonGroupTrainingNotFinished", "Person group is under training.");
    /// 409 LargePersonGroupTrainingNotFinished "Large person group is under training."
    LARGE_PERSON_GROUP_UNDER_TRAINING = (CONFLICT, "LargePersonGroupTrainingNotFinished", "Large person group is under training.");
    /// 400 BadArgument "Face ID is invalid."
    FACE_ID_INVALID = (BAD_REQUEST, "BadArgument", "Face ID is invalid.");
    /// 400 BadArgument "Person ID is invalid."
    PERSON_ID_INVALID = (BAD_REQUEST, "BadArgument", "Person ID is invalid.");
    /// 400 PersonNotFound "Person is not found." (verify)
    VERIFY_PERSON_NOT_FOUND = (BAD_REQUEST, "PersonNotFound", "Person is not found.");
    /// 400 PersonGroupNotFound "Person Group is not found." (verify)
    VERIFY_PERSON_GROUP_NOT_FOUND = (BAD_REQUEST, "PersonGroupNotFound", "Person Group is not found.");
    /// 400 LargePersonGroupNotFound "Large Person Group is not found." (verify)
    VERIFY_LARGE_PERSON_GROUP_NOT_FOUND = (BAD_REQUEST, "LargePersonGroupNotFound", "Large Person Group is not found.");
    /// 404 FaceNotFound "Face is not found." (verify)
    VERIFY_FACE_NOT_FOUND = (NOT_FOUND, "FaceNotFound", "Face is not found.");
    /// 404 PersonNotFound "Person is not found."
    PERSON_NOT_FOUND = (NOT_FOUND, "PersonNotFound", "Person is not found.");
    /// 404 PersistedFaceNotFound "No persisted face of the person is found."
    NO_PERSISTED_FACE_OF_PERSON = (NOT_FOUND, "PersistedFaceNotFound", "No persisted face of the person is found.");
    /// 400 BadArgument "Mode is invalid."
    MODE_INVALID = (BAD_REQUEST, "BadArgument", "Mode is invalid.");
    /// 400 BadArgument "Face list ID is invalid."
    FACE_LIST_ID_INVALID = (BAD_REQUEST, "BadArgument", "Face list ID is invalid.");
    /// 400 BadArgument "Large face list ID is invalid."
    LARGE_FACE_LIST_ID_INVALID = (BAD_REQUEST, "BadArgument", "Large face list ID is invalid.");
    /// 400 BadArgument "LargeFaceListId, faceListId and faceIds, not exactly one of them is valid."
    NOT_EXACTLY_ONE_FACE_SOURCE = (BAD_REQUEST, "BadArgument", "LargeFaceListId, faceListId and faceIds, not exactly one of them is valid.");
    /// 400 BadArgument "LargeFaceListId, faceListId and faceIds are all null."
    FACE_SOURCES_ALL_NULL = (BAD_REQUEST, "BadArgument", "LargeFaceListId, faceListId and faceIds are all null.");
    /// 400 BadArgument "2 or more of largeFaceListId, faceListId and faceIds are not null."
    TWO_OR_MORE_FACE_SOURCES = (BAD_REQUEST, "BadArgument", "2 or more of largeFaceListId, faceListId and faceIds are not null.");
    /// 400 FaceListNotFound "Face list is not found."
    FACE_LIST_NOT_FOUND = (BAD_REQUEST, "FaceListNotFound", "Face list is not found.");
    /// 400 LargeFaceListNotFound "Large face list is not found."
    LARGE_FACE_LIST_NOT_FOUND = (BAD_REQUEST, "LargeFaceListNotFound", "Large face list is not found.");
    /// 400 LargeFaceListNotTrained "Large face list is not trained."
    LARGE_FACE_LIST_NOT_TRAINED = (BAD_REQUEST, "LargeFaceListNotTrained", "Large face list is not trained.");
    /// 400 FaceListNotReady "Face list is empty."
    FACE_LIST_EMPTY = (BAD_REQUEST, "FaceListNotReady", "Face list is empty.");
    /// 409 LargeFaceListTrainingNotFinished "Large face list is under training."
    LARGE_FACE_LIST_UNDER_TRAINING = (CONFLICT, "LargeFaceListTrainingNotFinished", "Large face list is under training.");

    // ---- Person Group, Large Person Group ------------------------------------
    /// 403 QuotaExceeded "Person group number reached subscription level limit."
    PERSON_GROUP_QUOTA_EXCEEDED = (FORBIDDEN, "QuotaExceeded", "Person group number reached subscription level limit.");
    /// 403 QuotaExceeded "Person number reached person group level limit."
    PERSONS_PER_GROUP_QUOTA_EXCEEDED = (FORBIDDEN, "QuotaExceeded", "Person number reached person group level limit.");
    /// 403 QuotaExceeded "Person number reached subscription level limit."
    PERSONS_PER_SUBSCRIPTION_QUOTA_EXCEEDED = (FORBIDDEN, "QuotaExceeded", "Person number reached subscription level limit.");
    /// 403 QuotaExceeded "Persisted face number reached limit."
    PERSISTED_FACE_QUOTA_EXCEEDED = (FORBIDDEN, "QuotaExceeded", "Persisted face number reached limit.");
    /// 404 PersonGroupNotFound "Person group is not found."
    PERSON_GROUP_NOT_FOUND_404 = (NOT_FOUND, "PersonGroupNotFound", "Person group is not found.");
    /// 404 PersonGroupNotFound "Person group ID is invalid."
    PERSON_GROUP_ID_NOT_FOUND = (NOT_FOUND, "PersonGroupNotFound", "Person group ID is invalid.");
    /// 404 PersonNotFound "Person `<personId>` is not found."
    PERSON_NOT_FOUND_BY_ID = (NOT_FOUND, "PersonNotFound", "Person <personId> is not found.");
    /// 404 PersonNotFound "Person ID is invalid."
    PERSON_ID_NOT_FOUND = (NOT_FOUND, "PersonNotFound", "Person ID is invalid.");
    /// 404 PersistedFaceNotFound "Persisted face is not found."
    PERSISTED_FACE_NOT_FOUND = (NOT_FOUND, "PersistedFaceNotFound", "Persisted face is not found.");
    /// 404 PersistedFaceNotFound "Persisted face `<faceId>` is not found."
    PERSISTED_FACE_NOT_FOUND_BY_ID = (NOT_FOUND, "PersistedFaceNotFound", "Persisted face <faceId> is not found.");
    /// 404 PersistedFaceNotFound "Persisted face ID is invalid."
    PERSISTED_FACE_ID_NOT_FOUND = (NOT_FOUND, "PersistedFaceNotFound", "Persisted face ID is invalid.");
    /// 404 PersonGroupNotTrained "Person group not trained."
    PERSON_GROUP_NOT_TRAINED_404 = (NOT_FOUND, "PersonGroupNotTrained", "Person group not trained.");
    /// 409 PersonGroupExists "Person group already exists."
    PERSON_GROUP_EXISTS = (CONFLICT, "PersonGroupExists", "Person group already exists.");
    /// 400 BadArgument "Both 'name' and 'userData' are empty."
    NAME_AND_USER_DATA_EMPTY = (BAD_REQUEST, "BadArgument", "Both 'name' and 'userData' are empty.");
    /// 403 QuotaExceeded "Large person group number reached subscription level limit."
    LARGE_PERSON_GROUP_QUOTA_EXCEEDED = (FORBIDDEN, "QuotaExceeded", "Large person group number reached subscription level limit.");
    /// 403 QuotaExceeded "Person number reached large person group level limit."
    PERSONS_PER_LARGE_GROUP_QUOTA_EXCEEDED = (FORBIDDEN, "QuotaExceeded", "Person number reached large person group level limit.");
    /// 404 LargePersonGroupNotFound "Large person group is not found."
    LARGE_PERSON_GROUP_NOT_FOUND_404 = (NOT_FOUND, "LargePersonGroupNotFound", "Large person group is not found.");
    /// 404 LargePersonGroupNotFound "Large person group ID is invalid."
    LARGE_PERSON_GROUP_ID_NOT_FOUND = (NOT_FOUND, "LargePersonGroupNotFound", "Large person group ID is invalid.");
    /// 404 LargePersonGroupNotTrained "Large person group not trained."
    LARGE_PERSON_GROUP_NOT_TRAINED_404 = (NOT_FOUND, "LargePersonGroupNotTrained", "Large person group not trained.");
    /// 409 LargePersonGroupExists "Large person group already exists."
    LARGE_PERSON_GROUP_EXISTS = (CONFLICT, "LargePersonGroupExists", "Large person group already exists.");

    // ---- Face List, Large Face List -------------------------------------------
    /// 404 FaceListNotFound "Face list is not found."
    FACE_LIST_NOT_FOUND_404 = (NOT_FOUND, "FaceListNotFound", "Face list is not found.");
    /// 404 FaceListNotFound "Face list ID is invalid."
    FACE_LIST_ID_NOT_FOUND = (NOT_FOUND, "FaceListNotFound", "Face list ID is invalid.");
    /// 409 FaceListExists "Face list already exists."
    FACE_LIST_EXISTS = (CONFLICT, "FaceListExists", "Face list already exists.");
    /// 403 QuotaExceeded "Large Face List number reached limit."
    LARGE_FACE_LIST_QUOTA_EXCEEDED = (FORBIDDEN, "QuotaExceeded", "Large Face List number reached limit.");
    /// 404 LargeFaceListNotFound "Large face list is not found."
    LARGE_FACE_LIST_NOT_FOUND_404 = (NOT_FOUND, "LargeFaceListNotFound", "Large face list is not found.");
    /// 404 LargeFaceListNotFound "Large face list ID is invalid."
    LARGE_FACE_LIST_ID_NOT_FOUND = (NOT_FOUND, "LargeFaceListNotFound", "Large face list ID is invalid.");
    /// 404 PersistedFaceNotFound "Large Face List Face `<faceId>` is not found."
    LARGE_FACE_LIST_FACE_NOT_FOUND_BY_ID = (NOT_FOUND, "PersistedFaceNotFound", "Large Face List Face <faceId> is not found.");
    /// 404 LargeFaceListNotTrained "Large face list not trained."
    LARGE_FACE_LIST_NOT_TRAINED_404 = (NOT_FOUND, "LargeFaceListNotTrained", "Large face list not trained.");
    /// 409 LargeFaceListExists "Large face list already exists."
    LARGE_FACE_LIST_EXISTS = (CONFLICT, "LargeFaceListExists", "Large face list already exists.");

    // ---- Person Directory -----------------------------------------------------
    /// 400 BadArgument "Recognition model is not supported for this feature."
    RECOGNITION_MODEL_NOT_SUPPORTED = (BAD_REQUEST, "BadArgument", "Recognition model is not supported for this feature.");
    /// 400 BadArgument "'start' is not valid person ID."
    START_NOT_VALID_PERSON_ID = (BAD_REQUEST, "BadArgument", "'start' is not valid person ID.");
    /// 400 DynamicPersonGroupNotFound "Dynamic person group ID is invalid."
    DYNAMIC_PERSON_GROUP_ID_NOT_FOUND = (BAD_REQUEST, "DynamicPersonGroupNotFound", "Dynamic person group ID is invalid.");
    /// 404 DynamicPersonGroupNotFound "Dynamic person group was not found."
    DYNAMIC_PERSON_GROUP_NOT_FOUND_404 = (NOT_FOUND, "DynamicPersonGroupNotFound", "Dynamic person group was not found.");
    /// 404 DynamicPersonGroupNotFound "DynamicPersonGroupPersonReference `<groupId>` is not found."
    DYNAMIC_PERSON_GROUP_REFERENCE_NOT_FOUND = (NOT_FOUND, "DynamicPersonGroupNotFound", "DynamicPersonGroupPersonReference <groupId> is not found.");
    /// 404 PersistedFaceNotFound "Persisted Face ID is invalid." (Person Directory spelling)
    PERSON_DIRECTORY_PERSISTED_FACE_ID_NOT_FOUND = (NOT_FOUND, "PersistedFaceNotFound", "Persisted Face ID is invalid.");
    /// 409 DynamicPersonGroupExists "Dynamic person group ID `<groupId>` already exists."
    DYNAMIC_PERSON_GROUP_EXISTS = (CONFLICT, "DynamicPersonGroupExists", "Dynamic person group ID <groupId> already exists.");
}

/// The entries this crate answers locally: every error a rule can produce.
/// The rest of [`ALL`] needs the service's stored state or computation (not
/// found, already exists, not trained, quotas, rate limits, …) and is left
/// to the service. Report-only mode counts a service answer from this list,
/// to a request the crate let through, as a miss.
pub const DECIDED_LOCALLY: &[Entry] = &[
    REQUEST_BODY_INVALID,
    JSON_PARSING_ERROR,
    RECOGNITION_MODEL_INVALID,
    DETECTION_MODEL_INVALID,
    NAME_EMPTY,
    NAME_TOO_LONG,
    USER_DATA_TOO_LONG,
    START_TOO_LONG,
    TOP_INVALID,
    TARGET_FACE_OUT_OF_RANGE,
    TARGET_FACE_INVALID,
    IMAGE_URL_INVALID,
    IMAGE_FORMAT_UNSUPPORTED,
    IMAGE_TOO_SMALL,
    IMAGE_TOO_BIG,
    ACCESS_DENIED,
    RETURN_FACE_ATTRIBUTES_INVALID,
    ATTRIBUTES_NOT_SUPPORTED_BY_DETECTION_02,
    LANDMARKS_NOT_SUPPORTED_BY_DETECTION_02,
    ATTRIBUTES_DEPRECATED,
    LIVENESS_START_INVALID,
    LIVENESS_TOP_INVALID,
    LIVENESS_REQUEST_BODY_INVALID,
    INVALID_TOKEN_LIFETIME,
    INVALID_LIVENESS_OPERATION_MODE,
    INVALID_DEVICE_CORRELATION_ID,
    PERSON_GROUP_ID_INVALID,
    LARGE_PERSON_GROUP_ID_INVALID,
    DYNAMIC_PERSON_GROUP_ID_INVALID,
    MAX_NUM_OF_CANDIDATES_INVALID,
    CONFIDENCE_THRESHOLD_INVALID,
    FACE_IDS_LENGTH_INVALID,
    GROUP_IDS_BOTH_NOT_NULL,
    GROUP_IDS_BOTH_NULL,
    MISSING_IDENTIFICATION_SCOPE,
    INCOMPATIBLE_IDENTIFICATION_SCOPE,
    FACE_ID_INVALID,
    PERSON_ID_INVALID,
    MODE_INVALID,
    FACE_LIST_ID_INVALID,
    LARGE_FACE_LIST_ID_INVALID,
    NOT_EXACTLY_ONE_FACE_SOURCE,
    FACE_SOURCES_ALL_NULL,
    TWO_OR_MORE_FACE_SOURCES,
    PERSON_GROUP_ID_NOT_FOUND,
    PERSON_ID_NOT_FOUND,
    PERSISTED_FACE_ID_NOT_FOUND,
    NAME_AND_USER_DATA_EMPTY,
    LARGE_PERSON_GROUP_ID_NOT_FOUND,
    FACE_LIST_ID_NOT_FOUND,
    LARGE_FACE_LIST_ID_NOT_FOUND,
    START_NOT_VALID_PERSON_ID,
    DYNAMIC_PERSON_GROUP_ID_NOT_FOUND,
    PERSON_DIRECTORY_PERSISTED_FACE_ID_NOT_FOUND,
];
