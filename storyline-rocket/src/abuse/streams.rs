//! The live status streams one instance holds open: a few per recording and per client address, so one visitor
//! cannot pin down the server's connections, and each for a limited time (the page's `EventSource` reconnects by
//! itself when one ends, and a page refused a stream polls instead).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Streams open at once for one recording: the storyteller's devices and a family's.
pub(crate) const PER_RECORDING: u32 = 10;

/// Streams open at once for one client address.
pub(crate) const PER_ADDRESS: u32 = 20;

/// The longest one stream stays open (in real time; the tests' time scale shortens it); the page then opens another.
pub(crate) const LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The count of open streams by what they are counted against.
#[derive(Debug, Default, Clone)]
pub(crate) struct Streams(Arc<Mutex<HashMap<String, u32>>>);

/// One open stream, counted until it is dropped.
#[derive(Debug)]
pub(crate) struct Permit {
    streams: Streams,
    keys: Vec<String>,
}

impl Streams {
    /// A permit for one more stream of `recording` from `address`, unless either has its share open already.
    pub(crate) fn open(&self, recording: &str, address: Option<&str>) -> Option<Permit> {
        let mut keys = vec![(format!("recording {recording}"), PER_RECORDING)];
        keys.extend(address.map(|a| (format!("address {a}"), PER_ADDRESS)));
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if keys
            .iter()
            .any(|(k, limit)| open.get(k).copied().unwrap_or(0) >= *limit)
        {
            return None;
        }
        for (k, _) in &keys {
            *open.entry(k.clone()).or_insert(0) += 1;
        }
        Some(Permit {
            streams: self.clone(),
            keys: keys.into_iter().map(|(k, _)| k).collect(),
        })
    }

    #[cfg(test)]
    fn counted(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.streams.0.lock().unwrap_or_else(|e| e.into_inner());
        for k in &self.keys {
            if let Some(n) = open.get_mut(k) {
                *n -= 1;
                if *n == 0 {
                    open.remove(k);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_recording_and_each_address_has_its_share_and_gets_it_back() {
        let streams = Streams::default();
        let mine: Vec<_> = (0..PER_RECORDING)
            .map(|n| {
                streams
                    .open("r1", Some(&format!("192.0.2.{n}")))
                    .expect("within the share")
            })
            .collect();
        assert!(
            streams.open("r1", Some("192.0.2.99")).is_none(),
            "the recording's share is open"
        );
        assert!(
            streams.open("r2", Some("192.0.2.99")).is_some(),
            "another recording is not affected"
        );
        drop(mine);
        assert!(streams.open("r1", None).is_some(), "closed streams are given back");

        let one: Vec<_> = (0..PER_ADDRESS)
            .map(|n| {
                streams
                    .open(&format!("s{n}"), Some("198.51.100.7"))
                    .expect("within the share")
            })
            .collect();
        assert!(
            streams.open("s99", Some("198.51.100.7")).is_none(),
            "the address's share is open"
        );
        drop(one);
        assert_eq!(streams.counted(), 0, "nothing is kept for closed streams");
    }
}
