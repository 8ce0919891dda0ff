//! What the service-tag data says of tags, as NSG and route evaluation asks
//! it: whether a tag is known, which tags hold an address, a tag's blocks.
//! A flow of another cloud than the data's gets [`OtherCloud`], which knows
//! no tag: its tag rules and routes are "cannot tell", never a verdict from
//! the wrong cloud's addresses.

use super::TagDb;
use crate::azure::address::Block;
use crate::model::{Cloud, TagName, TagUnknown};
use std::net::IpAddr;

/// The service-tag data, for one cloud.
pub trait TagSource {
    /// True when the data holds `tag`.
    fn knows(&self, tag: &TagName) -> bool;
    /// The tags holding `ip`.
    fn tags_of(&self, ip: IpAddr) -> Vec<TagName>;
    /// The blocks of `tag` (empty when not known).
    fn blocks(&self, tag: &TagName) -> Vec<Block>;
    /// Why a tag cannot be told (the data lacks it, or is another cloud's).
    fn why_not(&self, _tag: &TagName) -> TagUnknown {
        TagUnknown::NotInData
    }
}

/// No service-tag data: only what the exports expand can be told.
pub struct NoTags;

impl TagSource for NoTags {
    fn knows(&self, _: &TagName) -> bool {
        false
    }
    fn tags_of(&self, _: IpAddr) -> Vec<TagName> {
        Vec::new()
    }
    fn blocks(&self, _: &TagName) -> Vec<Block> {
        Vec::new()
    }
}

/// The data is another cloud's than the flow's: no tag can be told.
pub struct OtherCloud {
    /// The flow's cloud.
    pub cloud: Cloud,
}

impl TagSource for OtherCloud {
    fn knows(&self, _: &TagName) -> bool {
        false
    }
    fn tags_of(&self, _: IpAddr) -> Vec<TagName> {
        Vec::new()
    }
    fn blocks(&self, _: &TagName) -> Vec<Block> {
        Vec::new()
    }
    fn why_not(&self, _tag: &TagName) -> TagUnknown {
        TagUnknown::OtherCloud(self.cloud)
    }
}

impl TagSource for TagDb {
    fn knows(&self, tag: &TagName) -> bool {
        self.tag(tag.as_str()).is_some()
    }
    fn tags_of(&self, ip: IpAddr) -> Vec<TagName> {
        self.lookup(ip)
            .into_iter()
            .map(|t| TagName::new(t.name.clone()))
            .collect()
    }
    fn blocks(&self, tag: &TagName) -> Vec<Block> {
        self.prefixes_of(tag.as_str())
    }
}

/// The service-tag data as a flow of one cloud sees it.
pub enum CloudTags<'a> {
    /// The data is the flow's cloud's.
    Same(&'a TagDb),
    /// It is another cloud's.
    Other(OtherCloud),
}

impl TagSource for CloudTags<'_> {
    fn knows(&self, tag: &TagName) -> bool {
        match self {
            CloudTags::Same(t) => t.knows(tag),
            CloudTags::Other(o) => o.knows(tag),
        }
    }
    fn tags_of(&self, ip: IpAddr) -> Vec<TagName> {
        match self {
            CloudTags::Same(t) => t.tags_of(ip),
            CloudTags::Other(o) => o.tags_of(ip),
        }
    }
    fn blocks(&self, tag: &TagName) -> Vec<Block> {
        match self {
            CloudTags::Same(t) => t.blocks(tag),
            CloudTags::Other(o) => o.blocks(tag),
        }
    }
    fn why_not(&self, tag: &TagName) -> TagUnknown {
        match self {
            CloudTags::Same(t) => t.why_not(tag),
            CloudTags::Other(o) => o.why_not(tag),
        }
    }
}

/// The data for a flow of `cloud`: `tags` when they are that cloud's, else
/// [`OtherCloud`].
pub fn for_cloud(tags: &TagDb, cloud: Cloud) -> CloudTags<'_> {
    if crate::azure::clouds::of_tag_file(&tags.meta().cloud) == Some(cloud) {
        CloudTags::Same(tags)
    } else {
        CloudTags::Other(OtherCloud { cloud })
    }
}
