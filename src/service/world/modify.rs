//! ModifyImageAttribute.

use super::World;
use super::image::Image;
use crate::service::ModifyImageAttribute;
use crate::service::request::{given, rules};
use crate::task::EcsError;

/// What a ModifyImageAttribute that passed its checks of form changes.
struct Change<'r> {
    name: Option<&'r str>,
    description: Option<&'r str>,
    /// `Some(true)` to deprecate, `Some(false)` to make available again.
    deprecated: Option<bool>,
}

impl World {
    /// ModifyImageAttribute as `caller`: the image renamed, described,
    /// deprecated or made available again; or the first error in the
    /// documented order. A copy in progress cannot be changed.
    pub fn modify_image_attribute(
        &mut self,
        caller: &str,
        request: &ModifyImageAttribute,
    ) -> Result<(), EcsError> {
        let located = self.located(request.region_id.as_deref(), request.image_id.as_deref());
        let (region, image) = located?;
        let change = Change::of(request)?;
        let (id, found) = self
            .visible(caller, region, image)
            .ok_or(EcsError::ImageNotFound)?;
        self.check_change(found, &change)?;
        if request.dry_run {
            return Err(EcsError::DryRunOperation);
        }
        let (owner, old_name) = (found.owner, found.name.clone());
        if let Some(name) = change.name.filter(|name| **name != *old_name) {
            let shelf = self.shelves.get_mut(&(owner, region));
            let names = &mut shelf.expect("an image's shelf exists").names;
            names.remove(&old_name);
            names.insert(name.into(), id);
        }
        let image = self.images.get_mut(id).expect("found above");
        let (block, was) = (image.block, image.status());
        change.apply(image);
        let now = image.status();
        self.restatus(owner, region, block, was, now);
        Ok(())
    }

    /// The checks of ModifyImageAttribute that read the image.
    fn check_change(&self, image: &Image, change: &Change<'_>) -> Result<(), EcsError> {
        if image.is_copy_in_progress() {
            return Err(EcsError::ImageIsCreating);
        }
        let renamed = change.name.filter(|name| **name != *image.name);
        if renamed.is_some_and(|name| self.name_taken(image.owner, image.region, name)) {
            return Err(EcsError::NewImageNameDuplicated);
        }
        if change.deprecated.is_some() && image.is_failed_copy() {
            return Err(EcsError::ImageStatusNotAvailable);
        }
        if change.deprecated == Some(true) && image.is_shared() {
            return Err(EcsError::DeprecateShared);
        }
        Ok(())
    }
}

impl<'r> Change<'r> {
    /// The request's change, if its parameters have the right form.
    fn of(request: &'r ModifyImageAttribute) -> Result<Change<'r>, EcsError> {
        let name = given(request.image_name.as_deref());
        if name.is_some_and(|name| !rules::image_name(name)) {
            return Err(EcsError::NewImageNameMalformed);
        }
        let description = given(request.description.as_deref());
        if description.is_some_and(|text| !rules::description(text)) {
            return Err(EcsError::DescriptionMalformed);
        }
        let deprecated = match given(request.status.as_deref()) {
            None => None,
            Some("Deprecated") => Some(true),
            Some("Available") => Some(false),
            Some(_) => return Err(EcsError::InvalidParameter),
        };
        Ok(Change {
            name,
            description,
            deprecated,
        })
    }

    fn apply(&self, image: &mut Image) {
        if let Some(name) = self.name {
            image.name = name.into();
        }
        if let Some(description) = self.description {
            image.details_mut().description = description.into();
        }
        if let Some(deprecated) = self.deprecated {
            image.details_mut().deprecated = deprecated;
        }
        image.tidy();
    }
}
