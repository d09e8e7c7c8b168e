//! One pacer per endpoint host and action for a whole command, made when first asked for: every
//! pass of a run (create, update, wait, tasks) and every listing shares it, so the cautious start
//! and a newcomer's wait for its peers happen once per command, and only the actions a command
//! calls register with this machine's other runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::pacer::Pacer;
use super::peers::{self, PeerCount, Peers};
use crate::api::Action;

/// Calls per second per host and action.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    /// Actions that act on a row (create, delete, modify, a task's create or stop).
    pub calls: f64,
    /// Listings (DescribeDataFlow, DescribeLifecycleDataTask).
    pub listings: f64,
}

impl Rates {
    /// The ceiling of an action.
    pub fn of(&self, action: Action) -> f64 {
        match action {
            Action::Describe | Action::DescribeTasks => self.listings,
            _ => self.calls,
        }
    }
}

/// The pacers of one command.
#[derive(Debug)]
pub struct Pacers {
    rates: Rates,
    /// Whose budget the pacers share with this machine's other runs (a hint of the key id).
    account: String,
    /// Whether to look for this machine's other runs at all.
    share: bool,
    made: Mutex<HashMap<(String, Action), Arc<Pacer>>>,
}

impl Pacers {
    /// Pacers at `rates`, shared with this machine's other runs of the same `account`.
    pub fn new(rates: Rates, account: &str) -> Pacers {
        Pacers {
            rates,
            account: account.to_owned(),
            share: true,
            made: Mutex::new(HashMap::new()),
        }
    }

    /// Pacers that never look for other runs (tests, simulations).
    pub fn private(rates: Rates) -> Pacers {
        Pacers {
            share: false,
            ..Pacers::new(rates, "")
        }
    }

    /// The pacer of `action` on `host`.
    pub fn get(&self, host: &str, action: Action) -> Arc<Pacer> {
        let mut made = match self.made.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        made.entry((host.to_owned(), action))
            .or_insert_with(|| Arc::new(self.make(host, action)))
            .clone()
    }

    fn make(&self, host: &str, action: Action) -> Pacer {
        let rate = self.rates.of(action);
        let peers = peers::root()
            .filter(|_| self.share && rate > 0.0)
            .and_then(|root| Peers::join(&root, &peers::key(&self.account, host, action.name())))
            .map(|p| Box::new(p) as Box<dyn PeerCount>);
        Pacer::with_peers(rate, peers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pacer_per_host_and_action_for_the_whole_command() {
        let pacers = Pacers::private(Rates {
            calls: 20.0,
            listings: 10.0,
        });
        let a = pacers.get("h1", Action::Create);
        assert!(Arc::ptr_eq(&a, &pacers.get("h1", Action::Create)));
        assert!(!Arc::ptr_eq(&a, &pacers.get("h2", Action::Create)));
        assert!(!Arc::ptr_eq(&a, &pacers.get("h1", Action::Delete)));
        assert_eq!(pacers.get("h1", Action::DescribeTasks).ceiling(), 10.0);
        assert_eq!(pacers.get("h1", Action::StopTask).ceiling(), 20.0);
    }
}
