//! Per-user state in memory. Like the Redis hash, each field may be absent on its own (an
//! admin change that came before the state was loaded); a state is complete with all three.

use std::time::Instant;

use uuid::Uuid;

use super::Inner;
use crate::model::Role;
use crate::session::UserState;

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct StateFields {
    pub epoch: Option<u64>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

impl StateFields {
    fn complete(&self) -> Option<UserState> {
        Some(UserState {
            epoch: self.epoch?,
            role: self.role?,
            disabled: self.disabled?,
        })
    }
}

impl Inner {
    pub(super) fn state(&self, user_id: Uuid) -> Option<UserState> {
        let now = Instant::now();
        self.states
            .get(&user_id)
            .filter(|(_, exp)| exp.is_none_or(|exp| exp > now))
            .and_then(|(f, _)| f.complete())
    }

    pub(super) fn fields_mut(&mut self, user_id: Uuid) -> &mut StateFields {
        let now = Instant::now();
        let entry = self.states.entry(user_id).or_default();
        if entry.1.is_some_and(|exp| exp <= now) {
            *entry = (StateFields::default(), None);
        }
        &mut entry.0
    }

    pub(super) fn init_state(&mut self, user_id: Uuid, from: &UserState) -> UserState {
        let f = self.fields_mut(user_id);
        UserState {
            epoch: *f.epoch.get_or_insert(from.epoch),
            role: *f.role.get_or_insert(from.role),
            disabled: *f.disabled.get_or_insert(from.disabled),
        }
    }

    /// Disabled, epoch moved on, every session and token deleted; `forget_at`: tombstone.
    pub(super) fn end_user(&mut self, user_id: Uuid, forget_at: Option<Instant>) {
        self.end_sessions(user_id, None);
        self.fields_mut(user_id).disabled = Some(true);
        if let Some(at) = forget_at
            && let Some(entry) = self.states.get_mut(&user_id)
        {
            entry.1 = Some(at);
        }
        self.tokens.retain(|_, (t, _)| t.user_id != user_id);
    }
}
