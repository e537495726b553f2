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

    #[test]
    fn garbage_names_nobody() {
        assert_eq!(client_name(b"not a certificate"), None);
        assert_eq!(client_name(&[]), None);
    }
}
