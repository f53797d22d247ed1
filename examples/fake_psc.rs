//! A fake Pro Santé Connect on http://127.0.0.1:3190, to sign in locally without a PSC
//! account (see the README's "Pro Santé Connect" section). Test keys, test professionals:
//! never for production.

// The tests' knobs for spoiling tokens are not used here.
#[allow(dead_code)]
#[path = "../tests/fixtures/fake_psc.rs"]
mod fake_psc;

#[tokio::main]
async fn main() {
    let port = std::env::var("FAKE_PSC_PORT").unwrap_or_else(|_| "3190".into());
    let addr = format!("127.0.0.1:{port}")
        .parse()
        .expect("FAKE_PSC_PORT: a port number");
    let psc = fake_psc::start(addr).await;
    println!("Fake Pro Santé Connect on {}", psc.issuer);
    println!(
        "OIDC_ISSUER={} OIDC_CLIENT_ID={} OIDC_CLIENT_SECRET={}",
        psc.issuer,
        fake_psc::CLIENT_ID,
        fake_psc::CLIENT_SECRET
    );
    for professional in fake_psc::PROFESSIONALS {
        println!(
            "  RPPS {} {} {} (profession {})",
            professional.rpps, professional.given_name, professional.family_name, professional.profession
        );
    }
    tokio::signal::ctrl_c().await.expect("wait for Ctrl-C");
}
