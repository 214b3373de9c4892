//! Where a webhook may be sent. A `webhook_url` comes from a tenant, and the service
//! POSTs to it: without this check it could be aimed at the network we run in
//! (metadata endpoints, private ranges, the service itself). Checked when a pause is
//! created and again by the queue consumer just before each attempt.
//!
//! The rules: `https` (plain `http` only to loopback in local mode); no credentials;
//! any port but 0; the host must be a public name or a public IP address. Refused:
//! IP literals in non-public ranges in any spelling (the WHATWG parser turns
//! `2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` into `127.0.0.1` first), IPv6 forms
//! that embed such an address, single-label names, the special-use suffixes below,
//! and the service's own host. Local mode allows loopback (127.0.0.0/8, `::1`,
//! `localhost`) and nothing else private. Names are not resolved here (a Worker has
//! no DNS lookup): a public name that resolves to a private address is not caught.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

pub const MAX_URL_CHARS: usize = 2048;

/// Names that never lead anywhere public (RFC 6761, 6762, 8375, ICANN's private-use
/// `.internal`, and common intranet suffixes), and wildcard-DNS services that
/// resolve any name to the address it spells (`127.0.0.1.nip.io`).
const REFUSED_SUFFIXES: &[&str] = &[
    "localhost",
    "local",
    "internal",
    "localdomain",
    "home.arpa",
    "arpa",
    "lan",
    "home",
    "corp",
    "intranet",
    "private",
    "nip.io",
    "sslip.io",
    "xip.io",
    "localtest.me",
    "lvh.me",
];

/// What the deployment allows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy<'a> {
    /// `PAUSEPOINT_MODE=local`: loopback (and `http` to it) is allowed.
    pub local: bool,
    /// Test deployments (`PAUSEPOINT_EGRESS=loopback`): nothing but loopback at all.
    pub loopback_only: bool,
    /// The service's own origins (`PUBLIC_BASE_URL`, the request's): never a target.
    pub own_origins: &'a [&'a str],
}

/// Why an IP address is not a public one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Unspecified,
    Loopback,
    Private,
    SharedNat,
    LinkLocal,
    Metadata,
    UniqueLocal,
    Multicast,
    Broadcast,
    Documentation,
    Reserved,
}

impl Range {
    fn describe(self) -> &'static str {
        match self {
            Range::Unspecified => "the unspecified address",
            Range::Loopback => "a loopback address",
            Range::Private => "a private network (10/8, 172.16/12, 192.168/16)",
            Range::SharedNat => "the carrier-grade NAT range (100.64.0.0/10)",
            Range::LinkLocal => "a link-local address",
            Range::Metadata => "a cloud metadata endpoint",
            Range::UniqueLocal => "a unique local IPv6 address (fc00::/7)",
            Range::Multicast => "a multicast address",
            Range::Broadcast => "the broadcast address",
            Range::Documentation => "a documentation range",
            Range::Reserved => "a reserved or special-purpose range",
        }
    }
}

/// The range a non-public IPv4 address is in; `None` for a public one.
pub fn ipv4_range(ip: Ipv4Addr) -> Option<Range> {
    let [a, b, c, _] = ip.octets();
    const METADATA: [[u8; 4]; 5] = [
        [169, 254, 169, 254],
        [169, 254, 169, 253],
        [169, 254, 170, 2],
        [100, 100, 100, 200],
        [192, 0, 0, 192],
    ];
    Some(match (a, b, c) {
        _ if METADATA.contains(&ip.octets()) => Range::Metadata,
        (0, _, _) => Range::Unspecified,
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => Range::Private,
        (100, 64..=127, _) => Range::SharedNat,
        (127, _, _) => Range::Loopback,
        (169, 254, _) => Range::LinkLocal,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Range::Documentation,
        (192, 0, 0) | (192, 88, 99) | (198, 18..=19, _) => Range::Reserved,
        (224..=239, _, _) => Range::Multicast,
        _ if ip == Ipv4Addr::BROADCAST => Range::Broadcast,
        (240..=255, _, _) => Range::Reserved,
        _ => return None,
    })
}

/// The range of a non-public IPv6 address, and whether it was found through an IPv4
/// address embedded in it (mapped, compatible, NAT64). `None` for a public one.
pub fn ipv6_range(ip: Ipv6Addr) -> Option<(Range, bool)> {
    let s = ip.segments();
    let embedded = |ip: Ipv6Addr| {
        let o = ip.octets();
        Ipv4Addr::new(o[12], o[13], o[14], o[15])
    };
    if ip.is_unspecified() {
        return Some((Range::Unspecified, false));
    }
    if ip.is_loopback() {
        return Some((Range::Loopback, false));
    }
    // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64):
    // judged by the IPv4 address inside; a public one is still not a webhook target.
    let mapped = s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0);
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    if mapped || nat64 {
        let inner = ipv4_range(embedded(ip)).unwrap_or(Range::Reserved);
        return Some((inner, true));
    }
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return Some((Range::Metadata, false));
    }
    let range = match s[0] {
        0xfc00..=0xfdff => Range::UniqueLocal,
        0xfe80..=0xfebf => Range::LinkLocal,
        0xfec0..=0xfeff => Range::Reserved, // site-local, deprecated
        0xff00..=0xffff => Range::Multicast,
        0x2001 if s[1] == 0x0db8 => Range::Documentation,
        0x3fff if s[1] < 0x1000 => Range::Documentation,
        0x2001 if s[1] < 0x0200 => Range::Reserved, // IETF protocol assignments, Teredo
        0x2002 => Range::Reserved,                  // 6to4: wraps any IPv4 address
        // Global unicast is 2000::/3; everything else is unassigned or special.
        0x2000..=0x3fff => return None,
        _ => Range::Reserved,
    };
    Some((range, false))
}

/// The URL as it will be fetched (normalised by the WHATWG parser), or a sentence
/// that says why it is refused.
pub fn check(raw: &str, policy: &Policy) -> Result<String, String> {
    let s = raw.trim();
    if s.len() > MAX_URL_CHARS {
        return Err(format!(
            "`webhook_url` is longer than {MAX_URL_CHARS} characters."
        ));
    }
    // The parser silently drops tabs and newlines: refuse them instead.
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "`webhook_url` is not a valid URL: it contains spaces or control characters.".into(),
        );
    }
    let url = Url::parse(s).map_err(|_| {
        "`webhook_url` is not a valid absolute URL such as https://hooks.example.com/pausepoint."
            .to_string()
    })?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("`webhook_url` must use https://.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "`webhook_url` must not contain credentials (user:password@): verify the signature instead."
                .into(),
        );
    }
    if url.port() == Some(0) {
        return Err("`webhook_url` must not use port 0.".into());
    }
    let host = url
        .host()
        .ok_or("`webhook_url` must name a host, e.g. https://hooks.example.com/.")?;
    let loopback = check_host(&host, policy)?;
    if policy.loopback_only && !loopback {
        return Err("`webhook_url` must be a loopback address on this deployment (PAUSEPOINT_EGRESS=loopback).".into());
    }
    if url.scheme() == "http" && !(policy.local && loopback) {
        return Err(
            "`webhook_url` must use https:// (http://localhost is allowed only in local mode)."
                .into(),
        );
    }
    if is_own(&url, policy) {
        return Err(
            "`webhook_url` points at this service itself: send webhooks to your own endpoint."
                .into(),
        );
    }
    Ok(url.to_string())
}

/// Whether the host may be called; `Ok(true)` when it is a (local mode) loopback one.
fn check_host(host: &Host<&str>, policy: &Policy) -> Result<bool, String> {
    let refuse = |what: &str| {
        Err(format!(
            "`webhook_url` points to {what}: webhooks go only to public addresses on the internet."
        ))
    };
    let ip_range = match host {
        Host::Ipv4(ip) => ipv4_range(*ip).map(|r| (r, false)),
        Host::Ipv6(ip) => ipv6_range(*ip),
        Host::Domain(d) => return check_domain(d, policy),
    };
    match ip_range {
        None => Ok(false),
        Some((Range::Loopback, false)) if policy.local => Ok(true),
        Some((range, false)) => refuse(range.describe()),
        Some((range, true)) => refuse(&format!(
            "an IPv6 form of an IPv4 address ({})",
            range.describe()
        )),
    }
}

fn check_domain(domain: &str, policy: &Policy) -> Result<bool, String> {
    let name = domain.strip_suffix('.').unwrap_or(domain);
    if name == "localhost" && policy.local {
        return Ok(true);
    }
    if name.is_empty() || name.split('.').any(str::is_empty) {
        return Err("`webhook_url` has an invalid host name.".into());
    }
    if let Some(suffix) = REFUSED_SUFFIXES
        .iter()
        .find(|s| name == **s || name.ends_with(&format!(".{s}")))
    {
        return Err(format!(
            "`webhook_url` uses a host under `.{suffix}`, which is not a public name: webhooks go only to public hosts on the internet."
        ));
    }
    if !name.contains('.') {
        return Err(format!(
            "`webhook_url` host `{name}` is a single-label name (an intranet host): use a fully qualified public name."
        ));
    }
    Ok(false)
}

/// Same host as one of the service's own origins: outside local mode any port, in
/// local mode (where receivers share 127.0.0.1) the same port.
fn is_own(url: &Url, policy: &Policy) -> bool {
    // All loopback spellings are one host: `localhost:8787` is `127.0.0.1:8787`.
    let key = |u: &Url| {
        let host = match u.host()? {
            Host::Ipv4(ip) if ip.is_loopback() => "loopback".to_string(),
            Host::Ipv6(ip) if ip.is_loopback() => "loopback".to_string(),
            Host::Domain(d) if d.trim_end_matches('.') == "localhost" => "loopback".to_string(),
            h => h.to_string().trim_end_matches('.').to_string(),
        };
        Some((host, u.port_or_known_default()))
    };
    let Some((host, port)) = key(url) else {
        return false;
    };
    policy
        .own_origins
        .iter()
        .filter_map(|o| Url::parse(o).ok())
        .filter_map(|o| key(&o))
        .any(|(h, p)| h == host && (!policy.local || p == port))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROD: Policy = Policy {
        local: false,
        loopback_only: false,
        own_origins: &["https://pausepoint.example.com"],
    };
    const LOCAL: Policy = Policy {
        local: true,
        loopback_only: false,
        own_origins: &["http://127.0.0.1:8787"],
    };

    fn refused(url: &str, policy: &Policy) -> String {
        match check(url, policy) {
            Ok(u) => panic!("{url} was accepted as {u}"),
            Err(m) => m,
        }
    }

    #[test]
    fn public_https_urls_are_accepted_and_normalised() {
        for (raw, want) in [
            (
                "https://hooks.example.com/p?x=1",
                "https://hooks.example.com/p?x=1",
            ),
            ("https://Hooks.Example.COM", "https://hooks.example.com/"),
            (
                "https://hooks.example.com:8443/x",
                "https://hooks.example.com:8443/x",
            ),
            (
                "https://hooks.example.com:443/x",
                "https://hooks.example.com/x",
            ),
            ("https://8.8.8.8/hook", "https://8.8.8.8/hook"),
            (
                "https://[2606:4700::1111]/hook",
                "https://[2606:4700::1111]/hook",
            ),
            ("  https://example.org/  ", "https://example.org/"),
            (
                "https://hooks.example.com./x",
                "https://hooks.example.com./x",
            ),
        ] {
            assert_eq!(check(raw, &PROD).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn every_non_public_ipv4_range_is_refused() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.255",
            "100.100.100.200",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.0.1",
            "169.254.169.254",
            "169.254.170.2",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.1",
            "192.0.0.192",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.0.1",
            "192.168.255.255",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            let url = format!("https://{ip}/hook");
            assert!(refused(&url, &PROD).contains("public addresses"), "{url}");
        }
        for public in [
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.169.0.1",
            "223.255.255.255",
        ] {
            assert!(
                check(&format!("https://{public}/"), &PROD).is_ok(),
                "{public}"
            );
        }
    }

    #[test]
    fn ranges_are_named() {
        assert_eq!(
            ipv4_range("169.254.169.254".parse().unwrap()),
            Some(Range::Metadata)
        );
        assert_eq!(
            ipv4_range("169.254.1.1".parse().unwrap()),
            Some(Range::LinkLocal)
        );
        assert_eq!(
            ipv4_range("100.64.1.1".parse().unwrap()),
            Some(Range::SharedNat)
        );
        assert_eq!(
            ipv4_range("255.255.255.255".parse().unwrap()),
            Some(Range::Broadcast)
        );
        assert_eq!(ipv4_range("9.9.9.9".parse().unwrap()), None);
        assert!(refused("https://169.254.169.254/", &PROD).contains("metadata"));
        assert!(refused("https://[fd00:ec2::254]/", &PROD).contains("metadata"));
        assert!(refused("https://10.1.2.3/", &PROD).contains("private network"));
    }

    #[test]
    fn every_non_public_ipv6_range_is_refused() {
        for ip in [
            "::",
            "::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "fc00::1",
            "fd12:3456::1",
            "fd00:ec2::254",
            "ff02::1",
            "ff0e::1",
            "2001:db8::1",
            "2001::1",
            "2001:1ff::1",
            "2002:7f00:1::1",
            "3fff::1",
            "100::1",
            "64:ff9b:1::1",
            "4000::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "::ffff:192.168.1.1",
            "::ffff:7f00:1",
            "::127.0.0.1",
            "::10.0.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::10.0.0.1",
            "64:ff9b::7f00:1",
            "0:0:0:0:0:ffff:a00:1",
        ] {
            let url = format!("https://[{ip}]/hook");
            assert!(refused(&url, &PROD).contains("public addresses"), "{url}");
        }
        assert!(refused("https://[::ffff:10.0.0.1]/", &PROD).contains("IPv6 form"));
        assert_eq!(
            ipv6_range("::ffff:10.0.0.1".parse().unwrap()),
            Some((Range::Private, true))
        );
        for public in ["2606:4700::1111", "2a00:1450::1", "2001:4860:4860::8888"] {
            assert!(
                check(&format!("https://[{public}]/"), &PROD).is_ok(),
                "{public}"
            );
        }
    }

    #[test]
    fn non_canonical_ipv4_spellings_are_normalised_then_refused() {
        // The WHATWG parser (which the Worker's fetch uses too) reads all of these as
        // 127.0.0.1 or 10.0.0.1: they are judged as such.
        for raw in [
            "https://2130706433/",
            "https://0177.0.0.1/",
            "https://0x7f.1/",
            "https://0x7f000001/",
            "https://127.1/",
            "https://127.0.1/",
            "https://0x7F.0.0.1/",
            "https://017700000001/",
            "https://127.0.0.1./",
            "https://167772161/",
            "https://0xa.0.0.1/",
            "https://012.1/",
            "https://0/",
            "https://[::ffff:127.0.0.1]/",
            "https://%31%32%37.0.0.1/",
            "https://１２７.０.０.１/",
        ] {
            let m = refused(raw, &PROD);
            assert!(m.contains("public addresses"), "{raw}: {m}");
        }
        assert_eq!(
            Url::parse("https://0x7f.1/").unwrap().host_str(),
            Some("127.0.0.1")
        );
        assert_eq!(
            Url::parse("https://2130706433/").unwrap().host_str(),
            Some("127.0.0.1")
        );
    }

    #[test]
    fn names_that_are_not_public_are_refused() {
        for raw in [
            "https://intranet/",
            "https://intranet./",
            "https://localhost/",
            "https://LOCALHOST./",
            "https://api.localhost/",
            "https://metadata.google.internal/computeMetadata/v1/",
            "https://printer.local/",
            "https://router.lan/",
            "https://nas.home.arpa/",
            "https://1.0.0.127.in-addr.arpa/",
            "https://db.corp/",
            "https://127.0.0.1.nip.io/",
            "https://app.localtest.me/",
            "https://ｌｏｃａｌｈｏｓｔ/",
        ] {
            let m = refused(raw, &PROD);
            assert!(m.contains("public"), "{raw}: {m}");
        }
    }

    #[test]
    fn scheme_credentials_and_port() {
        assert!(refused("http://hooks.example.com/", &PROD).contains("https"));
        assert!(refused("http://hooks.example.com/", &LOCAL).contains("https"));
        assert!(refused("ftp://hooks.example.com/", &PROD).contains("https"));
        assert!(refused("file:///etc/passwd", &PROD).contains("https"));
        assert!(refused("javascript:alert(1)", &PROD).contains("https"));
        assert!(refused("https://user:pw@hooks.example.com/", &PROD).contains("credentials"));
        assert!(refused("https://user@hooks.example.com/", &PROD).contains("credentials"));
        assert!(refused("https://:pw@hooks.example.com/", &PROD).contains("credentials"));
        assert!(refused("https://hooks.example.com:0/", &PROD).contains("port 0"));
        assert!(check("https://hooks.example.com:1/", &PROD).is_ok());
        assert!(check("https://hooks.example.com:65535/", &PROD).is_ok());
        assert!(check("https://hooks.example.com:65536/", &PROD).is_err());
        assert!(check("hooks.example.com/x", &PROD).is_err());
        assert!(check("https://", &PROD).is_err());
        assert!(check("https://exa mple.com/", &PROD).is_err());
        assert!(check("https://example.com/\thook", &PROD).is_err());
        assert!(check(&format!("https://e.com/{}", "a".repeat(2100)), &PROD).is_err());
    }

    #[test]
    fn local_mode_allows_loopback_and_nothing_else_private() {
        for ok in [
            "http://127.0.0.1:9000/hook",
            "http://127.0.0.2:9000/hook",
            "http://localhost:9000/hook",
            "http://[::1]:9000/hook",
            "https://127.0.0.1:9000/hook",
            "http://2130706433:9000/hook",
            "https://hooks.example.com/",
        ] {
            assert!(check(ok, &LOCAL).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1/",
            "http://192.168.1.10:8080/",
            "http://169.254.169.254/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0:9000/",
            "http://[::]:9000/",
            "http://intranet/",
            "http://api.localhost/",
            "http://printer.local/",
            "http://localhost.evil.com/hook",
        ] {
            assert!(check(bad, &LOCAL).is_err(), "{bad}");
        }
        for bad in ["https://127.0.0.1/", "https://[::1]/", "https://localhost/"] {
            assert!(check(bad, &PROD).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_service_itself_is_refused() {
        assert!(refused("https://pausepoint.example.com/v1/pause", &PROD).contains("itself"));
        assert!(refused("https://PausePoint.example.com.:8443/x", &PROD).contains("itself"));
        assert!(check("https://other.example.com/", &PROD).is_ok());
        // Locally receivers share 127.0.0.1: only the service's own port is refused.
        assert!(refused("http://127.0.0.1:8787/v1/pause", &LOCAL).contains("itself"));
        assert!(refused("http://localhost:8787/v1/pause", &LOCAL).contains("itself"));
        assert!(refused("http://127.0.0.2:8787/", &LOCAL).contains("itself"));
        assert!(refused("http://[::1]:8787/", &LOCAL).contains("itself"));
        assert!(check("http://127.0.0.1:9000/hook", &LOCAL).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_judged_without_panic(raw in proptest::prelude::any::<String>(), local in proptest::prelude::any::<bool>()) {
            let policy = if local { LOCAL } else { PROD };
            if let Ok(u) = check(&raw, &policy) {
                proptest::prop_assert!(u.starts_with("https://") || (local && u.starts_with("http://")));
                // What is stored is judged the same way when the consumer checks it again.
                proptest::prop_assert_eq!(check(&u, &policy), Ok(u.clone()));
            }
        }

        #[test]
        fn url_like_strings_are_judged_without_panic(
            scheme in "(https?|ftp|HTTPS)://",
            host in "[a-z0-9.:\\[\\]%@-]{0,30}|\\PC{0,20}",
            rest in "(:[0-9]{0,6})?(/\\PC{0,20})?",
        ) {
            let raw = format!("{scheme}{host}{rest}");
            if let Ok(u) = check(&raw, &PROD) {
                let parsed = Url::parse(&u).unwrap();
                let host_ok = match parsed.host().unwrap() {
                    Host::Ipv4(ip) => ipv4_range(ip).is_none(),
                    Host::Ipv6(ip) => ipv6_range(ip).is_none(),
                    Host::Domain(d) => d.trim_end_matches('.').contains('.'),
                };
                proptest::prop_assert!(host_ok, "{} accepted", u);
            }
        }

        #[test]
        fn every_ipv4_address_in_every_spelling_gets_its_range_verdict(n in proptest::prelude::any::<u32>()) {
            let ip = Ipv4Addr::from(n);
            let public = ipv4_range(ip).is_none();
            for spelled in [ip.to_string(), n.to_string(), format!("{n:#x}"), format!("[::ffff:{ip}]")] {
                let verdict = check(&format!("https://{spelled}/"), &PROD).is_ok();
                let expect = public && !spelled.starts_with('[');
                proptest::prop_assert_eq!(verdict, expect, "{}", spelled);
            }
        }

        #[test]
        fn every_ipv6_address_gets_its_range_verdict(n in proptest::prelude::any::<u128>()) {
            let ip = Ipv6Addr::from(n);
            let verdict = check(&format!("https://[{ip}]/"), &PROD).is_ok();
            proptest::prop_assert_eq!(verdict, ipv6_range(ip).is_none());
        }
    }

    #[test]
    fn a_loopback_only_deployment_refuses_everything_else() {
        let guard = Policy {
            loopback_only: true,
            ..LOCAL
        };
        assert!(check("http://127.0.0.1:9000/", &guard).is_ok());
        assert!(check("http://localhost:9000/", &guard).is_ok());
        assert!(refused("https://hooks.example.com/", &guard).contains("PAUSEPOINT_EGRESS"));
        assert!(refused("https://8.8.8.8/", &guard).contains("PAUSEPOINT_EGRESS"));
        let prod_guard = Policy {
            loopback_only: true,
            ..PROD
        };
        assert!(check("https://127.0.0.1/", &prod_guard).is_err());
        assert!(check("https://hooks.example.com/", &prod_guard).is_err());
    }
}
