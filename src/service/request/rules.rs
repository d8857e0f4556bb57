//! The parameter rules, one function each, shared by every action.

use super::Tag;

/// Most tags an image has, and a request may carry.
pub(crate) const MAX_TAGS: usize = 20;

/// Present and not empty.
#[inline]
pub(crate) fn given(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn length_within(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.chars().count())
}

fn reserved_prefix(text: &str) -> bool {
    starts_with_ignoring_case(text, "aliyun") || starts_with_ignoring_case(text, "acs:")
}

/// `http://` and `https://` need `/`, which names do not allow at all.
pub(crate) fn image_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_is_letter = chars.next().is_some_and(char::is_alphabetic);
    let rest_allowed = chars.all(|c| c.is_alphabetic() || c.is_ascii_digit() || ".:_-".contains(c));
    first_is_letter && rest_allowed && length_within(name, 2, 128) && !reserved_prefix(name)
}

pub(crate) fn description(text: &str) -> bool {
    let link =
        starts_with_ignoring_case(text, "http://") || starts_with_ignoring_case(text, "https://");
    length_within(text, 2, 256) && !link
}

pub(crate) fn client_token(token: &str) -> bool {
    token.is_ascii() && token.len() <= 64
}

/// At most 20 tags, valid keys and values, no key twice.
pub(crate) fn tags(tags: &[Tag]) -> bool {
    let each_valid = tags.iter().all(|tag| {
        length_within(&tag.key, 1, 128)
            && !reserved_prefix(&tag.key)
            && length_within(&tag.value, 0, 128)
    });
    let unique = !repeats(tags.iter().map(|tag| tag.key.as_str()));
    tags.len() <= MAX_TAGS && each_valid && unique
}

fn link(text: &str) -> bool {
    starts_with_ignoring_case(text, "http://") || starts_with_ignoring_case(text, "https://")
}

/// A key TagResources takes: 1 to 128 characters, not starting with
/// `aliyun`, `acs:`, `http://` or `https://`.
pub(crate) fn tag_key(key: &str) -> bool {
    length_within(key, 1, 128) && !reserved_prefix(key) && !link(key)
}

/// A value TagResources takes: at most 128 characters, not starting with
/// `http://` or `https://`; empty is a value.
pub(crate) fn tag_value(value: &str) -> bool {
    length_within(value, 0, 128) && !link(value)
}

/// Whether some key comes twice.
pub(crate) fn repeats<'k>(keys: impl Iterator<Item = &'k str>) -> bool {
    let keys: Vec<&str> = keys.collect();
    (keys.iter().enumerate()).any(|(i, key)| keys[..i].contains(key))
}
