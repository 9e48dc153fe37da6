//! Cross-site form posts refused: the form places phone calls, so another site must not be able to submit it from a
//! visitor's browser.
//!
//! First, the request must have been sent to the public URL's host (its `Host` header): a page of another site whose
//! name was made to point at this server (DNS rebinding) is "same-origin" to the browser, but names its own host.
//! Then, browsers say where a form post comes from: `Sec-Fetch-Site` (current browsers), `Origin` (nearly all),
//! `Referer` (older ones). A post is same-origin when `Sec-Fetch-Site` says so, or when its origin is the public
//! URL's. A request that carries none of these headers is not a browser's cross-site post (curl, scripts, very old
//! browsers) and is allowed: the rate limits still apply to it. On a loopback public URL every loopback name
//! (`localhost`, `127.0.0.1`, `[::1]`) is the same host, so a newcomer who opens http://localhost:8000 is not refused.

use url::{Host, Url};

/// A browser posted the form from another site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cross-site form post refused ({reason})")]
pub(crate) struct CrossSite {
    reason: &'static str,
}

/// The decision, on plain values: the three headers, the public base URL, and the `Host` the request was sent to.
pub(crate) fn check(
    sec_fetch_site: Option<&str>,
    origin: Option<&str>,
    referer: Option<&str>,
    public_url: &str,
    host: Option<(&str, Option<u16>)>,
) -> Result<(), CrossSite> {
    let refuse = |reason| Err(CrossSite { reason });
    let Ok(public) = Url::parse(public_url) else {
        return refuse("the public URL is unreadable");
    };
    if let Some((domain, port)) = host {
        let sent_to = Url::parse(&format!(
            "{}://{domain}{}",
            public.scheme(),
            port.map(|p| format!(":{p}")).unwrap_or_default()
        ));
        if !sent_to.is_ok_and(|u| same_host_and_port(&u, &public)) {
            return refuse("the request was sent to another host name");
        }
    }
    match sec_fetch_site.map(str::trim) {
        // Set by the browser itself (page scripts cannot), so it is believed over an `Origin: null` that a strict
        // referrer policy produces on the site's own posts.
        Some(s) if s.eq_ignore_ascii_case("same-origin") || s.eq_ignore_ascii_case("none") => return Ok(()),
        Some(s) if s.eq_ignore_ascii_case("cross-site") => return refuse("Sec-Fetch-Site: cross-site"),
        // `same-site` (a sibling subdomain) or absent: the origin decides.
        _ => {}
    }
    let (claimed, header) = match (origin, referer) {
        (Some(o), _) => (o.trim(), "Origin"),
        (None, Some(r)) => (r.trim(), "Referer"),
        (None, None) => return Ok(()),
    };
    // `Origin: null` comes from sandboxed frames, data: URLs and cross-origin redirects: never from our own page
    // without `Sec-Fetch-Site: same-origin`.
    let Ok(claimed) = Url::parse(claimed) else {
        return refuse(if header == "Origin" {
            "Origin is null or unreadable"
        } else {
            "Referer is unreadable"
        });
    };
    if claimed.scheme() == public.scheme() && same_host_and_port(&claimed, &public) {
        Ok(())
    } else {
        refuse(if header == "Origin" {
            "Origin is another site"
        } else {
            "Referer is another site"
        })
    }
}

/// Whether two URLs name the same host and port, every loopback name counting as one.
fn same_host_and_port(a: &Url, b: &Url) -> bool {
    let loopback = |h: Option<Host<&str>>| match h {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let same_host = match (a.host_str(), b.host_str()) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y) || (loopback(a.host()) && loopback(b.host())),
        _ => false,
    };
    same_host && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = "https://stories.example.org";
    const HOST: Option<(&str, Option<u16>)> = Some(("stories.example.org", None));

    fn origin(o: &str) -> Result<(), CrossSite> {
        check(None, Some(o), None, PUBLIC, HOST)
    }

    #[test]
    fn allows_the_public_origin() {
        assert_eq!(origin("https://stories.example.org"), Ok(()));
        assert_eq!(origin("https://stories.example.org:443"), Ok(()));
        assert_eq!(origin("https://STORIES.example.org"), Ok(()));
    }

    #[test]
    fn every_loopback_name_is_the_same_host_on_a_loopback_public_url() {
        let public = "http://127.0.0.1:8000";
        for (host, origin) in [
            ("localhost", "http://localhost:8000"),
            ("127.0.0.1", "http://127.0.0.1:8000"),
            ("[::1]", "http://[::1]:8000"),
        ] {
            assert_eq!(
                check(None, Some(origin), None, public, Some((host, Some(8000)))),
                Ok(()),
                "{host}"
            );
        }
        assert!(
            check(
                None,
                Some("http://localhost:9999"),
                None,
                public,
                Some(("localhost", Some(8000)))
            )
            .is_err()
        );
        assert!(check(None, None, None, public, Some(("localhost", Some(9999)))).is_err());
    }

    #[test]
    fn refuses_a_request_sent_to_another_host_name_even_same_origin() {
        // DNS rebinding: evil.example now points here, and to the browser its own page is same-origin.
        for sec in [Some("same-origin"), None] {
            assert!(
                check(
                    sec,
                    Some("https://evil.example"),
                    None,
                    PUBLIC,
                    Some(("evil.example", None))
                )
                .is_err()
            );
            assert!(check(sec, None, None, PUBLIC, Some(("evil.example", None))).is_err());
        }
        let public = "http://127.0.0.1:8000";
        assert!(
            check(
                Some("same-origin"),
                None,
                None,
                public,
                Some(("rebound.example", Some(8000)))
            )
            .is_err()
        );
    }

    #[test]
    fn refuses_other_origins() {
        assert!(origin("https://evil.example").is_err());
        assert!(origin("https://stories.example.org.evil.example").is_err());
        assert!(origin("https://stories.example.org:8443").is_err());
        assert!(origin("http://stories.example.org").is_err());
        assert!(origin("null").is_err());
        assert!(origin("").is_err());
    }

    #[test]
    fn falls_back_to_the_referer() {
        assert_eq!(
            check(None, None, Some("https://stories.example.org/"), PUBLIC, HOST),
            Ok(())
        );
        assert!(check(None, None, Some("https://evil.example/form.html"), PUBLIC, HOST).is_err());
        // Origin wins over Referer.
        assert!(
            check(
                None,
                Some("https://evil.example"),
                Some("https://stories.example.org/"),
                PUBLIC,
                HOST
            )
            .is_err()
        );
    }

    #[test]
    fn believes_sec_fetch_site() {
        assert!(
            check(
                Some("cross-site"),
                Some("https://stories.example.org"),
                None,
                PUBLIC,
                HOST
            )
            .is_err()
        );
        assert_eq!(check(Some("same-origin"), Some("null"), None, PUBLIC, HOST), Ok(()));
        assert!(check(Some("same-site"), Some("https://other.example.org"), None, PUBLIC, HOST).is_err());
    }

    #[test]
    fn allows_requests_that_name_no_origin() {
        assert_eq!(check(None, None, None, PUBLIC, HOST), Ok(()));
        assert_eq!(check(None, None, None, PUBLIC, None), Ok(()));
    }
}
