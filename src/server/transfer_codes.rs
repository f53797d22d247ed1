//! Transfer codes: the short codes a pharmacy hands to a patient, who can then send it
//! documents. A code is looked up by a keyed hash; the code itself and the
//! pharmacist's note are stored sealed with the master key, so a database dump alone
//! yields no usable code and no note.

use crate::error::AppError;
use crate::i18n::Text;
use crate::model::audit::Action;
use crate::model::codes::{CodeStatus, CodeView, TransferCodes};
use crate::server::audit;
use crate::server::keys::Sealed;
use crate::server::keys::bound_to;
use crate::server::repo::new_id;
use crate::server::repo::transfer_codes::{self, CodeRow, NewCode};
use crate::server::session::Staff;
use crate::server::state::AppState;
use rand::Rng;
use std::fmt;

/// 31 symbols without look-alikes (no 0/O, 1/I/L): 6 of them are about 2^30 codes.
pub const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const LENGTH: usize = 6;
pub const MAX_USES: u32 = 20;
pub const MAX_LIFETIME_HOURS: u32 = 30 * 24;
pub const MAX_NOTE_CHARS: usize = 200;
/// How many codes the history shows.
const HISTORY_LIMIT: i64 = 200;

/// A well-formed code. Its `Debug` shows nothing: codes never reach the logs.
#[derive(Clone, PartialEq, Eq)]
pub struct TransferCode(String);

impl TransferCode {
    /// A new code from the operating system's random generator.
    pub fn generate() -> TransferCode {
        let mut rng = rand::rngs::OsRng;
        TransferCode(
            (0..LENGTH)
                .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
                .collect(),
        )
    }

    /// A code as a patient types it: any case, with spaces, dashes or dots between
    /// symbols (phones' keyboards offer several dashes). The look-alikes 0/O and 1/I/L
    /// are never in a code, so none of them can be taken for a symbol that is.
    pub fn parse(input: &str) -> Option<TransferCode> {
        let code: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '\u{2010}'..='\u{2014}' | '\u{2212}' | '.' | '_'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(TransferCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key a code is found by.
    pub fn lookup_hash(&self, state: &AppState) -> String {
        state.settings.secret_key.keyed_hash("transfer-code", self.0.as_bytes())
    }
}

impl fmt::Debug for TransferCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransferCode([redacted])")
    }
}

/// The token of a code's QR link: 22 base64url characters (132 bits) derived from the
/// code's id with the server secret, so it needs no storage of its own and cannot be
/// guessed. Opening it spends nothing of the guessing budget.
pub fn link_token(state: &AppState, code_id: &str) -> String {
    let mut token = state
        .settings
        .secret_key
        .keyed_hash("transfer-link", code_id.as_bytes());
    token.truncate(22);
    token
}

/// The key a link token is found by.
pub fn link_hash(state: &AppState, token: &str) -> String {
    state
        .settings
        .secret_key
        .keyed_hash("transfer-link-lookup", token.as_bytes())
}

/// Gives codes created before links had tokens theirs; run at start.
pub async fn link_older_codes(state: &AppState) -> Result<(), sqlx::Error> {
    for id in transfer_codes::ids_without_link(&state.db).await? {
        transfer_codes::set_link_hash(&state.db, &id, &link_hash(state, &link_token(state, &id))).await?;
    }
    Ok(())
}

pub(crate) fn open_text(state: &AppState, blob: &[u8], context: &[u8]) -> Result<String, AppError> {
    let sealed = Sealed::from_blob(blob).ok_or(AppError::Internal)?;
    let plain = state.settings.encryption_key.open(&sealed, context).map_err(|error| {
        tracing::error!(%error, "a transfer code does not open");
        AppError::Internal
    })?;
    String::from_utf8(plain.to_vec()).map_err(|_| AppError::Internal)
}

fn status(row: &CodeRow, now: i64) -> CodeStatus {
    if row.revoked_at.is_some() {
        CodeStatus::Revoked
    } else if row.current_uses >= row.max_uses {
        CodeStatus::UsedUp
    } else if row.expires_at <= now {
        CodeStatus::Expired
    } else {
        CodeStatus::Active
    }
}

/// Where a patient types a code, as a sheet prints it: the site's address without its
/// scheme, `pharmacie.example.fr/send`.
fn send_address(public_url: &str) -> String {
    let host = public_url.split_once("://").map_or(public_url, |(_, rest)| rest);
    format!("{host}/send")
}

fn view(state: &AppState, row: &CodeRow, now: i64) -> Result<CodeView, AppError> {
    let code = open_text(state, &row.code_ciphertext, &bound_to::transfer_code(&row.id))?;
    let note = row
        .note_ciphertext
        .as_deref()
        .map(|blob| open_text(state, blob, &bound_to::code_note(&row.id)))
        .transpose()?;
    Ok(CodeView {
        upload_url: format!("{}/t/{}", state.settings.public_url, link_token(state, &row.id)),
        send_address: send_address(&state.settings.public_url),
        id: row.id.clone(),
        code,
        note,
        max_uses: u32::try_from(row.max_uses).unwrap_or(0),
        current_uses: u32::try_from(row.current_uses).unwrap_or(0),
        expires_at: row.expires_at,
        created_at: row.created_at,
        status: status(row, now),
    })
}

/// A new code for the caller's pharmacy.
pub async fn create(
    state: &AppState,
    caller: &Staff,
    lifetime_hours: u32,
    max_uses: u32,
    note: &str,
) -> Result<CodeView, AppError> {
    if !(1..=MAX_LIFETIME_HOURS).contains(&lifetime_hours) {
        return Err(AppError::invalid("lifetime_hours", Text::CodeLifetimeOutOfRange));
    }
    if !(1..=MAX_USES).contains(&max_uses) {
        return Err(AppError::invalid("max_uses", Text::CodeUsesOutOfRange));
    }
    let note = note.trim();
    if note.chars().count() > MAX_NOTE_CHARS || note.contains(char::is_control) {
        return Err(AppError::invalid("note", Text::TooLong));
    }
    let now = state.clock.now();
    // A new code colliding with an existing one is retried; five in a row is not chance.
    for _ in 0..5 {
        let code = TransferCode::generate();
        let id = new_id();
        let key = &state.settings.encryption_key;
        let new = NewCode {
            id: &id,
            pharmacy_id: &caller.pharmacy.id,
            created_by: &caller.user.id,
            lookup_hash: &code.lookup_hash(state),
            link_hash: &link_hash(state, &link_token(state, &id)),
            code_ciphertext: &key
                .seal(code.as_str().as_bytes(), &bound_to::transfer_code(&id))
                .to_blob(),
            note_ciphertext: (!note.is_empty()).then(|| key.seal(note.as_bytes(), &bound_to::code_note(&id)).to_blob()),
            max_uses: i64::from(max_uses),
            expires_at: now + i64::from(lifetime_hours) * 3600,
        };
        match transfer_codes::insert(&state.db, &new, now).await {
            Ok(row) => {
                audit::record(
                    state,
                    caller.into(),
                    Action::CodeCreated,
                    Some(("transfer_code", &row.id)),
                )
                .await?;
                return view(state, &row, now);
            }
            Err(error) if error.as_database_error().is_some_and(|e| e.is_unique_violation()) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    tracing::error!("five new transfer codes in a row collided");
    Err(AppError::Internal)
}

/// The pharmacy's usable codes, and the others (used up, expired, revoked), newest first.
pub async fn list(state: &AppState, caller: &Staff) -> Result<TransferCodes, AppError> {
    let now = state.clock.now();
    let rows = transfer_codes::list_for_pharmacy(&state.db, &caller.pharmacy.id, HISTORY_LIMIT).await?;
    let mut codes = TransferCodes {
        default_lifetime_hours: state.settings.code_expiration_hours,
        active: Vec::new(),
        history: Vec::new(),
    };
    for row in &rows {
        let code = view(state, row, now)?;
        if code.status == CodeStatus::Active {
            codes.active.push(code)
        } else {
            codes.history.push(code)
        }
    }
    Ok(codes)
}

/// Revokes one of the pharmacy's codes; another pharmacy's, or an already revoked one, is
/// not found.
pub async fn revoke(state: &AppState, caller: &Staff, code_id: &str) -> Result<(), AppError> {
    if !transfer_codes::revoke(&state.db, code_id, &caller.pharmacy.id, state.clock.now()).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        state,
        caller.into(),
        Action::CodeRevoked,
        Some(("transfer_code", code_id)),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_address_is_printed_without_its_scheme() {
        assert_eq!(
            send_address("https://pharmacie.example.fr"),
            "pharmacie.example.fr/send"
        );
        assert_eq!(send_address("http://127.0.0.1:3000"), "127.0.0.1:3000/send");
    }

    #[test]
    fn the_alphabet_has_31_symbols_and_no_look_alikes() {
        assert_eq!(ALPHABET.len(), 31);
        for look_alike in b"0O1IL" {
            assert!(!ALPHABET.contains(look_alike), "{}", char::from(*look_alike));
        }
        let distinct: std::collections::HashSet<_> = ALPHABET.iter().collect();
        assert_eq!(distinct.len(), 31);
    }

    #[test]
    fn generated_codes_parse_and_vary() {
        let codes: Vec<TransferCode> = (0..200).map(|_| TransferCode::generate()).collect();
        for code in &codes {
            assert_eq!(TransferCode::parse(code.as_str()).as_ref(), Some(code));
        }
        let distinct: std::collections::HashSet<_> = codes.iter().map(TransferCode::as_str).collect();
        assert!(distinct.len() > 195, "200 draws from 887 million codes barely repeat");
    }

    #[test]
    fn typing_is_forgiving_about_case_spaces_and_dashes_only() {
        assert_eq!(TransferCode::parse(" k7m-4px ").map(|c| c.0), Some("K7M4PX".into()));
        assert_eq!(TransferCode::parse("K7M 4PX").map(|c| c.0), Some("K7M4PX".into()));
        assert_eq!(
            TransferCode::parse("k7m\u{2013}4px").map(|c| c.0),
            Some("K7M4PX".into()),
            "an en dash"
        );
        assert_eq!(TransferCode::parse("K7M.4PX\u{a0}").map(|c| c.0), Some("K7M4PX".into()));
        assert_eq!(TransferCode::parse("K7M4P"), None, "too short");
        assert_eq!(TransferCode::parse("K7M4PXX"), None, "too long");
        assert_eq!(TransferCode::parse("K7M4P0"), None, "0 is never in a code");
        assert_eq!(TransferCode::parse("K7M4PÉ"), None);
        assert_eq!(
            format!("{:?}", TransferCode::parse("K7M4PX")),
            "Some(TransferCode([redacted]))"
        );
    }
}
