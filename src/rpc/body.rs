//! Response bodies, written field by field straight into their bytes, as
//! JSON or as XML: no tree is built, allocated and dropped per answer.

use std::fmt::Display;
use std::io::Write as _;

use serde::Serializer as _;

/// The format a response body is written in.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, strum::Display)]
#[non_exhaustive]
pub(crate) enum Format {
    /// `application/json`.
    #[strum(serialize = "JSON")]
    Json,
    /// `text/xml`, the API's default.
    #[strum(serialize = "XML")]
    Xml,
}

impl Format {
    /// The `Content-Type` of a body in this format.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json;charset=utf-8",
            Format::Xml => "text/xml;charset=utf-8",
        }
    }
}

/// A field's or a list item's name, spelled as each format writes it,
/// at compile time: a name is then one copy, not three. Made by
/// [`name!`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Name {
    /// `"ImageId":`
    key: &'static str,
    /// `<ImageId>`
    open: &'static str,
    /// `</ImageId>`
    close: &'static str,
}

impl Name {
    /// The name `name` spelled thus, checked where [`name!`] is used: a
    /// name of letters and digits needs no escape in either format.
    pub(crate) const fn spelled(
        name: &str,
        key: &'static str,
        open: &'static str,
        close: &'static str,
    ) -> Name {
        let bytes = name.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            assert!(
                bytes[at].is_ascii_alphanumeric(),
                "a name is letters and digits"
            );
            at += 1;
        }
        Name { key, open, close }
    }
}

/// The [`Name`] of a field or item, from its name: letters and digits,
/// checked at compile time.
macro_rules! name {
    ($name:literal) => {{
        const NAME: $crate::rpc::body::Name = $crate::rpc::body::Name::spelled(
            $name,
            concat!("\"", $name, "\":"),
            concat!("<", $name, ">"),
            concat!("</", $name, ">"),
        );
        NAME
    }};
}
pub(crate) use name;

/// A body being written: an object of fields, under the root element
/// `root` in XML. In XML each field is an element of its name; a list is
/// an element of the list's name holding one element per item, named
/// after the item, as ECS writes `{"Images": {"Image": [...]}}` as
/// `<Images><Image>...</Image></Images>`.
pub(crate) struct Body {
    format: Format,
    root: &'static str,
    out: Vec<u8>,
}

/// Most answers fit: one reservation, no growth.
const USUAL_BODY_BYTES: usize = 1024;

impl Body {
    pub(crate) fn new(format: Format, root: &'static str) -> Body {
        let mut body = Body {
            format,
            root,
            out: Vec::with_capacity(USUAL_BODY_BYTES),
        };
        match format {
            Format::Json => body.out.push(b'{'),
            Format::Xml => {
                body.out
                    .extend_from_slice(br#"<?xml version="1.0" encoding="UTF-8"?>"#);
                body.open_root();
            }
        }
        body
    }

    /// The body's bytes, its root closed.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        match self.format {
            Format::Json => self.out.push(b'}'),
            Format::Xml => {
                self.out.extend_from_slice(b"</");
                self.out.extend_from_slice(self.root.as_bytes());
                self.out.push(b'>');
            }
        }
        self.out
    }

    /// A text field, escaped as its format needs.
    pub(crate) fn text(&mut self, name: Name, value: &str) {
        self.field(name);
        match self.format {
            Format::Json => self.json_string(value),
            Format::Xml => {
                let escaped = quick_xml::escape::escape(value);
                self.out.extend_from_slice(escaped.as_bytes());
            }
        }
        self.end_field(name);
    }

    /// A text field written by `value`'s `Display` (an ID, a percentage, a
    /// time), escaped as [`text`](Body::text) is. Written in place: such
    /// values seldom need escaping, and are then written again.
    pub(crate) fn display(&mut self, name: Name, value: impl Display) {
        let start = self.out.len();
        self.field(name);
        let quoted = self.format == Format::Json;
        if quoted {
            self.out.push(b'"');
        }
        let written = self.out.len();
        // Writing into a Vec cannot fail.
        let _ = write!(self.out, "{value}");
        if self.needs_escape(&self.out[written..]) {
            let text = String::from_utf8_lossy(&self.out[written..]).into_owned();
            self.out.truncate(start);
            self.text(name, &text);
            return;
        }
        if quoted {
            self.out.push(b'"');
        }
        self.end_field(name);
    }

    /// Whether `text` holds a byte its format escapes. Every byte is
    /// looked at, without a branch, so that the look is vectorized: most
    /// texts need no escape.
    fn needs_escape(&self, text: &[u8]) -> bool {
        let escaped: fn(u8) -> bool = match self.format {
            Format::Json => |b| (b < 0x20) | (b == b'"') | (b == b'\\'),
            Format::Xml => |b| (b == b'<') | (b == b'>') | (b == b'&') | (b == b'\'') | (b == b'"'),
        };
        text.iter().fold(false, |found, &b| found | escaped(b))
    }

    pub(crate) fn number(&mut self, name: Name, value: u64) {
        self.field(name);
        // The digits are the same in both formats.
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        self.end_field(name);
    }

    /// A number written as text: `"40"` in JSON.
    pub(crate) fn number_text(&mut self, name: Name, value: u64) {
        self.ascii(name, itoa::Buffer::new().format(value));
    }

    /// A text field that needs no escaping in either format (an ID, a
    /// percentage, a time, a name of this crate's: ASCII letters, digits
    /// and `-:%/`), copied as it is: no scan, no `core::fmt`.
    pub(crate) fn ascii(&mut self, name: Name, value: impl AsRef<[u8]>) {
        let value = value.as_ref();
        debug_assert!(value.is_ascii() && !self.needs_escape(value));
        self.field(name);
        let quoted = self.format == Format::Json;
        if quoted {
            self.out.push(b'"');
        }
        self.out.extend_from_slice(value);
        if quoted {
            self.out.push(b'"');
        }
        self.end_field(name);
    }

    pub(crate) fn boolean(&mut self, name: Name, value: bool) {
        self.field(name);
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.out.extend_from_slice(text);
        self.end_field(name);
    }

    /// A field holding an object, whose fields `fields` writes.
    pub(crate) fn object(&mut self, name: Name, fields: impl FnOnce(&mut Body)) {
        self.field(name);
        if self.format == Format::Json {
            self.out.push(b'{');
        }
        fields(self);
        if self.format == Format::Json {
            self.out.push(b'}');
        }
        self.end_field(name);
    }

    /// The field `name` holding the list `{"<item>": [...]}`, one object
    /// per entry, whose fields `fields` writes.
    pub(crate) fn list<T>(
        &mut self,
        name: Name,
        item: Name,
        entries: impl IntoIterator<Item = T>,
        mut fields: impl FnMut(&mut Body, T),
    ) {
        self.object(name, |body| {
            if body.format == Format::Json {
                body.key(item);
                body.out.push(b'[');
            }
            for entry in entries {
                match body.format {
                    Format::Json => {
                        body.separate();
                        body.out.push(b'{');
                        fields(body, entry);
                        body.out.push(b'}');
                    }
                    Format::Xml => {
                        body.open(item);
                        fields(body, entry);
                        body.close(item);
                    }
                }
            }
            if body.format == Format::Json {
                body.out.push(b']');
            }
        });
    }

    /// Starts a field: its name, after the previous field's comma in JSON.
    fn field(&mut self, name: Name) {
        match self.format {
            Format::Json => self.key(name),
            Format::Xml => self.open(name),
        }
    }

    fn end_field(&mut self, name: Name) {
        if self.format == Format::Xml {
            self.close(name);
        }
    }

    /// `"name":`.
    fn key(&mut self, name: Name) {
        self.separate();
        self.out.extend_from_slice(name.key.as_bytes());
    }

    /// The comma before every member of an object or array but its first,
    /// which follows the `{` or `[` that opens it.
    fn separate(&mut self) {
        if !matches!(self.out.last(), Some(b'{' | b'[')) {
            self.out.push(b',');
        }
    }

    /// `text` quoted, and escaped as serde_json escapes it: most values
    /// (IDs, names, states) have nothing to escape, and are copied whole.
    fn json_string(&mut self, text: &str) {
        if !self.needs_escape(text.as_bytes()) {
            self.out.push(b'"');
            self.out.extend_from_slice(text.as_bytes());
            self.out.push(b'"');
        } else {
            // Writing into a Vec cannot fail.
            let _ = (&mut serde_json::Serializer::new(&mut self.out)).serialize_str(text);
        }
    }

    fn open(&mut self, name: Name) {
        self.out.extend_from_slice(name.open.as_bytes());
    }

    fn close(&mut self, name: Name) {
        self.out.extend_from_slice(name.close.as_bytes());
    }

    /// The root element, named at run time by the action.
    fn open_root(&mut self) {
        self.out.push(b'<');
        self.out.extend_from_slice(self.root.as_bytes());
        self.out.push(b'>');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWKWARD: [&str; 6] = [
        "",
        "plain",
        r#"quote" backslash\ slash/"#,
        "tab\tnewline\ncontrol\u{1}\u{1f} delete\u{7f}",
        "<tag attr='x'> & \"y\"",
        "é 中文 \u{2028} 😀",
    ];

    fn written(format: Format, value: &str) -> String {
        let mut body = Body::new(format, "Root");
        body.text(name!("Field"), value);
        String::from_utf8(body.finish()).unwrap()
    }

    #[test]
    fn json_text_is_escaped_as_serde_json_escapes_it() {
        for value in AWKWARD {
            let expected = format!("{{\"Field\":{}}}", serde_json::to_string(value).unwrap());
            assert_eq!(written(Format::Json, value), expected);
        }
    }

    #[test]
    fn xml_text_is_escaped_as_quick_xml_escapes_it() {
        for value in AWKWARD {
            let expected = format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Root><Field>{}</Field></Root>"#,
                quick_xml::escape::escape(value)
            );
            assert_eq!(written(Format::Xml, value), expected);
        }
    }

    #[test]
    fn a_displayed_value_is_escaped_as_text_is() {
        for format in [Format::Json, Format::Xml] {
            for value in AWKWARD {
                let mut body = Body::new(format, "Root");
                body.number(name!("Before"), 1);
                body.display(name!("Field"), value);
                body.boolean(name!("After"), true);
                let mut expected = Body::new(format, "Root");
                expected.number(name!("Before"), 1);
                expected.text(name!("Field"), value);
                expected.boolean(name!("After"), true);
                assert_eq!(body.finish(), expected.finish(), "{format} {value:?}");
            }
        }
    }

    #[test]
    fn lists_and_objects_nest_in_both_formats() {
        let write = |format| {
            let mut body = Body::new(format, "Root");
            body.number(name!("Count"), 2);
            body.list(
                name!("Items"),
                name!("Item"),
                [true, false],
                |body, flag| {
                    body.boolean(name!("Flag"), flag);
                    body.list(
                        name!("Empty"),
                        name!("Nothing"),
                        std::iter::empty::<()>(),
                        |_, ()| {},
                    );
                },
            );
            body.object(name!("Inner"), |body| {
                body.display(name!("Percent"), format_args!("{}%", 5))
            });
            String::from_utf8(body.finish()).unwrap()
        };
        assert_eq!(
            write(Format::Json),
            r#"{"Count":2,"Items":{"Item":[{"Flag":true,"Empty":{"Nothing":[]}},{"Flag":false,"Empty":{"Nothing":[]}}]},"Inner":{"Percent":"5%"}}"#
        );
        assert_eq!(
            write(Format::Xml),
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Root><Count>2</Count>"#,
                "<Items><Item><Flag>true</Flag><Empty></Empty></Item>",
                "<Item><Flag>false</Flag><Empty></Empty></Item></Items>",
                "<Inner><Percent>5%</Percent></Inner></Root>"
            )
        );
    }
}
