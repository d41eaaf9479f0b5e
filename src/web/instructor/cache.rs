//! The figures of a class that cost a pass over many members or many recent answers — the "needs help"
//! list and the live panel's counts — kept in memory for as long as they cannot change, so an
//! instructor reloading the overview of a large class pays for them once:
//!
//! * each is computed at a *version* of the class's members (`store::class_view::members_version`,
//!   counted up by every change they are computed from: an attempt of a member, a join, a leave, a
//!   reset — not a widget prediction, which neither reads), for one version of the content and one
//!   language, and is used only at that version;
//! * and only until the moment time alone would change it (`valid_until`): for "needs help" the next
//!   Japan-time day (misses count in days), the next member to become inactive, the next day of
//!   inactivity a listed member's reason counts; for the live panel the next minute (its window moves in
//!   whole minutes).
//!
//! The live panel's counts have a second level: the window's attempts themselves
//! (`classroom::live_window`), kept per class for one *roster* version (`class_view::roster_version`:
//! who the members are) and content generation. When the members' version moved only by attempts or
//! resets, the counts are made again from that list brought up to date, not from the whole window in SQL.
//!
//! "Needs help" has a second level too: every member with a reason, as last computed ([`Flagging`]), kept
//! per class for one roster version, content generation and day, until time alone would change one of
//! them. When the members' version moved, only the members whose rows changed since
//! (`class_view::changed_since`: `class_learner.changed`) and the lowest, before and now, are looked at
//! again; the rest keep their reasons.
//!
//! So a cached figure is always the figure: the cache never answers for a state it was not computed
//! at. It is per process, like a database page cache; another instance computes its own. With several
//! instances on one PostgreSQL the version is still the database's (`class_stat`, counted up in the
//! transaction of the change, whichever instance made it), and it is read before the figure is computed:
//! a figure may be newer than its key, never older.

use crate::classroom::live_window::LiveWindow;
use crate::classroom::needs_help::Flagged;
use crate::store::class_stats::{LiveQuestion, LiveTopic};
use std::collections::HashMap;
use std::sync::Mutex;

/// What a figure was computed for; it is used again only for the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// `class_view::members_version` of the class.
    pub version: i64,
    /// The content snapshot's generation (topic titles, question counts).
    pub generation: u64,
    /// The course language, and anything else the figure was computed with (the live window's start).
    pub extra: i64,
}

#[derive(Debug, Clone)]
struct Entry<T> {
    key: Key,
    /// Valid from this moment (unix seconds)…
    from: i64,
    /// …until this one, excluded.
    until: i64,
    value: T,
}

/// The needs-help list: the members listed with their reasons, and how many more there are.
pub type NeedsHelp = (Vec<Flagged>, usize);
/// The live panel's counts.
pub type Live = (Vec<LiveQuestion>, Vec<LiveTopic>);

/// Every member of a class with a reason to be listed under "needs help", as computed at one members
/// version (see the module documentation), in listing order.
#[derive(Debug, Clone)]
pub struct Flagging {
    /// `class_view::members_version` read before it was computed: a change after it is looked at again.
    pub version: i64,
    /// `class_view::roster_version`: a join or a leave computes everything again.
    pub roster: i64,
    pub generation: u64,
    /// The Japan-time day, and the moments between which every member's reasons stay what they are.
    pub day: i64,
    pub from: i64,
    pub until: i64,
    /// The lowest members it was computed with (a reason of their own).
    pub lowest: Vec<i64>,
    pub standings: Vec<crate::store::class_view::Standing>,
}

/// A live window's roster version and content generation.
type WindowAt = (i64, u64);

/// Figures per class (see the module documentation).
#[derive(Debug, Default)]
pub struct ClassCache {
    needs_help: Mutex<HashMap<i64, Entry<NeedsHelp>>>,
    live: Mutex<HashMap<i64, Entry<Live>>>,
    /// Per class: the window and what it was read at.
    windows: Mutex<HashMap<i64, (WindowAt, LiveWindow)>>,
    /// Per class: who has a reason to need help, as last computed.
    flagging: Mutex<HashMap<i64, Flagging>>,
}

fn get<T: Clone>(
    map: &Mutex<HashMap<i64, Entry<T>>>,
    class_id: i64,
    key: Key,
    now: i64,
) -> Option<T> {
    let map = map.lock().ok()?;
    let entry = map.get(&class_id)?;
    (entry.key == key && entry.from <= now && now < entry.until).then(|| entry.value.clone())
}

fn put<T>(
    map: &Mutex<HashMap<i64, Entry<T>>>,
    class_id: i64,
    key: Key,
    from: i64,
    until: i64,
    value: T,
) {
    if let Ok(mut map) = map.lock() {
        map.insert(
            class_id,
            Entry {
                key,
                from,
                until,
                value,
            },
        );
    }
}

impl ClassCache {
    /// The needs-help list of `class_id` computed for `key` and still true at `now`.
    pub fn needs_help(&self, class_id: i64, key: Key, now: i64) -> Option<NeedsHelp> {
        get(&self.needs_help, class_id, key, now)
    }

    /// Keeps a needs-help list computed at `from`, true until `until`.
    pub fn keep_needs_help(
        &self,
        class_id: i64,
        key: Key,
        from: i64,
        until: i64,
        value: NeedsHelp,
    ) {
        put(&self.needs_help, class_id, key, from, until, value);
    }

    /// The live counts of `class_id` computed for `key` and still true at `now`.
    pub fn live(&self, class_id: i64, key: Key, now: i64) -> Option<Live> {
        get(&self.live, class_id, key, now)
    }

    /// Keeps live counts computed at `from`, true until `until`.
    pub fn keep_live(&self, class_id: i64, key: Key, from: i64, until: i64, value: Live) {
        put(&self.live, class_id, key, from, until, value);
    }

    /// Takes out the live window of `class_id` kept at this roster version and content generation (the
    /// caller brings it up to date and keeps it again); a window kept at another is dropped.
    pub fn take_window(&self, class_id: i64, roster: i64, generation: u64) -> Option<LiveWindow> {
        let mut map = self.windows.lock().ok()?;
        let (at, window) = map.remove(&class_id)?;
        (at == (roster, generation)).then_some(window)
    }

    /// Takes out the flagged members of `class_id` as last computed, if they can be brought up to date at
    /// `now` on this day at this roster version, content generation and members `version` (the caller keeps
    /// them again); others are dropped.
    pub fn take_flagging(
        &self,
        class_id: i64,
        roster: i64,
        generation: u64,
        day: i64,
        version: i64,
        now: i64,
    ) -> Option<Flagging> {
        let mut map = self.flagging.lock().ok()?;
        let kept = map.remove(&class_id)?;
        (kept.roster == roster
            && kept.generation == generation
            && kept.day == day
            && kept.version <= version
            && kept.from <= now
            && now < kept.until)
            .then_some(kept)
    }

    /// Keeps the flagged members of `class_id`.
    pub fn keep_flagging(&self, class_id: i64, flagging: Flagging) {
        if let Ok(mut map) = self.flagging.lock() {
            map.insert(class_id, flagging);
        }
    }

    /// Keeps the live window of `class_id` read at this roster version and content generation.
    pub fn keep_window(&self, class_id: i64, roster: i64, generation: u64, window: LiveWindow) {
        if let Ok(mut map) = self.windows.lock() {
            map.insert(class_id, ((roster, generation), window));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_serves_only_its_own_version_and_time() {
        let cache = ClassCache::default();
        let key = Key {
            version: 3,
            generation: 0,
            extra: 0,
        };
        cache.keep_needs_help(1, key, 100, 200, (Vec::new(), 7));
        assert_eq!(cache.needs_help(1, key, 150).map(|v| v.1), Some(7));
        assert!(cache.needs_help(1, key, 200).is_none(), "until is excluded");
        assert!(
            cache.needs_help(1, key, 99).is_none(),
            "not before it was computed"
        );
        assert!(
            cache
                .needs_help(1, Key { version: 4, ..key }, 150)
                .is_none()
        );
        assert!(cache.needs_help(2, key, 150).is_none());
    }
}
