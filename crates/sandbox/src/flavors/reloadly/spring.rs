//! Spring Data pages as Reloadly sends them: the `page` query parameter counts from
//! 1, the page's own `number` and `pageable.pageNumber` from 0.

use serde_json::{Value, json};

use super::envelope::RlError;

pub(crate) const DEFAULT_SIZE: usize = 200;
pub(crate) const MAX_SIZE: usize = 200;

/// `page` (1-based, default 1) and `size` (default and at most 200) from a query.
pub(crate) fn paging(page: Option<&str>, size: Option<&str>) -> Result<(usize, usize), RlError> {
    let page = match page {
        None => 1,
        Some(p) => p
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| RlError::bad_request(None, "page must be a whole number from 1"))?,
    };
    let size = match size {
        None => DEFAULT_SIZE,
        Some(s) => s
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|s| (1..=MAX_SIZE).contains(s))
            .ok_or_else(|| {
                RlError::bad_request(None, format!("size must be from 1 to {MAX_SIZE}"))
            })?,
    };
    Ok((page, size))
}

/// One page of `total` items; `page` as asked (1-based).
pub(crate) fn page(content: Vec<Value>, page: usize, size: usize, total: usize) -> Value {
    let number = page - 1;
    let total_pages = total.div_ceil(size);
    let sort = json!({ "sorted": false, "unsorted": true, "empty": true });
    json!({
        "numberOfElements": content.len(),
        "empty": content.is_empty(),
        "content": content,
        "pageable": {
            "sort": sort,
            "pageNumber": number,
            "pageSize": size,
            "offset": number * size,
            "unpaged": false,
            "paged": true,
        },
        "totalElements": total,
        "totalPages": total_pages,
        "last": page >= total_pages,
        "first": number == 0,
        "sort": sort,
        "number": number,
        "size": size,
    })
}
