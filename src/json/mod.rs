//! A one-pass, borrowed view of a JSON object body.
//!
//! Rules need a handful of top-level fields. Building a `serde_json::Value`
//! costs about four times the parse itself, so the body is walked once:
//! scalars are kept (strings borrowed from the body when they have no
//! escapes, numbers as their text), arrays are summarised (length, element
//! kinds, how many strings are GUIDs) and nested objects are skipped. Field
//! names are looked up without regard to ASCII case, as the service binds
//! them; of duplicate names the last wins.
//!
//! Scalars are read as the service's .NET readers convert them: a quoted
//! number where an integer goes is judged by its value, `"true"` is a
//! boolean, a number is a string's text. A body that strict JSON refuses is
//! read again by [`lenient`], as Json.NET's reader would read it.

pub(crate) mod lenient;

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;

use crate::lexical::{is_canonical_guid, is_guid, parse_int};

/// Why a body could not be read as an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Not JSON at all (syntax error, truncated, nested too deep).
    Syntax,
    /// JSON, but not an object (or empty).
    NotAnObject,
}

/// A top-level JSON object.
#[derive(Debug, Default)]
pub(crate) struct Object<'a> {
    fields: Vec<(Cow<'a, str>, Value<'a>)>,
}

/// A top-level field's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    /// A number, as its JSON text.
    Number(&'a str),
    Str(Cow<'a, str>),
    /// `NaN`, `Infinity` or `-Infinity` as a bare token (lenient reading
    /// only): Json.NET converts it by the property's type.
    Literal(Literal),
    Array(Array<'a>),
    Object,
}

/// A bare floating-point literal that strict JSON cannot hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Literal {
    NaN,
    Infinity,
    NegativeInfinity,
}

impl Literal {
    /// The lenient reader writes a top-level field's literal as a string
    /// with this prefix; [`Object::lift_literals`] turns it back into a
    /// [`Value::Literal`]. A NUL first keeps it from any string a client
    /// plausibly sends (and one that does only loses a check).
    pub(crate) const PREFIX: &'static str = "\u{0}face-preflight-literal:";

    pub(crate) fn from_token(token: &str) -> Option<Self> {
        match token {
            "NaN" => Some(Self::NaN),
            "Infinity" => Some(Self::Infinity),
            "-Infinity" => Some(Self::NegativeInfinity),
            _ => None,
        }
    }

    /// Its text, as Json.NET gives it to a string property.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Self::NaN => "NaN",
            Self::Infinity => "Infinity",
            Self::NegativeInfinity => "-Infinity",
        }
    }

    fn value(self) -> f64 {
        match self {
            Self::NaN => f64::NAN,
            Self::Infinity => f64::INFINITY,
            Self::NegativeInfinity => f64::NEG_INFINITY,
        }
    }
}

/// Summary of an array.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Array<'a> {
    /// The array's JSON text, for a judge that needs its elements.
    pub raw: &'a str,
    /// Every element is a canonical GUID string without escapes.
    canonical: bool,
    pub len: usize,
    /// Elements that are not strings.
    pub non_strings: usize,
    /// String elements that are not GUIDs.
    pub non_guids: usize,
    /// The first element, if it is a string.
    pub first: Option<Cow<'a, str>>,
}

impl Array<'_> {
    /// The value of each string element that is a GUID in a form .NET
    /// reads, in order; other elements are skipped.
    #[cfg_attr(not(feature = "facts"), allow(dead_code))]
    pub(crate) fn guid_values(&self, values: &mut Vec<u128>) {
        values.reserve(self.len);
        if self.canonical {
            let read = canonical_guids(self.raw, Checked::Already, |guid| {
                if let Ok(guid) = <&[u8; 36]>::try_from(guid.as_bytes()) {
                    values.push(crate::lexical::canonical_guid_value(guid));
                }
            });
            debug_assert!(read.is_some(), "summarised as canonical");
            return;
        }
        let mut deserializer = serde_json::Deserializer::from_str(self.raw);
        // The text was read once already: it is an array of JSON values.
        let _ = deserializer.deserialize_seq(GuidValues(values));
    }
}

/// Collects the GUID values of an array's string elements.
struct GuidValues<'v>(&'v mut Vec<u128>);

impl<'de> Visitor<'de> for GuidValues<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(element) = seq.next_element_seed(ElementSeed)? {
            if let Element::Str(text) = element {
                self.0.extend(crate::lexical::guid_value(&text));
            }
        }
        Ok(())
    }
}

impl<'a> Object<'a> {
    /// Parses `body` as a JSON object.
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self, BodyError> {
        // .NET readers skip a UTF-8 byte-order mark; serde_json does not.
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(BodyError::NotAnObject);
        }
        // One UTF-8 check of the whole body, so that the parser need not
        // check each string again.
        let Ok(text) = std::str::from_utf8(body) else {
            return Err(BodyError::Syntax);
        };
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let parsed = ObjectSeed
            .deserialize(&mut deserializer)
            .and_then(|object| {
                deserializer.end()?;
                Ok(object)
            });
        match parsed {
            Ok(Some(object)) => Ok(object),
            Ok(None) => Err(BodyError::NotAnObject),
            Err(_) => Err(BodyError::Syntax),
        }
    }

    /// An object made of fields read elsewhere (the text fields of a form).
    pub(crate) fn from_fields(fields: Vec<(Cow<'a, str>, Value<'a>)>) -> Self {
        Self { fields }
    }

    /// The field named `name` (any ASCII case), unless missing or `null`.
    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<&Value<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
            .filter(|value| **value != Value::Null)
    }

    /// The field named `name` when the body names it once (in any case):
    /// `Ok(None)` when absent or `null`, `Err` when two names differ only in
    /// case. A stateful judge learns only from what it is sure the service
    /// bound: which of two spellings a binder keeps is its own affair.
    #[cfg_attr(not(feature = "facts"), allow(dead_code))]
    pub(crate) fn unique(&self, name: &str) -> Result<Option<&Value<'a>>, Shape> {
        let mut named = self
            .fields
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name));
        match (named.next(), named.next()) {
            (Some(_), Some(_)) => Err(Shape),
            (Some((_, value)), None) if *value != Value::Null => Ok(Some(value)),
            _ => Ok(None),
        }
    }

    /// Turns the lenient reader's marked strings back into literals.
    fn lift_literals(&mut self) {
        for (_, value) in &mut self.fields {
            if let Value::Str(text) = value {
                if let Some(literal) = text
                    .strip_prefix(Literal::PREFIX)
                    .and_then(Literal::from_token)
                {
                    *value = Value::Literal(literal);
                }
            }
        }
    }

    /// Whether the field is present with a non-null value.
    #[inline]
    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A string field; `Err` when present but an array or object. A number
    /// is its text and a boolean `True` or `False`, as Json.NET converts
    /// them for a string property.
    #[inline]
    pub(crate) fn str(&self, name: &str) -> Result<Option<&str>, Shape> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(Value::Number(text)) => Ok(Some(text)),
            Some(Value::Bool(true)) => Ok(Some("True")),
            Some(Value::Bool(false)) => Ok(Some("False")),
            Some(Value::Literal(literal)) => Ok(Some(literal.text())),
            Some(_) => Err(Shape),
        }
    }

    /// A string field that the service binds to an enumeration (`mode`,
    /// `livenessOperationMode`, a model name): the member's name to judge,
    /// trimmed as `Enum.Parse` trims it. What selects a member by its value
    /// in Json.NET's enum reader (a number, `true` as 1, an integer's text
    /// or comma-joined names) or reads as no member at all (`""`, which a
    /// nullable enum takes as null, and the service's default then
    /// applies) is `Ok(None)`: the service's to judge, as this crate cannot
    /// know the members' values or whether the property is nullable
    /// (issue #27).
    pub(crate) fn enum_text(&self, name: &str) -> Result<Option<&str>, Shape> {
        match self.get(name) {
            Some(Value::Number(_) | Value::Literal(_) | Value::Bool(_)) => Ok(None),
            Some(Value::Str(text)) => {
                let member = text.trim();
                let by_value = parse_int(member).is_some();
                if member.is_empty() || by_value || member.contains(',') {
                    Ok(None)
                } else {
                    Ok(Some(member))
                }
            }
            _ => self.str(name),
        }
    }

    /// A boolean field; `Err` when present but not a boolean, a string
    /// `bool.Parse` reads (`"true"`, `" False "`) or a number (non-zero is
    /// true, as `Convert.ToBoolean` has it).
    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, Shape> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Str(s)) if s.is_empty() => Ok(None),
            Some(Value::Str(s)) => {
                let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
                if s.eq_ignore_ascii_case("true") {
                    Ok(Some(true))
                } else if s.eq_ignore_ascii_case("false") {
                    Ok(Some(false))
                } else {
                    Err(Shape)
                }
            }
            Some(Value::Number(text)) => match text.parse::<f64>() {
                Ok(n) => Ok(Some(n != 0.0)),
                Err(_) => Err(Shape),
            },
            // `Convert.ToBoolean` of NaN or an infinity: true.
            Some(Value::Literal(_)) => Ok(Some(true)),
            Some(_) => Err(Shape),
        }
    }

    /// An `int32` field; `Err` when present but not an integer that fits.
    /// A string is read as `int.Parse` reads it (`" 7 "`, `"+7"`), never as
    /// a fraction. A number with a fraction or an exponent (`5.0`, `1e1`)
    /// is refused by Json.NET's integer reader ("Input string '5.0' is not
    /// a valid integer."); what the service answers to that reader
    /// exception is not known, so it is `Ok(None)`: never judged by a
    /// converted value the service never saw (issue #27).
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, Shape> {
        let value = match self.get(name) {
            None => return Ok(None),
            Some(Value::Number(text)) => match text.parse::<i64>() {
                Ok(i) => i,
                Err(_) if text.contains(['.', 'e', 'E']) => return Ok(None),
                // Digits past i64: past int32 too.
                Err(_) => return Err(Shape),
            },
            // Json.NET reads `""` for a number or a boolean as null.
            Some(Value::Str(s)) if s.is_empty() => return Ok(None),
            Some(Value::Str(s)) => parse_int(s).ok_or(Shape)?,
            // Json.NET refuses a literal for an integer; what the service
            // answers to that reader exception is not known: let it pass.
            Some(Value::Literal(_)) => return Ok(None),
            Some(_) => return Err(Shape),
        };
        if i32::try_from(value).is_ok() {
            Ok(Some(value))
        } else {
            Err(Shape)
        }
    }

    /// A number field; `Err` when present but neither a number nor a string
    /// that reads as one. A value this crate cannot judge for certain (NaN
    /// or an infinity, a string with thousands separators) is `Ok(None)`.
    pub(crate) fn number(&self, name: &str) -> Result<Option<f64>, Shape> {
        let text: &str = match self.get(name) {
            None => return Ok(None),
            // Json.NET gives a float property the literal's value: an
            // infinity lies outside every documented range; NaN compares
            // with nothing, so a range check may let it through: unjudged.
            Some(Value::Literal(Literal::NaN)) => return Ok(None),
            Some(Value::Literal(literal)) => return Ok(Some(literal.value())),
            // Json.NET's float reader takes a boolean as 1 or 0 (issue #27).
            Some(Value::Bool(b)) => return Ok(Some(if *b { 1.0 } else { 0.0 })),
            Some(Value::Number(text)) => text,
            Some(Value::Str(s)) if s.is_empty() => return Ok(None),
            Some(Value::Str(s)) => s.trim(),
            Some(_) => return Err(Shape),
        };
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Some(n)),
            Ok(_) => Ok(None),
            Err(_) if text.contains(',') => Ok(None),
            Err(_) => Err(Shape),
        }
    }

    /// An array field; `Err` when present but not an array.
    #[inline]
    pub(crate) fn array(&self, name: &str) -> Result<Option<&Array<'a>>, Shape> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(array)) => Ok(Some(array)),
            Some(_) => Err(Shape),
        }
    }
}

/// How a body reads as a JSON object.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reading<'a> {
    /// Read as the service reads it, strictly or as Json.NET's lenient
    /// reader does.
    Object(&'a Object<'a>),
    /// Not an object the service could read.
    Unreadable(BodyError),
    /// Beyond this crate's reading: left to the service.
    Undecided,
}

/// Reads `body` as the service would — strictly, or else as Json.NET's
/// lenient reader does — and hands the reading to `judge`.
pub(crate) fn read_object<R>(body: &[u8], judge: impl FnOnce(Reading<'_>) -> R) -> R {
    match Object::parse(body) {
        Ok(object) => judge(Reading::Object(&object)),
        Err(BodyError::Syntax) => match lenient::read(body) {
            lenient::Reading::Json(text) => match Object::parse(text.as_bytes()) {
                Ok(mut object) => {
                    object.lift_literals();
                    judge(Reading::Object(&object))
                }
                Err(error) => judge(Reading::Unreadable(error)),
            },
            lenient::Reading::Unreadable => judge(Reading::Unreadable(BodyError::Syntax)),
            lenient::Reading::Undecided => judge(Reading::Undecided),
        },
        Err(error) => judge(Reading::Unreadable(error)),
    }
}

/// A field of the wrong JSON type: the body does not fit the operation's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape;

/// `Some(object)` for an object, `None` for any other JSON value.
struct ObjectSeed;

impl<'de> DeserializeSeed<'de> for ObjectSeed {
    type Value = Option<Object<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Option<Object<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8).min(16));
        while let Some(Text(key)) = map.next_key()? {
            let value = map.next_value_seed(ValueSeed)?;
            fields.push((key, value));
        }
        Ok(Some(Object { fields }))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A string, borrowed from the body when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value<'de>;

    /// Takes the value's raw text (serde_json skips it as fast as it skips
    /// anything), then reads it: arrays of canonical GUIDs, the bulk of the
    /// large bodies, are summarised by a direct scan.
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let raw = <&'de RawValue>::deserialize(deserializer)?.get();
        match raw.as_bytes().first() {
            Some(b'[') => match guid_array(raw) {
                Some(array) => Ok(Value::Array(array)),
                None => reparse(raw),
            },
            Some(b'{') => Ok(Value::Object),
            Some(b'-' | b'0'..=b'9') => Ok(Value::Number(raw)),
            // serde_json has checked the literal and the string: a string
            // without escapes is its text between the quotes.
            Some(b't') => Ok(Value::Bool(true)),
            Some(b'f') => Ok(Value::Bool(false)),
            Some(b'n') => Ok(Value::Null),
            Some(b'"') if !raw.contains('\\') => Ok(Value::Str(Cow::Borrowed(
                raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default(),
            ))),
            _ => reparse(raw),
        }
    }
}

/// Reads a value's raw text, which serde_json has already found well formed.
fn reparse<'de, E: de::Error>(raw: &'de str) -> Result<Value<'de>, E> {
    let mut deserializer = serde_json::Deserializer::from_str(raw);
    let mut value = deserializer
        .deserialize_any(ValueVisitor)
        .map_err(E::custom)?;
    if let Value::Array(array) = &mut value {
        array.raw = raw;
    }
    Ok(value)
}

/// The summary of an array whose elements are all GUIDs in the canonical
/// 8-4-4-4-12 form without escapes; `None` for any other array.
fn guid_array(raw: &str) -> Option<Array<'_>> {
    let mut array = Array {
        raw,
        canonical: true,
        ..Array::default()
    };
    let mut first = None;
    canonical_guids(raw, Checked::Not, |guid| {
        if array.len == 0 {
            first = Some(guid);
        }
        array.len += 1;
    })?;
    array.first = first.map(Cow::Borrowed);
    Some(array)
}

/// Whether an array's GUIDs were found canonical already.
#[derive(Clone, Copy, PartialEq)]
enum Checked {
    Not,
    #[cfg_attr(not(feature = "facts"), allow(dead_code))]
    Already,
}

/// Hands each element of an array of canonical GUID strings without
/// escapes to `each`; `None` (part-way) for any other array. An array
/// `Checked::Already` is walked without checking its GUIDs' digits again.
fn canonical_guids<'a>(
    raw: &'a str,
    checked: Checked,
    mut each: impl FnMut(&'a str),
) -> Option<()> {
    let bytes = raw.as_bytes();
    let skip_whitespace = |mut at: usize| {
        while bytes.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
            at += 1;
        }
        at
    };
    let mut at = skip_whitespace(1);
    if bytes.get(at) == Some(&b']') {
        return Some(());
    }
    loop {
        // `"` + 36 characters + `"`, checked as bytes: a GUID is ASCII.
        let quoted = bytes.get(at..at + 38)?;
        let guid = <&[u8; 36]>::try_from(quoted.get(1..37)?).ok()?;
        if quoted.first() != Some(&b'"')
            || quoted.last() != Some(&b'"')
            || (checked == Checked::Not && !is_canonical_guid(guid))
        {
            return None;
        }
        // A canonical GUID is ASCII: its quotes are char boundaries.
        each(raw.get(at + 1..at + 37)?);
        at = skip_whitespace(at + 38);
        match bytes.get(at) {
            Some(b',') => at = skip_whitespace(at + 1),
            Some(b']') => return Some(()),
            _ => return None,
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Value::Bool(b))
    }
    // Numbers never get here: `ValueSeed` keeps their text.
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(s.to_owned())))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Object)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut array = Array::default();
        while let Some(element) = seq.next_element_seed(ElementSeed)? {
            match element {
                Element::Str(s) => {
                    if !is_guid(&s) {
                        array.non_guids += 1;
                    }
                    if array.len == 0 {
                        array.first = Some(s);
                    }
                }
                Element::Other => array.non_strings += 1,
            }
            array.len += 1;
        }
        Ok(Value::Array(array))
    }
}

enum Element<'a> {
    Str(Cow<'a, str>),
    Other,
}

struct ElementSeed;

impl<'de> DeserializeSeed<'de> for ElementSeed {
    type Value = Element<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Element::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Element::Str(Cow::Owned(s.to_owned())))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Element::Other)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Element::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Element::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Element::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Element::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Element::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Element::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_case_insensitively_last_wins() {
        let object =
            Object::parse(br#"{"faceIds":[1],"FACEIDS":["a"],"top":5.0,"n":null}"#).unwrap();
        let array = object.array("faceids").unwrap().unwrap();
        assert_eq!(array.len, 1);
        assert_eq!(array.non_strings, 0);
        assert_eq!(array.non_guids, 1);
        assert_eq!(object.int("TOP"), Ok(None), "5.0 is left to the service");
        assert_eq!(object.get("n"), None);
    }

    #[test]
    fn guid_arrays_fast_and_slow() {
        let guid = "c5c24a82-6845-4031-9d5d-978df9175426";
        for (body, len, non_guids, non_strings) in [
            (format!(r#"{{"a":[ "{guid}" , "{guid}" ]}}"#), 2, 0, 0),
            (r#"{"a":[ ]}"#.to_owned(), 0, 0, 0),
            (
                format!(r#"{{"a":["{guid}","x",1,null,["{guid}"]]}}"#),
                5,
                1,
                3,
            ),
            (format!(r#"{{"a":["{}"]}}"#, guid.to_uppercase()), 1, 0, 0),
            (format!(r#"{{"a":["{{{guid}}}"]}}"#), 1, 0, 0),
            (
                r#"{"a":["c5c24a82-6845-4031-9d5d-978df9175426"]}"#.to_owned(),
                1,
                0,
                0,
            ),
        ] {
            let object = Object::parse(body.as_bytes()).unwrap();
            let array = object.array("a").unwrap().unwrap();
            assert_eq!(
                (array.len, array.non_guids, array.non_strings),
                (len, non_guids, non_strings),
                "{body}"
            );
        }
        let body = format!(r#"{{"a":["{guid}"]}}"#);
        let object = Object::parse(body.as_bytes()).unwrap();
        assert_eq!(
            object.array("a").unwrap().unwrap().first.as_deref(),
            Some(guid)
        );
    }

    #[test]
    fn numbers_beyond_i32_are_shape_errors() {
        let object = Object::parse(
            br#"{"a":2147483648,"b":1e300,"c":18446744073709551616,"d":"1.5","e":-2147483649.0}"#,
        )
        .unwrap();
        for name in ["a", "c", "d"] {
            assert_eq!(object.int(name), Err(Shape), "{name}");
        }
        // A fraction or an exponent: Json.NET's integer reader refuses the
        // form whatever its size; left to the service.
        for name in ["b", "e"] {
            assert_eq!(object.int(name), Ok(None), "{name}");
        }
    }

    #[test]
    fn scalars_convert_as_json_net_converts_them() {
        let object = Object::parse(
            br#"{"i":" 7 ","f":2.5,"g":3.5,"h":-0.5,"t":"TRUE","n":0,"s":12.50,"b":false,"x":"1,000","nan":"NaN"}"#,
        )
        .unwrap();
        assert_eq!(object.int("i"), Ok(Some(7)));
        // Json.NET refuses a fraction for an integer: left to the service.
        assert_eq!(object.int("f"), Ok(None));
        assert_eq!(object.int("g"), Ok(None));
        assert_eq!(object.int("h"), Ok(None));
        assert_eq!(object.bool("t"), Ok(Some(true)));
        assert_eq!(object.bool("n"), Ok(Some(false)));
        assert_eq!(object.str("s"), Ok(Some("12.50")));
        assert_eq!(object.str("b"), Ok(Some("False")));
        assert_eq!(object.number("i"), Ok(Some(7.0)));
        assert_eq!(object.number("x"), Ok(None));
        assert_eq!(object.number("nan"), Ok(None));
        assert_eq!(object.number("t"), Err(Shape));
        assert_eq!(object.enum_text("n"), Ok(None));
        assert_eq!(object.enum_text("b"), Ok(None));
    }

    #[test]
    fn an_empty_string_is_null_to_a_number_or_a_boolean() {
        let object = Object::parse(br#"{"e":"","w":" "}"#).unwrap();
        assert_eq!(object.int("e"), Ok(None));
        assert_eq!(object.number("e"), Ok(None));
        assert_eq!(object.bool("e"), Ok(None));
        assert_eq!(object.str("e"), Ok(Some("")));
        // Blanks are not empty: `int.Parse(" ")` fails.
        assert_eq!(object.int("w"), Err(Shape));
        assert_eq!(object.bool("w"), Err(Shape));
    }

    #[test]
    fn classifies_bad_bodies() {
        assert_eq!(Object::parse(b"").unwrap_err(), BodyError::NotAnObject);
        assert_eq!(Object::parse(b"[1]").unwrap_err(), BodyError::NotAnObject);
        assert_eq!(Object::parse(b"{").unwrap_err(), BodyError::Syntax);
        assert_eq!(Object::parse(b"{} x").unwrap_err(), BodyError::Syntax);
        assert_eq!(Object::parse(b"\xff").unwrap_err(), BodyError::Syntax);
        let deep = "[".repeat(100_000);
        assert_eq!(
            Object::parse(deep.as_bytes()).unwrap_err(),
            BodyError::Syntax
        );
        assert!(Object::parse(b"\xEF\xBB\xBF{}").is_ok());
    }
}
