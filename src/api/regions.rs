//! The Tencent Cloud regions a request's `X-TC-Region` may name, so that a typo (`ap-guangzho`)
//! is caught offline, before anything is sent, with the closest name offered.
//!
//! Sources (checked for this release):
//! - the official Go SDK's list, `tencentcloud/common/regions/regions.go` in
//!   github.com/TencentCloud/tencentcloud-sdk-go (every constant);
//! - CFS "Recommended Regions" (https://www.tencentcloud.com/document/product/582/45916), which
//!   lists CFS in Beijing Finance too; that region's name, `ap-beijing-fsi`, is from the
//!   regions and zones page of TencentDB (https://cloud.tencent.com/document/product/239/4106).
//!
//! A region newer than this list is accepted with `--allow-unknown-region`.

/// Every known region, sorted.
pub const REGIONS: [&str; 23] = [
    "ap-bangkok",
    "ap-beijing",
    "ap-beijing-fsi",
    "ap-chengdu",
    "ap-chongqing",
    "ap-guangzhou",
    "ap-guangzhou-open",
    "ap-hongkong",
    "ap-jakarta",
    "ap-mumbai",
    "ap-nanjing",
    "ap-seoul",
    "ap-shanghai",
    "ap-shanghai-fsi",
    "ap-shenzhen-fsi",
    "ap-singapore",
    "ap-tokyo",
    "eu-frankfurt",
    "eu-moscow",
    "na-ashburn",
    "na-siliconvalley",
    "na-toronto",
    "sa-saopaulo",
];

/// Whether `region` is in [`REGIONS`].
pub fn is_known(region: &str) -> bool {
    REGIONS.binary_search(&region).is_ok()
}

/// The known region closest to `region` (Jaro-Winkler, as cargo's did-you-mean), when one is
/// close enough to be the one meant.
pub fn closest(region: &str) -> Option<&'static str> {
    let lower = region.trim().to_ascii_lowercase();
    REGIONS
        .iter()
        .map(|r| (strsim::jaro_winkler(&lower, r), *r))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, r)| r)
}

/// Why `region` is refused: `None` when it is known. The text names the closest region and the
/// flag that accepts a newer one; `region` is quoted as JSON quotes it (no control character
/// reaches a terminal).
pub fn unknown(region: &str) -> Option<String> {
    if is_known(region) {
        return None;
    }
    let shown = serde_json::Value::from(region.chars().take(64).collect::<String>()).to_string();
    let hint = match closest(region) {
        Some(r) => format!("; did you mean {r}?"),
        None => String::new(),
    };
    Some(format!(
        "{shown} is not a Tencent Cloud region{hint} (a region newer than bulkflow's list: \
         --allow-unknown-region)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_unique_and_well_formed() {
        let mut sorted = REGIONS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, REGIONS.to_vec());
        for r in REGIONS {
            assert!(
                r.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{r}"
            );
        }
    }

    #[test]
    fn typos_get_the_region_meant() {
        for (typo, meant) in [
            ("ap-guangzho", "ap-guangzhou"),
            ("ap-guangzhuo", "ap-guangzhou"),
            ("ap-shangai", "ap-shanghai"),
            ("AP-Beijing", "ap-beijing"),
            ("ap-shanghai-fs", "ap-shanghai-fsi"),
            ("na-silicon-valley", "na-siliconvalley"),
            ("guangzhou", "ap-guangzhou"),
        ] {
            assert_eq!(closest(typo), Some(meant), "{typo}");
            let msg = unknown(typo).expect("refused");
            assert!(msg.contains(&format!("did you mean {meant}?")), "{msg}");
        }
        assert_eq!(unknown("ap-guangzhou"), None);
        assert_eq!(closest("us-east-1x"), None);
        let msg = unknown("x\u{1b}[31m").expect("refused");
        assert!(!msg.contains('\u{1b}'), "{msg}");
        assert!(msg.contains("--allow-unknown-region"), "{msg}");
    }
}
