//! The shape of a world: its regions, their copy limits, its ID seed.

use std::num::NonZeroU32;

/// The regions of a [`World`](crate::World), their copy limits, and the seed of its IDs.
///
/// ```
/// use std::num::NonZeroU32;
/// use ecs_image_copy::Config;
///
/// let config = Config::new(["cn-hangzhou", "cn-beijing"])
///     .with_copy_limit(NonZeroU32::new(2).unwrap())
///     .with_id_seed(7);
/// assert_eq!(config.regions().count(), 2);
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Config {
    pub(super) regions: Vec<(String, NonZeroU32)>,
    id_seed: u64,
}

impl Default for Config {
    /// The regions of [`Config::DEFAULT_REGIONS`], five copies at once in each.
    fn default() -> Config {
        Config::new(Config::DEFAULT_REGIONS)
    }
}

impl Config {
    /// The region IDs a default config has (ecs-facts §6).
    pub const DEFAULT_REGIONS: [&'static str; 13] = [
        "cn-hangzhou",
        "cn-shanghai",
        "cn-beijing",
        "cn-shenzhen",
        "cn-qingdao",
        "cn-zhangjiakou",
        "cn-hongkong",
        "ap-southeast-1",
        "ap-northeast-1",
        "us-west-1",
        "us-east-1",
        "eu-central-1",
        "eu-west-1",
    ];

    /// How many copies a destination region runs at once unless configured.
    pub const DEFAULT_COPY_LIMIT: NonZeroU32 = match NonZeroU32::new(5) {
        Some(limit) => limit,
        None => NonZeroU32::MIN,
    };

    /// The size in GiB of an image created without one.
    pub const DEFAULT_IMAGE_SIZE_GIB: u32 = 40;

    /// These regions (duplicates dropped), five copies at once in each.
    pub fn new<R: Into<String>>(regions: impl IntoIterator<Item = R>) -> Config {
        let mut config = Config {
            regions: Vec::new(),
            id_seed: 0,
        };
        for region in regions {
            let region = region.into();
            if !config.regions.iter().any(|(id, _)| *id == region) {
                config.regions.push((region, Config::DEFAULT_COPY_LIMIT));
            }
        }
        config
    }

    /// Every region runs at most `limit` copies at once.
    pub fn with_copy_limit(mut self, limit: NonZeroU32) -> Config {
        for (_, region_limit) in &mut self.regions {
            *region_limit = limit;
        }
        self
    }

    /// `region` runs at most `limit` copies at once; no effect on a region
    /// the config does not have.
    pub fn with_region_copy_limit(mut self, region: &str, limit: NonZeroU32) -> Config {
        if let Some((_, region_limit)) = self.regions.iter_mut().find(|(id, _)| id == region) {
            *region_limit = limit;
        }
        self
    }

    /// New image IDs are a function of this seed and where the image is
    /// stored, so that two worlds with different seeds issue different IDs.
    pub fn with_id_seed(mut self, seed: u64) -> Config {
        self.id_seed = seed;
        self
    }

    /// The seed of new image IDs.
    pub fn id_seed(&self) -> u64 {
        self.id_seed
    }

    /// The regions and their copy limits, in configuration order.
    pub fn regions(&self) -> impl Iterator<Item = (&str, NonZeroU32)> {
        self.regions.iter().map(|(id, limit)| (id.as_str(), *limit))
    }
}
