//! E10: `lists/host_ips.yml`, IP address to host name. Network and process records that
//! name their client only by address (Zeek's `id.orig_h`) get the `host_name` of the host
//! that owns the address, so correlations grouped by `host_name` join them with the Codex
//! sessions of that host. Schema in docs/detections.md, "host_ips.yml".

use std::net::IpAddr;

use anyhow::{anyhow, bail};
use ipnet::IpNet;
use serde_norway::Value as Yaml;
use tripline_event::{Event, Value};

/// Fields tried for the client address when the registry does not name its own.
pub const DEFAULT_IP_FIELDS: &[&str] = &["id.orig_h", "src_ip", "source_ip", "client_ip"];

/// The compiled address registry.
#[derive(Clone, Debug, Default)]
pub struct HostIps {
    ip_fields: Vec<String>,
    /// (network, host), most specific network first.
    nets: Vec<(IpNet, String)>,
}

impl HostIps {
    /// Parse and compile (version 1). Errors name the host entry.
    pub fn parse(doc: &Yaml) -> anyhow::Result<HostIps> {
        if let Some(m) = doc.as_mapping() {
            for k in m.keys() {
                let k = k.as_str().unwrap_or_default();
                if !["version", "ip_fields", "hosts"].contains(&k) {
                    bail!("unknown key '{k}' (expected version, ip_fields, hosts)");
                }
            }
        }
        let ip_fields = match doc.get("ip_fields") {
            None => DEFAULT_IP_FIELDS.iter().map(|s| (*s).to_owned()).collect(),
            Some(Yaml::Sequence(items)) if !items.is_empty() => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| anyhow!("ip_fields: field names must be strings"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            Some(_) => bail!("ip_fields: expected a non-empty list of field names"),
        };
        let mut nets = Vec::new();
        match doc.get("hosts") {
            None => {}
            Some(Yaml::Mapping(m)) => {
                for (host, addrs) in m {
                    let host = host
                        .as_str()
                        .filter(|h| !h.is_empty())
                        .ok_or_else(|| anyhow!("hosts: host names must be non-empty strings"))?;
                    let Some(addrs) = addrs.as_sequence().filter(|a| !a.is_empty()) else {
                        bail!("hosts.{host}: expected a non-empty list of IP addresses or CIDR networks");
                    };
                    for a in addrs {
                        let text = a
                            .as_str()
                            .ok_or_else(|| anyhow!("hosts.{host}: addresses must be strings"))?;
                        let net = parse_net(text).ok_or_else(|| {
                            anyhow!("hosts.{host}: '{text}' is not an IP address or CIDR network")
                        })?;
                        if let Some((_, other)) = nets.iter().find(|(n, _)| *n == net) {
                            bail!("hosts.{host}: {net} is already assigned to {other}");
                        }
                        nets.push((net, host.to_owned()));
                    }
                }
            }
            Some(_) => bail!("hosts: expected a map of host name: [addresses]"),
        }
        nets.sort_by_key(|n| std::cmp::Reverse(n.0.prefix_len()));
        Ok(HostIps { ip_fields, nets })
    }

    /// How many networks are listed.
    pub fn len(&self) -> usize {
        self.nets.len()
    }

    /// The host owning `ip`: the entry with the longest matching prefix.
    pub fn host_of(&self, ip: IpAddr) -> Option<&str> {
        self.nets
            .iter()
            .find(|(n, _)| n.contains(&ip))
            .map(|(_, h)| h.as_str())
    }

    /// On an event without `host_name`: the host of the first address field that parses
    /// and is listed, with the field it came from.
    pub fn resolve(&self, ev: &Event) -> Option<(String, String)> {
        if ev
            .get("host_name")
            .and_then(Value::as_str)
            .is_some_and(|h| !h.is_empty())
        {
            return None;
        }
        self.ip_fields.iter().find_map(|f| {
            let ip: IpAddr = ev.lookup(f)?.as_str()?.trim().parse().ok()?;
            self.host_of(ip).map(|h| (h.to_owned(), f.clone()))
        })
    }
}

fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .map(|n| n.trunc())
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(text: &str) -> anyhow::Result<HostIps> {
        HostIps::parse(&serde_norway::from_str(text).unwrap())
    }

    #[test]
    fn longest_prefix_wins_and_errors_name_the_entry() {
        let r = reg("version: 1\nhosts:\n  lab: [10.0.0.0/8]\n  dev1: [10.1.2.3, 'fd00::1']\n")
            .unwrap();
        assert_eq!(r.host_of("10.1.2.3".parse().unwrap()), Some("dev1"));
        assert_eq!(r.host_of("10.9.9.9".parse().unwrap()), Some("lab"));
        assert_eq!(r.host_of("fd00::1".parse().unwrap()), Some("dev1"));
        assert_eq!(r.host_of("192.0.2.1".parse().unwrap()), None);
        let e = reg("version: 1\nhosts:\n  dev1: [10.1.2.300]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("hosts.dev1") && e.contains("10.1.2.300"), "{e}");
        let e = reg("version: 1\nhosts:\n  a: [10.0.0.1]\n  b: [10.0.0.1/32]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("already assigned to a"), "{e}");
        assert!(reg("version: 1\nhostz: {}\n").is_err());
    }

    #[test]
    fn zeek_records_get_the_host() {
        let r = reg("version: 1\nhosts:\n  dev1.example.internal: [192.168.7.20]\n").unwrap();
        let mut ev = Event::new();
        ev.insert("id.orig_h", "192.168.7.20");
        assert_eq!(
            r.resolve(&ev),
            Some(("dev1.example.internal".into(), "id.orig_h".into()))
        );
        ev.insert("host_name", "sensor");
        assert_eq!(
            r.resolve(&ev),
            None,
            "a host name the record carries is kept"
        );
    }
}
