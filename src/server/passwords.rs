//! Passwords: the policy (12 to 128 characters, no composition rules, refused when easy
//! to guess) and argon2id hashing on a few dedicated threads. A burst of logins queues
//! for them: it can neither take the cores other requests need nor grow memory, since
//! only those threads ever hold argon2's 19 MiB blocks.

use crate::error::AppError;
use crate::i18n::Text;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::mpsc;
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
    jobs: mpsc::Sender<Job>,
    /// Checked when the account does not exist, so both cases take the same time.
    dummy_hash: Arc<str>,
}

/// argon2id with the OWASP parameters (m = 19456 KiB, t = 2, p = 1).
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

impl PasswordHasher {
    /// A hasher with `threads` dedicated threads.
    pub fn new(threads: usize) -> PasswordHasher {
        let (jobs, queue) = mpsc::channel::<Job>();
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
    pub fn for_this_machine() -> PasswordHasher {
        PasswordHasher::new(std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1)))
    }

    async fn blocking<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = answer.send(work());
            }))
            .map_err(|_| AppError::Unavailable)?;
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
        let hasher = PasswordHasher::new(2);
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
        let hasher = PasswordHasher::new(1);
        assert_eq!(
            hasher.verify(Some(&old), "vieux mot de passe 2019").await,
            Ok(Verified::Right { upgrade: true })
        );
    }
}
