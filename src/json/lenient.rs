//! A second reading of a body that strict JSON refuses, as Json.NET's
//! `JsonTextReader` (the service's most lenient .NET reader) reads it.
//!
//! Json.NET takes single-quoted strings and names, unquoted names,
//! `//` and `/* */` comments, trailing commas, empty array elements,
//! `undefined`, `NaN` and `Infinity`, hexadecimal and octal integers, any
//! Unicode whitespace, raw control characters inside strings and — the
//! ASP.NET default — text after the first complete value. Body bytes that
//! are not UTF-8 become U+FFFD, as .NET's decoder makes them. This module
//! rewrites such a body as strict JSON with the same values, so that the
//! usual rules judge it; a body no such reading accepts is
//! [`Reading::Unreadable`] and answered "JSON parsing error.".
//!
//! Values that strict JSON cannot hold become `null` (absent, so never the
//! reason for a rejection) — but `NaN`, `Infinity` and `-Infinity` as a
//! top-level field's value, which Json.NET converts by the property's type
//! (the text for a string, the value for a float): those are marked for
//! the rules (see [`Literal`]).

use std::borrow::Cow;

use super::Literal;

/// The outcome of the lenient reading.
#[derive(Debug, PartialEq)]
pub(crate) enum Reading {
    /// The body rewritten as strict JSON.
    Json(String),
    /// No lenient reading accepts the body.
    Unreadable,
    /// The body uses a construct this reader does not rewrite (a Json.NET
    /// constructor such as `new Date(0)`), or its rewriting would grow
    /// past a bound: left to the service.
    Undecided,
}

/// Whether to judge, answer "JSON parsing error.", or let through.
pub(crate) fn read(body: &[u8]) -> Reading {
    let text = String::from_utf8_lossy(body);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = Reader {
        text,
        at: 0,
        out: String::with_capacity(text.len() + 16),
        limit: text.len().saturating_mul(2).saturating_add(1024),
    };
    match reader.document() {
        Ok(()) => Reading::Json(reader.out),
        Err(Stop::Unreadable) => Reading::Unreadable,
        Err(Stop::Undecided) => Reading::Undecided,
    }
}

enum Stop {
    Unreadable,
    Undecided,
}

type Step = Result<(), Stop>;

#[derive(Clone, Copy, PartialEq)]
enum Container {
    Object,
    Array,
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
    out: String,
    limit: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn peek_char(&self) -> Option<char> {
        self.text.get(self.at..)?.chars().next()
    }

    fn emit(&mut self, s: &str) -> Step {
        self.out.push_str(s);
        if self.out.len() > self.limit {
            return Err(Stop::Undecided);
        }
        Ok(())
    }

    /// One value (the first; what follows it is never read), iteratively:
    /// a deep body costs one byte of stack a level, on the heap.
    fn document(&mut self) -> Step {
        let mut stack: Vec<Container> = Vec::new();
        loop {
            // A value is expected here.
            self.skip_blank()?;
            let top = stack.last().copied();
            match self.peek() {
                None => return Err(Stop::Unreadable),
                Some(b'{') => {
                    self.at += 1;
                    self.emit("{")?;
                    self.skip_blank()?;
                    if self.peek() == Some(b'}') {
                        self.at += 1;
                        self.emit("}")?;
                    } else {
                        stack.push(Container::Object);
                        self.name()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.at += 1;
                    self.emit("[")?;
                    self.skip_blank()?;
                    if self.peek() == Some(b']') {
                        self.at += 1;
                        self.emit("]")?;
                    } else {
                        stack.push(Container::Array);
                        continue;
                    }
                }
                // An empty array element or property value (`[1,,2]`,
                // `{"a": ,}`): Json.NET reads `undefined`.
                Some(b',') if top.is_some() => self.emit("null")?,
                Some(quote @ (b'"' | b'\'')) => self.string(quote)?,
                Some(_) => self.scalar(stack.len() == 1 && top == Some(Container::Object))?,
            }
            // After a value: a separator, a close, or the end.
            loop {
                let Some(&container) = stack.last() else {
                    return Ok(());
                };
                self.skip_blank()?;
                let close = match container {
                    Container::Object => b'}',
                    Container::Array => b']',
                };
                match self.peek() {
                    Some(b',') => {
                        self.at += 1;
                        self.skip_blank()?;
                        if self.peek() == Some(close) {
                            // A trailing comma.
                            self.at += 1;
                            self.emit(if close == b'}' { "}" } else { "]" })?;
                            stack.pop();
                            continue;
                        }
                        self.emit(",")?;
                        if container == Container::Object {
                            self.name()?;
                        }
                        break;
                    }
                    Some(b) if b == close => {
                        self.at += 1;
                        self.emit(if close == b'}' { "}" } else { "]" })?;
                        stack.pop();
                    }
                    _ => return Err(Stop::Unreadable),
                }
            }
        }
    }

    /// A property name, quoted either way or bare, and its colon.
    fn name(&mut self) -> Step {
        self.skip_blank()?;
        match self.peek() {
            Some(quote @ (b'"' | b'\'')) => self.string(quote)?,
            _ => {
                let start = self.at;
                while let Some(c) = self.peek_char() {
                    if !(c.is_alphanumeric() || c == '_' || c == '$') {
                        break;
                    }
                    self.at += c.len_utf8();
                }
                if self.at == start {
                    return Err(Stop::Unreadable);
                }
                let name = &self.text[start..self.at];
                self.emit_string(name)?;
            }
        }
        // Json.NET wants the colon right after the name: whitespace may
        // come between them, a comment may not ("Invalid character after
        // parsing property name. Expected ':'"), unlike anywhere else.
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return Err(Stop::Unreadable);
        }
        self.at += 1;
        self.emit(":")
    }

    /// A string in `quote`s, with Json.NET's escapes.
    fn string(&mut self, quote: u8) -> Step {
        self.at += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek_char() else {
                return Err(Stop::Unreadable);
            };
            self.at += c.len_utf8();
            match c {
                _ if c as u32 == u32::from(quote) => break,
                '\\' => {
                    let Some(escaped) = self.peek_char() else {
                        return Err(Stop::Unreadable);
                    };
                    self.at += escaped.len_utf8();
                    match escaped {
                        '"' | '\'' | '\\' | '/' => value.push(escaped),
                        'b' => value.push('\u{8}'),
                        'f' => value.push('\u{c}'),
                        'n' => value.push('\n'),
                        'r' => value.push('\r'),
                        't' => value.push('\t'),
                        'u' => {
                            let unit = self.hex4()?;
                            value.push(self.code_point(unit)?);
                        }
                        _ => return Err(Stop::Unreadable),
                    }
                }
                _ => value.push(c),
            }
        }
        self.emit_string(&value)
    }

    fn hex4(&mut self) -> Result<u16, Stop> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .ok_or(Stop::Unreadable)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Stop::Unreadable);
        }
        self.at += 4;
        u16::from_str_radix(digits, 16).map_err(|_| Stop::Unreadable)
    }

    /// A `\u` code unit, joined with a following low surrogate; a lone
    /// surrogate (which .NET strings may hold) becomes U+FFFD.
    fn code_point(&mut self, unit: u16) -> Result<char, Stop> {
        if (0xD800..0xDC00).contains(&unit) && self.text.get(self.at..self.at + 2) == Some("\\u") {
            let saved = self.at;
            self.at += 2;
            let low = self.hex4()?;
            if (0xDC00..0xE000).contains(&low) {
                let c = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
            }
            self.at = saved;
        }
        Ok(char::from_u32(u32::from(unit)).unwrap_or('\u{fffd}'))
    }

    /// A bare token: a number, a literal, or a word. A floating-point
    /// literal that is a top-level field's value is marked for the rules,
    /// which convert it by the property's type as Json.NET does
    /// ([`Literal`]); anywhere else it is `null`.
    fn scalar(&mut self, field_value: bool) -> Step {
        let start = self.at;
        while let Some(c) = self.peek_char() {
            if is_blank(c) || matches!(c, ',' | '}' | ']' | ':' | '/' | '(' | ')' | '"' | '\'') {
                break;
            }
            self.at += c.len_utf8();
        }
        let token = &self.text[start..self.at];
        match token {
            "" => Err(Stop::Unreadable),
            "true" | "false" | "null" => self.emit(token),
            "NaN" | "Infinity" | "-Infinity" if field_value => {
                self.emit_string(&format!("{}{token}", Literal::PREFIX))
            }
            "undefined" | "NaN" | "Infinity" | "-Infinity" => self.emit("null"),
            "new" => Err(Stop::Undecided),
            _ => match number(token) {
                Some(number) => self.emit(&number),
                None => Err(Stop::Unreadable),
            },
        }
    }

    fn emit_string(&mut self, value: &str) -> Step {
        let mut quoted = String::with_capacity(value.len() + 2);
        quoted.push('"');
        for c in value.chars() {
            match c {
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                c if (c as u32) < 0x20 => quoted.push_str(&format!("\\u{:04x}", c as u32)),
                c => quoted.push(c),
            }
        }
        quoted.push('"');
        self.emit(&quoted)
    }

    /// Whitespace (any Unicode whitespace) alone.
    fn skip_whitespace(&mut self) {
        while let Some(c) = self.peek_char().filter(|c| is_blank(*c)) {
            self.at += c.len_utf8();
        }
    }

    /// Whitespace (any Unicode whitespace) and comments.
    fn skip_blank(&mut self) -> Step {
        loop {
            match self.peek() {
                Some(b'/') => match self.text.as_bytes().get(self.at + 1) {
                    Some(b'/') => {
                        let rest = &self.text[self.at..];
                        self.at += rest.find(['\n', '\r']).unwrap_or(rest.len());
                    }
                    Some(b'*') => {
                        let rest = self.text.get(self.at + 2..).unwrap_or_default();
                        let end = rest.find("*/").ok_or(Stop::Unreadable)?;
                        self.at += 2 + end + 2;
                    }
                    _ => return Err(Stop::Unreadable),
                },
                _ => match self.peek_char() {
                    Some(c) if is_blank(c) => self.at += c.len_utf8(),
                    _ => return Ok(()),
                },
            }
        }
    }
}

/// What Json.NET skips between tokens: any Unicode whitespace, and a NUL
/// (its buffer's end marker, passed over where it is not the end of the
/// text: `{"name"\0:"x"}` reads as `{"name":"x"}`).
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\0'
}

/// A Json.NET number token as strict JSON: decimal, `0x` hexadecimal, or
/// octal with a leading zero; a leading `+` or `.` and a trailing `.` are
/// read as `double.Parse` reads them.
fn number(token: &str) -> Option<String> {
    let (negative, digits) = match token.as_bytes().first()? {
        b'-' => (true, token.get(1..)?),
        b'+' => (false, token.get(1..)?),
        _ => (false, token),
    };
    if digits.starts_with(['+', '-']) {
        return None;
    }
    let sign = if negative { "-" } else { "" };
    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        let value = i64::from_str_radix(hex, 16).ok()?;
        return Some(format!("{sign}{value}"));
    }
    if digits.is_empty()
        || !digits
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    let integral = digits.bytes().all(|b| b.is_ascii_digit());
    if integral {
        if digits.len() > 1 && digits.starts_with('0') {
            let value = i64::from_str_radix(digits, 8).ok()?;
            return Some(format!("{sign}{value}"));
        }
        return Some(format!("{sign}{digits}"));
    }
    let value: f64 = digits.parse().ok()?;
    let value = if negative { -value } else { value };
    value.is_finite().then(|| {
        let text = serde_json::Number::from_f64(value)
            .map_or(Cow::Borrowed("null"), |n| Cow::Owned(n.to_string()));
        text.into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(body: &str) -> String {
        match read(body.as_bytes()) {
            Reading::Json(json) => json,
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn rewrites_what_json_net_reads() {
        for (lenient, strict) in [
            ("{'name': 'staff'}", r#"{"name":"staff"}"#),
            ("{name: 'it''s'}", ""),
            ("{ name : \"a\" , }", r#"{"name":"a"}"#),
            ("{/* c */ 'a' : // x\n [1,,2,] }", r#"{"a":[1,null,2]}"#),
            ("{'a' \u{a0}\n: /* c */ 1}", r#"{"a":1}"#),
            (
                "{'a': NaN, b: undefined, c: -Infinity, d: [Infinity], e: {f: NaN}}",
                r#"{"a":"\u0000face-preflight-literal:NaN","b":null,"c":"\u0000face-preflight-literal:-Infinity","d":[null],"e":{"f":null}}"#,
            ),
            (
                "{a: 0x1F, b: 010, c: +5, d: .5, e: -1.50}",
                r#"{"a":31,"b":8,"c":5,"d":0.5,"e":-1.5}"#,
            ),
            (
                "{'q': 'say \"hi\"', 'e': '\\'\\u0041\\ud83d\\ude00'}",
                r#"{"q":"say \"hi\"","e":"'A😀"}"#,
            ),
            ("{\"a\":1} trailing", r#"{"a":1}"#),
            ("\u{a0}{'a':'\u{1}'}", r#"{"a":"\u0001"}"#),
            ("[,]", "[null]"),
            ("{'a': , 'b': 1,}", r#"{"a":null,"b":1}"#),
            ("{'a':}", ""),
            // Json.NET passes over a NUL between tokens, not inside one.
            ("\0{\0'a'\0:\u{0}1\0,\0}", r#"{"a":1}"#),
            ("{'a':tr\0ue}", ""),
        ] {
            if strict.is_empty() {
                assert_eq!(read(lenient.as_bytes()), Reading::Unreadable, "{lenient}");
            } else {
                assert_eq!(json(lenient), strict, "{lenient}");
            }
        }
        assert_eq!(json("{'a':'caf\u{e9}'}"), "{\"a\":\"caf\u{e9}\"}");
        assert_eq!(
            read(b"{'a':'caf\xe9'}"),
            Reading::Json("{\"a\":\"caf\u{fffd}\"}".to_owned())
        );
    }

    #[test]
    fn refuses_what_no_reader_takes() {
        for body in [
            "",
            "{",
            "{'a'",
            "{'a':",
            "{'a':1",
            "{'a' 1}",
            "{'a':1 'b':2}",
            "{a b: 1}",
            "{'a':True}",
            "{'a':None}",
            "{'a':'\\x'}",
            "{'a':1",
            "/* open",
            "{'a':09}",
            "{'a':1e}",
            "{'a':--1}",
            "[1 2]",
            "{,}",
            // A comment between a name and its colon.
            "{\"name\" /* c */ : \"x\"}",
            "{name // c\n : 'x'}",
        ] {
            assert_eq!(read(body.as_bytes()), Reading::Unreadable, "{body:?}");
        }
        assert_eq!(read(b"{'a': new Date(0)}"), Reading::Undecided);
    }

    #[test]
    fn depth_costs_heap_not_stack() {
        let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        match read(deep.as_bytes()) {
            Reading::Json(json) => assert_eq!(json.len(), 400_000),
            other => panic!("{other:?}"),
        }
        assert_eq!(read("[".repeat(200_000).as_bytes()), Reading::Unreadable);
    }
}
