//! The query string, read as the service reads it: names without regard to
//! case, values percent-decoded.

use std::borrow::Cow;

/// Parsed `name=value` pairs of a query string.
pub(crate) struct Query<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Query<'a> {
    pub(crate) fn parse(query: Option<&'a str>) -> Self {
        let pairs = query
            .map(|q| form_urlencoded::parse(q.as_bytes()).collect())
            .unwrap_or_default();
        Self { pairs }
    }

    /// The first value of `name` (any ASCII case). The service binds a scalar
    /// parameter from its first occurrence.
    pub(crate) fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        self.pairs
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    }

    /// A boolean parameter: `Some(true)` for `true` in any case.
    pub(crate) fn flag(&self, name: &str) -> Option<bool> {
        let value = self.get(name)?;
        let value = value.trim();
        if value.eq_ignore_ascii_case("true") {
            Some(true)
        } else if value.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            None
        }
    }
}
