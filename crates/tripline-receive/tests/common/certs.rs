//! Certificates made at test time (rcgen): a CA, a server certificate for 127.0.0.1 and
//! localhost, and client certificates with a chosen common name, written as PEM files.
//!
//! The one way tripline's tests make certificates. Self-contained (rcgen and std only) so
//! the sinks crate's and the `tripline` crate's tests include this file (`#[path]`) instead
//! of keeping a copy.

// Included by several test crates, each using part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};

/// A certificate and its private key, as PEM files.
#[derive(Clone, Debug)]
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Pair {
    /// Certificate and key in one PEM text (what `reqwest::Identity::from_pem` reads).
    pub fn identity_pem(&self) -> Vec<u8> {
        let mut pem = std::fs::read(&self.cert).expect("read cert");
        pem.extend(std::fs::read(&self.key).expect("read key"));
        pem
    }
}

/// A test certificate authority that writes everything it issues under `dir`.
pub struct Pki {
    dir: PathBuf,
    name: String,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    /// A new CA called `name`; its certificate goes to `DIR/NAME-ca.pem`.
    pub fn new(dir: &Path, name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        let ca = CertifiedIssuer::self_signed(params, key).expect("self-signed CA");
        let pki = Pki {
            dir: dir.to_path_buf(),
            name: name.to_string(),
            ca,
        };
        std::fs::write(pki.ca_pem(), pki.ca.pem()).expect("write CA");
        pki
    }

    /// The CA certificate (PEM), for clients to trust or for `client_ca`.
    pub fn ca_pem(&self) -> PathBuf {
        self.dir.join(format!("{}-ca.pem", self.name))
    }

    /// A server certificate valid for `127.0.0.1`, `::1` and `localhost`.
    pub fn server(&self) -> Pair {
        let mut params =
            CertificateParams::new(vec!["localhost".to_string()]).expect("server params");
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        params
            .subject_alt_names
            .push(SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()));
        params
            .distinguished_name
            .push(DnType::CommonName, "tripline test server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params, "server")
    }

    /// A client certificate whose subject common name is `cn`.
    pub fn client(&self, cn: &str) -> Pair {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("client params");
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(params, &format!("client-{cn}"))
    }

    fn issue(&self, params: CertificateParams, stem: &str) -> Pair {
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.ca).expect("sign");
        let pair = Pair {
            cert: self.dir.join(format!("{}-{stem}.pem", self.name)),
            key: self.dir.join(format!("{}-{stem}-key.pem", self.name)),
        };
        std::fs::write(&pair.cert, cert.pem()).expect("write cert");
        std::fs::write(&pair.key, key.serialize_pem()).expect("write key");
        pair
    }
}
