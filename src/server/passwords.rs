//! Passwords: the policy (12 to 128 characters, no composition rules, refused when easy
//! to guess) and argon2id hashing on a few dedicated threads. A burst of logins queues
//! for them: it can neither take the cores other requests need nor grow memory, since
//! only those threads ever hold argon2's 19 MiB blocks. The queue is bounded: when it
//! is full, a request is refused at once (503) instead of waiting, and a queued hash
//! whose client has gone is skipped.
//!
//! Each hashing thread keeps argon2's memory for its whole life instead of allocating
//! and freeing it for every password. glibc raises its mmap threshold to the size of
//! the largest block it ever unmapped; after one freed 19 MiB block, every buffer under
//! 19 MiB (upload and download chunks, an S3 part) comes from the heap's arenas, which
//! keep what they held: the server's peak memory under load grew by about 45 MiB.

use crate::error::AppError;
use crate::i18n::Text;
use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;
use std::sync::mpsc::{self, TrySendError};
use std::sync::{Arc, Mutex};
use zeroize::{Zeroize as _, Zeroizing};

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

/// argon2id with the OWASP parameters (m = 19456 KiB, t = 2, p = 1): how passwords are
/// hashed today, and written in each hash.
const ALGORITHM: Algorithm = Algorithm::Argon2id;
const VERSION: Version = Version::V0x13;

/// A stored hash asking for more memory than this (KiB) is refused, not computed.
const MAX_STORED_MEMORY: u32 = 16 * Params::DEFAULT_M_COST;

fn argon2() -> Argon2<'static> {
    Argon2::new(ALGORITHM, VERSION, Params::default())
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
        // A hash no password is known to match; checking it costs what a real one does.
        let dummy_hash = phc_string(
            &SaltString::encode_b64(b"santhium-nobody!").expect("a valid salt"),
            &[0x5a; Params::DEFAULT_OUTPUT_LEN],
        );
        PasswordHasher {
            jobs,
            dummy_hash: dummy_hash.into(),
        }
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

thread_local! {
    /// argon2's memory on this thread, grown to the largest hash it computed and kept.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `argon2` on this thread's kept memory, wiped afterwards.
fn compute(argon2: &Argon2, password: &[u8], salt: &[u8], output: &mut [u8]) -> argon2::Result<()> {
    MEMORY.with_borrow_mut(|memory| {
        let blocks = argon2.params().block_count();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        let computed = argon2.hash_password_into_with_memory(password, salt, output, &mut memory[..blocks]);
        memory[..blocks].iter_mut().for_each(|block| block.zeroize());
        computed
    })
}

/// A hash with today's algorithm and parameters, as stored (a PHC string).
fn phc_string(salt: &SaltString, output: &[u8]) -> String {
    PasswordHash {
        algorithm: ALGORITHM.ident(),
        version: Some(VERSION.into()),
        params: ParamsString::try_from(&Params::default()).expect("argon2's default parameters"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(output).expect("argon2's default output length")),
    }
    .to_string()
}

fn hash_now(password: &str) -> String {
    let mut salt = [0; Salt::RECOMMENDED_LENGTH];
    OsRng.fill_bytes(&mut salt);
    let mut output = Zeroizing::new([0; Params::DEFAULT_OUTPUT_LEN]);
    compute(&argon2(), password.as_bytes(), &salt, output.as_mut()).expect("argon2 with default parameters");
    phc_string(&SaltString::encode_b64(&salt).expect("a valid salt"), output.as_ref())
}

/// The argon2 a stored hash was computed with, its salt (decoded into `salt`) and output.
fn stored_setup<'a>(hash: &PasswordHash, salt: &'a mut [u8]) -> Option<(Argon2<'static>, &'a [u8], Output)> {
    let algorithm = Algorithm::try_from(hash.algorithm).ok()?;
    let version = hash.version.map_or(Ok(VERSION), Version::try_from).ok()?;
    let params = Params::try_from(hash)
        .ok()
        .filter(|p| p.m_cost() <= MAX_STORED_MEMORY)?;
    let salt = hash.salt?.decode_b64(salt).ok()?;
    Some((Argon2::new(algorithm, version, params), salt, hash.hash?))
}

fn verify_now(stored: &str, password: &str) -> Verified {
    let Ok(hash) = PasswordHash::new(stored) else {
        tracing::error!("a stored password hash cannot be parsed");
        return Verified::Wrong;
    };
    // Any argon2 variant, version and parameters verify; only today's are left as they are.
    let mut salt = [0; Salt::MAX_LENGTH];
    let Some((argon2, salt, expected)) = stored_setup(&hash, &mut salt) else {
        tracing::error!("a stored password hash is not an argon2 hash this server computes");
        return Verified::Wrong;
    };
    let mut output = Zeroizing::new(vec![0; expected.len()]);
    let right = compute(&argon2, password.as_bytes(), salt, &mut output).is_ok()
        // Output compares in constant time.
        && Output::new(&output).is_ok_and(|output| output == expected);
    if !right {
        return Verified::Wrong;
    }
    let (used, today) = (argon2.params(), Params::default());
    let current = hash.algorithm == ALGORITHM.ident()
        && hash.version == Some(VERSION.into())
        && expected.len() == Params::DEFAULT_OUTPUT_LEN
        && (used.m_cost(), used.t_cost(), used.p_cost()) == (today.m_cost(), today.t_cost(), today.p_cost());
    Verified::Right { upgrade: !current }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

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
        let parsed = PasswordHash::new(&hash).expect("a PHC string");
        assert!(
            Argon2::default()
                .verify_password("vélo citron orage 92".as_bytes(), &parsed)
                .is_ok(),
            "any argon2 implementation checks it"
        );
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
        // The thread takes the departed clients' jobs off the queue, skipping them.
        tokio::time::sleep(Duration::from_millis(50)).await;
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
        let greedy = old.replace("m=8192,", &format!("m={},", MAX_STORED_MEMORY + 1));
        assert_eq!(
            hasher.verify(Some(&greedy), "vieux mot de passe 2019").await,
            Ok(Verified::Wrong),
            "a hash asking for too much memory is refused"
        );
    }
}
