//! Lexical checks shared by the JSON view and the rules: how the service's
//! .NET readers read scalars written as text, and GUIDs in every form they
//! take. A leaf: it imports nothing of the crate.

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

/// Whether `s` parses as a GUID the way the service's .NET binder reads one:
/// 32 hex digits, optionally hyphenated 8-4-4-4-12, optionally in braces or
/// parentheses, with surrounding whitespace ignored. The rare hexadecimal
/// struct form (`{0x…,…}`) is let through rather than re-implemented.
pub(crate) fn is_guid(s: &str) -> bool {
    // The canonical form first: it is what every client sends, a thousand
    // times in a find-similar body.
    if let Ok(canonical) = <&[u8; 36]>::try_from(s.as_bytes()) {
        return is_canonical_guid(canonical);
    }
    let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let inner = match s.as_bytes() {
        [b'{', inner @ .., b'}'] | [b'(', inner @ .., b')'] => inner,
        bytes => bytes,
    };
    if inner.starts_with(b"0x") || inner.starts_with(b"0X") {
        return s.starts_with('{');
    }
    if let Ok(hyphenated) = <&[u8; 36]>::try_from(inner) {
        return matches_pattern(hyphenated, &HYPHENATED);
    }
    <&[u8; 32]>::try_from(inner).is_ok_and(|digits| matches_pattern(digits, &[HEX; 32]))
}

/// 8-4-4-4-12 hex digits, the form every client sends.
pub(crate) fn is_canonical_guid(bytes: &[u8; 36]) -> bool {
    matches_pattern(bytes, &HYPHENATED)
}

const HEX: u8 = 1;
const HYPHEN: u8 = 2;

/// 8-4-4-4-12 hex digits.
const HYPHENATED: [u8; 36] = {
    let mut pattern = [HEX; 36];
    pattern[8] = HYPHEN;
    pattern[13] = HYPHEN;
    pattern[18] = HYPHEN;
    pattern[23] = HYPHEN;
    pattern
};

/// Branch-free arithmetic rather than a table, so that the compiler checks
/// all bytes at once.
fn matches_pattern<const N: usize>(bytes: &[u8; N], pattern: &[u8; N]) -> bool {
    bytes.iter().zip(pattern).fold(true, |ok, (&b, &class)| {
        let hex = (b.wrapping_sub(b'0') < 10) | ((b | 0x20).wrapping_sub(b'a') < 6);
        let hyphen = b == b'-';
        ok & (((class == HEX) & hex) | ((class == HYPHEN) & hyphen))
    })
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

    #[test]
    fn every_byte_at_every_position_of_a_guid() {
        for at in 0..36 {
            for byte in 0..=255u8 {
                let mut guid = *b"c5c24a82-6845-4031-9d5d-978df9175426";
                guid[at] = byte;
                let expected = match at {
                    8 | 13 | 18 | 23 => byte == b'-',
                    _ => byte.is_ascii_hexdigit(),
                };
                assert_eq!(is_canonical_guid(&guid), expected, "{byte:#x} at {at}");
            }
        }
        for at in 0..32 {
            for byte in (0..=127u8).filter(|b| !b.is_ascii_whitespace()) {
                let mut digits = *b"c5c24a82684540319d5d978df9175426";
                digits[at] = byte;
                let text = std::str::from_utf8(&digits).unwrap();
                assert_eq!(is_guid(text), byte.is_ascii_hexdigit(), "{byte:#x} at {at}");
            }
        }
    }
}
