//! The `cidr` modifier: IPv4/IPv6 network membership.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::LocalError;

/// Parse a rule's network (`10.0.0.0/8`, `fd00::/8`; a bare address is a host network).
pub fn parse_net(s: &str) -> Result<IpNet, LocalError> {
    let t = s.trim();
    if let Ok(n) = t.parse::<IpNet>() {
        return Ok(n.trunc());
    }
    t.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| LocalError::new(format!("invalid network '{s}' for |cidr")))
}

/// Whether `text` is an IP address inside `net`.
pub fn contains(net: &IpNet, text: &str) -> bool {
    text.trim()
        .parse::<IpAddr>()
        .is_ok_and(|ip| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_and_v6_membership() {
        let n = parse_net("10.0.0.0/8").unwrap();
        assert!(contains(&n, "10.1.2.3"));
        assert!(!contains(&n, "11.1.2.3"));
        assert!(!contains(&n, "not-an-ip"));
        let n6 = parse_net("fd00::/8").unwrap();
        assert!(contains(&n6, "fd12::1"));
        assert!(parse_net("10.0.0.0/33").is_err());
    }
}
