//! Response bodies, written field by field straight into their bytes, as
//! JSON or as XML: no tree is built, allocated and dropped per answer.
//! A run of fields is written by [`fields!`], which spells the names and
//! the punctuation between two values as one literal per format.

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

/// The `Content-Type` of an answer in JSON: one of the two an
/// [`HttpResponse`](super::HttpResponse) has.
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=utf-8";

/// The `Content-Type` of an answer in XML, the API's default.
pub const XML_CONTENT_TYPE: &str = "text/xml;charset=utf-8";

impl Format {
    /// The `Content-Type` of a body in this format.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Json => JSON_CONTENT_TYPE,
            Format::Xml => XML_CONTENT_TYPE,
        }
    }
}

/// A list field's name and its items' name, spelled as each format
/// writes them, at compile time. Made by [`list_name!`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct ListName {
    /// `"Images":{"Image":[`
    json_open: &'static str,
    /// `<Images>`
    open: &'static str,
    /// `</Images>`
    close: &'static str,
    /// `<Image>`
    item_open: &'static str,
    /// `</Image>`
    item_close: &'static str,
}

impl ListName {
    /// The names spelled thus, checked where [`list_name!`] is used: a
    /// name of letters and digits needs no escape in either format.
    pub(crate) const fn spelled(
        (list, item): (&str, &str),
        json_open: &'static str,
        [open, close]: [&'static str; 2],
        [item_open, item_close]: [&'static str; 2],
    ) -> ListName {
        assert!(
            letters_and_digits(list) && letters_and_digits(item),
            "a name is letters and digits"
        );
        ListName {
            json_open,
            open,
            close,
            item_open,
            item_close,
        }
    }
}

const fn letters_and_digits(name: &str) -> bool {
    let bytes = name.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_alphanumeric() {
            return false;
        }
        at += 1;
    }
    true
}

/// The [`ListName`] of a list and of its items, from their names: letters
/// and digits, checked at compile time.
macro_rules! list_name {
    ($list:literal, $item:literal) => {{
        const NAME: $crate::rpc::body::ListName = $crate::rpc::body::ListName::spelled(
            ($list, $item),
            concat!("\"", $list, "\":{\"", $item, "\":["),
            [concat!("<", $list, ">"), concat!("</", $list, ">")],
            [concat!("<", $item, ">"), concat!("</", $item, ">")],
        );
        NAME
    }};
}
pub(crate) use list_name;

/// Writes a run of fields into a [`Body`], each `Name: kind(value)`, the
/// kind being `ascii`, `text`, `display`, `number` or `boolean`, whose
/// value [`Body`]'s `<kind>_value` writes. Everything between two values
/// (the closing quote, the comma and the next name in JSON; the closing
/// and the opening tag in XML) is one literal, spelled at compile time: a
/// field costs one copy besides its value, where a field written as a
/// separator, a name and a quoted value costs five.
///
/// ```text
/// fields!(body, {
///     ImageId: ascii(id.ascii()),
///     ImageName: text(name),
///     Size: number(40),
/// });
/// ```
macro_rules! fields {
    ($body:expr, { $($name:ident: $kind:ident($value:expr)),+ $(,)? }) => {{
        let body: &mut $crate::rpc::body::Body = $body;
        match body.format() {
            $crate::rpc::body::Format::Json => {
                body.separate();
                $crate::rpc::body::fields!(@json body; $($name $kind($value))+);
            }
            $crate::rpc::body::Format::Xml => {
                $crate::rpc::body::fields!(@xml body; $($name $kind($value))+);
            }
        }
    }};
    (@json $body:ident; $name:ident $kind:ident($value:expr) $($rest:tt)*) => {
        $body.raw(concat!(
            "\"", stringify!($name), "\":", $crate::rpc::body::fields!(@quote $kind),
        ));
        $crate::rpc::body::fields!(@value $body, $kind($value));
        $crate::rpc::body::fields!(@json_after $body, $kind; $($rest)*);
    };
    // `$prev`: the kind of the value just written.
    (@json_after $body:ident, $prev:ident; $name:ident $kind:ident($value:expr) $($rest:tt)*) => {
        $body.raw(concat!(
            $crate::rpc::body::fields!(@quote $prev),
            ",\"", stringify!($name), "\":",
            $crate::rpc::body::fields!(@quote $kind),
        ));
        $crate::rpc::body::fields!(@value $body, $kind($value));
        $crate::rpc::body::fields!(@json_after $body, $kind; $($rest)*);
    };
    (@json_after $body:ident, $prev:ident;) => {
        $body.raw($crate::rpc::body::fields!(@quote $prev));
    };
    (@xml $body:ident; $name:ident $kind:ident($value:expr) $($rest:tt)*) => {
        $body.raw(concat!("<", stringify!($name), ">"));
        $crate::rpc::body::fields!(@value $body, $kind($value));
        $crate::rpc::body::fields!(@xml_after $body, $name; $($rest)*);
    };
    // `$prev`: the name of the field just written.
    (@xml_after $body:ident, $prev:ident; $name:ident $kind:ident($value:expr) $($rest:tt)*) => {
        $body.raw(concat!("</", stringify!($prev), "><", stringify!($name), ">"));
        $crate::rpc::body::fields!(@value $body, $kind($value));
        $crate::rpc::body::fields!(@xml_after $body, $name; $($rest)*);
    };
    (@xml_after $body:ident, $prev:ident;) => {
        $body.raw(concat!("</", stringify!($prev), ">"));
    };
    // What a JSON value of this kind is enclosed in.
    (@quote ascii) => { "\"" };
    (@quote text) => { "\"" };
    (@quote display) => { "\"" };
    (@quote number) => { "" };
    (@quote boolean) => { "" };
    (@value $body:ident, ascii($value:expr)) => { $body.ascii_value($value) };
    (@value $body:ident, text($value:expr)) => { $body.text_value($value) };
    (@value $body:ident, display($value:expr)) => { $body.display_value($value) };
    (@value $body:ident, number($value:expr)) => { $body.number_value($value) };
    (@value $body:ident, boolean($value:expr)) => { $body.boolean_value($value) };
}
pub(crate) use fields;

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

    /// The body's format, for [`fields!`].
    #[inline(always)]
    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// One of [`fields!`]' literals, copied as it is.
    #[inline(always)]
    pub(crate) fn raw(&mut self, literal: &'static str) {
        self.out.extend_from_slice(literal.as_bytes());
    }

    /// A text value, escaped as its format needs, without JSON's quotes.
    pub(crate) fn text_value(&mut self, value: &str) {
        match self.format {
            Format::Json if !self.needs_escape(value.as_bytes()) => {
                self.out.extend_from_slice(value.as_bytes());
            }
            Format::Json => {
                let start = self.out.len();
                // Writing into a Vec cannot fail. serde_json writes the
                // quotes too, which are taken back: `fields!` has its own.
                let _ = (&mut serde_json::Serializer::new(&mut self.out)).serialize_str(value);
                self.out.pop();
                self.out.remove(start);
            }
            Format::Xml => {
                let escaped = quick_xml::escape::escape(value);
                self.out.extend_from_slice(escaped.as_bytes());
            }
        }
    }

    /// A text value written by `value`'s `Display` (a code, a URL),
    /// escaped as [`text_value`](Body::text_value) escapes it. Written in
    /// place: such values seldom need escaping, and are then written again.
    pub(crate) fn display_value(&mut self, value: impl Display) {
        let start = self.out.len();
        // Writing into a Vec cannot fail.
        let _ = write!(self.out, "{value}");
        if self.needs_escape(&self.out[start..]) {
            let text = String::from_utf8_lossy(&self.out[start..]).into_owned();
            self.out.truncate(start);
            self.text_value(&text);
        }
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

    /// A number's digits, the same in both formats.
    #[inline(always)]
    pub(crate) fn number_value(&mut self, value: u64) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// A value that needs no escaping in either format (an ID, a
    /// percentage, a time, a name of this crate's: ASCII letters, digits
    /// and `-:%/`), copied as it is: no scan, no `core::fmt`.
    #[inline(always)]
    pub(crate) fn ascii_value(&mut self, value: impl AsRef<[u8]>) {
        let value = value.as_ref();
        debug_assert!(value.is_ascii() && !self.needs_escape(value));
        self.out.extend_from_slice(value);
    }

    #[inline(always)]
    pub(crate) fn boolean_value(&mut self, value: bool) {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.out.extend_from_slice(text);
    }

    /// The list field `list` (`{"<item>": [...]}`), one object per entry,
    /// whose fields `fields` writes.
    #[inline(always)]
    pub(crate) fn list<T>(
        &mut self,
        list: ListName,
        entries: impl IntoIterator<Item = T>,
        mut fields: impl FnMut(&mut Body, T),
    ) {
        match self.format {
            Format::Json => {
                self.separate();
                self.raw(list.json_open);
                for entry in entries {
                    self.separate();
                    self.out.push(b'{');
                    fields(self, entry);
                    self.out.push(b'}');
                }
                self.raw("]}");
            }
            Format::Xml => {
                self.raw(list.open);
                for entry in entries {
                    self.raw(list.item_open);
                    fields(self, entry);
                    self.raw(list.item_close);
                }
                self.raw(list.close);
            }
        }
    }

    /// The comma before every member of an object or array but its first,
    /// which follows the `{` or `[` that opens it.
    #[inline(always)]
    pub(crate) fn separate(&mut self) {
        if !matches!(self.out.last(), Some(b'{' | b'[')) {
            self.out.push(b',');
        }
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
        fields!(&mut body, { Field: text(value) });
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
                fields!(&mut body, { Before: number(1), Field: display(value), After: boolean(true) });
                let mut expected = Body::new(format, "Root");
                fields!(&mut expected, { Before: number(1), Field: text(value), After: boolean(true) });
                assert_eq!(body.finish(), expected.finish(), "{format} {value:?}");
            }
        }
    }

    #[test]
    fn fields_and_lists_follow_one_another_in_both_formats() {
        let write = |format| {
            let mut body = Body::new(format, "Root");
            fields!(&mut body, { Count: number(2) });
            body.list(list_name!("Items", "Item"), [true, false], |body, flag| {
                fields!(body, { Flag: boolean(flag), Id: ascii("m-1") });
                let empty = list_name!("Empty", "Nothing");
                body.list(empty, std::iter::empty::<()>(), |_, ()| {});
                fields!(body, { Name: text("a\"b<") });
            });
            fields!(&mut body, {
                Percent: display(format_args!("{}%", 5)),
                Alone: text("x"),
            });
            String::from_utf8(body.finish()).unwrap()
        };
        assert_eq!(
            write(Format::Json),
            concat!(
                r#"{"Count":2,"Items":{"Item":["#,
                r#"{"Flag":true,"Id":"m-1","Empty":{"Nothing":[]},"Name":"a\"b<"},"#,
                r#"{"Flag":false,"Id":"m-1","Empty":{"Nothing":[]},"Name":"a\"b<"}]},"#,
                r#""Percent":"5%","Alone":"x"}"#
            )
        );
        assert_eq!(
            write(Format::Xml),
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Root><Count>2</Count>"#,
                "<Items><Item><Flag>true</Flag><Id>m-1</Id><Empty></Empty><Name>a&quot;b&lt;</Name></Item>",
                "<Item><Flag>false</Flag><Id>m-1</Id><Empty></Empty><Name>a&quot;b&lt;</Name></Item></Items>",
                "<Percent>5%</Percent><Alone>x</Alone></Root>"
            )
        );
    }
}
