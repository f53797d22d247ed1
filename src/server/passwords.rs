//! Passwords: the policy (12 to 128 characters, no composition rules, refused when easy
//! to guess) and argon2id hashing on a few dedicated threads. A burst of logins queues
//! for them: it can neither take the cores other requests need nor grow memory, since
//! only those threads ever hold argon2's 19 MiB blocks. The queue is bounded: when it
//! is full, a request is refused at once (503) instead of waiting, and a queued hash
//! whose client has gone is skipped.

use crate::error::AppError;
use crate::i18n::Text;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::mpsc::{self, TrySendError};
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

/// Why a new password is refused.
pub fn check_policy(password: &str, personal: &[&str]) -> Result<(), Text> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(Text::PasswordTooShort);
    }
    if length > MAX_LENGTH {
        return Err(Text::PasswordTooLong);
    }
    let estimate = zxcvbn::zxcvbn(password, personal);
    if u8::from(estimate.score()) >= 3 {
        return Ok(());
    }
    use zxcvbn::feedback::Warning;
    let common = matches!(
        estimate.feedback().and_then(|f| f.warning()),
        Some(
            Warning::ThisIsATop10Password
                | Warning::ThisIsATop100Password
                | Warning::ThisIsACommonPassword
                | Warning::ThisIsSimilarToACommonlyUsedPassword
        )
    );
    Err(if common {
        Text::PasswordCommon
    } else {
        Text::PasswordTooGuessable
    })
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    Wrong,
    /// Right; `upgrade` when the hash uses older parameters than today's.
    Right {
        upgrade: bool,
    },
}

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct PasswordHasher {
    /// Work for the hashing threads; they stop when the last hasher is dropped.
    jobs: mpsc::SyncSender<Job>,
    /// Checked when the account does not exist, so both cases take the same time.
    dummy_hash: Arc<str>,
}

/// argon2id with the OWASP parameters (m = 19456 KiB, t = 2, p = 1).
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

impl PasswordHasher {
    /// A hasher with `threads` dedicated threads and room for `queue` waiting jobs.
    pub fn new(threads: usize, queue: usize) -> PasswordHasher {
        let (jobs, queue) = mpsc::sync_channel::<Job>(queue);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-hasher-{n}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        // A panicking job loses its answer (its caller sees an error), not this thread.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .expect("the password hashing threads start");
        }
        let dummy_hash = hash_now("a password nobody has, for unknown accounts").into();
        PasswordHasher { jobs, dummy_hash }
    }

    /// One core is left to answer requests while the others hash.
    pub fn for_this_machine(queue: usize) -> PasswordHasher {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1));
        PasswordHasher::new(threads, queue)
    }

    async fn blocking<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The client went away while this waited: nobody needs the answer.
            if !answer.is_closed() {
                let _ = answer.send(work());
            }
        });
        self.jobs.try_send(job).map_err(|error| {
            if let TrySendError::Full(_) = error {
                tracing::warn!("the password hashing queue is full: a request is refused");
            }
            AppError::Unavailable
        })?;
        answered.await.map_err(|_| {
            tracing::error!("a password hashing job failed");
            AppError::Internal
        })
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = Zeroizing::new(password.to_owned());
        self.blocking(move || hash_now(&password)).await
    }

    /// Checks `password` against `stored`, or against a dummy hash when there is no
    /// account, so that the two cases cannot be told apart by timing.
    pub async fn verify(&self, stored: Option<&str>, password: &str) -> Result<Verified, AppError> {
        let exists = stored.is_some();
        let stored = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = Zeroizing::new(password.to_owned());
        let verified = self.blocking(move || verify_now(&stored, &password)).await?;
        Ok(if exists { verified } else { Verified::Wrong })
    }
}

fn hash_now(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters")
        .to_string()
}

fn verify_now(stored: &str, password: &str) -> Verified {
    let Ok(hash) = PasswordHash::new(stored) else {
        tracing::error!("a stored password hash cannot be parsed");
        return Verified::Wrong;
    };
    // Any argon2 variant and parameters verify; only today's are left as they are.
    let right = Argon2::default().verify_password(password.as_bytes(), &hash).is_ok();
    if !right {
        return Verified::Wrong;
    }
    let today = Params::default();
    let current = hash.algorithm == Algorithm::Argon2id.ident()
        && Params::try_from(&hash)
            .is_ok_and(|p| (p.m_cost(), p.t_cost(), p.p_cost()) == (today.m_cost(), today.t_cost(), today.p_cost()));
    Verified::Right { upgrade: !current }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_counts_characters_and_refuses_guessable_passwords() {
        assert_eq!(check_policy("court", &[]), Err(Text::PasswordTooShort));
        assert_eq!(check_policy(&"é".repeat(11), &[]), Err(Text::PasswordTooShort));
        assert_eq!(check_policy(&"x".repeat(129), &[]), Err(Text::PasswordTooLong));
        assert_eq!(check_policy("password1234", &[]), Err(Text::PasswordCommon));
        assert_eq!(check_policy("aaaaaaaaaaaaaaaa", &[]), Err(Text::PasswordTooGuessable));
        assert!(
            check_policy("camillemartin", &["camille", "martin"]).is_err(),
            "personal data is guessable"
        );
        assert_eq!(check_policy("vélo citron orage 92 marée", &[]), Ok(()));
        assert_eq!(
            check_policy("Tq8#vL2!pR9@wZ5", &[]),
            Ok(()),
            "no composition rule stands in the way"
        );
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_owasp_parameters_and_verify() {
        let hasher = PasswordHasher::new(2, 8);
        let hash = hasher.hash("vélo citron orage 92").await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert_eq!(
            hasher.verify(Some(&hash), "vélo citron orage 92").await,
            Ok(Verified::Right { upgrade: false })
        );
        assert_eq!(
            hasher.verify(Some(&hash), "vélo citron orage 93").await,
            Ok(Verified::Wrong)
        );
        assert_eq!(hasher.verify(None, "vélo citron orage 92").await, Ok(Verified::Wrong));
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_departed_clients_are_skipped() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::time::Duration;
        let hasher = PasswordHasher::new(1, 2);
        let (release, blocked) = mpsc::channel::<()>();
        let busy = {
            let hasher = hasher.clone();
            // Holds the only thread until released.
            tokio::spawn(async move { hasher.blocking(move || blocked.recv().is_ok()).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let ran = Arc::new(AtomicUsize::new(0));
        let queued = |hasher: PasswordHasher, ran: Arc<AtomicUsize>| {
            tokio::spawn(async move { hasher.blocking(move || ran.fetch_add(1, Ordering::SeqCst)).await })
        };
        // Two fit in the queue; their clients leave before the thread is free.
        let waiting = [queued(hasher.clone(), ran.clone()), queued(hasher.clone(), ran.clone())];
        tokio::time::sleep(Duration::from_millis(50)).await;
        let refused = queued(hasher.clone(), ran.clone()).await.expect("join");
        assert_eq!(refused, Err(AppError::Unavailable), "the queue is full");
        for client in waiting {
            client.abort();
            let _ = client.await;
        }
        release.send(()).expect("release the thread");
        assert_eq!(busy.await.expect("join"), Ok(true));
        assert_eq!(hasher.blocking(|| 7).await, Ok(7), "room again");
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the departed clients' work never ran");
    }

    #[tokio::test]
    async fn hashes_with_older_parameters_ask_for_an_upgrade() {
        let weak = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(8192, 1, 1, None).expect("params"),
        );
        let salt = SaltString::generate(&mut OsRng);
        let old = weak
            .hash_password(b"vieux mot de passe 2019", &salt)
            .expect("hash")
            .to_string();
        let hasher = PasswordHasher::new(1, 8);
        assert_eq!(
            hasher.verify(Some(&old), "vieux mot de passe 2019").await,
            Ok(Verified::Right { upgrade: true })
        );
    }
}
