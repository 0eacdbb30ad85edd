//! HTTPS on the listening side: the SDKs send Entra ID bearer tokens only
//! to an `https://` endpoint, so a proxy they reach by token must speak TLS
//! itself.

use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The certificate and key the proxy serves HTTPS with.
///
/// ```no_run
/// use face_preflight::proxy::{ListenTls, ProxyConfig};
///
/// let cert = std::fs::read("/etc/face-preflight/tls.crt")?;
/// let key = std::fs::read("/etc/face-preflight/tls.key")?;
/// let mut config = ProxyConfig::new("https://x.cognitiveservices.azure.com".parse()?);
/// config.tls = Some(ListenTls::from_pem(&cert, &key)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ListenTls {
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for ListenTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of any debug output.
        f.debug_struct("ListenTls").finish_non_exhaustive()
    }
}

/// Why a certificate or key cannot be served.
#[derive(Debug)]
#[non_exhaustive]
pub enum ListenTlsError {
    /// The certificate file holds no PEM `CERTIFICATE` block, or a broken one.
    Certificate(String),
    /// The key file holds no PEM private key (PKCS#8, PKCS#1 or SEC1), or a
    /// broken one.
    Key(String),
    /// rustls refused the pair (a key that does not match the certificate).
    Refused(rustls::Error),
}

impl std::fmt::Display for ListenTlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Certificate(error) => write!(f, "no usable PEM certificate: {error}"),
            Self::Key(error) => write!(f, "no usable PEM private key: {error}"),
            Self::Refused(error) => write!(f, "the certificate and key cannot be served: {error}"),
        }
    }
}

impl std::error::Error for ListenTlsError {}

impl ListenTls {
    /// A certificate chain (PEM, the server's certificate first) and its
    /// private key (PEM).
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> Result<Self, ListenTlsError> {
        let chain = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| ListenTlsError::Certificate(error.to_string()))?;
        if chain.is_empty() {
            return Err(ListenTlsError::Certificate(
                "the file has no CERTIFICATE block".to_owned(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key)
            .map_err(|error| ListenTlsError::Key(error.to_string()))?;
        // ring, the provider the upstream connector uses: no process-wide
        // default needs to be chosen.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(ListenTlsError::Refused)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(ListenTlsError::Refused)?;
        // The proxy speaks HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    pub(super) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}
