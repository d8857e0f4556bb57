//! DescribeRegions: the regions of the world's config.

use super::World;
use super::store::Store;
use crate::service::DescribeRegions;

/// One region as DescribeRegions shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegionView<'w> {
    /// `RegionId`.
    pub id: &'w str,
    /// `LocalName`, in the language asked for; the region's ID for a
    /// region this crate has no name of.
    pub local_name: &'w str,
    /// `RegionEndpoint`: `ecs.<region>.aliyuncs.com`.
    pub endpoint: String,
    /// `Status`: `available`.
    pub status: &'static str,
}

/// The default regions' (ecs-facts §6) names as the console shows them,
/// (`zh-CN`, `en-US`); the facts give only IDs, so these are this crate's.
const NAMES: [(&str, &str, &str); 13] = [
    ("cn-hangzhou", "华东1（杭州）", "China (Hangzhou)"),
    ("cn-shanghai", "华东2（上海）", "China (Shanghai)"),
    ("cn-beijing", "华北2（北京）", "China (Beijing)"),
    ("cn-shenzhen", "华南1（深圳）", "China (Shenzhen)"),
    ("cn-qingdao", "华北1（青岛）", "China (Qingdao)"),
    ("cn-zhangjiakou", "华北3（张家口）", "China (Zhangjiakou)"),
    ("cn-hongkong", "中国香港", "China (Hong Kong)"),
    ("ap-southeast-1", "新加坡", "Singapore"),
    ("ap-northeast-1", "日本（东京）", "Japan (Tokyo)"),
    ("us-west-1", "美国（硅谷）", "US (Silicon Valley)"),
    ("us-east-1", "美国（弗吉尼亚）", "US (Virginia)"),
    ("eu-central-1", "德国（法兰克福）", "Germany (Frankfurt)"),
    ("eu-west-1", "英国（伦敦）", "UK (London)"),
];

impl<S: Store> World<S> {
    /// DescribeRegions: every region of the config, in its order. Names
    /// are in Chinese unless `AcceptLanguage` is `en-US` or `ja` (which
    /// gets the English names); it never fails.
    pub fn describe_regions(&self, request: &DescribeRegions) -> Vec<RegionView<'_>> {
        let english = matches!(request.accept_language.as_deref(), Some("en-US" | "ja"));
        let name = |id: &str| {
            let known = NAMES.iter().find(|(region, _, _)| *region == id);
            known.map(|&(_, chinese, english_name)| if english { english_name } else { chinese })
        };
        (self.config.regions())
            .map(|(id, _)| RegionView {
                id,
                local_name: name(id).unwrap_or(id),
                endpoint: format!("ecs.{id}.aliyuncs.com"),
                status: "available",
            })
            .collect()
    }
}
