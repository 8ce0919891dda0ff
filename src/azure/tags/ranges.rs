//! The address index of a [`super::TagDb`], one per family: disjoint ranges,
//! each mapped to its ordered list of tags (`index.rs` builds them).

/// Disjoint address ranges of one family: `starts[i]..starts[i+1]` maps to `sets[i]`.
#[derive(Clone, Debug, Default)]
pub(super) struct RangeIndex<T> {
    /// Range starts, ascending; the first is 0.
    pub(super) starts: Vec<T>,
    /// Per range, an index into `TagDb::sets`.
    pub(super) sets: Vec<u32>,
}

impl<T: Copy + Ord> RangeIndex<T> {
    /// The tag list id of the range holding `addr`.
    pub(super) fn find(&self, addr: T) -> u32 {
        let i = self.starts.partition_point(|&s| s <= addr);
        // starts[0] is 0, so i >= 1 whenever the index is non-empty.
        i.checked_sub(1).map_or(0, |i| self.sets[i])
    }

    /// Number of ranges.
    pub(super) fn ranges(&self) -> usize {
        self.starts.len()
    }
}
