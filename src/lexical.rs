//! Lexical checks shared by the JSON view and the rules: how the service's
//! .NET readers read scalars written as text.

/// An integer as .NET's `int.Parse` reads it: optional surrounding
/// whitespace and sign.
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.starts_with(['+', '-']) && s.starts_with('+') {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_parse_like_dotnet() {
        assert_eq!(parse_int(" 10 "), Some(10));
        assert_eq!(parse_int("+10"), Some(10));
        assert_eq!(parse_int("-1"), Some(-1));
        assert_eq!(parse_int("+-1"), None);
        assert_eq!(parse_int("1.0"), None);
        assert_eq!(parse_int("99999999999999999999"), None);
    }
}
