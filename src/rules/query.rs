//! The query string, read as the service reads it: names without regard to
//! case, values percent-decoded.

use std::borrow::Cow;

/// How many parameters are indexed up front; a longer query is walked on
/// each lookup instead, so that ten thousand parameters cost no memory.
const INDEXED: usize = 8;

/// A query string. The usual query of a few parameters without escapes is
/// split once into an index on the stack; any other is walked on each
/// lookup, as `form_urlencoded` would read it.
pub(crate) struct Query<'a> {
    raw: &'a str,
    /// Whether any name or value needs decoding (`%` or `+`).
    encoded: bool,
    /// The parameters of a short plain query; `indexed` says how many.
    pairs: [(&'a str, &'a str); INDEXED],
    indexed: Option<usize>,
}

/// Splits at the first `byte`, as `split_once` does for a char.
fn split_at_byte(s: &str, byte: u8) -> Option<(&str, &str)> {
    let at = s.bytes().position(|b| b == byte)?;
    Some((s.get(..at)?, s.get(at + 1..)?))
}

impl<'a> Query<'a> {
    pub(crate) fn parse(query: Option<&'a str>) -> Self {
        let raw = query.unwrap_or_default();
        let encoded = raw.bytes().any(|b| b == b'%' || b == b'+');
        let mut query = Self {
            raw,
            encoded,
            pairs: [("", ""); INDEXED],
            indexed: None,
        };
        if !encoded {
            query.index();
        }
        query
    }

    /// Indexes the pairs of a plain query in place, as `form_urlencoded`
    /// splits them; a query of more than `INDEXED` pairs stays unindexed.
    fn index(&mut self) {
        let mut count = 0;
        let mut rest = Some(self.raw);
        while let Some(remaining) = rest {
            let (pair, next) = match split_at_byte(remaining, b'&') {
                Some((pair, next)) => (pair, Some(next)),
                None => (remaining, None),
            };
            rest = next;
            if pair.is_empty() {
                continue;
            }
            let Some(slot) = self.pairs.get_mut(count) else {
                return;
            };
            *slot = split_at_byte(pair, b'=').unwrap_or((pair, ""));
            count += 1;
        }
        self.indexed = Some(count);
    }

    /// The first value of `name` (any ASCII case), decoded as
    /// `form_urlencoded` decodes. The service binds a scalar parameter from
    /// its first occurrence.
    pub(crate) fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        if let Some(count) = self.indexed {
            return self
                .pairs
                .get(..count)?
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| Cow::Borrowed(*value));
        }
        if self.encoded {
            return form_urlencoded::parse(self.raw.as_bytes())
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value);
        }
        // Plain but long: split in place, as form_urlencoded would.
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
            "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11&l=12&m=13&x=14&top=15",
            "a=1&b=2&&c=3&d&e=5&f=6&top=7&h=8",
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
