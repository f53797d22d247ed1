//! The one translation layer: every user-visible string is a `Text`, written once in
//! French (the default) and English, side by side, and checked by the compiler.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A language of the interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

/// Name of the cookie that remembers the visitor's language.
pub const LANG_COOKIE: &str = "lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// BCP 47 tag, as used in `<html lang>` and in the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.code() == code)
    }

    /// How the language names itself, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }

    /// A file size as people read it: `391 ko`, `1,4 Mo` in French; `391 KB`, `1.4 MB`.
    pub fn file_size(self, bytes: u64) -> String {
        let text = if bytes >= 1024 * 1024 {
            format!("{:.1} {}", bytes as f64 / 1_048_576.0, self.text(Text::Megabytes))
        } else {
            format!("{} {}", bytes.div_ceil(1024), self.text(Text::Kilobytes))
        };
        if self == Lang::Fr { text.replace('.', ",") } else { text }
    }

    /// A number of pages: `1 page`, `3 pages`.
    pub fn page_count(self, count: u32) -> String {
        let unit = if count == 1 { Text::Page } else { Text::Pages };
        format!("{count} {}", self.text(unit))
    }

    pub fn text(self, text: Text) -> &'static str {
        let (fr, en) = text.translations();
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }
}

macro_rules! texts {
    ($($key:ident => $fr:literal, $en:literal;)*) => {
        /// Every string the interface shows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Text { $($key),* }

        impl Text {
            pub const ALL: &'static [Text] = &[$(Text::$key),*];

            fn translations(self) -> (&'static str, &'static str) {
                match self { $(Text::$key => ($fr, $en)),* }
            }
        }
    };
}

texts! {
    Tagline => "Envoyez vos ordonnances à votre pharmacie, en toute sécurité.",
        "Send your prescriptions to your pharmacy, safely.";
    SkipToContent => "Aller au contenu", "Skip to content";
    MainNavigation => "Navigation principale", "Main navigation";
    LanguageLabel => "Langue", "Language";
    NavHome => "Accueil", "Home";
    NavSend => "Envoyer un document", "Send a document";
    NavPharmacy => "Espace pharmacie", "Pharmacy area";
    PatientHeading => "Vous êtes patient", "For patients";
    PatientIntro => "Votre pharmacie vous a remis un code ou un QR code ? Envoyez-lui vos ordonnances et documents depuis votre téléphone, sans créer de compte.",
        "Has your pharmacy given you a code or a QR code? Send it your prescriptions and documents from your phone, without creating an account.";
    PharmacyHeading => "Vous êtes pharmacien", "For pharmacists";
    PharmacyIntro => "Créez des codes de transfert, recevez les documents de vos patients et retrouvez-les dans votre tableau de bord.",
        "Create transfer codes, receive your patients' documents and find them in your dashboard.";
    SafetyNote => "Les documents sont chiffrés, lisibles uniquement par votre pharmacie, et supprimés automatiquement.",
        "Documents are encrypted, readable only by your pharmacy, and deleted automatically.";
    SendHeading => "Envoyer un document à votre pharmacie", "Send a document to your pharmacy";
    SendIntro => "Scannez le QR code remis par votre pharmacie, ou saisissez le code qui figure dessous.",
        "Scan the QR code your pharmacy gave you, or type the code printed below it.";
    LoginHeading => "Connexion pharmacien", "Pharmacist login";
    LoginIntro => "Accès réservé aux équipes des pharmacies inscrites.",
        "Access is reserved for the staff of registered pharmacies.";
    Email => "Adresse e-mail", "Email address";
    Password => "Mot de passe", "Password";
    LogIn => "Se connecter", "Log in";
    LogOut => "Se déconnecter", "Log out";
    Working => "Un instant…", "One moment…";
    Loading => "Chargement…", "Loading…";
    NoAccountYet => "Votre pharmacie n'a pas encore de compte ?", "Your pharmacy has no account yet?";
    RegisterLink => "Inscrire la pharmacie", "Register the pharmacy";
    SecondFactorPrompt => "Saisissez le code affiché par votre application d'authentification.",
        "Enter the code shown by your authenticator app.";
    VerificationCode => "Code de vérification", "Verification code";
    VerificationCodeHint => "6 chiffres, ou l'un de vos codes de secours.", "6 digits, or one of your recovery codes.";
    Verify => "Vérifier", "Verify";
    RegisterHeading => "Inscrire une pharmacie", "Register a pharmacy";
    RegisterIntro => "Vous deviendrez l'administrateur de la pharmacie et pourrez ensuite créer les comptes de votre équipe.",
        "You will become the pharmacy's administrator and can then create your team's accounts.";
    PharmacyLegend => "La pharmacie", "The pharmacy";
    PharmacyName => "Nom de la pharmacie", "Pharmacy name";
    PharmacyAddress => "Adresse (facultatif)", "Address (optional)";
    AdministratorLegend => "Son administrateur", "Its administrator";
    FullName => "Nom complet", "Full name";
    PasswordHint => "Au moins 12 caractères. Une phrase de plusieurs mots est facile à retenir et difficile à deviner.",
        "At least 12 characters. A phrase of several words is easy to remember and hard to guess.";
    RegisterSubmit => "Créer le compte de la pharmacie", "Create the pharmacy's account";
    AlreadyRegistered => "Déjà inscrit ?", "Already registered?";
    Hello => "Bonjour", "Hello";
    AccountHeading => "Mon compte", "My account";
    Role => "Rôle", "Role";
    Enabled => "Activée", "On";
    Disabled => "Désactivée", "Off";
    ChangePasswordLink => "Changer le mot de passe", "Change the password";
    ManageSecondFactor => "Gérer la double authentification", "Manage two-step verification";
    SessionsHeading => "Sessions ouvertes", "Open sessions";
    UnknownDevice => "Appareil inconnu", "Unknown device";
    LastActivity => "Dernière activité :", "Last activity:";
    ThisSession => "Cette session", "This session";
    EndSession => "Fermer cette session", "End this session";
    EndOtherSessions => "Fermer toutes les autres sessions", "End all other sessions";
    ChangePasswordHeading => "Changer le mot de passe", "Change the password";
    ChangePasswordIntro => "Vos autres sessions seront fermées.", "Your other sessions will be ended.";
    TemporaryPasswordIntro => "Votre mot de passe est temporaire : choisissez le vôtre pour continuer.",
        "Your password is temporary: choose your own to continue.";
    CurrentPassword => "Mot de passe actuel", "Current password";
    NewPassword => "Nouveau mot de passe", "New password";
    ChangePasswordSubmit => "Enregistrer le mot de passe", "Save the password";
    SecondFactorHeading => "Double authentification", "Two-step verification";
    SecondFactorRequiredNotice => "Votre pharmacie exige la double authentification : configurez-la pour continuer.",
        "Your pharmacy requires two-step verification: set it up to continue.";
    SecondFactorIntro => "En plus du mot de passe, chaque connexion demandera un code à 6 chiffres de votre application d'authentification (par exemple FreeOTP, Aegis ou Google Authenticator).",
        "Besides the password, each login will ask for a 6-digit code from your authenticator app (for example FreeOTP, Aegis or Google Authenticator).";
    SetUpSecondFactor => "Configurer", "Set up";
    QrCodeLabel => "QR code à scanner avec votre application d'authentification",
        "QR code to scan with your authenticator app";
    ManualKey => "Ou saisissez cette clé dans l'application :", "Or type this key into the app:";
    FirstCodeHint => "Le code que l'application affiche maintenant.", "The code the app shows now.";
    Confirm => "Confirmer", "Confirm";
    RecoveryCodesHeading => "Vos codes de secours", "Your recovery codes";
    RecoveryCodesIntro => "Chaque code permet une connexion si vous n'avez plus votre téléphone. Conservez-les en lieu sûr : ils ne seront plus affichés.",
        "Each code allows one login if you no longer have your phone. Keep them somewhere safe: they will not be shown again.";
    RecoveryCodesSaved => "J'ai conservé mes codes", "I have saved my codes";
    SecondFactorOn => "La double authentification est activée pour votre compte.",
        "Two-step verification is on for your account.";
    RemoveSecondFactor => "Désactiver la double authentification", "Turn off two-step verification";
    StaffHeading => "Équipe", "Staff";
    RequireSecondFactor => "Exiger la double authentification pour toute l'équipe",
        "Require two-step verification for the whole staff";
    NewStaffHeading => "Ajouter un membre de l'équipe", "Add a staff member";
    CreateStaff => "Créer le compte", "Create the account";
    StaffCreated => "Compte créé pour", "Account created for";
    TemporaryPasswordIs => "Mot de passe temporaire, à lui transmettre :", "Temporary password, to pass on:";
    TemporaryPasswordValidUntil => "Valable jusqu'au", "Valid until";
    MakeAdmin => "Nommer administrateur", "Make administrator";
    RemoveAdmin => "Retirer les droits d'administrateur", "Remove administrator rights";
    Active => "Actif", "Active";
    Deactivated => "Désactivé", "Deactivated";
    Deactivate => "Désactiver", "Deactivate";
    Reactivate => "Réactiver", "Reactivate";
    SecondFactorShort => "Double authentification", "Two-step";
    TemporaryPasswordBadge => "Mot de passe temporaire", "Temporary password";
    DashboardHeading => "Tableau de bord", "Dashboard";
    DashboardIntro => "Créez un code pour chaque patient ; les documents reçus apparaîtront ici.",
        "Create a code for each patient; the documents received will appear here.";
    NotFoundHeading => "Page introuvable", "Page not found";
    NotFoundBody => "Cette adresse ne correspond à aucune page.", "This address does not match any page.";
    BackHome => "Retour à l'accueil", "Back to the home page";
    ErrorNotFound => "Élément introuvable.", "Not found.";
    ErrorUnauthorized => "Veuillez vous connecter.", "Please log in.";
    ErrorForbidden => "Action non autorisée.", "This action is not allowed.";
    ErrorSetupRequired => "Terminez d'abord la configuration de votre compte dans le navigateur (double authentification ou nouveau mot de passe).",
        "First finish setting up your account in the browser (two-step verification or new password).";
    ErrorBadRequest => "La requête est mal formée. Rechargez la page et réessayez.",
        "The request is malformed. Reload the page and try again.";
    ErrorPayloadTooLarge => "La requête est trop volumineuse.", "The request is too large.";
    ErrorRateLimited => "Trop de tentatives. Réessayez dans", "Too many attempts. Try again in";
    ErrorProofOfWorkRequired => "Beaucoup de tentatives sur ce service en ce moment : votre appareil fait une courte vérification de sécurité…",
        "Many attempts on this service right now: your device is running a short security check…";
    ApiWelcome => "Bienvenue sur l'API Santhium", "Welcome to the Santhium API";
    ApiLoggedOut => "Déconnecté", "Logged out";
    ApiCodeValid => "Code valide", "Valid code";
    ApiDocumentDeleted => "Document supprimé avec succès", "Document deleted";
    ErrorInvalidCredentials => "E-mail ou mot de passe incorrect.", "Incorrect email or password.";
    ErrorUnavailable => "Service momentanément indisponible. Réessayez dans un instant.",
        "The service is temporarily unavailable. Please try again in a moment.";
    ErrorInternal => "Une erreur interne est survenue. Réessayez plus tard.",
        "An internal error occurred. Please try again later.";
    ErrorCommunication => "Le serveur est injoignable. Vérifiez votre connexion.",
        "The server cannot be reached. Check your connection.";
    Required => "Ce champ est obligatoire.", "This field is required.";
    TooLong => "Ce texte est trop long.", "This text is too long.";
    EmailInvalid => "Saisissez une adresse e-mail valide, par exemple nom@pharmacie.fr.",
        "Enter a valid email address, for example name@pharmacy.com.";
    EmailTaken => "Un compte existe déjà avec cette adresse e-mail.", "An account already uses this email address.";
    PasswordTooShort => "Le mot de passe doit contenir au moins 12 caractères.",
        "The password must be at least 12 characters long.";
    PasswordTooLong => "Le mot de passe ne doit pas dépasser 128 caractères.",
        "The password must not exceed 128 characters.";
    PasswordCommon => "Ce mot de passe fait partie des plus courants. Choisissez-en un autre.",
        "This password is among the most common ones. Choose another.";
    PasswordTooGuessable => "Ce mot de passe est trop facile à deviner. Ajoutez des mots ou des caractères peu courants.",
        "This password is too easy to guess. Add words or unusual characters.";
    PasswordWrong => "Mot de passe incorrect.", "Incorrect password.";
    PasswordUnchanged => "Le nouveau mot de passe doit être différent de l'actuel.",
        "The new password must differ from the current one.";
    TemporaryPasswordExpired => "Ce mot de passe temporaire a expiré. Demandez-en un nouveau à l'administrateur de votre pharmacie.",
        "This temporary password has expired. Ask your pharmacy's administrator for a new one.";
    CodeInvalid => "Code incorrect ou déjà utilisé.", "Incorrect or already used code.";
    SecondFactorAlreadyEnabled => "La double authentification est déjà activée.", "Two-step verification is already on.";
    SecondFactorNotStarted => "Commencez par afficher le QR code.", "Start by showing the QR code.";
    SecondFactorYoursFirst => "Activez d'abord votre propre double authentification (Mon compte), puis exigez-la pour l'équipe.",
        "First turn on your own two-step verification (My account), then require it for the team.";
    SecondFactorRequiredByPharmacy => "Votre pharmacie exige la double authentification.",
        "Your pharmacy requires two-step verification.";
    LastAdmin => "La pharmacie doit garder au moins un administrateur actif.",
        "The pharmacy must keep at least one active administrator.";
    RoleAdmin => "Administrateur", "Administrator";
    NewCodeHeading => "Nouveau code de transfert", "New transfer code";
    CodeLifetime => "Durée de validité", "Valid for";
    CodeMaxUses => "Nombre de documents", "Number of documents";
    CodeNote => "Note (facultative)", "Note (optional)";
    CodeNoteHint => "Visible seulement par votre pharmacie, par exemple le nom du patient.",
        "Seen only by your pharmacy, for example the patient's name.";
    CreateCode => "Créer le code", "Create the code";
    OneHour => "1 heure", "1 hour";
    FourHours => "4 heures", "4 hours";
    OneDay => "24 heures", "24 hours";
    ThreeDays => "3 jours", "3 days";
    SevenDays => "7 jours", "7 days";
    ThirtyDays => "30 jours", "30 days";
    CodeForPatient => "Code à remettre au patient", "Code to give the patient";
    UploadQrLabel => "QR code menant à la page d'envoi de documents", "QR code leading to the document upload page";
    ValidUntil => "Valable jusqu'au", "Valid until";
    SheetStepScan => "Scannez ce QR code avec l'appareil photo de votre téléphone, ou saisissez le code à l'adresse",
        "Scan this QR code with your phone's camera, or type the code at";
    SheetStepPhotograph => "Photographiez vos ordonnances ou joignez-les en PDF.", "Photograph your prescriptions or attach them as PDF.";
    SheetStepSend => "Envoyez : seule votre pharmacie peut les lire, et ils sont supprimés automatiquement.",
        "Send them: only your pharmacy can read them, and they are deleted automatically.";
    SheetCodeEnded => "Créez un nouveau code pour le prochain patient.", "Create a new code for the next patient.";
    PrintSheet => "Imprimer la fiche patient", "Print the patient sheet";
    ActiveCodesHeading => "Codes actifs", "Active codes";
    CodeHistoryHeading => "Codes terminés", "Ended codes";
    NoActiveCodes => "Aucun code actif.", "No active code.";
    DocumentsSent => "documents envoyés", "documents sent";
    ExpiresAt => "Expire le", "Expires on";
    Revoke => "Révoquer", "Revoke";
    RevokeConfirm => "Révoquer ce code ? Le patient ne pourra plus l'utiliser.", "Revoke this code? The patient will no longer be able to use it.";
    StatusActive => "Actif", "Active";
    StatusUsedUp => "Utilisé", "Used";
    StatusExpired => "Expiré", "Expired";
    StatusRevoked => "Révoqué", "Revoked";
    CodeLifetimeOutOfRange => "Choisissez une durée de 1 heure à 30 jours.", "Choose a lifetime from 1 hour to 30 days.";
    CodeUsesOutOfRange => "Choisissez de 1 à 20 documents.", "Choose from 1 to 20 documents.";
    RolePharmacist => "Pharmacien", "Pharmacist";
    TransferCodeInvalid => "Code invalide ou expiré.", "Invalid or expired code.";
    TransferCodeUnusable => "Ce code n'est plus utilisable. Demandez un nouveau code à votre pharmacie.",
        "This code can no longer be used. Ask your pharmacy for a new code.";
    FileTypeNotAllowed => "Ce type de fichier n'est pas accepté : envoyez un PDF, un JPEG ou un PNG.",
        "This type of file is not accepted: send a PDF, JPEG or PNG.";
    FileTypeMismatch => "Le contenu de ce fichier ne correspond pas à son extension.",
        "This file's content does not match its extension.";
    FileEmpty => "Ce fichier est vide.", "This file is empty.";
    FileMissing => "Aucun fichier n'a été reçu.", "No file was received.";
    FileTooLarge => "Fichier trop volumineux. Taille maximale :", "File too large. Maximum size:";
    ImageUnreadable => "Cette image est illisible ou incomplète.", "This image is unreadable or incomplete.";
    ImageTooLarge => "Cette image a trop de pixels (50 millions au plus).",
        "This image has too many pixels (50 million at most).";
    QrCodeFound => "QR code trouvé :", "QR code found:";
    ShowQrCode => "Afficher le QR code", "Show the QR code";
    HideQrCode => "Masquer le QR code", "Hide the QR code";
    QrCodeForScanner => "QR code trouvé dans le document, à lire avec la douchette", "QR code found in the document, for the scanner";
    Copy => "Copier", "Copy";
    Copied => "Copié", "Copied";
    Page => "page", "page";
    PageLabel => "Page", "Page";
    Pages => "pages", "pages";
    TooManyPages => "Un document peut avoir 20 pages au plus.", "A document can have 20 pages at most.";
    PageNotPhoto => "Chaque page doit être une photo JPEG ou PNG.", "Each page must be a JPEG or PNG photo.";
    NameTooLong => "Ce nom est trop long.", "This name is too long.";
    UploadInterrupted => "L'envoi a été interrompu. Réessayez.", "The upload was interrupted. Try again.";
    TooManyFiles => "Ce code ne permet pas d'envoyer plus de documents.", "This code allows no more documents.";
    TransferCode => "Code de transfert", "Transfer code";
    TransferCodeHint => "6 caractères, sur la fiche remise par votre pharmacie.",
        "6 characters, on the sheet your pharmacy gave you.";
    Continue => "Continuer", "Continue";
    SendTo => "Destinataire :", "Recipient:";
    SendRemaining => "Documents que vous pouvez encore envoyer :", "Documents you can still send:";
    SendUntil => "Code valable jusqu'au :", "Code valid until:";
    AnotherCode => "Vous avez un autre code ?", "Have another code?";
    TipWholePage => "Photographiez la page entière, à plat et bien éclairée.", "Photograph the whole page, flat and in good light.";
    TipOneDocument => "Les photos prises à la suite sont les pages d'un même document ; chaque fichier choisi est envoyé à part.",
        "Photos taken one after another are the pages of one document; each file chosen is sent on its own.";
    Prescription => "Ordonnance", "Prescription";
    DocumentName => "Nom du document", "Document name";
    MoveUp => "monter", "move up";
    MoveDown => "descendre", "move down";
    PagesHeading => "Pages", "Pages";
    FingerprintOfAssembled => "Empreinte du PDF que le serveur a assemblé à partir de vos photos.",
        "Fingerprint of the PDF the server put together from your photos.";
    TipWhatNext => "Votre pharmacie reçoit vos documents aussitôt, et vous gardez un reçu.",
        "Your pharmacy receives your documents at once, and you keep a receipt.";
    TakePhoto => "Prendre une photo", "Take a photo";
    ChooseFiles => "Choisir des fichiers", "Choose files";
    DropHint => "ou déposez vos fichiers ici. PDF, JPEG ou PNG, taille maximale :",
        "or drop your files here. PDF, JPEG or PNG, maximum size:";
    ChosenFiles => "Fichiers choisis", "Chosen files";
    RemoveFile => "Retirer", "Remove";
    SendFiles => "Envoyer", "Send";
    Sending => "Envoi en cours…", "Sending…";
    Retry => "Réessayer", "Retry";
    FileSent => "Envoyé", "Sent";
    FingerprintMismatch => "L'empreinte calculée par le serveur diffère : renvoyez ce fichier.",
        "The server's fingerprint differs: send this file again.";
    ReceiptHeading => "Reçu d'envoi", "Receipt";
    ReceiptNext => "Votre pharmacie voit vos documents dès maintenant. Ils seront supprimés automatiquement au bout de",
        "Your pharmacy can see your documents now. They will be deleted automatically after";
    Days => "jours", "days";
    Reference => "Référence", "Reference";
    ReceivedAt => "Reçu le", "Received on";
    Size => "Taille", "Size";
    File => "Fichier", "File";
    Fingerprint => "Empreinte SHA-256", "SHA-256 fingerprint";
    FingerprintConfirmed => "identique à celle calculée par votre téléphone", "identical to the one your phone computed";
    PrintReceipt => "Imprimer ou enregistrer le reçu", "Print or save the receipt";
    AllSent => "Vos documents ont bien été envoyés.", "Your documents have been sent.";
    AskForNewCode => "Ce code ne permet plus d'en envoyer. Pour d'autres documents, demandez un nouveau code à votre pharmacie.",
        "This code allows no more. For other documents, ask your pharmacy for a new code.";
    Megabytes => "Mo", "MB";
    Kilobytes => "ko", "KB";
    DocumentsHeading => "Documents reçus", "Received documents";
    NewDocuments => "nouveau(x)", "new";
    NoDocuments => "Aucun document.", "No document.";
    Show => "Afficher", "Show";
    AllDocuments => "Tous", "All";
    OnlyNew => "Nouveaux", "New";
    OnlyViewed => "Consultés", "Viewed";
    SearchByName => "Rechercher par nom", "Search by name";
    ReceivedFrom => "Reçus depuis le", "Received from";
    ReceivedUntil => "Reçus jusqu'au", "Received until";
    MarkViewed => "Marquer comme consulté", "Mark as viewed";
    MarkNew => "Marquer comme nouveau", "Mark as new";
    NewBadge => "Nouveau", "New";
    ViewedBy => "Consulté par", "Viewed by";
    On => "le", "on";
    DeletedOn => "Suppression automatique le", "Deleted automatically on";
    DeleteSelected => "Supprimer la sélection", "Delete the selection";
    DeleteConfirm => "Supprimer définitivement les documents sélectionnés ?", "Delete the selected documents for good?";
    Previous => "Précédents", "Previous";
    Next => "Suivants", "Next";
    Of => "sur", "of";
    RetentionDays => "Durée de conservation des documents (jours)", "Documents are kept for (days)";
    RetentionHint => "De 1 à 90 jours. Les documents déjà reçus suivent la nouvelle durée.",
        "From 1 to 90 days. Documents already received follow the new period.";
    TimeZone => "Fuseau horaire de la pharmacie", "The pharmacy's time zone";
    TimeZoneHint => "Les heures s'affichent dans ce fuseau. Les exports CSV restent en UTC.",
        "Times are shown in this zone. CSV exports stay in UTC.";
    TimeZoneUnknown => "Choisissez un fuseau de la liste.", "Choose a zone from the list.";
    RetentionOutOfRange => "Choisissez de 1 à 90 jours.", "Choose from 1 to 90 days.";
    Save => "Enregistrer", "Save";
    AuditHeading => "Journal d'audit", "Audit trail";
    ExportCsv => "Exporter en CSV", "Export as CSV";
    AuditAction => "Action", "Action";
    AuditPharmacyRegistered => "Pharmacie inscrite", "Pharmacy registered";
    AuditLoginSucceeded => "Connexion", "Logged in";
    AuditLoginFailed => "Échec de connexion", "Failed login";
    AuditLogout => "Déconnexion", "Logged out";
    PscLogIn => "Se connecter avec", "Sign in with";
    PscOr => "ou avec votre adresse e-mail", "or with your email address";
    PscLinked => "Votre compte est lié à Pro Santé Connect : vous pouvez vous connecter avec votre e-CPS ou votre carte CPS.",
        "Your account is linked to Pro Santé Connect: you can sign in with your e-CPS or your CPS card.";
    PscFailed => "La connexion avec Pro Santé Connect n'a pas abouti. Réessayez.",
        "Signing in with Pro Santé Connect did not work. Try again.";
    PscAbandoned => "La connexion avec Pro Santé Connect a été annulée ou a expiré. Recommencez.",
        "Signing in with Pro Santé Connect was cancelled or took too long. Start again.";
    PscUnknownAccount => "Aucun compte n'est lié à votre identité Pro Santé Connect. Demandez à l'administrateur de votre pharmacie de vous inviter avec votre numéro RPPS, ou connectez-vous avec votre mot de passe puis liez votre compte.",
        "No account is linked to your Pro Santé Connect identity. Ask your pharmacy's admin to invite you with your RPPS number, or sign in with your password and link your account.";
    PscProfession => "Pro Santé Connect indique une profession qui n'a pas accès à ce service (pharmacien requis).",
        "Pro Santé Connect gives a profession that cannot use this service (pharmacist required).";
    PscDisabled => "Ce compte est désactivé. Adressez-vous à l'administrateur de votre pharmacie.",
        "This account is deactivated. Ask your pharmacy's admin.";
    PscAlreadyLinked => "Cette identité Pro Santé Connect est déjà liée à un autre compte.",
        "This Pro Santé Connect identity is already linked to another account.";
    RppsInvalid => "Un numéro RPPS compte 11 chiffres.", "An RPPS number has 11 digits.";
    RppsTaken => "Ce numéro RPPS est déjà lié à un autre compte.", "This RPPS number is already linked to another account.";
    PscLinkedTo => "Votre compte se connecte avec Pro Santé Connect, RPPS", "Your account signs in with Pro Santé Connect, RPPS";
    PscUnlink => "Délier de Pro Santé Connect", "Unlink from Pro Santé Connect";
    PscLinkWith => "Lier mon compte à", "Link my account to";
    PscLinkHint => "Liez votre compte une fois : vous vous connecterez ensuite avec votre e-CPS ou votre carte CPS, sans mot de passe ni code.",
        "Link your account once: you will then sign in with your e-CPS or your CPS card, with no password or code.";
    PscLinkNeedsSecondFactor => "Pour lier votre compte à Pro Santé Connect, activez la double authentification puis connectez-vous avec votre mot de passe et votre code.",
        "To link your account to Pro Santé Connect, turn on two-step verification, then sign in with your password and your code.";
    Rpps => "N° RPPS (Pro Santé Connect)", "RPPS number (Pro Santé Connect)";
    RppsHint => "Facultatif : 11 chiffres. La personne pourra se connecter avec son e-CPS.",
        "Optional: 11 digits. They will be able to sign in with their e-CPS.";
    PscInvitationsHeading => "Rejoindre votre pharmacie", "Join your pharmacy";
    PscInvitationsIntro => "Pro Santé Connect vous a identifié(e). Ces pharmacies vous ont invité(e) avec votre numéro RPPS : rejoignez celle où vous travaillez. Votre compte y sera lié à Pro Santé Connect.",
        "Pro Santé Connect has identified you. These pharmacies invited you with your RPPS number: join the one you work for. Your account there will be linked to Pro Santé Connect.";
    PscInvitedBadge => " (invitation en attente)", " (invitation pending)";
    PscJoin => "Rejoindre", "Join";
    PscNotMe => "Vous ne travaillez dans aucune de ces pharmacies ? N'en rejoignez aucune :", "You work for none of these pharmacies? Join none:";
    AuditLoginPsc => "Connexion avec Pro Santé Connect", "Logged in with Pro Santé Connect";
    AuditPscLinked => "Compte lié à Pro Santé Connect", "Account linked to Pro Santé Connect";
    AuditPscUnlinked => "Compte délié de Pro Santé Connect", "Account unlinked from Pro Santé Connect";
    AuditSecondFactorEnrolled => "Double authentification activée", "Two-step verification turned on";
    AuditSecondFactorRemoved => "Double authentification désactivée", "Two-step verification turned off";
    AuditRecoveryCodeUsed => "Code de secours utilisé", "Recovery code used";
    AuditPasswordChanged => "Mot de passe changé", "Password changed";
    AuditSessionEnded => "Session fermée", "Session ended";
    AuditUserCreated => "Compte créé", "Account created";
    AuditUserDisabled => "Compte désactivé", "Account deactivated";
    AuditUserEnabled => "Compte réactivé", "Account reactivated";
    AuditRoleChanged => "Rôle modifié", "Role changed";
    AuditSecondFactorRequirementChanged => "Exigence de double authentification modifiée", "Two-step verification requirement changed";
    AuditCodeCreated => "Code créé", "Code created";
    AuditCodeRevoked => "Code révoqué", "Code revoked";
    AuditDocumentReceived => "Document reçu", "Document received";
    AuditDocumentDownloaded => "Document téléchargé", "Document downloaded";
    AuditDocumentPreviewed => "Document ouvert en aperçu", "Document previewed";
    AuditDocumentMarkedViewed => "Document marqué comme consulté", "Document marked as viewed";
    AuditDocumentMarkedNew => "Document marqué comme nouveau", "Document marked as new";
    AuditDocumentDeleted => "Document supprimé", "Document deleted";
    AuditRetentionChanged => "Durée de conservation modifiée", "Retention period changed";
    AuditNotificationEmailChanged => "Adresse de notification modifiée", "Notification address changed";
    AuditTimeZoneChanged => "Fuseau horaire modifié", "Time zone changed";
    AuditRefreshTokenReused => "Jeton de renouvellement réutilisé", "Refresh token reused";
    AuditApiKeyCreated => "Clé d'API créée", "API key created";
    AuditApiKeyRevoked => "Clé d'API révoquée", "API key revoked";
    Preview => "Aperçu", "Preview";
    Download => "Télécharger", "Download";
    ClosePreview => "Fermer l'aperçu", "Close the preview";
    PreviewOf => "Aperçu de", "Preview of";
    FilterByCode => "Voir les documents de ce code", "Show this code's documents";
    CodeFilter => "Code", "Code";
    AllCodes => "Tous les codes", "All codes";
    NotificationEmail => "Adresse de notification", "Notification address";
    NotificationEmailHint => "Un e-mail y signale les documents reçus (leur nombre seulement, au plus un toutes les quelques minutes). Laissez vide pour ne rien recevoir.",
        "An email there tells of documents received (their number only, at most one every few minutes). Leave empty to receive none.";
    OccurredFrom => "Depuis le", "From";
    OccurredUntil => "Jusqu'au", "Until";
    ScopeReadDocuments => "Lire les documents", "Read documents";
    ScopeCodesAndDocuments => "Codes et documents", "Codes and documents";
    ApiKeysHeading => "Clés d'API", "API keys";
    ApiKeysHint => "Pour les logiciels de la pharmacie qui utilisent l'API REST. Une clé agit au nom de l'administrateur qui l'a créée.",
        "For pharmacy software using the REST API. A key acts on behalf of the admin who created it.";
    KeyName => "Nom de la clé", "Key name";
    KeyScopeLabel => "Droits", "Permissions";
    CreateKey => "Créer la clé", "Create the key";
    KeyShownOnce => "Copiez cette clé maintenant : elle ne sera plus affichée.", "Copy this key now: it will not be shown again.";
    KeyLastUsed => "Dernière utilisation", "Last used";
    KeyNeverUsed => "Jamais utilisée", "Never used";
    RevokeKey => "Révoquer", "Revoke";
    RevokeKeyConfirm => "Révoquer cette clé ? Les logiciels qui l'utilisent n'auront plus accès.", "Revoke this key? Software using it loses access.";
    MalformedRequest => "Requête mal formée : un JSON valide est attendu.", "Malformed request: valid JSON is expected.";
}

/// The current language, shared through context by `App`.
#[derive(Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Lang>,
}

impl I18n {
    /// A reactive closure yielding `text` in the current language.
    pub fn t(self, text: Text) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || self.lang.get().text(text)
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_translated_in_both_languages() {
        for text in Text::ALL {
            let (fr, en) = text.translations();
            assert!(!fr.trim().is_empty(), "{text:?} has no French text");
            assert!(!en.trim().is_empty(), "{text:?} has no English text");
        }
    }

    #[test]
    fn file_sizes_read_in_each_language() {
        assert_eq!(Lang::Fr.file_size(400_000), "391 ko");
        assert_eq!(Lang::Fr.file_size(1_468_006), "1,4 Mo");
        assert_eq!(Lang::En.file_size(1_468_006), "1.4 MB");
    }

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
    }
}
