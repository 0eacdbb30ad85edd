//! Liveness sessions and liveness-with-verify sessions.
//!
//! This family answers a body of the wrong shape with `InvalidRequestBody`,
//! not `BadArgument`, and has its own listing messages.

use std::borrow::Cow;

use crate::catalogue::{self, Entry};
use crate::json::{Object, Reading, Shape, Value};
use crate::router::ApiVersion;
use crate::rules::fields::{longer_than, parse_int, top_in_range};
use crate::rules::form::{read_form, Form, Part};
use crate::rules::image::check_image;
use crate::rules::query::Query;
use crate::rules::{Rejection, Verdict};

const MAX_DEVICE_CORRELATION_ID_LEN: usize = 64;
/// `numberOfClientAttemptsAllowed`: `minimum`/`maximum` of the form field
/// in v1.3-preview.1 (the JSON field states them in prose only).
const CLIENT_ATTEMPTS: std::ops::RangeInclusive<i64> = 1..=3;
const TOKEN_LIFETIME_SECONDS: std::ops::RangeInclusive<i64> = 60..=86400;

/// `top` of a session listing. Session IDs have no documented form, so
/// its `start` is left to the service.
pub(crate) fn check_session_listing(query: &Query<'_>) -> Result<(), Entry> {
    if !top_in_range(query) {
        return Err(catalogue::LIVENESS_TOP_INVALID);
    }
    Ok(())
}

/// `start` and `top` of a session's audit entries. Entries are numbered:
/// `start` is the `id` of the last one.
pub(crate) fn check_audit_listing(query: &Query<'_>) -> Result<(), Entry> {
    if let Some(start) = query.get("start") {
        if !start.trim().is_empty() && parse_int(&start).is_none() {
            return Err(catalogue::LIVENESS_START_INVALID);
        }
    }
    check_session_listing(query)
}

/// The model-version field and its documented values in each version.
fn model_field(version: ApiVersion) -> (&'static str, &'static [&'static str]) {
    if version.has_preview_liveness_paths() {
        (
            "livenessSingleModalModel",
            &["2022-10-15-preview.04", "2023-12-20-preview.06"],
        )
    } else {
        ("livenessModelVersion", &["2024-11-15"])
    }
}

/// The session fields new in v1.3-preview.1, judged by type only: the
/// published schema declares `numberOfClientAttemptsAllowed` an object (a
/// defect; the official examples send `1`), and its JSON bound (1–3), the
/// correlation ID and the IP address or CIDR block are stated in prose that
/// no documented error answers. Older versions ignore these names.
fn check_v1_3_fields(body: &Object<'_>) -> Result<(), Shape> {
    body.int("numberOfClientAttemptsAllowed")?;
    body.str("userCorrelationId")?;
    body.bool("userCorrelationIdSetInClient")?;
    body.str("expectedClientIpAddress")?;
    Ok(())
}

/// How a session's parameters came: a JSON body (or the `Parameters` part
/// of a preview form, which is one), or one form field each.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Json,
    FormFields,
}

/// A JSON body that creates a session (either kind).
pub(crate) fn check_create_session_json(version: ApiVersion, body: &Object<'_>) -> Verdict {
    check_create_session(version, Encoding::Json, body)
}

/// The parameters that create a session (either kind).
pub(crate) fn check_create_session(
    version: ApiVersion,
    encoding: Encoding,
    body: &Object<'_>,
) -> Verdict {
    // Types first: a field of the wrong type fails binding.
    let mode = body.enum_text("livenessOperationMode")?;
    // A mode given by value (a number, `true`, `"1"`) or as something
    // Json.NET's enum reader refuses (`NaN`, blanks) is the service's to
    // judge; an empty string reads as null, the same as no mode.
    let mode_unjudged = mode.is_none()
        && body
            .get("livenessOperationMode")
            .is_some_and(|value| !matches!(value, Value::Str(text) if text.is_empty()));
    let set_in_client = body
        .bool("deviceCorrelationIdSetInClient")?
        .unwrap_or(false);
    let device_id = body.str("deviceCorrelationId")?;
    let lifetime = body.int("authTokenTimeToLiveInSeconds")?;
    for flag in [
        "sendResultsToClient",
        "enableSessionImage",
        "returnVerifyImageHash",
    ] {
        body.bool(flag)?;
    }
    let threshold = body.number("verifyConfidenceThreshold")?;
    let (model_field, models) = model_field(version);
    let model = body.enum_text(model_field)?;
    // The form of v1.3-preview.1 has none of the new fields but the attempts.
    if version.has_liveness_settings() && encoding == Encoding::Json {
        check_v1_3_fields(body)?;
    }

    // Every revision but the earliest v1.1-preview.1 one allows
    // PassiveActive; a false rejection is worse than a miss.
    let mode_ok = mode.is_some_and(|m| {
        m.eq_ignore_ascii_case("Passive") || m.eq_ignore_ascii_case("PassiveActive")
    });
    if !mode_ok && !mode_unjudged {
        return Err(catalogue::INVALID_LIVENESS_OPERATION_MODE.into());
    }
    let device_id_ok = match device_id {
        _ if device_id.is_some_and(|id| longer_than(id, MAX_DEVICE_CORRELATION_ID_LEN)) => false,
        // The official examples send an ID with `deviceCorrelationIdSetInClient: true`.
        _ if set_in_client => true,
        Some(id) => !id.is_empty(),
        None => false,
    };
    if !device_id_ok {
        return Err(catalogue::INVALID_DEVICE_CORRELATION_ID.into());
    }
    if lifetime.is_some_and(|t| !TOKEN_LIFETIME_SECONDS.contains(&t)) {
        return Err(catalogue::INVALID_TOKEN_LIFETIME.into());
    }
    if threshold.is_some_and(|t| !(0.0..=1.0).contains(&t)) {
        return Err(Rejection::Shape);
    }
    if model.is_some_and(|m| !models.iter().any(|known| known.eq_ignore_ascii_case(m))) {
        return Err(Rejection::Shape);
    }
    Ok(())
}

/// The multipart body that creates a liveness-with-verify session: before
/// v1.2 a `Parameters` part (the JSON body) and a `VerifyImage` file; from
/// v1.2 on one form field per parameter and a `verifyImage` file.
pub(crate) fn check_create_session_form(
    version: ApiVersion,
    content_type: &str,
    body: &[u8],
) -> Verdict {
    let parts = match read_form(content_type, body) {
        Form::Parts(parts) => parts,
        Form::Malformed => return Err(Rejection::Shape),
        Form::Undecided => return Ok(()),
    };
    let part = |name: &str| {
        parts
            .iter()
            .rev()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    };
    if !version.has_preview_liveness_paths() {
        let fields = parts
            .iter()
            .filter(|p| !p.is_file)
            .map(|p| form_field(p).map(|value| (Cow::Borrowed(p.name), value)))
            .collect::<Option<Vec<_>>>()
            .ok_or(Rejection::Shape)?;
        let fields = Object::from_fields(fields);
        check_create_session(version, Encoding::FormFields, &fields)?;
        if version.has_liveness_settings() {
            // The form field has its bounds as keywords, unlike the JSON field.
            let attempts = fields.int("numberOfClientAttemptsAllowed")?;
            if attempts.is_some_and(|n| !CLIENT_ATTEMPTS.contains(&n)) {
                return Err(Rejection::Shape);
            }
        }
    } else {
        let parameters = part("Parameters").ok_or(Rejection::Shape)?;
        crate::json::read_object(parameters.bytes, |parameters| match parameters {
            Reading::Object(parameters) => {
                check_create_session(version, Encoding::Json, parameters)
            }
            Reading::Unreadable(_) => Err(Rejection::Shape),
            Reading::Undecided => Ok(()),
        })?;
    }
    let image = part("VerifyImage").ok_or(Rejection::Shape)?;
    Ok(check_image(image.bytes, None)?)
}

/// A form field as a string value (the typed accessors read numbers and
/// booleans from it as the service's binder does); `None` if not UTF-8.
fn form_field<'a>(part: &Part<'a>) -> Option<Value<'a>> {
    let text = std::str::from_utf8(part.bytes).ok()?;
    Some(Value::Str(Cow::Borrowed(text)))
}

/// `PATCH /settings` (v1.3-preview.1): `{"livenessAbuseMonitoring":
/// {"enabled": …}}`, or the flat `{"enabled": …}` of an earlier revision's
/// example. Nothing is required; only the types are decidable (`enabled`
/// is declared an object, a defect: the examples send a boolean).
pub(crate) fn check_update_settings(_: ApiVersion, body: &Object<'_>) -> Verdict {
    body.bool("enabled")?;
    match body.get("livenessAbuseMonitoring") {
        None | Some(Value::Object) => Ok(()),
        Some(_) => Err(Rejection::Shape),
    }
}
