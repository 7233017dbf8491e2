//! What the request says about itself, believed only from trusted proxies: the client's IP
//! (for login throttling and the session list) and the origin the client used (for links).
//! `X-Forwarded-*` headers from anyone else are ignored, so a client cannot pick the IP it is
//! throttled under or the host its links point to.

use std::net::IpAddr;

use actix_web::{HttpRequest, web};

/// `server.trusted_proxies`: peers whose `X-Forwarded-For/-Host/-Proto` are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<ProxyRange>);

impl TrustedProxies {
    fn contains(&self, ip: &IpAddr) -> bool {
        self.0.iter().any(|range| range.0.contains(ip))
    }
}

/// One entry of `server.trusted_proxies`: an address (`10.0.0.7`, `::1`) or a CIDR range
/// (`10.0.0.0/8`, RFC 4632; `fd00::/8`), for load balancers and ingress controllers whose
/// addresses change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRange(ipnet::IpNet);

impl std::str::FromStr for ProxyRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        text.parse::<ipnet::IpNet>()
            .or_else(|_| text.parse::<IpAddr>().map(ipnet::IpNet::from))
            .map(Self)
            .map_err(|_| format!("'{text}' is neither an IP address nor a CIDR range"))
    }
}

impl<'de> serde::Deserialize<'de> for ProxyRange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn trusted(req: &HttpRequest) -> Option<&TrustedProxies> {
    let proxies = req.app_data::<web::Data<TrustedProxies>>()?;
    let peer = req.peer_addr()?.ip().to_canonical();
    proxies.contains(&peer).then_some(proxies.get_ref())
}

/// The header's last line: a proxy that appends a line of its own rather than replace the
/// client's writes it last.
fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(name)
        .last()
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The client's address: the peer, or behind trusted proxies the right-most address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    // An IPv4 client of a dual-stack listener (`::`) is `::ffff:a.b.c.d`: the IPv4 address.
    let peer = req.peer_addr()?.ip().to_canonical();
    let Some(proxies) = trusted(req) else {
        return Some(peer);
    };
    // Every `X-Forwarded-For` line, in order, as one list (RFC 9110 §5.3): a proxy may append
    // a line of its own rather than extend the client's.
    let lines: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    let hops = lines.iter().rev().flat_map(|line| line.rsplit(','));
    for hop in hops {
        // A hop that is no address ends the trail: what lies left of it cannot be trusted.
        let Some(ip) = hop_address(hop) else {
            return Some(peer);
        };
        if !proxies.contains(&ip) {
            return Some(ip);
        }
    }
    Some(peer)
}

/// One `X-Forwarded-For` hop: an address, or an address with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:5678`), as some proxies write them.
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| ip.to_canonical())
}

/// `scheme://host` the client used: `Host` (and plain http) from a direct client; the
/// `X-Forwarded-Proto`/`-Host` of a trusted proxy.
pub fn origin(req: &HttpRequest) -> String {
    let host_header = || header(req, "host").unwrap_or("localhost");
    let (scheme, host) = match trusted(req) {
        Some(_) => (
            header(req, "x-forwarded-proto").unwrap_or("http"),
            header(req, "x-forwarded-host").unwrap_or_else(host_header),
        ),
        None => ("http", host_header()),
    };
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{}", sanitize_host(host))
}

/// Keeps a host to the characters a host (with port, or bracketed IPv6) may hold.
fn sanitize_host(host: &str) -> String {
    host.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(peer: &str, headers: &[(&str, &str)], trusted: &[&str]) -> HttpRequest {
        let mut req = TestRequest::default()
            .peer_addr(format!("{peer}:5000").parse().unwrap())
            .app_data(web::Data::new(TrustedProxies(
                trusted.iter().map(|t| t.parse().unwrap()).collect(),
            )));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        req.to_http_request()
    }

    #[test]
    fn forwarded_headers_from_strangers_are_ignored() {
        let req = request(
            "203.0.113.9",
            &[
                ("x-forwarded-for", "1.2.3.4"),
                ("x-forwarded-host", "evil.example"),
                ("host", "img.example"),
            ],
            &["10.0.0.1"],
        );
        assert_eq!(client_ip(&req), Some("203.0.113.9".parse().unwrap()));
        assert_eq!(origin(&req), "http://img.example");
    }

    #[test]
    fn a_trusted_proxy_is_believed_up_to_the_first_untrusted_hop() {
        let req = request(
            "10.0.0.1",
            &[
                ("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.2"),
                ("x-forwarded-host", "img.example"),
                ("x-forwarded-proto", "https"),
            ],
            &["10.0.0.1", "10.0.0.2"],
        );
        assert_eq!(client_ip(&req), Some("198.51.100.7".parse().unwrap()));
        assert_eq!(origin(&req), "https://img.example");
    }

    #[test]
    fn every_forwarded_for_line_counts_and_the_last_is_the_proxys() {
        // HAProxy's `option forwardfor` appends its own line after the client's.
        let mut req = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .app_data(web::Data::new(TrustedProxies(vec![
                "10.0.0.1".parse().unwrap(),
            ])));
        req = req.append_header(("x-forwarded-for", "1.1.1.1"));
        req = req.append_header(("x-forwarded-for", "3.3.3.3"));
        assert_eq!(
            client_ip(&req.to_http_request()),
            Some("3.3.3.3".parse().unwrap())
        );
        let with_port = request(
            "10.0.0.1",
            &[("x-forwarded-for", "1.1.1.1, 6.6.6.6:1234")],
            &["10.0.0.1"],
        );
        assert_eq!(client_ip(&with_port), Some("6.6.6.6".parse().unwrap()));
        // A hop that is no address: the proxy's own peer, never what the client wrote left of it.
        let junk = request(
            "10.0.0.1",
            &[("x-forwarded-for", "1.1.1.1, unknown")],
            &["10.0.0.1"],
        );
        assert_eq!(client_ip(&junk), Some("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn an_ipv4_peer_of_a_dual_stack_listener_is_its_ipv4_address() {
        let req = request(
            "[::ffff:10.0.0.1]",
            &[("x-forwarded-for", "198.51.100.7, ::ffff:10.0.0.2")],
            &["10.0.0.0/24"],
        );
        assert_eq!(client_ip(&req), Some("198.51.100.7".parse().unwrap()));
        let direct = request("[::ffff:203.0.113.9]", &[], &[]);
        assert_eq!(client_ip(&direct), Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn a_cidr_range_trusts_every_proxy_inside_it() {
        let req = request(
            "10.42.7.19",
            &[("x-forwarded-for", "198.51.100.7, 10.42.0.3")],
            &["10.42.0.0/16"],
        );
        assert_eq!(client_ip(&req), Some("198.51.100.7".parse().unwrap()));
        let outside = request(
            "10.43.0.1",
            &[("x-forwarded-for", "1.2.3.4")],
            &["10.42.0.0/16"],
        );
        assert_eq!(client_ip(&outside), Some("10.43.0.1".parse().unwrap()));
        assert!("fd00::/8".parse::<ProxyRange>().is_ok());
        assert!("::1".parse::<ProxyRange>().is_ok());
        let bad = "10.0.0.0/33".parse::<ProxyRange>().unwrap_err();
        assert!(bad.contains("10.0.0.0/33"), "{bad}");
    }

    #[test]
    fn a_host_cannot_smuggle_markup_into_links() {
        let req = request("203.0.113.9", &[("host", "a.example\"><script>")], &[]);
        assert_eq!(origin(&req), "http://a.examplescript");
    }
}
