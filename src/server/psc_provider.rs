//! The Pro Santé Connect provider as this server reaches it: the client's settings, the
//! HTTP client, and the provider's metadata and keys, read afresh at each use (the keys
//! only when a token is to be checked).

use crate::model::session::{PSC_CALLBACK_PATH, PscOutcome};
use crate::server::config::pro_sante_connect::ProSanteConnect;
use crate::server::config::{ConfigError, Settings, expected};
use openidconnect::core::CoreClient;
use openidconnect::{
    ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySet,
    ProviderMetadataWithLogout, RedirectUrl,
};
use std::time::Duration;

pub type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// The PSC client of this server: its settings and the HTTP client that reaches the
/// provider (never following redirects, with the client certificate when one is set).
#[derive(Clone)]
pub struct Connector {
    pub settings: ProSanteConnect,
    pub http: reqwest::Client,
}

impl Connector {
    /// The connector `settings` describe, if any.
    pub fn new(settings: &Settings) -> Result<Option<Connector>, ConfigError> {
        let Some(psc) = settings.pro_sante_connect.clone() else {
            return Ok(None);
        };
        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10));
        if let Some(pem) = &psc.client_identity {
            let identity = reqwest::Identity::from_pem(pem)
                .map_err(|_| expected("OIDC_CLIENT_CERT", "a PEM certificate, with its key in OIDC_CLIENT_KEY"))?;
            http = http.identity(identity);
        }
        let http = http
            .build()
            .map_err(|_| expected("OIDC_CLIENT_CERT", "a certificate and key the TLS client accepts"))?;
        Ok(Some(Connector { settings: psc, http }))
    }

    pub fn display_name(&self) -> &str {
        &self.settings.display_name
    }

    /// The provider as it describes itself now: its discovery document, checked.
    pub async fn metadata(&self) -> Result<ProviderMetadataWithLogout, PscOutcome> {
        let metadata: ProviderMetadataWithLogout = self
            .http
            .get(&self.settings.discovery_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| failed("discovery unreachable", &e))?
            .json()
            .await
            .map_err(|e| failed("discovery unreadable", &e))?;
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| failed("issuer", &e))?;
        if metadata.issuer() != &issuer {
            return Err(failed("discovery names another issuer", &metadata.issuer().as_str()));
        }
        // The client's secret and the user's tokens go to these: only to the issuer's host.
        // (The browser goes to the others, which PSC serves from another host.)
        let endpoints = [
            metadata.token_endpoint().map(|url| url.url()),
            metadata.userinfo_endpoint().map(|url| url.url()),
            Some(metadata.jwks_uri().url()),
        ];
        let origin = issuer.url().origin();
        if let Some(foreign) = endpoints.into_iter().flatten().find(|url| url.origin() != origin) {
            return Err(failed("discovery names an endpoint on another host", &foreign.as_str()));
        }
        Ok(metadata)
    }

    /// `metadata` with the provider's keys as they are now, to check what it signed.
    pub async fn with_keys(
        &self,
        metadata: ProviderMetadataWithLogout,
    ) -> Result<ProviderMetadataWithLogout, PscOutcome> {
        let keys = JsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| failed("keys unreachable", &e))?;
        Ok(metadata.set_jwks(keys))
    }

    /// This server as the provider's client, as `metadata` describes the provider.
    pub fn client(&self, public_url: &str, metadata: ProviderMetadataWithLogout) -> Result<Client, PscOutcome> {
        let redirect =
            RedirectUrl::new(format!("{public_url}{PSC_CALLBACK_PATH}")).map_err(|e| failed("redirect address", &e))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }
}

fn failed(what: &str, error: &dyn std::fmt::Display) -> PscOutcome {
    tracing::warn!(%error, "Pro Santé Connect: {what}");
    PscOutcome::Failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::Env;
    use std::collections::HashMap;

    fn connector(identity: Option<(&str, &str)>) -> Result<Option<Connector>, &'static str> {
        let dir = tempfile::tempdir().expect("temp dir");
        let fixture = |name: &str| format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut vars: HashMap<String, String> = [
            ("DATA_DIR", dir.path().display().to_string()),
            (
                "OIDC_ISSUER",
                "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet".into(),
            ),
            ("OIDC_CLIENT_ID", "santhium".into()),
            ("OIDC_CLIENT_SECRET", "s3cret".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if let Some((cert, key)) = identity {
            vars.insert("OIDC_CLIENT_CERT".into(), fixture(cert));
            vars.insert("OIDC_CLIENT_KEY".into(), fixture(key));
        }
        let settings = Settings::from_env(&Env(|name| vars.get(name).cloned())).map_err(|e| e.variable)?;
        Connector::new(&settings).map_err(|e| e.variable)
    }

    #[test]
    fn a_client_certificate_is_presented_when_one_is_set() {
        assert!(connector(None).expect("valid").is_some());
        let with_identity = connector(Some(("psc-client-cert.pem", "psc-client-key.pem")));
        assert!(with_identity.expect("a certificate and its key").is_some());
        let not_a_certificate = connector(Some(("psc-signing-key.pem", "psc-signing-key.pem")));
        assert_eq!(not_a_certificate.err(), Some("OIDC_CLIENT_CERT"));
    }
}
