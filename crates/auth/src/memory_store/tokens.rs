//! API tokens in memory.

use std::time::{Duration, Instant};

use uuid::Uuid;

use super::Inner;
use crate::store::StoredToken;

impl Inner {
    pub(super) fn live_token(&self, id: &str) -> Option<&StoredToken> {
        let now = Instant::now();
        self.tokens
            .get(id)
            .filter(|(_, exp)| exp.is_none_or(|exp| exp > now))
            .map(|(t, _)| t)
    }

    pub(super) fn live_token_mut(&mut self, id: &str) -> Option<&mut StoredToken> {
        let now = Instant::now();
        self.tokens
            .get_mut(id)
            .filter(|(_, exp)| exp.is_none_or(|exp| exp > now))
            .map(|(t, _)| t)
    }

    pub(super) fn tokens_of(&self, user_id: Uuid) -> Vec<StoredToken> {
        let now = Instant::now();
        self.tokens
            .values()
            .filter(|(t, exp)| t.user_id == user_id && exp.is_none_or(|exp| exp > now))
            .map(|(t, _)| t.clone())
            .collect()
    }

    pub(super) fn create_token(
        &mut self,
        token: &StoredToken,
        max: u32,
        now: i64,
        keep_for: Option<Duration>,
    ) -> bool {
        let unexpired = self
            .tokens_of(token.user_id)
            .iter()
            .filter(|t| t.expires_at.is_none_or(|exp| exp > now))
            .count();
        if unexpired >= usize::try_from(max).unwrap_or(usize::MAX) {
            return false;
        }
        let forget_at = keep_for.map(|d| Instant::now() + d);
        self.tokens
            .insert(token.id.clone(), (token.clone(), forget_at));
        true
    }

    pub(super) fn delete_token(&mut self, user_id: Uuid, id: &str) -> bool {
        let owned = self.live_token(id).is_some_and(|t| t.user_id == user_id);
        if owned {
            self.tokens.remove(id);
        }
        owned
    }
}
