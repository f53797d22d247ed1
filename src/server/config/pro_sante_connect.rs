//! `OIDC_*`: the Pro Santé Connect client, as the ANS registered it. Unset, staff sign in
//! with their password only and the login page shows no PSC button.

use super::{Env, expected};
use url::Url;

/// What a professional must practise to sign in, as `codeProfession` codes (21: pharmacien).
const PHARMACIST: &str = "21";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProSanteConnect {
    /// `OIDC_ISSUER`, as the provider's tokens name it.
    pub issuer: String,
    /// `OIDC_DISCOVERY_URL`; by default PSC's own path,
    /// `{issuer}/.well-known/wallet-openid-configuration`.
    pub discovery_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// `OIDC_CLIENT_CERT` and `OIDC_CLIENT_KEY`: the PEM files of a client certificate
    /// presented to the provider (mutual TLS), read at start-up.
    pub client_identity: Option<Vec<u8>>,
    /// `OIDC_DISPLAY_NAME`, on the login button.
    pub display_name: String,
    /// `OIDC_ALLOWED_PROFESSIONS`: the `codeProfession` values let in.
    pub allowed_professions: Vec<String>,
}

pub(super) fn pro_sante_connect<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    production: bool,
) -> Result<Option<ProSanteConnect>, super::ConfigError> {
    let Some(issuer) = env.get("OIDC_ISSUER") else {
        return Ok(None);
    };
    let url = |variable: &'static str, value: &str| {
        Url::parse(value)
            .ok()
            .filter(|url| url.scheme() == "https" || (!production && url.scheme() == "http"))
            .filter(|url| url.host().is_some() && url.query().is_none() && url.fragment().is_none())
            .map(|_| value.trim_end_matches('/').to_owned())
            .ok_or_else(|| expected(variable, "an https:// URL (http:// outside production)"))
    };
    let issuer = url("OIDC_ISSUER", &issuer)?;
    let discovery_url = match env.get("OIDC_DISCOVERY_URL") {
        Some(discovery) => url("OIDC_DISCOVERY_URL", &discovery)?,
        None => format!("{issuer}/.well-known/wallet-openid-configuration"),
    };
    let required = |variable: &'static str| {
        env.get(variable)
            .ok_or_else(|| expected(variable, "to be set with OIDC_ISSUER"))
    };
    let pem = |variable: &'static str, path: String| {
        std::fs::read(&path).map_err(|_| expected(variable, format!("a readable PEM file ({path} cannot be read)")))
    };
    let client_identity = match (env.get("OIDC_CLIENT_CERT"), env.get("OIDC_CLIENT_KEY")) {
        (Some(cert), Some(key)) => Some([pem("OIDC_CLIENT_CERT", cert)?, pem("OIDC_CLIENT_KEY", key)?].concat()),
        (None, None) => None,
        _ => return Err(expected("OIDC_CLIENT_CERT", "to be set together with OIDC_CLIENT_KEY")),
    };
    let allowed_professions = env
        .get("OIDC_ALLOWED_PROFESSIONS")
        .unwrap_or_else(|| PHARMACIST.into())
        .split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(|code| {
            (code.len() <= 4 && code.chars().all(|c| c.is_ascii_digit()))
                .then(|| code.to_owned())
                .ok_or_else(|| {
                    expected(
                        "OIDC_ALLOWED_PROFESSIONS",
                        "comma-separated profession codes, such as 21",
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(ProSanteConnect {
        issuer,
        discovery_url,
        client_id: required("OIDC_CLIENT_ID")?,
        client_secret: required("OIDC_CLIENT_SECRET")?,
        client_identity,
        display_name: env
            .get("OIDC_DISPLAY_NAME")
            .unwrap_or_else(|| "Pro Santé Connect".into()),
        allowed_professions,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)], production: bool) -> Result<Option<ProSanteConnect>, &'static str> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        pro_sante_connect(&Env(|name| map.get(name).cloned()), production).map_err(|e| e.variable)
    }

    const SANDBOX: &str = "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet";

    #[test]
    fn unset_issuer_means_no_pro_sante_connect() {
        assert_eq!(parse(&[("OIDC_CLIENT_ID", "santhium")], true), Ok(None));
    }

    #[test]
    fn the_discovery_is_at_psc_path_unless_overridden() {
        let vars = [
            ("OIDC_ISSUER", SANDBOX),
            ("OIDC_CLIENT_ID", "santhium"),
            ("OIDC_CLIENT_SECRET", "s3cret"),
        ];
        let psc = parse(&vars, true).expect("valid").expect("configured");
        assert_eq!(
            psc.discovery_url,
            format!("{SANDBOX}/.well-known/wallet-openid-configuration")
        );
        assert_eq!(psc.display_name, "Pro Santé Connect");
        assert_eq!(psc.allowed_professions, ["21"]);
        assert_eq!(psc.client_identity, None);
        let overridden = [&vars[..], &[("OIDC_DISCOVERY_URL", "https://idp.example.fr/conf")]].concat();
        assert_eq!(
            parse(&overridden, true)
                .expect("valid")
                .expect("configured")
                .discovery_url,
            "https://idp.example.fr/conf"
        );
    }

    #[test]
    fn bad_settings_name_their_variable() {
        let base = [("OIDC_ISSUER", SANDBOX), ("OIDC_CLIENT_ID", "santhium")];
        assert_eq!(parse(&base, false), Err("OIDC_CLIENT_SECRET"));
        let with_secret = [&base[..], &[("OIDC_CLIENT_SECRET", "s")]].concat();
        let http = [&with_secret[..], &[("OIDC_ISSUER", "http://127.0.0.1:3190/realm")]].concat();
        assert_eq!(parse(&http, true), Err("OIDC_ISSUER"), "plain HTTP in production");
        assert!(parse(&http, false).is_ok(), "plain HTTP in development");
        let half_identity = [&with_secret[..], &[("OIDC_CLIENT_CERT", "/etc/santhium/psc.crt")]].concat();
        assert_eq!(parse(&half_identity, false), Err("OIDC_CLIENT_CERT"));
        let missing_files = [&half_identity[..], &[("OIDC_CLIENT_KEY", "/nonexistent/psc.key")]].concat();
        assert_eq!(parse(&missing_files, false), Err("OIDC_CLIENT_CERT"));
        let professions = [&with_secret[..], &[("OIDC_ALLOWED_PROFESSIONS", "21,pharmacien")]].concat();
        assert_eq!(parse(&professions, false), Err("OIDC_ALLOWED_PROFESSIONS"));
    }
}
