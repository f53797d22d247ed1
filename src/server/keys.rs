//! Key material and the one place its cryptographic parameters are chosen.
//!
//! `SECRET_KEY` keys the HMACs (look-up hashes of codes and tokens). `ENCRYPTION_KEY` is
//! the master key: it seals (AES-256-GCM) each document's fresh random data key and small
//! secrets such as TOTP keys; the id of the key that sealed is kept with the result, so
//! keys can rotate.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use rand::RngCore;
use std::fmt;
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;
/// Binds everything sealed to this format version.
const SEAL_VERSION: &[u8] = b"santhium/sealed/v1";

fn decode_base64(value: &str) -> Option<Vec<u8>> {
    STANDARD.decode(value).or_else(|_| STANDARD_NO_PAD.decode(value)).ok()
}

fn random_bytes<const N: usize>() -> Zeroizing<[u8; N]> {
    let mut bytes = Zeroizing::new([0u8; N]);
    OsRng.fill_bytes(bytes.as_mut());
    bytes
}

/// The server secret behind every keyed hash.
pub struct SecretKey(Zeroizing<Vec<u8>>);

impl SecretKey {
    pub const FORMAT: &'static str = "base64 of at least 32 random bytes (for example from `openssl rand -base64 32`)";

    pub fn parse(value: &str) -> Option<SecretKey> {
        decode_base64(value)
            .filter(|bytes| bytes.len() >= 32)
            .map(|bytes| SecretKey(Zeroizing::new(bytes)))
    }

    pub fn generate() -> SecretKey {
        SecretKey(Zeroizing::new(random_bytes::<32>().to_vec()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// HMAC-SHA256 of `value` for one `purpose`, base64url: a stable look-up key that a
    /// database dump alone cannot reverse or forge.
    pub fn keyed_hash(&self, purpose: &str, value: &[u8]) -> String {
        use hmac::Mac;
        let mut mac =
            <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(self.as_bytes()).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(value);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// A token granting `payload` until `expires_at`: `payload.expires_at.mac`, the MAC
    /// binding both to one `purpose`.
    pub fn grant(&self, purpose: &str, payload: &str, expires_at: i64) -> String {
        let signed = format!("{payload}.{expires_at}");
        let mac = self.keyed_hash(purpose, signed.as_bytes());
        format!("{signed}.{mac}")
    }

    /// The payload of a genuine `grant` for `purpose` that has not expired at `now`.
    pub fn granted<'a>(&self, purpose: &str, grant: &'a str, now: i64) -> Option<&'a str> {
        use subtle::ConstantTimeEq;
        let (signed, mac) = grant.rsplit_once('.')?;
        let (payload, expires_at) = signed.rsplit_once('.')?;
        let expires_at: i64 = expires_at.parse().ok()?;
        let genuine: bool = self
            .keyed_hash(purpose, signed.as_bytes())
            .as_bytes()
            .ct_eq(mac.as_bytes())
            .into();
        (genuine && expires_at > now).then_some(payload)
    }

    /// As the environment variable holds it.
    pub fn encode(&self) -> String {
        STANDARD.encode(self.as_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

/// The master key that wraps data keys, with the id stored beside what it wraps.
pub struct MasterKey {
    id: String,
    key: Zeroizing<[u8; 32]>,
}

/// Sealed bytes as stored: the id of the master key that sealed them, and the nonce
/// followed by the ciphertext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

impl Sealed {
    /// One blob for one column: key id length, key id, nonce, ciphertext.
    pub fn to_blob(&self) -> Vec<u8> {
        let id = self.key_id.as_bytes();
        [&[id.len() as u8], id, &self.bytes].concat()
    }

    pub fn from_blob(blob: &[u8]) -> Option<Sealed> {
        let (&len, rest) = blob.split_first()?;
        let (id, bytes) = rest.split_at_checked(usize::from(len))?;
        Some(Sealed {
            key_id: String::from_utf8(id.to_vec()).ok()?,
            bytes: bytes.to_vec(),
        })
    }
}

/// A per-document key; it exists in plaintext only in memory.
#[derive(PartialEq, Eq)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> DataKey {
        DataKey(random_bytes())
    }

    /// AES-256-GCM under this key, for the document's sealed stream.
    pub(crate) fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.0.as_ref().into())
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

/// What was sealed does not open with this master key and context.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("sealed data cannot be opened with this key and context")]
pub struct OpenError;

impl MasterKey {
    pub const FORMAT: &'static str = "<key id>:<base64 of 32 random bytes>, the id being 1 to 32 letters, digits, '-' or '_' (for example k1:$(openssl rand -base64 32))";

    pub fn parse(value: &str) -> Option<MasterKey> {
        let (id, key) = value.split_once(':')?;
        let id_ok =
            (1..=32).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        let key: [u8; 32] = decode_base64(key)?.try_into().ok()?;
        id_ok.then(|| MasterKey {
            id: id.to_owned(),
            key: Zeroizing::new(key),
        })
    }

    pub fn generate(id: &str) -> MasterKey {
        MasterKey {
            id: id.to_owned(),
            key: random_bytes(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// As the environment variable holds it.
    pub fn encode(&self) -> String {
        format!("{}:{}", self.id, STANDARD.encode(self.key.as_ref()))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.key.as_ref().into())
    }

    /// Associated data: the format, this key's id and the caller's context (which names
    /// the row the secret belongs to), so a sealed value moved elsewhere fails to open.
    fn associated_data(&self, context: &[u8]) -> Vec<u8> {
        [SEAL_VERSION, b"\0", self.id.as_bytes(), b"\0", context].concat()
    }

    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Sealed {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = self.associated_data(context);
        let ciphertext = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption of a small secret cannot fail");
        Sealed {
            key_id: self.id.clone(),
            bytes: [nonce.as_slice(), &ciphertext].concat(),
        }
    }

    pub fn open(&self, sealed: &Sealed, context: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        if sealed.key_id != self.id || sealed.bytes.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = sealed.bytes.split_at(NONCE_LEN);
        let aad = self.associated_data(context);
        self.cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| OpenError)
    }

    pub fn wrap(&self, data_key: &DataKey, context: &[u8]) -> Sealed {
        self.seal(data_key.0.as_ref(), context)
    }

    pub fn unwrap(&self, wrapped: &Sealed, context: &[u8]) -> Result<DataKey, OpenError> {
        let key: [u8; 32] = self
            .open(wrapped, context)?
            .as_slice()
            .try_into()
            .map_err(|_| OpenError)?;
        Ok(DataKey(Zeroizing::new(key)))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey {{ id: {:?}, key: [redacted] }}", self.id)
    }
}

/// The master keys: the current one seals; it and the previous ones open what they
/// sealed, each found by the id stored with the sealed value. A new key can thus take
/// over at once, and `reseal` moves old values to it at the operator's pace.
#[derive(Debug)]
pub struct Keyring {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

/// A sealed value that cannot move to the current key.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResealError {
    #[error("a sealed value is malformed")]
    Malformed,
    #[error("a value is sealed with key {0:?}, which is neither ENCRYPTION_KEY nor in PREVIOUS_ENCRYPTION_KEYS")]
    UnknownKey(String),
    #[error("a value sealed with key {0:?} does not open: wrong key bytes, or a value moved from its row")]
    DoesNotOpen(String),
}

impl Keyring {
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Keyring {
        Keyring { current, previous }
    }

    /// The id of the key that seals now.
    pub fn id(&self) -> &str {
        self.current.id()
    }

    fn key(&self, id: &str) -> Option<&MasterKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id() == id)
    }

    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Sealed {
        self.current.seal(plaintext, context)
    }

    pub fn open(&self, sealed: &Sealed, context: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        self.key(&sealed.key_id).ok_or(OpenError)?.open(sealed, context)
    }

    pub fn wrap(&self, data_key: &DataKey, context: &[u8]) -> Sealed {
        self.current.wrap(data_key, context)
    }

    pub fn unwrap(&self, wrapped: &Sealed, context: &[u8]) -> Result<DataKey, OpenError> {
        self.key(&wrapped.key_id).ok_or(OpenError)?.unwrap(wrapped, context)
    }

    /// `blob` sealed again under the current key, or `None` if it already is.
    pub fn reseal(&self, blob: &[u8], context: &[u8]) -> Result<Option<Vec<u8>>, ResealError> {
        let sealed = Sealed::from_blob(blob).ok_or(ResealError::Malformed)?;
        if sealed.key_id == self.id() {
            return Ok(None);
        }
        let key = self
            .key(&sealed.key_id)
            .ok_or_else(|| ResealError::UnknownKey(sealed.key_id.clone()))?;
        let plaintext = key
            .open(&sealed, context)
            .map_err(|_| ResealError::DoesNotOpen(sealed.key_id.clone()))?;
        Ok(Some(self.seal(&plaintext, context).to_blob()))
    }
}

/// The associated data each kind of sealed value is bound to: moved to another row or
/// column, a value no longer opens.
pub mod bound_to {
    /// A document's content and wrapped key: the format, the pharmacy, the document and
    /// the master key.
    pub fn document(pharmacy_id: &str, document_id: &str, key_id: &str) -> Vec<u8> {
        format!("document/v1/{pharmacy_id}/{document_id}/{key_id}").into_bytes()
    }

    /// The texts of the QR codes found in a document.
    pub fn document_qr_codes(document_id: &str) -> Vec<u8> {
        format!("document-qr-codes/{document_id}").into_bytes()
    }

    /// A transfer code as typed, kept so its pharmacy can show it again.
    pub fn transfer_code(code_id: &str) -> Vec<u8> {
        format!("transfer-code/{code_id}").into_bytes()
    }

    /// The pharmacist's note on a transfer code.
    pub fn code_note(code_id: &str) -> Vec<u8> {
        format!("transfer-code-note/{code_id}").into_bytes()
    }

    /// A user's second-factor (TOTP) secret.
    pub fn totp_secret(user_id: &str) -> Vec<u8> {
        format!("totp/{user_id}").into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_hold_for_their_purpose_until_they_expire_and_cannot_be_altered() {
        let key = SecretKey::generate();
        let grant = key.grant("preview", "doc.1:session", 1_000);
        assert_eq!(key.granted("preview", &grant, 999), Some("doc.1:session"));
        assert_eq!(key.granted("preview", &grant, 1_000), None, "expired");
        assert_eq!(key.granted("upload-grant", &grant, 999), None, "another purpose");
        assert_eq!(
            SecretKey::generate().granted("preview", &grant, 999),
            None,
            "another key"
        );
        let later = grant.replace(".1000.", ".2000.");
        assert_eq!(key.granted("preview", &later, 999), None, "extended by hand");
        let other = grant.replacen("doc.1", "doc.2", 1);
        assert_eq!(key.granted("preview", &other, 999), None, "another document");
    }

    #[test]
    fn wrapped_key_opens_only_with_its_master_key_and_context() {
        let master = MasterKey::generate("k1");
        let data_key = DataKey::generate();
        let wrapped = master.wrap(&data_key, b"pharmacy-a/document-1");
        assert_eq!(wrapped.key_id, "k1");
        assert_eq!(
            master.unwrap(&wrapped, b"pharmacy-a/document-1"),
            Ok(DataKey(data_key.0.clone()))
        );
        assert_eq!(master.unwrap(&wrapped, b"pharmacy-b/document-1"), Err(OpenError));
        assert_eq!(
            MasterKey::generate("k1").unwrap(&wrapped, b"pharmacy-a/document-1"),
            Err(OpenError)
        );
        let mut tampered = wrapped.clone();
        tampered.bytes[NONCE_LEN] ^= 1;
        assert_eq!(master.unwrap(&tampered, b"pharmacy-a/document-1"), Err(OpenError));
    }

    #[test]
    fn sealed_blobs_round_trip_and_keyed_hashes_depend_on_key_and_purpose() {
        let master = MasterKey::generate("k1");
        let sealed = master.seal(b"totp secret", b"totp/user-1");
        let blob = sealed.to_blob();
        assert!(
            !blob.windows(11).any(|w| w == b"totp secret"),
            "no plaintext in the blob"
        );
        let back = Sealed::from_blob(&blob).expect("well-formed blob");
        assert_eq!(
            master.open(&back, b"totp/user-1").expect("opens").as_slice(),
            b"totp secret"
        );
        assert_eq!(master.open(&back, b"totp/user-2"), Err(OpenError));
        assert_eq!(Sealed::from_blob(&[9, b'k']), None);

        let key = SecretKey::generate();
        assert_eq!(key.keyed_hash("session", b"t"), key.keyed_hash("session", b"t"));
        assert_ne!(key.keyed_hash("session", b"t"), key.keyed_hash("code", b"t"));
        assert_ne!(
            key.keyed_hash("session", b"t"),
            SecretKey::generate().keyed_hash("session", b"t")
        );
    }

    #[test]
    fn keys_parse_only_in_their_documented_format() {
        let thirty_two = STANDARD.encode([7u8; 32]);
        assert!(SecretKey::parse(&thirty_two).is_some());
        assert!(SecretKey::parse(&STANDARD.encode([7u8; 31])).is_none());
        assert!(SecretKey::parse("not base64 !").is_none());
        assert_eq!(
            MasterKey::parse(&format!("k-2_b:{thirty_two}")).map(|k| k.id().to_owned()),
            Some("k-2_b".into())
        );
        assert!(MasterKey::parse(&thirty_two).is_none(), "the key id is required");
        assert!(MasterKey::parse(&format!("bad id:{thirty_two}")).is_none());
        assert!(MasterKey::parse(&format!("k1:{}", STANDARD.encode([7u8; 16]))).is_none());
    }

    #[test]
    fn a_new_key_seals_while_old_ones_still_open_until_resealed() {
        let old = MasterKey::generate("k1");
        let before = old.seal(b"secret TOTP", b"totp/user-1");
        let wrapped = old.wrap(&DataKey::generate(), b"document/v1/p/d/k1").to_blob();
        let keyring = Keyring::new(MasterKey::generate("k2"), vec![old]);
        assert_eq!(keyring.seal(b"x", b"c").key_id, "k2");
        assert_eq!(
            keyring.open(&before, b"totp/user-1").map(|p| p.to_vec()),
            Ok(b"secret TOTP".to_vec())
        );

        let moved = keyring
            .reseal(&before.to_blob(), b"totp/user-1")
            .expect("reseals")
            .expect("moved");
        assert_eq!(Sealed::from_blob(&moved).map(|s| s.key_id), Some("k2".into()));
        assert_eq!(keyring.reseal(&moved, b"totp/user-1"), Ok(None), "already current");
        assert!(
            keyring
                .reseal(&wrapped, b"document/v1/p/d/k1")
                .expect("reseals")
                .is_some()
        );
        assert_eq!(
            keyring.reseal(&before.to_blob(), b"totp/user-2"),
            Err(ResealError::DoesNotOpen("k1".into())),
            "bound to its row"
        );

        let alone = Keyring::new(MasterKey::generate("k3"), vec![]);
        assert_eq!(alone.open(&before, b"totp/user-1"), Err(OpenError));
        assert_eq!(
            alone.reseal(&before.to_blob(), b"totp/user-1"),
            Err(ResealError::UnknownKey("k1".into()))
        );
    }

    #[test]
    fn debug_output_never_shows_key_bytes() {
        let master = MasterKey::parse(&format!("k1:{}", STANDARD.encode([0xAB; 32]))).expect("valid key");
        let shown = format!(
            "{master:?} {:?}",
            SecretKey::parse(&STANDARD.encode([0xAB; 32])).expect("valid key")
        );
        assert!(
            !shown.contains(&STANDARD.encode([0xAB; 32])) && !shown.contains("171"),
            "{shown}"
        );
    }
}
