//! Where webhooks may go. A webhook is a request this server makes to an address a merchant chose,
//! so an endpoint could point it at what only the server can reach (a database port, a cloud
//! metadata service, an admin page on the private network). By default an endpoint must be
//! `https://` to a public host: literal addresses and names that cannot be public are refused when
//! the endpoint is saved, and the delivery worker checks every address a name resolves to when it
//! sends (DNS can change after the check; see `is_public_address`). A server started with
//! `--webhook-allow-private` (tests, local development, `--demo`) allows plain http and any address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Checks a webhook URL as given; the URL as stored, or what is wrong with it.
pub fn check_url(raw: &str, allow_private: bool) -> Result<String, String> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err(format!("the URL is longer than {MAX_URL_LEN} characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| format!("not a valid URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err("the URL must use https".into()),
        other => return Err(format!("the URL must use https, not {other}")),
    }
    if url.fragment().is_some() {
        return Err("the URL must not have a fragment (#...)".into());
    }
    let host = url.host().ok_or("the URL has no host")?;
    if !allow_private {
        let public = match host {
            url::Host::Ipv4(v4) => is_public_address(IpAddr::V4(v4)),
            url::Host::Ipv6(v6) => is_public_address(IpAddr::V6(v6)),
            url::Host::Domain(name) => is_public_name(name),
        };
        if !public {
            return Err(format!(
                "{host} is a private, loopback or link-local address; webhooks go to public hosts"
            ));
        }
    }
    Ok(url.to_string())
}

/// Whether a host name can be a public one (a resolved name is checked again at delivery).
fn is_public_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let private_suffixes = [".localhost", ".local", ".internal", ".home.arpa", ".lan"];
    name.contains('.')
        && name != "localhost"
        && !private_suffixes.iter().any(|suffix| name.ends_with(suffix))
}

/// Whether a webhook may be sent to `address`: not loopback, private, link-local, site-local,
/// shared (CGNAT), unspecified, multicast, broadcast, documentation, benchmarking or reserved, nor
/// an IPv6 form of one of those (IPv4-mapped, NAT64, 6to4) or a tunnel to IPv4 (Teredo, local-use
/// NAT64).
pub fn is_public_address(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    !(v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = v6.segments();
    let embedded_v4 = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they carry.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return is_public_v4(embedded_v4(segments[1], segments[2]));
    }
    !(v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        // Site-local (deprecated, still routed inside some networks).
        || (segments[0] & 0xffc0) == 0xfec0
        // Teredo (2001::/32) and local-use NAT64 (64:ff9b:1::/48) tunnel to IPv4 addresses.
        || (segments[0] == 0x2001 && segments[1] == 0)
        || segments[..3] == [0x64, 0xff9b, 1]
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        || segments[..6] == [0, 0, 0, 0, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_https_urls_are_accepted_as_given() {
        assert_eq!(
            check_url(" https://hooks.example.com/polar?x=1 ", false).unwrap(),
            "https://hooks.example.com/polar?x=1"
        );
        assert!(check_url("https://93.184.216.34/hook", false).is_ok());
    }

    #[test]
    fn plain_http_and_private_targets_are_refused_unless_allowed() {
        for url in [
            "http://hooks.example.com/",
            "https://localhost/hook",
            "https://127.0.0.1/hook",
            "https://10.1.2.3/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://printer.local/",
            "https://metadata.internal/",
            "https://intranet/",
            "https://0.0.0.0/",
            "https://100.64.0.1/",
        ] {
            assert!(check_url(url, false).is_err(), "{url}");
        }
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
    }

    #[test]
    fn other_schemes_and_malformed_urls_are_refused_even_when_private_is_allowed() {
        for url in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "not a url",
            "https://example.com/#x",
        ] {
            assert!(check_url(url, true).is_err(), "{url}");
        }
        assert!(check_url(&format!("https://example.com/{}", "a".repeat(3000)), true).is_err());
    }

    #[test]
    fn ipv6_forms_of_private_ipv4_addresses_are_private() {
        for address in [
            "64:ff9b::a00:1",
            "2002:a00:1::1",
            "::ffff:192.168.1.1",
            "fe80::1",
        ] {
            assert!(!is_public_address(address.parse().unwrap()), "{address}");
        }
        assert!(is_public_address("2606:4700::1111".parse().unwrap()));
        assert!(is_public_address("1.1.1.1".parse().unwrap()));
    }
}
