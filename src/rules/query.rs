//! The query string, read as the service reads it: names without regard to
//! case, values percent-decoded.

use std::borrow::Cow;

/// A query string. Nothing is collected: each lookup walks the string, so a
/// query of ten thousand parameters costs no memory, and the usual one of a
/// few parameters costs a few comparisons.
pub(crate) struct Query<'a> {
    raw: &'a str,
    /// Whether any name or value needs decoding (`%` or `+`).
    encoded: bool,
}

impl<'a> Query<'a> {
    pub(crate) fn parse(query: Option<&'a str>) -> Self {
        let raw = query.unwrap_or_default();
        Self {
            raw,
            encoded: raw.contains(['%', '+']),
        }
    }

    /// The first value of `name` (any ASCII case), decoded as
    /// `form_urlencoded` decodes. The service binds a scalar parameter from
    /// its first occurrence.
    pub(crate) fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        if self.encoded {
            return form_urlencoded::parse(self.raw.as_bytes())
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value);
        }
        // Nothing to decode (the usual case): split in place, as
        // form_urlencoded would, without its per-byte decoding.
        self.raw.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (!pair.is_empty() && key.eq_ignore_ascii_case(name)).then_some(Cow::Borrowed(value))
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_reads_like_form_urlencoded() {
        for query in [
            "a=1&b=2",
            "a&b=&=c&&d=4=5",
            "top=10&Top=20",
            "",
            "a=%41+b&c=d",
            "x=%ff",
            "A=1&a=2",
        ] {
            let reference: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
            let parsed = Query::parse(Some(query));
            for name in ["a", "b", "", "d", "top", "c", "x", "missing"] {
                let expected = reference
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone());
                assert_eq!(parsed.get(name), expected, "{query} {name}");
            }
        }
    }
}
