//! A private CA and a server certificate it signed, generated afresh for
//! each run (nothing secret is committed): for the proxy's HTTPS side and
//! for a Redis server over TLS.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// PEM texts of a test CA and of a certificate for `localhost` and
/// `127.0.0.1` signed by it, with that certificate's key.
pub struct TestCertificates {
    pub ca: String,
    pub cert: String,
    pub key: String,
}

pub fn generate() -> TestCertificates {
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "face-preflight test CA");
    let ca = ca_params.self_signed(&ca_key).expect("a self-signed CA");
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().expect("a server key");
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server parameters");
    params
        .distinguished_name
        .push(DnType::CommonName, "face-preflight test server");
    let cert = params
        .signed_by(&key, &issuer)
        .expect("a signed certificate");
    TestCertificates {
        ca: ca.pem(),
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}
