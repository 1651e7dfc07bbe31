//! Per-key attempt limits for sign-in and for requests that send mail.
//!
//! A fixed window per (bucket, key): at most `max` attempts in `window`,
//! then [`AppError::RateLimited`] until the window ends. Keys are client
//! addresses and email addresses; limits are applied whether or not an
//! account exists, so they reveal nothing about who has one.
//!
//! The counters live in this process's memory: with several replicas each
//! counts on its own, and a restart forgets them. Behind a reverse proxy
//! every client has the proxy's address, as forwarded-for headers are not
//! trusted yet; the per-email limits still hold there.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use app::AppError;

/// A limit: at most `max` attempts per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn per_minutes(max: u32, minutes: u64) -> Self {
        Limit {
            max,
            window: Duration::from_secs(minutes * 60),
        }
    }
}

/// Entries kept before expired windows are swept out.
const SWEEP_AT: usize = 10_000;

#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(&'static str, String), Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    window: Duration,
    count: u32,
}

impl RateLimiter {
    /// Counts one attempt for `key` in `bucket`; refuses it when the
    /// window is already full.
    pub fn hit(&self, bucket: &'static str, key: &str, limit: Limit) -> Result<(), AppError> {
        self.count(bucket, key, limit)
    }

    /// Gives back an attempt counted by [`Self::hit`], for limits on
    /// failures: count before the work (so parallel attempts cannot all
    /// slip through), refund when it succeeded.
    pub fn refund(&self, bucket: &'static str, key: &str) {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(window) = windows.get_mut(&(bucket, key.to_string())) {
            window.count = window.count.saturating_sub(1);
        }
    }

    fn count(&self, bucket: &'static str, key: &str, limit: Limit) -> Result<(), AppError> {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, window| now.duration_since(window.started) < window.window);
        }
        let window = windows.entry((bucket, key.to_string())).or_insert(Window {
            started: now,
            window: limit.window,
            count: 0,
        });
        if now.duration_since(window.started) >= limit.window {
            *window = Window {
                started: now,
                window: limit.window,
                count: 0,
            };
        }
        if window.count >= limit.max {
            let left = limit
                .window
                .saturating_sub(now.duration_since(window.started));
            tracing::warn!(rate_limit.bucket = bucket, "rate limit reached");
            return Err(AppError::RateLimited {
                retry_after_secs: left.as_secs().max(1),
            });
        }
        window.count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_beyond_the_limit_are_refused_until_the_window_ends() {
        let limiter = RateLimiter::default();
        let limit = Limit {
            max: 2,
            window: Duration::from_millis(200),
        };
        limiter.hit("sign_in", "a", limit).unwrap();
        limiter.hit("sign_in", "a", limit).unwrap();
        let refused = limiter.hit("sign_in", "a", limit).unwrap_err();
        assert!(
            matches!(refused, AppError::RateLimited { retry_after_secs } if retry_after_secs >= 1)
        );
        // Other keys and buckets count separately.
        limiter.hit("sign_in", "b", limit).unwrap();
        limiter.hit("reset", "a", limit).unwrap();

        std::thread::sleep(Duration::from_millis(250));
        limiter.hit("sign_in", "a", limit).unwrap();
    }

    #[test]
    fn refunded_attempts_do_not_count() {
        let limiter = RateLimiter::default();
        let limit = Limit {
            max: 1,
            window: Duration::from_secs(60),
        };
        limiter.hit("sign_in", "a", limit).unwrap();
        limiter.refund("sign_in", "a");
        limiter.hit("sign_in", "a", limit).unwrap();
        assert!(limiter.hit("sign_in", "a", limit).is_err());
    }
}
