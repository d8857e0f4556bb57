//! How a request's fields travel as named text parameters: the one place
//! that reads and writes them, for the endpoint's parser and for clients
//! such as the testkit's.

use super::Tag;
use crate::task::EcsError;

/// A request's parameters as text, by wire name, for reading a request.
pub(crate) trait Source {
    /// The value of parameter `name`, if given.
    fn get(&self, name: &str) -> Option<&str>;

    /// Every parameter, in the order given.
    fn pairs(&self) -> impl Iterator<Item = (&str, &str)>;
}

/// Where a request's parameters are written, by wire name.
#[cfg_attr(
    not(feature = "proptest"),
    allow(dead_code, reason = "only the testkit's client writes requests")
)]
pub(crate) trait Sink {
    /// Adds parameter `name` with `value`.
    fn put(&mut self, name: &str, value: &str);
}

/// How one kind of field reads and writes.
pub(crate) trait Kind: Sized {
    fn read(source: &impl Source, name: &str) -> Result<Self, EcsError>;
    #[cfg_attr(
        not(feature = "proptest"),
        allow(dead_code, reason = "only the testkit's client writes requests")
    )]
    fn write(&self, sink: &mut impl Sink, name: &str);
}

/// A text parameter, kept as given: the actions decide what it means.
impl Kind for Option<String> {
    fn read(source: &impl Source, name: &str) -> Result<Self, EcsError> {
        Ok(source.get(name).map(str::to_owned))
    }

    fn write(&self, sink: &mut impl Sink, name: &str) {
        if let Some(value) = self {
            sink.put(name, value);
        }
    }
}

/// A flag that is `false` when absent: `true` or `false` in any case.
impl Kind for bool {
    fn read(source: &impl Source, name: &str) -> Result<Self, EcsError> {
        source.get(name).map_or(Ok(false), parse_bool)
    }

    fn write(&self, sink: &mut impl Sink, name: &str) {
        if *self {
            sink.put(name, "true");
        }
    }
}

/// A flag that is required: absent or empty is missing.
impl Kind for Option<bool> {
    fn read(source: &impl Source, name: &str) -> Result<Self, EcsError> {
        let value = source.get(name).filter(|value| !value.is_empty());
        value.map(parse_bool).transpose()
    }

    fn write(&self, sink: &mut impl Sink, name: &str) {
        if let Some(value) = self {
            sink.put(name, if *value { "true" } else { "false" });
        }
    }
}

/// A number; one that is not a `u32` is `InvalidParameter`.
impl Kind for Option<u32> {
    fn read(source: &impl Source, name: &str) -> Result<Self, EcsError> {
        let number = source.get(name).map(str::parse::<u32>).transpose();
        number.map_err(|_| EcsError::InvalidParameter)
    }

    fn write(&self, sink: &mut impl Sink, name: &str) {
        if let Some(value) = self {
            sink.put(name, &value.to_string());
        }
    }
}

/// Most entries a numbered list (`Tag.N`, `ResourceId.N`, ...) reads: more
/// than any action takes, so that the actions answer their own limits.
const MAX_LISTED: usize = 100;

/// Tags as `<name>.N.Key` and `<name>.N.Value`, in `N` order. A malformed
/// tag parameter, an `N` outside 1 to 100, or a value without a key is
/// `InvalidParameter`; the actions limit how many they take.
impl Kind for Vec<Tag> {
    fn read(source: &impl Source, name: &str) -> Result<Self, EcsError> {
        // Most requests have no tags: a look at each name is cheaper than
        // a hundred slots filled and walked.
        if numbered(source, name).next().is_none() {
            return Ok(Vec::new());
        }
        let mut slots: [(Option<&str>, Option<&str>); MAX_LISTED] = [(None, None); MAX_LISTED];
        for (number, value) in numbered(source, name) {
            let (number, field) = number.split_once('.').ok_or(EcsError::InvalidParameter)?;
            let slot = &mut slots[index(number)?];
            match field {
                "Key" => slot.0 = Some(value),
                "Value" => slot.1 = Some(value),
                _ => return Err(EcsError::InvalidParameter),
            }
        }
        let mut tags = Vec::new();
        for slot in slots {
            match slot {
                (Some(key), value) => tags.push(Tag::new(key, value.unwrap_or(""))),
                (None, Some(_)) => return Err(EcsError::InvalidParameter),
                (None, None) => {}
            }
        }
        Ok(tags)
    }

    fn write(&self, sink: &mut impl Sink, name: &str) {
        let base = list_base(name);
        for (n, tag) in self.iter().enumerate() {
            sink.put(&format!("{base}.{}.Key", n + 1), &tag.key);
            sink.put(&format!("{base}.{}.Value", n + 1), &tag.value);
        }
    }
}

/// A list of texts as `<name>.N`, in `N` order; an `N` given twice, or
/// outside 1 to 100, is `InvalidParameter`.
impl Kind for Vec<String> {
    fn read(source: &impl Source, name: &str) -> Result<Self, EcsError> {
        if numbered(source, name).next().is_none() {
            return Ok(Vec::new());
        }
        let mut slots: [Option<&str>; MAX_LISTED] = [None; MAX_LISTED];
        for (number, value) in numbered(source, name) {
            slots[index(number)?] = Some(value);
        }
        Ok(slots.into_iter().flatten().map(str::to_owned).collect())
    }

    fn write(&self, sink: &mut impl Sink, name: &str) {
        let base = list_base(name);
        for (n, value) in self.iter().enumerate() {
            sink.put(&format!("{base}.{}", n + 1), value);
        }
    }
}

/// The parameters of the list `<base>.N`, as `(rest, value)` for each
/// `<base>.<rest>`.
fn numbered<'s>(source: &'s impl Source, name: &str) -> impl Iterator<Item = (&'s str, &'s str)> {
    let base = list_base(name);
    source.pairs().filter_map(move |(parameter, value)| {
        // The `.` after the base first: one byte, where most names differ;
        // the base is compared (a call) only then.
        let (head, rest) = parameter.split_at_checked(base.len())?;
        let rest = rest.strip_prefix('.')?;
        (head == base).then_some((rest, value))
    })
}

/// `Tag` of `Tag.N`.
fn list_base(name: &str) -> &str {
    name.strip_suffix(".N").unwrap_or(name)
}

/// `N` of `Name.N` as an index from 0, for `N` from 1 to 100 written
/// plainly.
fn index(number: &str) -> Result<usize, EcsError> {
    let plain = !number.starts_with('0') && number.bytes().all(|b| b.is_ascii_digit());
    let n: usize = number.parse().ok().filter(|_| plain).unwrap_or(0);
    match (1..=MAX_LISTED).contains(&n) {
        true => Ok(n - 1),
        false => Err(EcsError::InvalidParameter),
    }
}

fn parse_bool(value: &str) -> Result<bool, EcsError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(EcsError::InvalidParameter),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{Action, CopyImage, DescribeImages, Request};

    /// Parameters as a client writes them and a server reads them back.
    #[derive(Default)]
    struct Pairs(Vec<(String, String)>);

    impl Sink for Pairs {
        fn put(&mut self, name: &str, value: &str) {
            self.0.push((name.to_owned(), value.to_owned()));
        }
    }

    impl Source for Pairs {
        fn get(&self, name: &str) -> Option<&str> {
            let found = self.0.iter().find(|(n, _)| n == name);
            found.map(|(_, value)| value.as_str())
        }

        fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
            self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
        }
    }

    fn round_trip(request: Request) -> Result<Request, EcsError> {
        let mut pairs = Pairs::default();
        request.write(&mut pairs);
        Request::read(request.action(), &pairs)
    }

    #[test]
    fn every_kind_of_field_reads_back_what_it_writes() {
        let mut copy = CopyImage::new("cn-hangzhou", "m-0000000000000000000a");
        copy.destination_image_name = Some("名前 with spaces".into());
        copy.encrypted = true;
        copy.tags = (1..=20).map(|n| Tag::new(format!("k{n}"), "")).collect();
        let mut describe = DescribeImages::new("cn-beijing");
        describe.page_size = Some(0);
        describe.page_number = Some(u32::MAX);
        let cancellable = crate::service::MockSetCancellable {
            cancellable: Some(false),
            ..Default::default()
        };
        for request in [copy.into(), describe.into(), cancellable.into()] {
            assert_eq!(round_trip(Request::clone(&request)), Ok(request));
        }
    }

    #[test]
    fn a_field_of_the_wrong_form_is_invalid_and_an_absent_one_is_default() {
        let read = |pairs: &[(&str, &str)]| {
            let pairs = pairs.iter().map(|(n, v)| (n.to_string(), v.to_string()));
            Request::read(Action::CopyImage, &Pairs(pairs.collect()))
        };
        for bad in [
            &[("Encrypted", "yes")][..],
            &[("DryRun", "")],
            &[("Tag.0.Key", "k")],
            &[("Tag.101.Key", "k")],
            &[("Tag.01.Key", "k")],
            &[("Tag.1.Value", "v")],
            &[("Tag.1.Colour", "v")],
        ] {
            assert_eq!(read(bad), Err(EcsError::InvalidParameter), "{bad:?}");
        }
        assert_eq!(read(&[]), Ok(CopyImage::default().into()));
        // Names near a list's are not in it: shorter, another base, no `.`.
        let near = [
            ("Ta", "x"),
            ("Tog.1.Key", "k"),
            ("Tag", "k"),
            ("Tag1.Key", "k"),
        ];
        assert_eq!(read(&near), Ok(CopyImage::default().into()));
        let tagged = CopyImage {
            tags: vec![Tag::new("k", "v")],
            ..CopyImage::default()
        };
        let tag = [("Tag.1.Value", "v"), ("Tog.1.Key", "x"), ("Tag.1.Key", "k")];
        assert_eq!(read(&tag), Ok(tagged.into()));
        assert_eq!(
            read(&[("Encrypted", "TRUE")]).map(|r| r.action()),
            Ok(Action::CopyImage)
        );
        let describe = Request::read(
            Action::DescribeImages,
            &Pairs(vec![("PageSize".into(), "ten".into())]),
        );
        assert_eq!(describe, Err(EcsError::InvalidParameter));
    }
}
