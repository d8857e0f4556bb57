//! CopyImage.

use super::World;
use super::handles::{AccountHandle, RegionHandle};
use super::image::{CopyOf, Details, Image, Replay};
use crate::service::request::{given, rules};
use crate::service::{CopyImage, ImageId, Timestamp};
use crate::task::{CopyTask, EcsError, ImageStatus};

/// What a CopyImage that passed every check will do.
enum CopyPlan {
    /// A retry of an earlier call with the same token: its copy.
    Replay(ImageId),
    /// A new copy of this source, owned by the caller (as the source is
    /// theirs) and of its size, into this region.
    New {
        source: ImageId,
        owner: AccountHandle,
        size_gib: u32,
        destination: RegionHandle,
    },
}

impl World {
    /// CopyImage as `caller`: the new copy's ID, or the first error in the
    /// documented order. `now` becomes the copy's `CreationTime`.
    pub fn copy_image(
        &mut self,
        caller: &str,
        request: &CopyImage,
        now: Timestamp,
    ) -> Result<ImageId, EcsError> {
        let plan = self.plan_copy(caller, request)?;
        if request.dry_run {
            return Err(EcsError::DryRunOperation);
        }
        Ok(match plan {
            CopyPlan::Replay(image) => image,
            CopyPlan::New {
                source,
                owner,
                size_gib,
                destination,
            } => {
                let image = Image {
                    seq: 0,
                    block: 0,
                    owner,
                    region: destination,
                    created: now,
                    size_gib,
                    name: given(request.destination_image_name.as_deref())
                        .unwrap_or("")
                        .into(),
                    details: copy_details(request),
                    copy: Some(CopyOf {
                        source,
                        task: CopyTask::new(),
                    }),
                };
                self.commit_copy(request, image)?
            }
        })
    }

    /// Every check of CopyImage, in order, without changing anything.
    fn plan_copy(&self, caller: &str, request: &CopyImage) -> Result<CopyPlan, EcsError> {
        let region = given(request.region_id.as_deref()).ok_or(EcsError::MissingRegionId)?;
        let image = given(request.image_id.as_deref()).ok_or(EcsError::MissingImageId)?;
        let source_region = self.region(region).ok_or(EcsError::SourceRegionNotFound)?;
        let destination = match given(request.destination_region_id.as_deref()) {
            Some(region) => self
                .region(region)
                .ok_or(EcsError::DestinationRegionNotFound)?,
            None => source_region,
        };
        check_copy_parameters(request)?;
        if let Some(replay) = self.replay(caller, request, destination)? {
            return Ok(CopyPlan::Replay(replay));
        }
        let (source, found) = self
            .visible(caller, source_region, image)
            .ok_or(EcsError::ImageNotFound)?;
        if found.is_copy_in_progress() {
            return Err(EcsError::SourceCopying);
        }
        if self.view(source, found).status() != ImageStatus::Available {
            return Err(EcsError::ImageNotAvailable);
        }
        let name = given(request.destination_image_name.as_deref());
        if name.is_some_and(|name| self.name_taken(found.owner, destination, name)) {
            return Err(EcsError::ImageNameDuplicated);
        }
        if self.images.is_full() {
            return Err(EcsError::ImageQuotaExceeded);
        }
        Ok(CopyPlan::New {
            source,
            owner: found.owner,
            size_gib: found.size_gib,
            destination,
        })
    }

    /// The earlier copy for the request's ClientToken, if any. A retry must
    /// get its first answer even though the world has changed since (its
    /// own copy now holds the name), so this comes before the checks
    /// that read the world.
    fn replay(
        &self,
        caller: &str,
        request: &CopyImage,
        destination: RegionHandle,
    ) -> Result<Option<ImageId>, EcsError> {
        let Some(token) = given(request.client_token.as_deref()) else {
            return Ok(None);
        };
        let earlier = self
            .accounts
            .find(caller)
            .and_then(|account| self.tokens.get(&account)?.get(token));
        match earlier {
            None => Ok(None),
            Some(replay) if replay.parameters == self.fingerprint(request, destination) => {
                Ok(Some(replay.image))
            }
            Some(_) => Err(EcsError::IdempotentParameterMismatch),
        }
    }

    /// The parameters that make two CopyImage calls the same call.
    fn fingerprint(&self, request: &CopyImage, destination: RegionHandle) -> Vec<Box<str>> {
        let text = |value: &Option<String>| Box::from(given(value.as_deref()).unwrap_or(""));
        let mut parameters = vec![
            text(&request.region_id),
            text(&request.image_id),
            Box::from(destination.name(&self.config)),
            text(&request.destination_image_name),
            text(&request.destination_description),
            Box::from(if request.encrypted { "true" } else { "false" }),
            text(&request.kms_key_id),
            text(&request.resource_group_id),
        ];
        for tag in &request.tags {
            parameters.extend([Box::from(&*tag.key), Box::from(&*tag.value)]);
        }
        parameters
    }

    /// Creates the copy that `plan_copy` allowed, remembering its token. The
    /// plan found room in the image table, so this does not fail (and if it
    /// did, it would change nothing).
    fn commit_copy(&mut self, request: &CopyImage, copy: Image) -> Result<ImageId, EcsError> {
        let (owner, destination) = (copy.owner, copy.region);
        let fingerprint = given(request.client_token.as_deref())
            .map(|token| (token, self.fingerprint(request, destination)));
        let id = self.insert_image(copy)?;
        if let Some((token, parameters)) = fingerprint {
            let replay = Replay {
                parameters,
                image: id,
            };
            let tokens = self.tokens.entry(owner).or_default();
            tokens.insert(token.into(), replay);
        }
        Ok(id)
    }
}

/// CopyImage's checks of its parameters' form, after the regions.
fn check_copy_parameters(request: &CopyImage) -> Result<(), EcsError> {
    let name = given(request.destination_image_name.as_deref());
    if name.is_some_and(|name| !rules::image_name(name)) {
        return Err(EcsError::ImageNameMalformed);
    }
    let description = given(request.destination_description.as_deref());
    if description.is_some_and(|text| !rules::description(text)) {
        return Err(EcsError::DescriptionMalformed);
    }
    if given(request.kms_key_id.as_deref()).is_some() && !request.encrypted {
        return Err(EcsError::EncryptedIllegal);
    }
    let token_valid = given(request.client_token.as_deref()).is_none_or(rules::client_token);
    if !token_valid || !rules::tags(&request.tags) {
        return Err(EcsError::InvalidParameter);
    }
    Ok(())
}

fn copy_details(request: &CopyImage) -> Option<Box<Details>> {
    let description = given(request.destination_description.as_deref()).unwrap_or("");
    let kms_key_id = given(request.kms_key_id.as_deref()).unwrap_or("");
    let none = description.is_empty() && request.tags.is_empty() && kms_key_id.is_empty();
    if none && !request.encrypted {
        // What most copies have, built for nothing.
        return None;
    }
    let details = Details {
        description: description.into(),
        tags: (request.tags.iter())
            .map(|tag| (Box::from(&*tag.key), Box::from(&*tag.value)))
            .collect(),
        encrypted: request.encrypted,
        kms_key_id: kms_key_id.into(),
        ..Details::default()
    };
    details.boxed()
}
