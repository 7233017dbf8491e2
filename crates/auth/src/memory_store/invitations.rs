//! Invitations in memory.

use std::time::{Duration, Instant};

use super::Inner;
use crate::invitation::Invitation;

impl Inner {
    pub(super) fn live_invitation(&self, code: &str) -> Option<Invitation> {
        let now = Instant::now();
        self.invitations
            .get(code)
            .filter(|(_, exp)| *exp > now)
            .map(|(i, _)| i.clone())
    }

    pub(super) fn put_invitation(&mut self, invitation: &Invitation) {
        let left = invitation.expires_at - time::OffsetDateTime::now_utc();
        let left = Duration::try_from(left).unwrap_or(Duration::ZERO);
        self.invitations.insert(
            invitation.code.clone(),
            (invitation.clone(), Instant::now() + left),
        );
    }
}
