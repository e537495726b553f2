//! The emitter name a verified client certificate stands for.

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The sender named by a client certificate (DER): the subject's common name (CN), else the
/// first DNS name of its subject alternative names. `None` when the certificate cannot be
/// parsed or names nobody. Only call this on certificates rustls has already verified.
pub fn client_name(der: &[u8]) -> Option<String> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let cn = cert
        .subject()
        .iter_common_name()
        .find_map(|cn| cn.as_str().ok())
        .map(str::trim)
        .filter(|cn| !cn.is_empty());
    if let Some(cn) = cn {
        return Some(cn.to_string());
    }
    let san = cert.subject_alternative_name().ok()??;
    san.value.general_names.iter().find_map(|name| match name {
        GeneralName::DNSName(dns) if !dns.is_empty() => Some(dns.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cn: Option<&str>, dns: &[&str]) -> Vec<u8> {
        let names: Vec<String> = dns.iter().map(|d| d.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(cn) = cn {
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, cn);
        }
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn the_common_name_wins_then_the_first_dns_name() {
        assert_eq!(
            client_name(&cert(Some("laptop-7"), &["laptop-7.example.net"])),
            Some("laptop-7".into())
        );
        assert_eq!(
            client_name(&cert(None, &["ci-runner.example.net", "other.example.net"])),
            Some("ci-runner.example.net".into())
        );
        assert_eq!(
            client_name(&cert(Some("  "), &[])),
            None,
            "blank CN names nobody"
        );
        assert_eq!(client_name(&cert(None, &[])), None);
    }

    #[test]
    fn garbage_names_nobody() {
        assert_eq!(client_name(b"not a certificate"), None);
        assert_eq!(client_name(&[]), None);
    }
}
