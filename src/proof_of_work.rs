//! The small proof of work a browser does before typing a transfer code is admitted
//! while the hourly budget of failed look-ups is spent: find a counter such that
//! SHA-256 of `challenge:counter` starts with `bits` zero bits. Shared by the server,
//! which checks a proof, and the browser, which finds one.

use sha2::{Digest, Sha256};

/// A proof as sent back: the challenge and the counter found for it.
pub fn proof(challenge: &str, counter: u64) -> String {
    format!("{challenge}:{counter}")
}

/// The challenge and counter of a proof, if it has that shape.
pub fn parse(proof: &str) -> Option<(&str, u64)> {
    let (challenge, counter) = proof.rsplit_once(':')?;
    Some((challenge, counter.parse().ok()?))
}

/// Whether `counter` solves `challenge` at `bits` of difficulty.
pub fn solves(challenge: &str, counter: u64, bits: u8) -> bool {
    let digest = Sha256::digest(proof(challenge, counter).as_bytes());
    let mut zeros = 0;
    for byte in digest {
        if byte == 0 {
            zeros += 8;
        } else {
            zeros += byte.leading_zeros();
            break;
        }
    }
    zeros >= u32::from(bits)
}

/// The first counter in `range` that solves `challenge`, if any: the browser searches
/// in slices, so the page stays responsive.
pub fn search(challenge: &str, bits: u8, range: std::ops::Range<u64>) -> Option<u64> {
    range.into_iter().find(|&counter| solves(challenge, counter, bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_found_counter_solves_its_challenge_only() {
        let counter = search("défi-1", 12, 0..1_000_000).expect("found within a million tries");
        assert!(solves("défi-1", counter, 12));
        assert!(!solves("défi-2", counter, 12), "another challenge needs its own work");
        assert_eq!(parse(&proof("a.b.c", counter)), Some(("a.b.c", counter)));
        assert_eq!(parse("sans compteur"), None);
        assert!(solves("x", 0, 0), "zero bits asks nothing");
    }

    #[test]
    fn each_bit_doubles_the_work() {
        let tries = |bits| {
            (0..64)
                .map(|n| search(&format!("c{n}"), bits, 0..u64::MAX).expect("found"))
                .sum::<u64>()
                / 64
        };
        let (eight, twelve) = (tries(8), tries(12));
        assert!((100..500).contains(&eight), "about 256 tries at 8 bits: {eight}");
        assert!((2000..8000).contains(&twelve), "about 4096 tries at 12 bits: {twelve}");
    }
}
