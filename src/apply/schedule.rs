//! Which cluster a free worker takes next: the first one in plan order
//! that shares no profile with a cluster in flight. Clusters of one plan
//! are disjoint, but a plan edited by hand or two clusters that name one
//! profile must still never run at the same time: each cluster's calls
//! assume that nothing else touches its members while they run.

use std::collections::{HashSet, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::ids::UserId;

pub struct Scheduler {
    queue: Mutex<Queue>,
    changed: Condvar,
}

struct Queue {
    /// Indices of clusters not started yet, in plan order.
    pending: VecDeque<usize>,
    /// The user_ids each cluster touches, by index.
    members: Vec<Vec<UserId>>,
    busy: HashSet<UserId>,
    stopped: bool,
}

impl Scheduler {
    /// `members[i]`: the user_ids cluster `i` touches. Every cluster is
    /// pending.
    pub fn new(members: Vec<Vec<UserId>>) -> Scheduler {
        Scheduler {
            queue: Mutex::new(Queue {
                pending: (0..members.len()).collect(),
                members,
                busy: HashSet::new(),
                stopped: false,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The next cluster to run, its members marked busy; waits while every
    /// pending cluster shares a profile with one in flight. `None` once
    /// nothing is left or the run is stopping.
    pub fn next(&self) -> Option<usize> {
        let mut queue = self.lock();
        loop {
            if queue.stopped || queue.pending.is_empty() {
                return None;
            }
            let free = queue.pending.iter().position(|index| {
                queue.members[*index]
                    .iter()
                    .all(|member| !queue.busy.contains(member))
            });
            if let Some(position) = free {
                let index = queue
                    .pending
                    .remove(position)
                    .expect("position is in range");
                let members = queue.members[index].clone();
                queue.busy.extend(members);
                return Some(index);
            }
            queue = self
                .changed
                .wait(queue)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Cluster `index` is no longer in flight.
    pub fn finish(&self, index: usize) {
        let mut queue = self.lock();
        let members = std::mem::take(&mut queue.members[index]);
        for member in &members {
            queue.busy.remove(member);
        }
        queue.members[index] = members;
        self.changed.notify_all();
    }

    /// No cluster starts from now on.
    pub fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }

    /// The clusters never started, in plan order.
    #[cfg(test)]
    pub fn not_started(&self) -> Vec<usize> {
        self.lock().pending.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn members(sets: &[&[&str]]) -> Vec<Vec<UserId>> {
        sets.iter()
            .map(|set| set.iter().map(|&id| UserId::from(id)).collect())
            .collect()
    }

    #[test]
    fn disjoint_clusters_go_in_plan_order_and_a_shared_profile_waits() {
        let scheduler = Scheduler::new(members(&[&["1", "2"], &["2", "3"], &["4", "5"]]));
        assert_eq!(scheduler.next(), Some(0));
        // Cluster 1 shares user 2 with cluster 0, in flight: 2 goes first.
        assert_eq!(scheduler.next(), Some(2));
        scheduler.finish(0);
        assert_eq!(scheduler.next(), Some(1));
        scheduler.finish(1);
        scheduler.finish(2);
        assert_eq!(scheduler.next(), None);
    }

    #[test]
    fn a_stopped_scheduler_starts_nothing_and_tells_what_it_left() {
        let scheduler = Scheduler::new(members(&[&["1"], &["2"], &["3"]]));
        assert_eq!(scheduler.next(), Some(0));
        scheduler.stop();
        assert_eq!(scheduler.next(), None);
        assert_eq!(scheduler.not_started(), vec![1, 2]);
    }

    #[test]
    fn no_two_workers_ever_hold_one_profile() {
        // 40 clusters over 10 profiles, each sharing with its neighbours.
        let sets: Vec<Vec<UserId>> = (0..40)
            .map(|i| {
                vec![
                    UserId::from((i % 10).to_string()),
                    UserId::from(((i + 1) % 10).to_string()),
                ]
            })
            .collect();
        let scheduler = Scheduler::new(sets.clone());
        let holders: Vec<AtomicUsize> = (0..10).map(|_| AtomicUsize::new(0)).collect();
        let ran = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..6 {
                scope.spawn(|| {
                    while let Some(index) = scheduler.next() {
                        for member in &sets[index] {
                            let slot = &holders[member.parse::<usize>().unwrap()];
                            assert_eq!(slot.fetch_add(1, Ordering::SeqCst), 0);
                        }
                        std::thread::yield_now();
                        for member in &sets[index] {
                            holders[member.parse::<usize>().unwrap()]
                                .fetch_sub(1, Ordering::SeqCst);
                        }
                        ran.fetch_add(1, Ordering::SeqCst);
                        scheduler.finish(index);
                    }
                });
            }
        });
        assert_eq!(ran.load(Ordering::SeqCst), 40);
    }
}
