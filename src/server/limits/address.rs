//! Who a request comes from, as the per-address limits count it.
//!
//! The client's address is the TCP peer's, unless the peer is one of the
//! configured reverse proxies (`HUDDLE_TRUSTED_PROXIES`) and the request
//! carries the configured header (`HUDDLE_CLIENT_IP_HEADER`): then it is
//! the rightmost address of that header that is not itself a trusted
//! proxy. Anything left of that was written by the client and proves
//! nothing; a header from any other peer is ignored, so that a client
//! cannot pick a fresh address for every request.
//!
//! Every per-address limit counts an [`AddressKey`]: an IPv4 address, or
//! the /64 an IPv6 address belongs to (an end site gets at least a /64 and
//! may use any of its 2^64 addresses; counting them one by one would give
//! one host endless budgets).

use ipnet::IpNet;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// A client's address as the per-address limits count it; made only by
/// [`AddressKey::of`], so that every limit counts a /64 as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressKey(IpAddr);

impl AddressKey {
    /// The key of `ip`: itself for IPv4 (an IPv4-mapped IPv6 address is
    /// its IPv4 address), its /64 for IPv6.
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                Self(IpAddr::V6(Ipv6Addr::from(prefix)))
            }
        }
    }
}

impl fmt::Display for AddressKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// A proxy setting: an address (`10.0.0.5`, `::1`) or a network in CIDR
/// notation (`10.0.0.0/8`, `fd00::/8`).
pub fn parse_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| {
            format!("{s:?} is not an address or a network: write 10.0.0.5, 10.0.0.0/8 or fd00::/8")
        })
}

/// One entry of a forwarding header: an address, maybe with a port
/// (`203.0.113.9:4711`, `[2001:db8::1]:4711`) or in brackets.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<IpAddr>()
                .ok()
        })
        .map(|ip| ip.to_canonical())
}

/// Whether `ip` is one of `proxies`.
fn trusted(proxies: &[IpNet], ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    proxies.iter().any(|net| net.contains(&ip))
}

/// The client's address of a request from `peer` with `headers` (see the
/// module's documentation).
pub(super) fn client_ip(
    header: Option<&http::HeaderName>,
    proxies: &[IpNet],
    headers: &http::HeaderMap,
    peer: IpAddr,
) -> IpAddr {
    let peer = peer.to_canonical();
    let Some(header) = header else { return peer };
    if !trusted(proxies, peer) {
        return peer;
    }
    // Each proxy appends the address it was reached from: walk from the
    // right, past the trusted proxies, to the first address that is not
    // one. An unreadable entry ends the walk at the last proxy before it.
    let mut client = peer;
    for line in headers.get_all(header).iter().rev() {
        let Ok(line) = line.to_str() else {
            return client;
        };
        for entry in line.rsplit(',') {
            let Some(ip) = parse_entry(entry) else {
                return client;
            };
            client = ip;
            if !trusted(proxies, ip) {
                return client;
            }
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| parse_proxy(s).unwrap()).collect()
    }

    fn headers(xff: &[&str]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for line in xff {
            h.append("x-forwarded-for", line.parse().unwrap());
        }
        h
    }

    const XFF: http::HeaderName = http::HeaderName::from_static("x-forwarded-for");

    #[test]
    fn an_ipv6_address_counts_as_its_64() {
        let a = AddressKey::of(ip("2001:db8:1:2:aaaa::1"));
        let b = AddressKey::of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let other = AddressKey::of(ip("2001:db8:1:3::1"));
        assert_eq!(a, b);
        assert_ne!(a, other);
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        // IPv4, and IPv4 seen through a dual-stack socket, count as itself.
        assert_eq!(AddressKey::of(ip("203.0.113.9")).to_string(), "203.0.113.9");
        assert_eq!(
            AddressKey::of(ip("::ffff:203.0.113.9")),
            AddressKey::of(ip("203.0.113.9"))
        );
        assert_ne!(
            AddressKey::of(ip("203.0.113.9")),
            AddressKey::of(ip("203.0.113.10"))
        );
    }

    #[test]
    fn proxies_are_addresses_or_networks() {
        assert_eq!(parse_proxy("10.0.0.5").unwrap().to_string(), "10.0.0.5/32");
        assert_eq!(parse_proxy(" ::1 ").unwrap().to_string(), "::1/128");
        assert_eq!(parse_proxy("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_proxy("fd00::/8").unwrap().to_string(), "fd00::/8");
        for bad in ["", "10.0.0", "10.0.0.0/33", "proxy.local"] {
            assert!(
                parse_proxy(bad).unwrap_err().contains("10.0.0.0/8"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let proxies = nets(&["10.0.0.0/8"]);
        let h = headers(&["203.0.113.9"]);
        assert_eq!(
            client_ip(Some(&XFF), &proxies, &h, ip("10.0.0.2")),
            ip("203.0.113.9")
        );
        // Anyone else sending the header is counted as themselves.
        assert_eq!(
            client_ip(Some(&XFF), &proxies, &h, ip("198.51.100.7")),
            ip("198.51.100.7")
        );
        // No header configured: the peer.
        assert_eq!(
            client_ip(None, &proxies, &h, ip("10.0.0.2")),
            ip("10.0.0.2")
        );
        // A trusted proxy that sent no header is the client.
        assert_eq!(
            client_ip(Some(&XFF), &proxies, &headers(&[]), ip("10.0.0.2")),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn the_client_is_the_rightmost_address_that_is_no_proxy() {
        let proxies = nets(&["10.0.0.0/8", "::1"]);
        let peer = ip("10.0.0.2");
        // What the client wrote itself (left) is passed over.
        let h = headers(&["1.1.1.1, 203.0.113.9, 10.0.0.7"]);
        assert_eq!(client_ip(Some(&XFF), &proxies, &h, peer), ip("203.0.113.9"));
        // Several header lines are one list, in order.
        let h = headers(&["1.1.1.1, 203.0.113.9", "10.0.0.7"]);
        assert_eq!(client_ip(Some(&XFF), &proxies, &h, peer), ip("203.0.113.9"));
        // Ports and brackets, IPv6.
        let h = headers(&["[2001:db8::5]:4711, 10.0.0.7:80"]);
        assert_eq!(client_ip(Some(&XFF), &proxies, &h, peer), ip("2001:db8::5"));
        // Only proxies: the leftmost of them.
        let h = headers(&["10.0.0.9, 10.0.0.7"]);
        assert_eq!(client_ip(Some(&XFF), &proxies, &h, peer), ip("10.0.0.9"));
        // An unreadable entry: the last proxy before it.
        let h = headers(&["203.0.113.9, garbage, 10.0.0.7"]);
        assert_eq!(client_ip(Some(&XFF), &proxies, &h, peer), ip("10.0.0.7"));
        let h = headers(&["garbage"]);
        assert_eq!(client_ip(Some(&XFF), &proxies, &h, peer), peer);
        // A proxy reached over IPv4 on a dual-stack socket.
        let mapped = ip("::ffff:10.0.0.2");
        let h = headers(&["203.0.113.9"]);
        assert_eq!(
            client_ip(Some(&XFF), &proxies, &h, mapped),
            ip("203.0.113.9")
        );
    }
}
