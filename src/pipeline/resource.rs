//! The Face resource a request is for: the key of every stateful fact and
//! budget.

use std::sync::{Arc, RwLock};

use super::{Head, Origin};

/// How many resource keys a pipeline keeps at hand: most layers send to one
/// resource, a few to a handful; past these a key is made per request.
const KEPT: usize = 8;

/// The longest host a resource key takes.
const MAX_HOST: usize = 255;

/// The keys of the resources a pipeline saw last: a request for one of
/// them shares its key rather than building a string of its own.
#[derive(Debug, Default)]
pub(crate) struct ResourceKeys {
    kept: RwLock<Vec<Arc<str>>>,
    /// The scheme and authority of the last URI, exactly as written, and
    /// its key: most requests spell their resource as the last did, and
    /// are known by comparing bytes, before any parsing.
    last: RwLock<Option<(Box<str>, Arc<str>)>>,
}

impl ResourceKeys {
    /// The key of the request's resource (see [`resource_key`]).
    pub(crate) fn key(&self, head: &Head<'_>, prefix: Option<&str>) -> Option<Arc<str>> {
        let Origin::Uri(uri) = head.origin else {
            return self.key_of_parts(head, prefix);
        };
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return self.key_of_parts(head, prefix);
        };
        let authority = authority.as_str();
        // `scheme://authority`: a scheme holds no `:`, so the first one
        // ends it and no two spellings run together.
        let spelled = |text: &str| {
            text.len() == scheme.len() + 3 + authority.len()
                && text.starts_with(scheme)
                && text.get(scheme.len()..scheme.len() + 3) == Some("://")
                && text.ends_with(authority)
        };
        if let Ok(last) = self.last.read() {
            if let Some((_, key)) = last.as_ref().filter(|(text, _)| spelled(text)) {
                return Some(Arc::clone(key));
            }
        }
        let key = self.key_of_parts(head, prefix)?;
        if let Ok(mut last) = self.last.write() {
            *last = Some((format!("{scheme}://{authority}").into(), Arc::clone(&key)));
        }
        Some(key)
    }

    fn key_of_parts(&self, head: &Head<'_>, prefix: Option<&str>) -> Option<Arc<str>> {
        let parts = Parts::of(head)?;
        let prefix = prefix.unwrap_or_default();
        if let Ok(kept) = self.kept.read() {
            if let Some(key) = kept.iter().find(|key| parts.named_by(key, prefix)) {
                return Some(Arc::clone(key));
            }
        }
        let key: Arc<str> = parts.key(prefix).into();
        if let Ok(mut kept) = self.kept.write() {
            if kept.len() >= KEPT {
                kept.remove(0);
            }
            kept.push(Arc::clone(&key));
        }
        Some(key)
    }
}

#[cfg(test)]
impl ResourceKeys {
    pub(crate) fn kept_len(&self) -> usize {
        self.kept.read().map_or(0, |kept| kept.len())
    }
}

/// `scheme://host[:port]` (host in lower case, without a trailing dot, the
/// scheme's default port left out) and the gateway's path prefix. `None`
/// when the request names no host.
#[cfg(test)]
pub(crate) fn resource_key(head: &Head<'_>, prefix: Option<&str>) -> Option<Arc<str>> {
    Some(Parts::of(head)?.key(prefix.unwrap_or_default()).into())
}

/// A request's resource as it spelled it.
struct Parts<'a> {
    scheme: &'a str,
    /// Without a trailing dot; in the request's case.
    host: &'a str,
    /// `None` for the scheme's default.
    port: Option<u16>,
}

impl<'a> Parts<'a> {
    fn of(head: &Head<'a>) -> Option<Self> {
        let (scheme, host, port) = head.origin.parts();
        let (scheme, host, port) = match host {
            Some(host) => (scheme.unwrap_or("https"), host, port),
            None => {
                let host = head.headers.get(http::header::HOST)?.to_str().ok()?;
                // User-info has no place in a `Host` header: no resource.
                if host.contains('@') {
                    return None;
                }
                // The authority's host is a slice of the header: find it
                // there rather than keep a parsed copy.
                let authority: http::uri::Authority = host.parse().ok()?;
                let name = host.get(..authority.host().len())?;
                ("https", name, authority.port_u16())
            }
        };
        // No host name is longer (DNS stops at 253): a longer one names no
        // resource, so a client cannot make the stateful judges keep long
        // keys.
        if host.len() > MAX_HOST {
            return None;
        }
        let default_port = if scheme.eq_ignore_ascii_case("http") {
            Some(80)
        } else if scheme.eq_ignore_ascii_case("https") {
            Some(443)
        } else {
            None
        };
        Some(Self {
            scheme,
            host: host.strip_suffix('.').unwrap_or(host),
            port: port.filter(|port| Some(*port) != default_port),
        })
    }

    fn key(&self, prefix: &str) -> String {
        let port = self
            .port
            .map_or_else(String::new, |port| format!(":{port}"));
        format!(
            "{}://{}{port}{prefix}",
            self.scheme.to_ascii_lowercase(),
            self.host.to_ascii_lowercase()
        )
    }

    /// Whether `key` is this resource's key with `prefix`.
    fn named_by(&self, key: &str, prefix: &str) -> bool {
        let rest = strip_ignoring_case(key, self.scheme)
            .and_then(|rest| rest.strip_prefix("://"))
            .and_then(|rest| strip_ignoring_case(rest, self.host));
        let rest = match (rest, self.port) {
            (None, _) => return false,
            (Some(rest), None) => rest,
            (Some(rest), Some(port)) => {
                let Some(digits) = rest.strip_prefix(':') else {
                    return false;
                };
                let end = digits
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(digits.len());
                match digits.split_at_checked(end) {
                    Some((number, rest)) if number.parse() == Ok(port) => rest,
                    _ => return false,
                }
            }
        };
        // A key's port is always followed by the prefix, which starts with
        // `/` or is empty: `:80` never reads as `:8080`.
        rest == prefix
    }
}

/// `text` without `start` (compared without regard to ASCII case; keys
/// are in lower case, and so are most requests: compared as bytes first).
fn strip_ignoring_case<'t>(text: &'t str, start: &str) -> Option<&'t str> {
    let (head, rest) = text.split_at_checked(start.len())?;
    (head == start || head.eq_ignore_ascii_case(start)).then_some(rest)
}
