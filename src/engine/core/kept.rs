//! What a group's first listing found, kept for the rows of the group fed after it, out of
//! memory. A file system is listed when its first row comes; in a manifest whose file systems
//! take turns row by row, most of its rows come long after, and holding every listing for them
//! would hold every flow that exists. So what is left of a first listing once its rows waiting
//! for it are judged is handed to the shell to store ([`Command::Keep`]), and a row fed later
//! asks for what is at its keys ([`Command::Look`]) and is judged from the answer, as it would
//! have been from the listing. The shell answers looks of a group after storing its listing.

use std::time::Duration;

use super::rows::Phase;
use super::snapshot::Snapshot;
use super::{Command, Core};

/// What is kept of a group's first listing for rows fed after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Not listed yet (or the operation does not look first): a row waits for a listing.
    No,
    /// Listed, and nothing was left for rows to come: a row fed later finds nothing.
    Nothing,
    /// Listed, and what was left is stored: a row fed later looks it up.
    Stored,
    /// What was left could not be stored: a row fed later waits for a listing of its own.
    Lost,
}

impl Core {
    /// Keeps what is left of a group's first listing, once its waiting rows were judged.
    pub(super) fn keep(&mut self, g: usize, snapshot: Snapshot) {
        if snapshot.is_empty() {
            self.groups[g].kept = Kept::Nothing;
            return;
        }
        self.groups[g].kept = Kept::Stored;
        // The listing stays held on its host until it is stored.
        let host = self.groups[g].host;
        self.host_mut(host).listings_held += 1;
        self.out.push_back(Command::Keep { group: g, snapshot });
    }

    /// A kept listing was stored, or could not be: room for another listing of its host.
    pub(super) fn kept(&mut self, g: usize, result: Result<(), String>, now: Duration) {
        let Some(group) = self.groups.get_mut(g) else {
            return;
        };
        if result.is_err() {
            group.kept = Kept::Lost;
        }
        let host = group.host;
        self.listing_released(host, now);
    }

    /// A row fed after its group's first listing, with nothing of an earlier run to settle:
    /// judged from what that listing left, looked up, or put to wait for a listing.
    pub(super) fn judge_from_kept(&mut self, line: u64, now: Duration) {
        let Some(e) = self.rows.get(&line) else {
            return;
        };
        let g = e.group;
        match self.groups[g].kept {
            Kept::No | Kept::Lost => self.resolve(line, now, now, false, now),
            Kept::Nothing => {
                let nothing = Snapshot::empty(&self.groups[g].key.scope);
                let judgement = self.judge(e, &nothing);
                self.apply_judgement(line, judgement, now, None);
            }
            Kept::Stored => {
                let keys = Snapshot::empty(&self.groups[g].key.scope).keys(e.view());
                if let Some(e) = self.rows.get_mut(&line) {
                    e.phase = Phase::Looking;
                }
                self.out.push_back(Command::Look {
                    line,
                    group: g,
                    keys,
                });
            }
        }
    }

    /// What the kept listing holds for a row that looked it up. When it cannot be read, the row
    /// waits for a listing of its own.
    pub(super) fn found(&mut self, line: u64, result: Result<Snapshot, String>, now: Duration) {
        let Some(e) = self.rows.get(&line) else {
            return;
        };
        if e.phase != Phase::Looking {
            return;
        }
        match result {
            Ok(snapshot) => {
                let judgement = self.judge(e, &snapshot);
                self.apply_judgement(line, judgement, now, None);
            }
            Err(_) => self.resolve(line, now, now, false, now),
        }
    }
}
