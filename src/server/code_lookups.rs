//! Guessing transfer codes: each client address may look up a few codes a minute, and
//! all clients together may fail a budget of look-ups an hour. When the budget is spent,
//! every look-up is refused until the hour ends, and a warning is logged: someone is
//! trying codes from many addresses. Counts are kept in memory, per instance.

use crate::error::AppError;
use crate::server::config::CodeLookupLimits;
use std::collections::HashMap;
use std::sync::Mutex;

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;

pub struct CodeLookups {
    limits: CodeLookupLimits,
    windows: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    minute: i64,
    per_client: HashMap<String, u32>,
    hour: i64,
    failures: u32,
}

impl Windows {
    /// Starts new windows when `now` has left the current ones.
    fn roll(&mut self, now: i64) {
        if now.div_euclid(MINUTE) != self.minute {
            self.minute = now.div_euclid(MINUTE);
            self.per_client.clear();
        }
        if now.div_euclid(HOUR) != self.hour {
            self.hour = now.div_euclid(HOUR);
            self.failures = 0;
        }
    }
}

fn until_next(now: i64, window: i64) -> u64 {
    (window - now.rem_euclid(window)) as u64
}

impl CodeLookups {
    pub fn new(limits: CodeLookupLimits) -> CodeLookups {
        CodeLookups {
            limits,
            windows: Mutex::default(),
        }
    }

    /// Counts a look-up by `client`, or refuses it.
    pub fn admit(&self, client: Option<&str>, now: i64) -> Result<(), AppError> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.roll(now);
        if windows.failures >= self.limits.failures_per_hour {
            return Err(AppError::RateLimited {
                retry_after_secs: until_next(now, HOUR),
            });
        }
        let count = windows
            .per_client
            .entry(client.unwrap_or_default().to_owned())
            .or_default();
        if *count >= self.limits.per_client_per_minute {
            return Err(AppError::RateLimited {
                retry_after_secs: until_next(now, MINUTE),
            });
        }
        *count += 1;
        Ok(())
    }

    /// Counts a look-up that found no usable code.
    pub fn failed(&self, now: i64) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.roll(now);
        windows.failures += 1;
        if windows.failures == self.limits.failures_per_hour {
            tracing::warn!(
                failures = windows.failures,
                "the hourly budget of failed code look-ups is spent: look-ups are refused until the hour ends"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: CodeLookupLimits = CodeLookupLimits {
        per_client_per_minute: 3,
        failures_per_hour: 5,
    };
    const NOON: i64 = 1_800_000_000 - 1_800_000_000 % HOUR;

    #[test]
    fn a_client_gets_a_few_look_ups_a_minute() {
        let lookups = CodeLookups::new(LIMITS);
        for _ in 0..3 {
            assert_eq!(lookups.admit(Some("192.0.2.1"), NOON + 10), Ok(()));
        }
        assert_eq!(
            lookups.admit(Some("192.0.2.1"), NOON + 20),
            Err(AppError::RateLimited { retry_after_secs: 40 })
        );
        assert_eq!(lookups.admit(Some("192.0.2.2"), NOON + 20), Ok(()), "another client");
        assert_eq!(lookups.admit(Some("192.0.2.1"), NOON + 61), Ok(()), "the next minute");
    }

    #[test]
    fn the_failure_budget_is_shared_by_all_clients_for_the_hour() {
        let lookups = CodeLookups::new(LIMITS);
        for client in 0..5 {
            let client = format!("198.51.100.{client}");
            assert_eq!(lookups.admit(Some(&client), NOON + 100), Ok(()));
            lookups.failed(NOON + 100);
        }
        assert_eq!(
            lookups.admit(Some("203.0.113.9"), NOON + 600),
            Err(AppError::RateLimited { retry_after_secs: 3000 }),
            "even a client that never failed"
        );
        assert_eq!(lookups.admit(Some("203.0.113.9"), NOON + HOUR), Ok(()), "the next hour");
    }
}
