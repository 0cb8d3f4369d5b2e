//! What an instance has seen of the comments waiting for moderators'
//! mail, for their rest (see `crate::notify`). Apart from the rest of the
//! module, which `crate::state` would otherwise import in a loop.

use std::time::{Duration, Instant};

/// What this instance has seen of the waiting comments' ids, for their
/// rest (`ModeratorMail::settle`): a comment has rested once some id at
/// least as high was seen `settle` ago, since every lower id was handed
/// out before that one was in. Every poll notes the newest id, so a
/// comment waiting for a digest has rested by the digest's run.
#[derive(Debug, Default)]
pub struct Sightings {
    /// Every id up to this one has rested.
    rested: i64,
    /// Higher ids seen, each with when it was first seen (a few: one per
    /// poll at most, and only for `settle`).
    recent: Vec<(i64, Instant)>,
}

impl Sightings {
    /// Notes that `id` is seen at `now`; every id up to the one returned
    /// has rested `settle`.
    pub fn saw(&mut self, id: i64, now: Instant, settle: Duration) -> i64 {
        // An id at least as high seen before covers this one already.
        if id > self.rested && !self.recent.iter().any(|(seen, _)| *seen >= id) {
            self.recent.push((id, now));
        }
        let rested = self
            .recent
            .iter()
            .filter(|(_, at)| now.saturating_duration_since(*at) >= settle)
            .map(|(seen, _)| *seen)
            .fold(self.rested, i64::max);
        self.rested = rested;
        self.recent.retain(|(seen, _)| *seen > rested);
        rested
    }
}

#[cfg(test)]
mod tests {
    use super::Sightings;
    use std::time::{Duration, Instant};

    #[test]
    fn an_id_seen_long_ago_stays_rested_and_covers_every_lower_one() {
        let settle = Duration::from_secs(5);
        let start = Instant::now();
        let mut seen = Sightings::default();
        assert_eq!(seen.saw(7, start, settle), 0, "just seen");
        assert_eq!(seen.saw(9, start + Duration::from_secs(3), settle), 0);
        assert_eq!(seen.saw(9, start + Duration::from_secs(6), settle), 7);
        // Half an hour on (a digest's period), nothing is forgotten.
        let later = start + Duration::from_secs(1800);
        assert_eq!(seen.saw(8, later, settle), 9);
        assert_eq!(seen.saw(12, later, settle), 9, "a higher id rests anew");
        assert_eq!(seen.saw(12, later + settle, settle), 12);
    }
}
