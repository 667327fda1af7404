//! Pagination of list endpoints, Polar's way: `?page=1&limit=10` in, and
//! `{"items": [...], "pagination": {"total_count", "max_page"}}` out.

use serde::{Deserialize, Serialize};

use super::{LocSegment, ValidationIssue};

/// Largest page size a client may ask for.
pub const MAX_LIMIT: u32 = 100;
/// Page size when the client does not say.
pub const DEFAULT_LIMIT: u32 = 10;
/// A seat list's page size, by default and at most: a whole pool (pools hold at most 1,000 seats).
pub const SEAT_LIST_LIMIT: u32 = 1000;

/// A validated page request: `page` ≥ 1, `limit` in 1..=100 (or the list's own maximum).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageRequest {
    page: u32,
    limit: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl PageRequest {
    /// Validates the raw query values (absent ones take their defaults).
    pub fn new(page: Option<u32>, limit: Option<u32>) -> Result<Self, Vec<ValidationIssue>> {
        Self::within(page, limit, DEFAULT_LIMIT, MAX_LIMIT)
    }

    /// [`PageRequest::new`] for a list whose pages default to `default` items and hold at most
    /// `max` (a seat list: the official SDK cannot ask for a second page, so its first page holds
    /// a whole pool).
    pub fn within(
        page: Option<u32>,
        limit: Option<u32>,
        default: u32,
        max: u32,
    ) -> Result<Self, Vec<ValidationIssue>> {
        let page = page.unwrap_or(1);
        let limit = limit.unwrap_or(default);
        let mut issues = Vec::new();
        if page == 0 {
            issues.push(ValidationIssue {
                loc: vec![LocSegment::from("query"), LocSegment::from("page")],
                msg: "page must be 1 or greater".into(),
                kind: "greater_than".into(),
            });
        }
        if !(1..=max).contains(&limit) {
            issues.push(ValidationIssue {
                loc: vec![LocSegment::from("query"), LocSegment::from("limit")],
                msg: format!("limit must be between 1 and {max}"),
                kind: "less_than_equal".into(),
            });
        }
        if issues.is_empty() {
            Ok(Self { page, limit })
        } else {
            Err(issues)
        }
    }

    pub fn page(&self) -> u32 {
        self.page
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.limit)
    }

    /// Cuts one page out of an already complete, ordered list.
    pub fn slice<T>(&self, all: Vec<T>) -> ListResource<T> {
        let total = all.len() as u64;
        let items = all
            .into_iter()
            .skip(usize::try_from(self.offset()).unwrap_or(usize::MAX))
            .take(self.limit as usize)
            .collect();
        ListResource::new(items, total, *self)
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ListResource<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Pagination {
    pub total_count: u64,
    pub max_page: u64,
}

impl Pagination {
    /// The pagination of `total_count` items in pages of `request`'s size.
    pub fn of(total_count: u64, request: PageRequest) -> Self {
        Self {
            total_count,
            max_page: total_count.div_ceil(u64::from(request.limit)),
        }
    }
}

impl<T> ListResource<T> {
    pub fn new(items: Vec<T>, total_count: u64, request: PageRequest) -> Self {
        Self {
            items,
            pagination: Pagination::of(total_count, request),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_values_default_to_the_first_page_of_ten() {
        assert_eq!(
            PageRequest::new(None, None),
            Ok(PageRequest { page: 1, limit: 10 })
        );
    }

    #[test]
    fn page_zero_and_limit_over_a_hundred_are_both_reported() {
        let issues = PageRequest::new(Some(0), Some(101)).unwrap_err();
        assert_eq!(issues.len(), 2);
    }

    #[test]
    fn max_page_rounds_up_and_slicing_takes_the_right_items() {
        let request = PageRequest::new(Some(2), Some(3)).unwrap();
        let page = request.slice((1..=7).collect::<Vec<_>>());
        assert_eq!(page.items, vec![4, 5, 6]);
        assert_eq!(
            page.pagination,
            Pagination {
                total_count: 7,
                max_page: 3
            }
        );
    }

    #[test]
    fn an_empty_list_has_no_pages() {
        let page = PageRequest::default().slice(Vec::<u8>::new());
        assert_eq!(
            page.pagination,
            Pagination {
                total_count: 0,
                max_page: 0
            }
        );
    }
}
