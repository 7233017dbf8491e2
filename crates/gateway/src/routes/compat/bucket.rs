//! `/imagepic/bucket/listBuckets`.

use actix_web::web;
use serde::Deserialize;

use super::{Seed, SeedAnswer, SeedResult, SeedShape, loose};
use crate::routes::page_of;
use crate::service::Service;
use crate::views::compat::MinioBucket;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(seed_endpoint!("/bucket/listBuckets", get => list_buckets));
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    #[serde(default, deserialize_with = "loose::number")]
    page_size: Option<i64>,
    #[serde(default, deserialize_with = "loose::number")]
    page_num: Option<i64>,
}

/// As the seed: no paging parameters → every bucket; both → that page; one alone → none.
#[utoipa::path(get, path = "/imagepic/bucket/listBuckets", tag = "imagepic (seed-compatible)",
    operation_id = "imagepic_list_buckets",
    responses((status = 200, description = "code \"0\" with data: [{name, creationDate, policy}]; query pageSize & pageNum", body = SeedAnswer<Vec<MinioBucket>>)))]
pub async fn list_buckets(
    query: web::Query<PageQuery>,
    service: web::Data<Service>,
    shape: SeedShape,
) -> SeedResult<Vec<serde_json::Value>> {
    let all = service
        .buckets()
        .iter()
        .map(|b| shape.one(&MinioBucket::from(b)))
        .collect::<Result<Vec<_>, _>>()?;
    let page = match (query.page_size, query.page_num) {
        (None, None) => all,
        (Some(size), Some(num)) => paginate(all, size, num),
        _ => Vec::new(),
    };
    Ok(Seed(page))
}

/// The seed's `pagination(list, pageSize, pageNum)`: 1-based pages; out of range is empty.
pub fn paginate<T>(list: Vec<T>, size: i64, num: i64) -> Vec<T> {
    match (usize::try_from(size), usize::try_from(num)) {
        (Ok(size), Ok(num)) if size > 0 && num > 0 => page_of(list, size, num),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::paginate;

    #[test]
    fn pages_are_one_based_and_out_of_range_is_empty() {
        let list: Vec<u8> = (1..=5).collect();
        assert_eq!(paginate(list.clone(), 2, 1), [1, 2]);
        assert_eq!(paginate(list.clone(), 2, 3), [5]);
        assert!(paginate(list.clone(), 2, 4).is_empty());
        assert!(paginate(list, 0, 1).is_empty());
    }
}
