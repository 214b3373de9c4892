//! The long-poll waiters of one pause. A waiter is registered when a `?wait` starts and
//! removed when it ends, whichever way: woken, timed out, or dropped because its client
//! went away. So the registry holds only the waits in progress, never the history of a
//! pause's life.

/// Waiters by ticket; `T` is what wakes one (a oneshot sender in the Worker).
#[derive(Debug)]
pub struct Waiters<T> {
    next: u64,
    parked: Vec<(u64, T)>,
}

impl<T> Default for Waiters<T> {
    fn default() -> Self {
        Waiters {
            next: 0,
            parked: Vec::new(),
        }
    }
}

impl<T> Waiters<T> {
    /// Parks a waiter; the ticket removes it again.
    pub fn park(&mut self, waker: T) -> u64 {
        self.next += 1;
        self.parked.push((self.next, waker));
        self.next
    }

    /// Removes a waiter whose wait ended (timed out or abandoned). Unknown tickets
    /// (already woken) are fine.
    pub fn remove(&mut self, ticket: u64) {
        self.parked.retain(|(t, _)| *t != ticket);
    }

    /// Drops the waiters `gone` says nobody waits on any more (a closed channel).
    pub fn prune(&mut self, gone: impl Fn(&T) -> bool) {
        self.parked.retain(|(_, w)| !gone(w));
    }

    /// Takes every waiter out, to wake them all.
    pub fn take_all(&mut self) -> Vec<T> {
        std::mem::take(&mut self.parked)
            .into_iter()
            .map(|(_, w)| w)
            .collect()
    }

    pub fn len(&self) -> usize {
        self.parked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parked.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_channel::oneshot;

    #[test]
    fn waits_that_end_leave_nothing_behind() {
        let mut w = Waiters::default();
        // A pause's whole life of short polls, each ending by its timer.
        for _ in 0..10_000 {
            let t = w.park(());
            w.remove(t);
        }
        assert!(w.is_empty());
        let a = w.park(());
        let b = w.park(());
        w.remove(a);
        w.remove(a);
        assert_eq!(w.len(), 1);
        w.remove(b);
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn take_all_wakes_every_parked_waiter_once() {
        let mut w = Waiters::default();
        let receivers: Vec<_> = (0..5)
            .map(|_| {
                let (tx, rx) = oneshot::channel::<()>();
                w.park(tx);
                rx
            })
            .collect();
        for tx in w.take_all() {
            tx.send(()).unwrap();
        }
        assert!(w.is_empty());
        for mut rx in receivers {
            assert_eq!(rx.try_recv(), Ok(Some(())));
        }
        assert!(w.take_all().is_empty());
    }

    #[test]
    fn waiters_whose_client_went_away_are_pruned() {
        let mut w = Waiters::default();
        let mut kept = Vec::new();
        for i in 0..100 {
            let (tx, rx) = oneshot::channel::<()>();
            w.park(tx);
            if i % 10 == 0 {
                kept.push(rx);
            } // the others' receivers are dropped: their clients disconnected
        }
        w.prune(oneshot::Sender::is_canceled);
        assert_eq!(w.len(), kept.len());
    }
}
