//! What an uploaded file is: its type from its first bytes (never from what the client
//! claims), checked against its name's extension, and a name safe to store and to show.

use crate::server::config::SUPPORTED_EXTENSIONS;

/// The kinds of document a pharmacy receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
}

/// Longest stored name, in characters, extension included.
pub const MAX_NAME_CHARS: usize = 120;

impl FileType {
    pub const ALL: [FileType; 3] = [FileType::Pdf, FileType::Jpeg, FileType::Png];

    /// Bytes needed at the start of a file to recognise it.
    pub const SNIFF_LEN: usize = 8;

    /// The type announced by a file's first bytes.
    pub fn sniff(start: &[u8]) -> Option<FileType> {
        if start.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if start.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if start.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileType::Png)
        } else {
            None
        }
    }

    /// The type an extension (lower-cased, without the dot) stands for.
    pub fn from_extension(extension: &str) -> Option<FileType> {
        match extension {
            "pdf" => Some(FileType::Pdf),
            "jpg" | "jpeg" => Some(FileType::Jpeg),
            "png" => Some(FileType::Png),
            _ => None,
        }
    }

    /// Whether a `Content-Type` is a document's: documents go out as they are.
    pub fn is_document(content_type: &str) -> bool {
        FileType::ALL.iter().any(|kind| kind.mime() == content_type)
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
        }
    }
}

/// The lower-cased extension of a name, if it is one of the supported ones.
pub fn extension(name: &str) -> Option<String> {
    let (stem, extension) = name.rsplit_once('.')?;
    let extension = extension.to_ascii_lowercase();
    (!stem.is_empty() && SUPPORTED_EXTENSIONS.contains(&extension.as_str())).then_some(extension)
}

/// The type a file named `name` declares, if its extension is one of `allowed`.
pub fn allowed_type(name: &str, allowed: &[String]) -> Option<FileType> {
    extension(name)
        .filter(|extension| allowed.contains(extension))
        .and_then(|extension| FileType::from_extension(&extension))
}

/// Characters that must not reach a stored name: controls, and the invisible ones that
/// reorder or hide text (with U+202E, `facture<U+202E>fdp.exe` shows as `factureexe.pdf`).
pub fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Blanks and dots do not begin or end a stored name (nor its stem, once cut).
fn trimmed_at_edges(c: char) -> bool {
    c.is_whitespace() || c == '.'
}

/// A client's file name made safe: no directories, no control or direction characters,
/// no leading or trailing dots and blanks, at most `MAX_NAME_CHARS` characters with the
/// extension kept; `document` when nothing is left.
pub fn sanitise_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !unsafe_char(*c)).collect();
    let trimmed = cleaned.trim_matches(trimmed_at_edges);
    if trimmed.is_empty() {
        return "document".to_owned();
    }
    if trimmed.chars().count() <= MAX_NAME_CHARS {
        return trimmed.to_owned();
    }
    let (stem, suffix) = match trimmed.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 => (stem, format!(".{ext}")),
        _ => (trimmed, String::new()),
    };
    let keep = MAX_NAME_CHARS - suffix.chars().count();
    let stem: String = stem.chars().take(keep).collect();
    format!("{}{suffix}", stem.trim_end_matches(trimmed_at_edges))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_first_bytes() {
        assert_eq!(FileType::sniff(b"%PDF-1.7\n%"), Some(FileType::Pdf));
        assert_eq!(
            FileType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(FileType::Jpeg)
        );
        assert_eq!(FileType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(FileType::Png));
        assert_eq!(FileType::sniff(b" %PDF-1.7"), None, "only at offset 0");
        assert_eq!(
            FileType::sniff(b"\x89PNG\r\n"),
            None,
            "a partial signature is not enough"
        );
        assert_eq!(FileType::sniff(b"MZ\x90\0"), None);
        assert_eq!(FileType::sniff(b""), None);
    }

    #[test]
    fn extensions_are_case_insensitive_and_supported_only() {
        assert_eq!(extension("Ordonnance.PDF").as_deref(), Some("pdf"));
        assert_eq!(extension("photo.jpeg").as_deref(), Some("jpeg"));
        assert_eq!(extension("scan.pdf.exe"), None);
        assert_eq!(extension(".pdf"), None, "a name, not just an extension");
        assert_eq!(extension("sans extension"), None);
        assert_eq!(FileType::from_extension("jpg"), Some(FileType::Jpeg));
        assert_eq!(FileType::from_extension("jpeg"), FileType::from_extension("jpg"));
        assert_eq!(FileType::Png.mime(), "image/png");
    }

    #[test]
    fn names_lose_directories_controls_and_hidden_characters() {
        assert_eq!(sanitise_filename("../../etc/passwd"), "passwd");
        assert_eq!(
            sanitise_filename("C:\\Users\\camille\\Ordonnance mars.pdf"),
            "Ordonnance mars.pdf"
        );
        assert_eq!(sanitise_filename("facture\u{202E}fdp.exe"), "facturefdp.exe");
        assert_eq!(
            sanitise_filename("ligne\r\nX-Injected: 1.pdf"),
            "ligneX-Injected: 1.pdf"
        );
        assert_eq!(
            sanitise_filename("  ..résultats d'analyse.pdf.. "),
            "résultats d'analyse.pdf"
        );
        assert_eq!(sanitise_filename("\u{0}\u{7}"), "document");
        assert_eq!(sanitise_filename("/"), "document");
    }

    #[test]
    fn long_names_are_cut_keeping_the_extension() {
        let long = format!("{}.pdf", "é".repeat(300));
        let cut = sanitise_filename(&long);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with(".pdf"));
        assert_eq!(sanitise_filename(&"x".repeat(500)).chars().count(), MAX_NAME_CHARS);
        // Found by fuzzing: a cut that ends on dots would lose them when sanitised again.
        let dotted = format!("{}..  {}", "C".repeat(119), "x".repeat(20));
        let cut = sanitise_filename(&dotted);
        assert_eq!(cut, "C".repeat(119));
        assert_eq!(sanitise_filename(&cut), cut);
    }
}
