//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30-second steps), with one
//! step of clock skew either way, and single-use recovery codes.

use rand::Rng;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

pub const STEP_SECS: i64 = 30;
const ISSUER: &str = "Santhium";
/// Letters and digits without look-alikes (no 0/O, 1/I/L).
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const RECOVERY_CODES: usize = 10;

fn totp(secret: &[u8], account: &str) -> Option<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS as u64,
        secret.to_vec(),
        Some(ISSUER.into()),
        account.into(),
    )
    .ok()
}

/// A new 160-bit secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill(secret.as_mut_slice());
    secret
}

/// The key as text for manual entry, and the `otpauth://` URI the QR code carries.
pub fn enrolment(secret: &[u8], account: &str) -> Option<(String, String)> {
    let totp = totp(secret, account)?;
    Some((totp.get_secret_base32(), totp.get_url()))
}

/// The time step `code` belongs to, if it is valid now, a step ago or a step ahead.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let totp = totp(secret, "check")?;
    let step = now.div_euclid(STEP_SECS);
    [step, step - 1, step + 1].into_iter().find(|s| {
        let expected = totp.generate(u64::try_from(s * STEP_SECS).unwrap_or(0));
        bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
    })
}

/// A six-digit TOTP code, or else a recovery code, as the user typed it.
pub fn is_totp_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// Ten codes shown once, like `K7M4P-X2Q9R`.
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| char::from(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())]))
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// A recovery code as stored: upper case, separators and spaces dropped.
pub fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Trims what users paste around a TOTP code (spaces in "123 456").
pub fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B: the SHA-1 secret, and the 8-digit code at T = 59 s ends in these 6.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_follow_rfc_6238() {
        assert_eq!(matching_step(RFC_SECRET, "287082", 59), Some(1));
        assert_eq!(
            matching_step(RFC_SECRET, "081804", 1_111_111_109),
            Some(1_111_111_109 / 30)
        );
    }

    #[test]
    fn one_step_of_clock_skew_is_accepted_either_way_and_no_more() {
        let now = 1_111_111_109;
        assert_eq!(
            matching_step(RFC_SECRET, "081804", now + 30),
            Some(now / 30),
            "phone one step behind"
        );
        assert_eq!(
            matching_step(RFC_SECRET, "081804", now - 30),
            Some(now / 30),
            "phone one step ahead"
        );
        assert_eq!(matching_step(RFC_SECRET, "081804", now + 60), None);
        assert_eq!(matching_step(RFC_SECRET, "081804", now - 60), None);
        assert_eq!(matching_step(RFC_SECRET, "000000", now), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalise() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 10);
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        assert_eq!(normalise_recovery_code(" k7m4p-x2q9r "), "K7M4PX2Q9R");
        assert!(is_totp_code("123456") && !is_totp_code("12345") && !is_totp_code("K7M4PX"));
    }

    #[test]
    fn enrolment_gives_the_key_as_text_and_an_otpauth_uri() {
        let secret = new_secret();
        let (text, uri) = enrolment(&secret, "camille@pharmacie.fr").expect("valid secret");
        assert_eq!(text.len(), 32);
        assert!(
            uri.starts_with("otpauth://totp/Santhium:camille%40pharmacie.fr?secret="),
            "{uri}"
        );
        assert!(uri.contains("issuer=Santhium"));
    }
}
