//! `multipart/form-data` bodies, read in place.
//!
//! The body is already in memory, so the form is split synchronously: no
//! reader that could wait for more bytes, and no part copied. The boundary
//! comes from `mime`, the part headers from `httparse`; what is left is
//! finding the delimiter lines (RFC 2046 §5.1.1).
//!
//! Only a form that is certainly broken is [`Form::Malformed`]; one this
//! reader cannot follow for any other reason is [`Form::Undecided`] and left
//! to the service.

use memchr::memmem;

/// Part headers read, as ASP.NET Core's `MultipartReader` allows by default.
const MAX_PART_HEADERS: usize = 16;

/// One part of a form, borrowed from the body.
pub(crate) struct Part<'a> {
    pub name: &'a str,
    pub is_file: bool,
    pub bytes: &'a [u8],
}

/// What reading a form found.
pub(crate) enum Form<'a> {
    Parts(Vec<Part<'a>>),
    /// No boundary, no first delimiter, a part without the blank line after
    /// its headers, or no closing delimiter.
    Malformed,
    /// Framing this reader does not judge, which a lenient reader may still
    /// take: text after a delimiter, a header line `httparse` refuses, more
    /// part headers than it reads, a part without a readable
    /// `Content-Disposition` (ASP.NET skips such sections).
    Undecided,
}

/// The parts of a `multipart/form-data` body.
pub(crate) fn read_form<'a>(content_type: &str, body: &'a [u8]) -> Form<'a> {
    let Some(boundary) = boundary(content_type) else {
        return Form::Malformed;
    };
    let delimiter = [b"\r\n--", boundary.as_bytes()].concat();
    let finder = memmem::Finder::new(&delimiter);
    // The first delimiter may open the body without the CRLF before it.
    let after_first = match body.strip_prefix(&delimiter[2..]) {
        Some(rest) => rest,
        None => match finder.find(body) {
            Some(at) => body.get(at + delimiter.len()..).unwrap_or_default(),
            None => return Form::Malformed,
        },
    };
    let mut parts = Vec::new();
    let mut rest = after_first;
    loop {
        if rest.starts_with(b"--") {
            return Form::Parts(parts);
        }
        // Transport padding, then the line break that ends the delimiter line.
        let Some(line_end) = memmem::find(rest, b"\r\n") else {
            return Form::Malformed;
        };
        let padding = rest.get(..line_end).unwrap_or_default();
        if !padding.iter().all(|b| *b == b' ' || *b == b'\t') {
            return Form::Undecided;
        }
        let part = rest.get(line_end + 2..).unwrap_or_default();
        let Some(end) = finder.find(part) else {
            // No closing delimiter: the form was cut short.
            return Form::Malformed;
        };
        let (Some(content), Some(next)) = (part.get(..end), part.get(end + delimiter.len()..))
        else {
            return Form::Malformed;
        };
        match read_part(content) {
            Ok(part) => parts.push(part),
            Err(form) => return form,
        }
        rest = next;
    }
}

/// The `boundary` of a `multipart/*` media type.
fn boundary(content_type: &str) -> Option<String> {
    let media: mime::Mime = content_type.parse().ok()?;
    if media.type_() != mime::MULTIPART {
        return None;
    }
    let boundary = media.get_param(mime::BOUNDARY)?.as_str();
    (!boundary.is_empty()).then(|| boundary.to_owned())
}

/// One part: its headers, a blank line, its content.
fn read_part(content: &[u8]) -> Result<Part<'_>, Form<'static>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_PART_HEADERS];
    let (consumed, headers) = match httparse::parse_headers(content, &mut headers) {
        Ok(httparse::Status::Complete((consumed, headers))) => (consumed, headers),
        Ok(httparse::Status::Partial) => return Err(Form::Malformed),
        Err(_) => return Err(Form::Undecided),
    };
    let disposition = headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case("content-disposition"))
        .map(|header| std::str::from_utf8(header.value));
    let disposition = match disposition {
        Some(Ok(value)) => value,
        None | Some(Err(_)) => return Err(Form::Undecided),
    };
    let mut name = None;
    let mut is_file = false;
    for (key, value) in parameters(disposition) {
        if key.eq_ignore_ascii_case("name") {
            name = Some(value);
        } else if key.eq_ignore_ascii_case("filename") || key.eq_ignore_ascii_case("filename*") {
            is_file = true;
        }
    }
    let Some(name) = name else {
        return Err(Form::Undecided);
    };
    Ok(Part {
        name,
        is_file,
        bytes: content.get(consumed..).unwrap_or_default(),
    })
}

/// The `key=value` parameters after the disposition type, quotes removed.
/// A quoted value keeps its backslash escapes (names in this schema have
/// none) and may hold `;`.
fn parameters(disposition: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = disposition;
    std::iter::from_fn(move || loop {
        let semicolon = rest.find(';')?;
        rest = rest.get(semicolon + 1..)?;
        let (key, after_key) = match rest.find('=') {
            Some(at) => (rest.get(..at)?.trim(), rest.get(at + 1..)?.trim_start()),
            None => continue,
        };
        let (value, after) = match after_key.strip_prefix('"') {
            Some(quoted) => {
                let end = closing_quote(quoted)?;
                (quoted.get(..end)?, quoted.get(end + 1..)?)
            }
            None => {
                let end = after_key.find(';').unwrap_or(after_key.len());
                (after_key.get(..end)?.trim(), after_key.get(end..)?)
            }
        };
        rest = after;
        return Some((key, value));
    })
}

/// Byte offset of the `"` that ends a quoted string (after its opening quote).
fn closing_quote(quoted: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, byte) in quoted.bytes().enumerate() {
        match byte {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => return Some(at),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(form: Form<'_>) -> Vec<(String, bool, Vec<u8>)> {
        match form {
            Form::Parts(parts) => parts
                .into_iter()
                .map(|p| (p.name.to_owned(), p.is_file, p.bytes.to_vec()))
                .collect(),
            Form::Malformed => panic!("malformed"),
            Form::Undecided => panic!("undecided"),
        }
    }

    const TYPE: &str = "multipart/form-data; boundary=xyz";

    #[test]
    fn reads_fields_and_files() {
        let body = b"--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
            --xyz  \r\ncontent-disposition: form-data; name=\"VerifyImage\"; filename=\"f;1.jpg\"\r\n\
            Content-Type: image/jpeg\r\n\r\n\xff\xd8\r\n--xyz\r\n\r\n--xyz--\r\n";
        // The last part ends before the blank line that closes its headers.
        assert!(matches!(read_form(TYPE, body), Form::Malformed));
        let body = b"preamble\r\n--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
            --xyz  \r\ncontent-disposition: form-data; name=VerifyImage; filename=\"f;1.jpg\"\r\n\
            Content-Type: image/jpeg\r\n\r\n\xff\xd8\r\n--xyz--";
        assert_eq!(
            names(read_form(TYPE, body)),
            vec![
                ("a".to_owned(), false, b"1".to_vec()),
                ("VerifyImage".to_owned(), true, b"\xff\xd8".to_vec()),
            ]
        );
        assert_eq!(names(read_form(TYPE, b"--xyz--")), vec![]);
    }

    #[test]
    fn broken_forms() {
        for (content_type, body) in [
            ("multipart/form-data", &b"--xyz--"[..]),
            ("text/plain; boundary=xyz", b"--xyz--"),
            (TYPE, b"not a form"),
            (
                TYPE,
                b"--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\n1",
            ),
            (
                TYPE,
                b"--xyz\r\nContent-Disposition: form-data; name=a\r\n1\r\n--xyz--",
            ),
        ] {
            assert!(
                matches!(read_form(content_type, body), Form::Malformed),
                "{content_type} {}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn framing_it_does_not_judge_is_undecided() {
        let many: String = (0..20).map(|i| format!("X-{i}: 1\r\n")).collect();
        let body =
            format!("--xyz\r\n{many}Content-Disposition: form-data; name=a\r\n\r\n1\r\n--xyz--");
        assert!(matches!(read_form(TYPE, body.as_bytes()), Form::Undecided));
        for body in [
            &b"--xyzjunk\r\n\r\n--xyz--"[..],
            b"--xyz\r\nX-Other: 1\r\n\r\n1\r\n--xyz--",
            b"--xyz\r\nBad Header: 1\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--xyz--",
        ] {
            assert!(
                matches!(read_form(TYPE, body), Form::Undecided),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    /// multer, driven to completion, as the reference reader.
    fn multer_parts(content_type: &str, body: &[u8]) -> Option<Vec<(String, bool, Vec<u8>)>> {
        use std::future::Future;
        use std::task::{Context, Poll, Waker};
        let boundary = multer::parse_boundary(content_type).ok()?;
        let chunk = bytes::Bytes::copy_from_slice(body);
        let stream = futures_util::stream::once(std::future::ready(Ok::<
            _,
            std::convert::Infallible,
        >(chunk)));
        let mut multipart = multer::Multipart::new(stream, boundary);
        let read = async move {
            let mut parts = Vec::new();
            while let Some(field) = multipart.next_field().await.ok()? {
                let name = field.name().unwrap_or_default().to_owned();
                let is_file = field.file_name().is_some();
                parts.push((name, is_file, field.bytes().await.ok()?.to_vec()));
            }
            Some(parts)
        };
        let mut read = std::pin::pin!(read);
        match read.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(parts) => parts,
            Poll::Pending => None,
        }
    }

    proptest::proptest! {
        /// Every well-formed form multer reads, this reader reads the same.
        #[test]
        fn reads_what_multer_reads(
            parts in proptest::collection::vec(
                ("[A-Za-z][A-Za-z0-9_]{0,12}", proptest::option::of("[a-z]{1,8}\\.jpg"), proptest::collection::vec(proptest::num::u8::ANY, 0..64)),
                0..5,
            ),
            preamble in proptest::option::of("[a-z ]{0,20}"),
            padding in "[ \t]{0,2}",
        ) {
            let boundary = "----b0undary7MA4YWxkTrZu0gW";
            let mut body = Vec::new();
            if let Some(preamble) = &preamble {
                body.extend_from_slice(preamble.as_bytes());
                body.extend_from_slice(b"\r\n");
            }
            for (name, file, content) in &parts {
                body.extend_from_slice(format!("--{boundary}{padding}\r\n").as_bytes());
                let file = file.as_ref().map(|f| format!("; filename=\"{f}\"")).unwrap_or_default();
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(content);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            let content_type = format!("multipart/form-data; boundary={boundary}");
            let expected = multer_parts(&content_type, &body);
            proptest::prop_assume!(expected.is_some());
            proptest::prop_assert_eq!(Some(names(read_form(&content_type, &body))), expected);
        }
    }
}
