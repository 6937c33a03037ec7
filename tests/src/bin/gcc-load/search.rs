//! How the knee search picks its next rate. While steps hold it climbs by `--factor`. A
//! step that does not hold is run again, up to `--retries` times. When no step has held
//! yet, the rate is halved instead of giving up, so a machine slower than `--from` still
//! gets a knee (and a ratio) rather than "below the first step".

/// The lowest rate the search halves down to, per second.
pub const MIN_RATE: f64 = 1.0;

pub struct Search {
    rate: f64,
    factor: f64,
    retries: usize,
    tries: usize,
    knee: Option<f64>,
}

impl Search {
    pub fn new(from: f64, factor: f64, retries: usize) -> Self {
        Self { rate: from, factor, retries, tries: 0, knee: None }
    }

    /// The rate of the next step.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The highest rate that held so far.
    pub fn knee(&self) -> Option<f64> {
        self.knee
    }

    /// Takes whether the step at [`Search::rate`] held; false when the search is over.
    pub fn record(&mut self, held: bool) -> bool {
        if held {
            self.tries = 0;
            self.knee = Some(self.rate);
            self.rate *= self.factor;
            return true;
        }
        self.tries += 1;
        if self.tries <= self.retries {
            return true;
        }
        if self.knee.is_none() && self.rate / 2.0 >= MIN_RATE {
            self.tries = 0;
            self.rate /= 2.0;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a search against a server that holds every rate up to `capacity`.
    fn steps(from: f64, retries: usize, capacity: f64) -> (Vec<f64>, Option<f64>) {
        let mut search = Search::new(from, 1.25, retries);
        let mut tried = vec![];
        for _ in 0..40 {
            tried.push(search.rate());
            if !search.record(search.rate() <= capacity) {
                break;
            }
        }
        (tried, search.knee())
    }

    #[test]
    fn it_climbs_while_steps_hold_and_retries_the_first_that_does_not() {
        let (tried, knee) = steps(100.0, 1, 170.0);
        assert_eq!(tried, [100.0, 125.0, 156.25, 195.3125, 195.3125]);
        assert_eq!(knee, Some(156.25));
    }

    #[test]
    fn below_the_first_step_it_halves_until_a_step_holds_then_climbs_again() {
        let (tried, knee) = steps(200.0, 0, 60.0);
        assert_eq!(tried, [200.0, 100.0, 50.0, 62.5]);
        assert_eq!(knee, Some(50.0));
    }

    #[test]
    fn when_nothing_holds_it_stops_at_the_lowest_rate() {
        let (tried, knee) = steps(10.0, 0, 0.0);
        assert_eq!(tried, [10.0, 5.0, 2.5, 1.25]);
        assert_eq!(knee, None);
    }

    #[test]
    fn once_a_step_has_held_a_failure_ends_the_search_instead_of_halving() {
        let mut search = Search::new(10.0, 2.0, 0);
        assert!(search.record(true));
        assert!(!search.record(false), "the knee is known: 10/s");
        assert_eq!(search.knee(), Some(10.0));
    }
}
