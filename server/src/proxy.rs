//! Which reverse proxies are trusted, and the client address behind them.
//!
//! Behind nginx's usual `proxy_set_header X-Forwarded-For
//! $proxy_add_x_forwarded_for`, the header's *first* entry is whatever the
//! client sent. Only the entries appended by proxies we trust are facts, so
//! the client is the rightmost entry that is not one of them.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// Addresses and networks of the proxies in front of the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// Why a `--trust-proxy` value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProxyListError {
    /// The old flag without a value (or `true`).
    #[error(
        "--trust-proxy now takes the addresses or networks of your proxies, \
         e.g. --trust-proxy 127.0.0.1,10.0.0.0/8 (the client is the rightmost \
         X-Forwarded-For entry that is not one of them)"
    )]
    Bare,
    /// An entry that is neither an address nor a CIDR network.
    #[error("--trust-proxy: {0:?} is not an IP address or a network like 10.0.0.0/8")]
    Entry(String),
}

impl FromStr for TrustedProxies {
    type Err = ProxyListError;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let list = list.trim();
        if list.is_empty() || list.eq_ignore_ascii_case("true") || list == "1" {
            return Err(ProxyListError::Bare);
        }
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| ProxyListError::Entry(s.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    /// No proxy trusted: the socket peer is the client.
    pub fn none() -> TrustedProxies {
        TrustedProxies(Vec::new())
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether a header that a proxy writes (`X-Forwarded-Proto`) is
    /// believed from `peer`: from anyone when no proxy is listed (a site
    /// behind a proxy it never named keeps working), else only from the
    /// listed ones, whose other clients could write it too.
    pub fn vouches_for(&self, peer: IpAddr) -> bool {
        self.0.is_empty() || self.trusts(peer)
    }

    /// The client's address: the peer itself unless it is a trusted proxy;
    /// then the rightmost `X-Forwarded-For` entry that is not a trusted
    /// proxy (entries further left were written by the client and prove
    /// nothing); the leftmost entry if every one of them is trusted.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        let mut last = peer;
        for entry in header.rsplit(',') {
            match parse_entry(entry) {
                Some(ip) if self.trusts(ip) => last = ip,
                Some(ip) => return ip,
                // Garbage where a proxy would have written an address: the
                // hop that wrote it is untrusted, so the last trusted hop's
                // peer is all we know.
                None => return last,
            }
        }
        last
    }
}

/// `::ffff:1.2.3.4` is the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// An address as proxies write it: bare, `[v6]`, or with a port.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sock) = entry.parse::<std::net::SocketAddr>() {
        return Some(canonical(sock.ip()));
    }
    let bracketed = entry.strip_prefix('[')?.split(']').next()?;
    bracketed.parse::<IpAddr>().ok().map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn the_bare_flag_and_garbage_are_refused_with_the_new_form() {
        assert_eq!("".parse::<TrustedProxies>(), Err(ProxyListError::Bare));
        assert_eq!("true".parse::<TrustedProxies>(), Err(ProxyListError::Bare));
        assert!(matches!(
            "10.0.0.0/8,nginx".parse::<TrustedProxies>(),
            Err(ProxyListError::Entry(e)) if e == "nginx"
        ));
        assert!(ProxyListError::Bare
            .to_string()
            .contains("--trust-proxy 127.0.0.1"));
    }

    #[test]
    fn a_listed_proxy_alone_is_believed_once_proxies_are_listed() {
        assert!(TrustedProxies::none().vouches_for(ip("203.0.113.7")));
        let t: TrustedProxies = "10.0.0.0/8".parse().expect("list");
        assert!(t.vouches_for(ip("10.1.2.3")));
        assert!(t.vouches_for(ip("::ffff:10.1.2.3")));
        assert!(!t.vouches_for(ip("203.0.113.7")));
    }

    #[test]
    fn a_forged_first_entry_does_not_become_the_client() {
        let t: TrustedProxies = "127.0.0.1, 10.0.0.0/8".parse().expect("list");
        // nginx appended the real client 203.0.113.7 after the forged one.
        let got = t.client(ip("127.0.0.1"), Some("198.51.100.1, 203.0.113.7"));
        assert_eq!(got, ip("203.0.113.7"));
        // Two trusted hops.
        let got = t.client(ip("127.0.0.1"), Some("1.1.1.1, 203.0.113.7, 10.1.2.3"));
        assert_eq!(got, ip("203.0.113.7"));
        // An untrusted peer's header is ignored.
        assert_eq!(t.client(ip("192.0.2.9"), Some("1.2.3.4")), ip("192.0.2.9"));
        // No header behind a trusted proxy: the proxy is all we know.
        assert_eq!(t.client(ip("127.0.0.1"), None), ip("127.0.0.1"));
        // Garbage right of the trusted hops stops the walk.
        assert_eq!(
            t.client(ip("127.0.0.1"), Some("1.2.3.4, not-an-ip")),
            ip("127.0.0.1")
        );
        // Ports, brackets and mapped addresses.
        assert_eq!(
            t.client(ip("::ffff:127.0.0.1"), Some("[2001:db8::1]:443")),
            ip("2001:db8::1")
        );
        assert_eq!(
            t.client(ip("127.0.0.1"), Some("203.0.113.7:5000")),
            ip("203.0.113.7")
        );
        assert_eq!(
            TrustedProxies::none().client(ip("127.0.0.1"), Some("1.2.3.4")),
            ip("127.0.0.1")
        );
    }
}
