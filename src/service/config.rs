//! The shape of a world: its regions, their copy limits (per account), its
//! accounts when they are a closed list, its ID seed.

use std::num::NonZeroU32;

/// The regions of a [`World`](crate::World), their copy limits, the
/// accounts it knows when they are a closed list, and the seed of its IDs.
///
/// A region's copy limit is per account: each account runs that many
/// copies into the region at once, and queues the rest, whatever other
/// accounts do.
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
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    accounts: Option<Vec<String>>,
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

    /// How many copies an account runs at once into a destination region
    /// unless configured.
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
            accounts: None,
        };
        for region in regions {
            let region = region.into();
            if !config.regions.iter().any(|(id, _)| *id == region) {
                config.regions.push((region, Config::DEFAULT_COPY_LIMIT));
            }
        }
        config
    }

    /// Every account runs at most `limit` copies at once into each region.
    pub fn with_copy_limit(mut self, limit: NonZeroU32) -> Config {
        for (_, region_limit) in &mut self.regions {
            *region_limit = limit;
        }
        self
    }

    /// Every account runs at most `limit` copies at once into `region`; no
    /// effect on a region the config does not have.
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

    /// The service has exactly these accounts: sharing an image with any
    /// other answers `InvalidAccount.NotFound`. Without a list (the
    /// default), any name is an account, as the mock server without
    /// authentication takes any `AccessKeyId` as one.
    pub fn with_accounts<A: Into<String>>(
        mut self,
        accounts: impl IntoIterator<Item = A>,
    ) -> Config {
        self.accounts = Some(accounts.into_iter().map(Into::into).collect());
        self
    }

    /// Whether `name` is an account of the service.
    pub fn has_account(&self, name: &str) -> bool {
        let listed = self.accounts.as_ref();
        listed.is_none_or(|accounts| accounts.iter().any(|account| account == name))
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
