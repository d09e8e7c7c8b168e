//! The TLS configuration of every HTTPS client: rustls with the ring provider, trusting the
//! bundled webpki roots (Mozilla's) and, unless it cannot be read, the system's certificate
//! store (where a company's TLS-inspecting proxy puts its CA). reqwest is given this
//! configuration whole, so the trust is bulkflow's own and not the platform verifier's.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore};

/// The crypto provider: ring.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Makes ring the process's default provider, for an HTTP client built without
/// [`client_config`] (reqwest needs one to build any client). Idempotent.
pub fn ensure_provider() {
    if CryptoProvider::get_default().is_none() {
        // Lost a race with another thread installing it: that one is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The roots: the bundled ones, and the system's when `native` (an error when the system's
/// store cannot be read, or holds no usable certificate).
fn roots(native: bool) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if native {
        let found = rustls_native_certs::load_native_certs();
        if found.certs.is_empty() {
            let why = found
                .errors
                .first()
                .map(ToString::to_string)
                .unwrap_or_else(|| "no certificate found".to_owned());
            return Err(why);
        }
        let (added, _ignored) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err("no usable certificate in it".to_owned());
        }
    }
    Ok(roots)
}

/// A client configuration trusting the bundled roots, and the system's store when `native`;
/// why not when the system's store cannot be used.
pub fn client_config(native: bool) -> Result<ClientConfig, String> {
    let roots = roots(native)?;
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
