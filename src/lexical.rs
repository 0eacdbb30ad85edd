//! Lexical checks shared by the JSON view, the rules and the facts: how the
//! service's .NET readers read scalars written as text, GUIDs in every form
//! they take, and model names. A leaf: it imports nothing of the crate.

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
///
/// .NET's parser reads each group of digits with a hex reader that takes a
/// leading `+` and `0x` (`c5c24a82-+845-…`, `+0xabbbb-…` are GUIDs, kept
/// for compatibility since .NET Framework: dotnet/runtime#49987), so such a
/// group is a GUID's here too (issue #27).
pub(crate) fn is_guid(s: &str) -> bool {
    // The canonical form first: it is what every client sends, a thousand
    // times in a find-similar body.
    if let Ok(canonical) = <&[u8; 36]>::try_from(s.as_bytes()) {
        if is_canonical_guid(canonical) {
            return true;
        }
    }
    let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let inner = match s.as_bytes() {
        [b'{', inner @ .., b'}'] | [b'(', inner @ .., b')'] => inner,
        bytes => bytes,
    };
    if inner.starts_with(b"0x") || inner.starts_with(b"0X") {
        return s.starts_with('{');
    }
    match inner.len() {
        36 => {
            [8, 13, 18, 23]
                .iter()
                .all(|&at| inner.get(at) == Some(&b'-'))
                && hex_groups(inner, &HYPHENATED_GROUPS)
        }
        32 => hex_groups(inner, &DIGITS_GROUPS),
        _ => false,
    }
}

/// Where .NET's parser reads a number in the hyphenated form (the last
/// group as 4 and 8 digits) and in the 32 digits.
const HYPHENATED_GROUPS: [(usize, usize); 6] =
    [(0, 8), (9, 13), (14, 18), (19, 23), (24, 28), (28, 36)];
const DIGITS_GROUPS: [(usize, usize); 6] =
    [(0, 8), (8, 12), (12, 16), (16, 20), (20, 24), (24, 32)];

/// Each group is hex digits after an optional `+` and `0x`, as .NET's
/// group reader takes them.
fn hex_groups(bytes: &[u8], groups: &[(usize, usize)]) -> bool {
    groups.iter().all(|&(start, end)| {
        let Some(group) = bytes.get(start..end) else {
            return false;
        };
        let group = group.strip_prefix(b"+").unwrap_or(group);
        let group = match group {
            [b'0', b'x' | b'X', rest @ ..] => rest,
            group => group,
        };
        group.iter().all(u8::is_ascii_hexdigit)
    })
}

/// The 128 bits of a GUID in any form [`is_guid`] takes (but the rare
/// hexadecimal struct form): the key of one faceId however it is spelled.
#[cfg_attr(not(feature = "facts"), allow(dead_code))]
pub(crate) fn guid_value(s: &str) -> Option<u128> {
    // The form every SDK sends, read without the general scan.
    if let Ok(canonical) = <&[u8; 36]>::try_from(s.as_bytes()) {
        if is_canonical_guid(canonical) {
            return Some(canonical_guid_value(canonical));
        }
    }
    // A group with a `+` or `0x` holds fewer digits: not worth a key.
    if !is_guid(s) || s.contains(['+', 'x', 'X']) {
        return None;
    }
    let mut value: u128 = 0;
    let mut digits = 0;
    for byte in s.bytes().filter(u8::is_ascii_hexdigit) {
        let digit = char::from(byte).to_digit(16)?;
        value = (value << 4) | u128::from(digit);
        digits += 1;
    }
    (digits == 32).then_some(value)
}

/// The number of a documented recognition model (`recognition_01`…`04`),
/// compared without regard to case.
#[cfg_attr(not(feature = "facts"), allow(dead_code))]
pub(crate) fn recognition_model_number(name: &str) -> Option<u8> {
    numbered_model(name, "recognition_0", b'1'..=b'4')
}

/// A documented recognition model name, compared without regard to case.
pub(crate) fn is_recognition_model(name: &str) -> bool {
    recognition_model_number(name).is_some()
}

/// A documented detection model name, compared without regard to case.
pub(crate) fn is_detection_model(name: &str) -> bool {
    numbered_model(name, "detection_0", b'1'..=b'3').is_some()
}

/// The digit of `{prefix}{digit}` without regard to ASCII case, the digit
/// in `digits`: the model names of every version.
fn numbered_model(name: &str, prefix: &str, digits: std::ops::RangeInclusive<u8>) -> Option<u8> {
    let (head, digit) = name.split_at_checked(prefix.len())?;
    match digit.as_bytes() {
        [digit] if head.eq_ignore_ascii_case(prefix) && digits.contains(digit) => {
            Some(digit - b'0')
        }
        _ => None,
    }
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

/// The value of a GUID that [`is_canonical_guid`] accepted.
#[cfg_attr(not(feature = "facts"), allow(dead_code))]
pub(crate) fn canonical_guid_value(bytes: &[u8; 36]) -> u128 {
    // The digits sit at fixed places around the hyphens of 8-4-4-4-12.
    let group = |at: usize, len: usize| {
        let mut word = [b'0'; 8];
        if let (Some(digits), Some(to)) = (bytes.get(at..at + len), word.get_mut(8 - len..)) {
            to.copy_from_slice(digits);
        }
        u128::from(hex_word(word))
    };
    (group(0, 8) << 96)
        | (group(9, 4) << 80)
        | (group(14, 4) << 64)
        | (group(19, 4) << 48)
        | (group(24, 4) << 32)
        | group(28, 8)
}

/// Eight hex digits (checked by the caller) as their 32-bit value, all
/// at once: `'0'..='9'` keep their low nibble, letters of either case add 9
/// to theirs; then the nibbles are drawn together in pairs, fours, eights.
fn hex_word(digits: [u8; 8]) -> u32 {
    let text = u64::from_be_bytes(digits);
    let nibbles = (text & 0x0F0F_0F0F_0F0F_0F0F) + 9 * ((text >> 6) & 0x0101_0101_0101_0101);
    let pairs = (nibbles | (nibbles >> 4)) & 0x00FF_00FF_00FF_00FF;
    let fours = (pairs | (pairs >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((fours | (fours >> 16)) & 0xFFFF_FFFF) as u32
}

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
    fn model_names() {
        for good in ["recognition_01", "RECOGNITION_04", "Recognition_03"] {
            assert!(is_recognition_model(good), "{good}");
        }
        assert_eq!(recognition_model_number("Recognition_04"), Some(4));
        for bad in [
            "recognition_05",
            "recognition_00",
            "recognition_1",
            "recognition_010",
            "",
            "recognitio_01",
            "recognition_0é",
        ] {
            assert!(!is_recognition_model(bad), "{bad}");
        }
        assert!(is_detection_model("Detection_03"));
        assert!(!is_detection_model("detection_04"));
    }

    #[test]
    fn the_canonical_reading_agrees_with_the_general_one() {
        let guid = "C5c24a82-6845-4031-9d5D-978df9175426";
        let canonical = <&[u8; 36]>::try_from(guid.as_bytes()).unwrap();
        assert!(is_canonical_guid(canonical));
        assert_eq!(
            canonical_guid_value(canonical),
            0xc5c24a82_6845_4031_9d5d_978df9175426
        );
        let braced = format!("{{{guid}}}");
        assert_eq!(guid_value(&braced), Some(canonical_guid_value(canonical)));
    }

    #[test]
    fn guid_values_ignore_the_form() {
        let canonical = guid_value("c5c24a82-6845-4031-9d5d-978df9175426");
        assert_eq!(canonical, Some(0xc5c24a82_6845_4031_9d5d_978df9175426));
        for other in [
            "{C5C24A82-6845-4031-9D5D-978DF9175426}",
            "(c5c24a82-6845-4031-9d5d-978df9175426)",
            "c5c24a8268454031 9d5d978df9175426"
                .replace(' ', "")
                .as_str(),
            " c5c24a82-6845-4031-9d5d-978df9175426 ",
        ] {
            assert_eq!(guid_value(other), canonical, "{other}");
        }
        assert_eq!(guid_value("not-a-guid"), None);
        assert_eq!(guid_value("c5c24a82-+845-4031-9d5d-978df9175426"), None);
        assert_eq!(guid_value("{0x1,0x2}"), None);
    }

    #[test]
    fn guid_groups_take_a_sign_and_a_hex_prefix_as_dotnet_reads_them() {
        for good in [
            "c5c24a82-+845-4031-9d5d-978df9175426",
            "+0xabbbb-+0xa-+0xb-+0xa-+0xbaaaabbbb",
            "{c5c24a82-6845-4031-9d5d-+78df9175426}",
            "c5c24a82-6845-4031-9d5d-978d+9175426",
            "+5c24a8268454031+d5d978df9175426",
        ] {
            assert!(is_guid(good), "{good}");
        }
        for bad in [
            "c5c24a82-6+45-4031-9d5d-978df9175426",
            "c5c24a82-++45-4031-9d5d-978df9175426",
            "c5c24a82-0x0x-4031-9d5d-978df9175426",
            "c5c24a82--845-4031-9d5d-978df9175426",
            "c5c24a82+6845-4031-9d5d-978df9175426",
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
    }

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
                let group_sign = byte == b'+' && [0, 8, 12, 16, 20, 24].contains(&at);
                assert_eq!(
                    is_guid(text),
                    byte.is_ascii_hexdigit() || group_sign,
                    "{byte:#x} at {at}"
                );
            }
        }
    }
}
