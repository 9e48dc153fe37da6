//! Cross-site form posts refused: the form places phone calls, so another site must not be able to submit it from a
//! visitor's browser.
//!
//! Browsers say where a form post comes from: `Sec-Fetch-Site` (current browsers), `Origin` (nearly all), `Referer`
//! (older ones). A post is same-origin when `Sec-Fetch-Site` says so, or when its origin is the configured public URL's
//! or names the host the request was sent to. A request that carries none of these headers is not a browser's
//! cross-site post (curl, scripts, very old browsers) and is allowed: the rate limits still apply to it.

use url::Url;

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
    public_url: Option<&str>,
    host: Option<(&str, Option<u16>)>,
) -> Result<(), CrossSite> {
    let refuse = |reason| Err(CrossSite { reason });
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
    let same_as_public = public_url
        .and_then(|p| Url::parse(p).ok())
        .is_some_and(|p| p.origin() == claimed.origin());
    if same_as_public || names_host(&claimed, host) {
        Ok(())
    } else {
        refuse(if header == "Origin" {
            "Origin is another site"
        } else {
            "Referer is another site"
        })
    }
}

/// Whether a URL's host and port are those of the `Host` header. The scheme is not compared: behind a proxy that
/// ends TLS the browser's `https` page posts to a server that sees plain HTTP.
fn names_host(claimed: &Url, host: Option<(&str, Option<u16>)>) -> bool {
    let (Some((domain, port)), Some(claimed_host)) = (host, claimed.host_str()) else {
        return false;
    };
    if !claimed_host.eq_ignore_ascii_case(domain.trim_start_matches('[').trim_end_matches(']'))
        && !claimed_host.eq_ignore_ascii_case(domain)
    {
        return false;
    }
    match port {
        Some(port) => claimed.port_or_known_default() == Some(port),
        None => claimed.port().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: Option<&str> = Some("https://stories.example.org");
    const HOST: Option<(&str, Option<u16>)> = Some(("stories.example.org", None));

    fn origin(o: &str) -> Result<(), CrossSite> {
        check(None, Some(o), None, PUBLIC, HOST)
    }

    #[test]
    fn allows_the_public_origin_and_the_host_it_was_sent_to() {
        assert_eq!(origin("https://stories.example.org"), Ok(()));
        assert_eq!(origin("https://stories.example.org:443"), Ok(()));
        // A proxy ends TLS: the server sees http, the browser says https.
        assert_eq!(
            check(
                None,
                Some("https://127.0.0.1:8000"),
                None,
                None,
                Some(("127.0.0.1", Some(8000)))
            ),
            Ok(())
        );
        assert_eq!(
            check(None, Some("http://[::1]:8000"), None, None, Some(("[::1]", Some(8000)))),
            Ok(())
        );
    }

    #[test]
    fn refuses_other_origins() {
        assert!(origin("https://evil.example").is_err());
        assert!(origin("https://stories.example.org.evil.example").is_err());
        assert!(origin("https://stories.example.org:8443").is_err());
        assert!(origin("null").is_err());
        assert!(origin("").is_err());
        assert!(
            check(
                None,
                Some("http://127.0.0.1:9999"),
                None,
                None,
                Some(("127.0.0.1", Some(8000)))
            )
            .is_err()
        );
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
    }
}
