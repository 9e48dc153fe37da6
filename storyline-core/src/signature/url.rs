//! Splitting a webhook URL around its port, the one part Twilio may spell two ways.

use super::SignatureError;

/// A webhook URL cut into the text before the port, the port, and the text after it.
///
/// Nothing is normalised: scheme, host, path and query keep the bytes they were given, because
/// Twilio signs the URL exactly as it was configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WebhookUrl<'a> {
    /// `scheme://`, any user info, and the host.
    head: &'a str,
    /// The digits after the host's colon, if the URL names a port.
    port: Option<&'a str>,
    /// The scheme's default port, used to spell the URL with a port when it has none.
    default_port: &'static str,
    /// Path, query and fragment.
    rest: &'a str,
}

impl<'a> WebhookUrl<'a> {
    pub(super) fn parse(url: &'a str) -> Result<Self, SignatureError> {
        let malformed = |reason| SignatureError::MalformedUrl { reason };
        let (scheme, after_scheme) = url.split_once("://").ok_or_else(|| malformed("missing scheme"))?;
        let default_port = if scheme.eq_ignore_ascii_case("https") {
            "443"
        } else if scheme.eq_ignore_ascii_case("http") {
            "80"
        } else {
            return Err(malformed("scheme is not http or https"));
        };
        let authority_len = after_scheme.find(['/', '?', '#']).unwrap_or(after_scheme.len());
        let (authority, rest) = after_scheme.split_at(authority_len);
        let host_start = authority.rfind('@').map_or(0, |at| at + 1);
        let host_and_port = &authority[host_start..];
        // A colon inside an IPv6 literal (`[::1]`) does not start the port.
        let port_search_from = host_and_port.rfind(']').map_or(0, |bracket| bracket + 1);
        let (host, port) = match host_and_port[port_search_from..].find(':') {
            Some(colon) => {
                let colon = port_search_from + colon;
                (&host_and_port[..colon], Some(&host_and_port[colon + 1..]))
            }
            None => (host_and_port, None),
        };
        if host.is_empty() {
            return Err(malformed("missing host"));
        }
        if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
            return Err(malformed("port is not a number"));
        }
        let head_len = scheme.len() + "://".len() + host_start + host.len();
        Ok(Self {
            head: &url[..head_len],
            port,
            default_port,
            rest,
        })
    }

    /// The two spellings the official libraries try: without any port, and with the URL's own
    /// port (or the scheme's default when it names none). One of them is the URL as given.
    pub(super) fn spellings(&self) -> [[&'a str; 4]; 2] {
        [
            [self.head, "", "", self.rest],
            [self.head, ":", self.port.unwrap_or(self.default_port), self.rest],
        ]
    }

    /// The first value of a query parameter, decoded as a form would be.
    pub(super) fn query_value(&self, name: &str) -> Option<String> {
        let query = self.rest.split_once('?')?.1;
        let query = query.split_once('#').map_or(query, |(before, _)| before);
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .ok()?
            .into_iter()
            .find_map(|(key, value)| (key == name).then_some(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(url: &str) -> [String; 2] {
        WebhookUrl::parse(url).unwrap().spellings().map(|parts| parts.concat())
    }

    #[test]
    fn https_without_port_is_also_spelled_with_443() {
        assert_eq!(
            spelled("https://example.com/voice?a=1"),
            ["https://example.com/voice?a=1", "https://example.com:443/voice?a=1"]
        );
    }

    #[test]
    fn http_without_port_is_also_spelled_with_80() {
        assert_eq!(
            spelled("http://example.com"),
            ["http://example.com", "http://example.com:80"]
        );
    }

    #[test]
    fn explicit_port_is_also_spelled_without_it() {
        assert_eq!(
            spelled("https://example.com:8443/x"),
            ["https://example.com/x", "https://example.com:8443/x"]
        );
        assert_eq!(
            spelled("https://example.com:443/x"),
            ["https://example.com/x", "https://example.com:443/x"]
        );
    }

    #[test]
    fn keeps_scheme_case_user_info_and_ipv6_host() {
        assert_eq!(
            spelled("HTTPS://user:pw@[::1]:8443?q=1"),
            ["HTTPS://user:pw@[::1]?q=1", "HTTPS://user:pw@[::1]:8443?q=1"]
        );
    }

    #[test]
    fn colon_in_path_or_query_is_not_a_port() {
        assert_eq!(
            spelled("https://example.com/a:b?t=12:30"),
            ["https://example.com/a:b?t=12:30", "https://example.com:443/a:b?t=12:30"]
        );
    }

    #[test]
    fn rejects_urls_it_cannot_spell() {
        for url in [
            "example.com/voice",
            "ftp://example.com/voice",
            "https:///voice",
            "https://example.com:/voice",
            "https://example.com:44x/voice",
        ] {
            assert!(
                matches!(WebhookUrl::parse(url), Err(SignatureError::MalformedUrl { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn finds_first_decoded_query_value() {
        let url = WebhookUrl::parse("https://e.com/p?a=1&bodySHA256=ab%63&bodySHA256=x#frag").unwrap();
        assert_eq!(url.query_value("bodySHA256").as_deref(), Some("abc"));
        assert_eq!(url.query_value("missing"), None);
        let no_query = WebhookUrl::parse("https://e.com/p").unwrap();
        assert_eq!(no_query.query_value("a"), None);
    }
}
