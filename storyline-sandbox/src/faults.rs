//! Faults Twilio really produces, on demand: callbacks duplicated, delayed (and so reordered) or never delivered; media
//! that answers 404 for a while after its callback; REST answering 429 or 5xx in bursts; a call placed whose
//! `POST Calls.json` still answers 5xx or too late; TwiML requests that time out.
//!
//! Set them with [`Faults::parse`] (`STORYLINE_SANDBOX_FAULTS`), for example
//! `duplicate=0.2,delay=0.3,max_delay=5,drop=0.05,media_404=3,rest_errors=0.05,twiml_timeout=0.02,create_then_error=0.05`.
//! Probabilities are per request; times are in call seconds (scaled by the sandbox's speed).

use std::sync::atomic::{AtomicU32, Ordering};

/// Which faults to inject, and how often.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Probability that a callback is delivered twice.
    pub duplicate: f64,
    /// Probability that a callback is held back before delivery (which reorders callbacks).
    pub delay: f64,
    /// The longest hold-back, in seconds.
    pub max_delay: f64,
    /// Probability that a callback is never delivered.
    pub drop: f64,
    /// Seconds after a recording's `completed` callback during which its media still answers 404.
    pub media_404: f64,
    /// Probability that a REST request starts a burst of 429 / 503 answers (three requests long).
    pub rest_errors: f64,
    /// Probability that a TwiML request times out (Twilio gives up after 15 s and plays an application error).
    pub twiml_timeout: f64,
    /// Probability that `POST Calls.json` places the call (it rings and runs) but answers `500` (20500).
    pub create_then_error: f64,
    /// Probability that `POST Calls.json` places the call but holds its `201` for [`CREATE_HOLD`], past any client's
    /// timeout.
    pub create_then_timeout: f64,
    /// `seed=N`: the seed of the sandbox's [`Dice`], to replay a run's fault decisions.
    pub seed: Option<u64>,
}

/// How long the `create_then_timeout` fault holds the answer to `POST Calls.json` (wall-clock, whatever the speed:
/// the client's timeout is).
pub const CREATE_HOLD: std::time::Duration = std::time::Duration::from_secs(60);

/// A fault specification that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid sandbox fault `{0}`: expected name=number with names duplicate, delay, max_delay, drop, media_404, rest_errors, twiml_timeout, create_then_error, create_then_timeout, and seed=N"
)]
pub struct FaultsError(String);

impl Faults {
    /// No faults: the sandbox behaves like a healthy Twilio.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads `name=value,…`.
    pub fn parse(spec: &str) -> Result<Self, FaultsError> {
        let mut f = Faults::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(|| FaultsError(part.into()))?;
            if name.trim() == "seed" {
                f.seed = Some(value.trim().parse().map_err(|_| FaultsError(part.into()))?);
                continue;
            }
            let value: f64 = value.trim().parse().map_err(|_| FaultsError(part.into()))?;
            if !value.is_finite() || value < 0.0 {
                return Err(FaultsError(part.into()));
            }
            let slot = match name.trim() {
                "duplicate" => &mut f.duplicate,
                "delay" => &mut f.delay,
                "max_delay" => &mut f.max_delay,
                "drop" => &mut f.drop,
                "media_404" => &mut f.media_404,
                "rest_errors" => &mut f.rest_errors,
                "twiml_timeout" => &mut f.twiml_timeout,
                "create_then_error" => &mut f.create_then_error,
                "create_then_timeout" => &mut f.create_then_timeout,
                _ => return Err(FaultsError(part.into())),
            };
            *slot = value;
        }
        if f.delay > 0.0 && f.max_delay == 0.0 {
            f.max_delay = 5.0;
        }
        Ok(f)
    }

    /// Whether an event of probability `p` happens this time, on a die of its own (see [`Dice`] for a seeded one).
    pub fn roll(p: f64) -> bool {
        p > 0.0 && fastrand::f64() < p
    }
}

/// The sandbox's dice: every fault decision, drawn in turn from one generator, seeded by `seed=N` in the fault
/// specification so a run's sequence of decisions can be replayed (which request each decision meets still depends on
/// timing), or from the system otherwise.
#[derive(Debug)]
pub struct Dice(std::sync::Mutex<fastrand::Rng>);

impl Dice {
    /// Dice seeded with `seed`, or at random.
    pub fn new(seed: Option<u64>) -> Dice {
        Dice(std::sync::Mutex::new(
            seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed),
        ))
    }

    /// Whether an event of probability `p` happens this time.
    pub fn roll(&self, p: f64) -> bool {
        p > 0.0 && self.f64() < p
    }

    /// A number in `0..1`.
    pub fn f64(&self) -> f64 {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).f64()
    }

    /// Heads or tails.
    pub fn bool(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).bool()
    }
}

/// Consecutive REST requests still to fail in the current burst.
#[derive(Debug, Default)]
pub struct Burst(AtomicU32);

impl Burst {
    /// Whether this REST request fails: either a burst is running, or one starts now.
    pub fn next_fails(&self, probability: f64, dice: &Dice) -> bool {
        let left = self.0.load(Ordering::Relaxed);
        if left > 0 {
            self.0.store(left - 1, Ordering::Relaxed);
            return true;
        }
        if dice.roll(probability) {
            self.0.store(2, Ordering::Relaxed);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_fault_specification() {
        let f = Faults::parse(
            "duplicate=0.2, delay=0.3,max_delay=4,drop=0.05,media_404=3,rest_errors=0.1,twiml_timeout=0.02",
        )
        .unwrap();
        assert_eq!(f.duplicate, 0.2);
        assert_eq!(f.max_delay, 4.0);
        assert_eq!(f.twiml_timeout, 0.02);
        let f = Faults::parse("create_then_error=0.5,create_then_timeout=1").unwrap();
        assert_eq!((f.create_then_error, f.create_then_timeout), (0.5, 1.0));
        assert_eq!(Faults::parse("").unwrap(), Faults::none());
        assert_eq!(Faults::parse("drop=0.1,seed=42").unwrap().seed, Some(42));
        assert!(Faults::parse("seed=-1").is_err());
        assert_eq!(Faults::parse("delay=1").unwrap().max_delay, 5.0);
        assert!(Faults::parse("explode=1").is_err());
        assert!(Faults::parse("drop=-1").is_err());
        assert!(Faults::parse("drop").is_err());
    }

    #[test]
    fn seeded_dice_replay_their_decisions() {
        let rolls = |seed| {
            let dice = Dice::new(Some(seed));
            (0..64).map(|_| dice.roll(0.3)).collect::<Vec<_>>()
        };
        assert_eq!(rolls(1), rolls(1));
        assert_ne!(rolls(1), rolls(2));
    }

    #[test]
    fn bursts_last_three_requests() {
        let b = Burst::default();
        let dice = Dice::new(Some(7));
        assert!(b.next_fails(1.0, &dice));
        assert!(b.next_fails(0.0, &dice));
        assert!(b.next_fails(0.0, &dice));
        assert!(!b.next_fails(0.0, &dice));
    }
}
