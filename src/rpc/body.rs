//! Response bodies: one tree, written as JSON or as XML.

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A response body before it is written in one format or the other.
#[derive(Clone, Debug)]
pub(crate) enum Node<'a> {
    Text(Cow<'a, str>),
    Number(u64),
    Bool(bool),
    /// Fields in order. In XML each is an element of its name.
    Object(Vec<(&'static str, Node<'a>)>),
    /// Items of a list. In JSON an array; in XML each item is an element
    /// named after the field that holds the list, as ECS writes
    /// `{"Image": [...]}` as repeated `<Image>` elements.
    List(Vec<Node<'a>>),
}

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

impl Node<'_> {
    /// The body in `format`, under the root element `root` for XML.
    pub(crate) fn write(&self, format: Format, root: &str) -> Vec<u8> {
        match format {
            // Writing a tree of strings, numbers and booleans cannot fail.
            Format::Json => serde_json::to_vec(self).unwrap_or_default(),
            Format::Xml => self.to_xml(root).unwrap_or_default(),
        }
    }

    fn to_xml(&self, root: &str) -> std::io::Result<Vec<u8>> {
        let mut writer = Writer::new(Vec::with_capacity(256));
        writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        write_element(&mut writer, root, self)?;
        Ok(writer.into_inner())
    }
}

fn write_element(writer: &mut Writer<Vec<u8>>, name: &str, node: &Node<'_>) -> std::io::Result<()> {
    if let Node::List(items) = node {
        return items
            .iter()
            .try_for_each(|item| write_element(writer, name, item));
    }
    writer.write_event(Event::Start(BytesStart::new(name)))?;
    match node {
        Node::Text(text) => writer.write_event(Event::Text(BytesText::new(text)))?,
        Node::Number(n) => writer.write_event(Event::Text(BytesText::new(&n.to_string())))?,
        Node::Bool(b) => writer.write_event(Event::Text(BytesText::new(if *b {
            "true"
        } else {
            "false"
        })))?,
        Node::Object(fields) => {
            for (field, value) in fields {
                write_element(writer, field, value)?;
            }
        }
        Node::List(_) => {}
    }
    writer.write_event(Event::End(BytesEnd::new(name)))
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Text(text) => serializer.serialize_str(text),
            Node::Number(n) => serializer.serialize_u64(*n),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (name, value) in fields {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
            Node::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}
