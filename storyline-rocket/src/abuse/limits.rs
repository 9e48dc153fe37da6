//! The client a request comes from, as the limits count it. The limits themselves (per number, per address, and the
//! whole service's budget) are counted from the recordings table, so they hold across restarts and instances, in the
//! same transaction that inserts the recording ([`crate::store::CallLimits`]).

use std::net::IpAddr;

/// The client a request comes from, as the limits count it: Rocket's client IP (the `ROCKET_IP_HEADER` header when
/// present, else the peer address), with an IPv6 address reduced to its /56 network: ISPs commonly give one subscriber
/// a /56 (or a /48), so counting by /64 would let one household ask for calls from 256 networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientAddress(String);

impl ClientAddress {
    /// The stored form: a dotted IPv4 address, or an IPv6 /56 network such as `2001:db8:1:200::/56`.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<IpAddr> for ClientAddress {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => ClientAddress(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientAddress(v4.to_string()),
                None => {
                    let network = u128::from(v6) & (u128::MAX << 72);
                    ClientAddress(format!("{}/56", std::net::Ipv6Addr::from(network)))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_addresses_count_alone() {
        let a: IpAddr = "203.0.113.7".parse().expect("an address");
        assert_eq!(ClientAddress::from(a).as_str(), "203.0.113.7");
    }

    #[test]
    fn ipv6_addresses_count_by_their_56_network() {
        let a: IpAddr = "2001:db8:1:2aa:aaaa::1".parse().expect("an address");
        // Another /64 of the same household's /56.
        let b: IpAddr = "2001:db8:1:2ff:ffff:1:2:3".parse().expect("an address");
        let c: IpAddr = "2001:db8:1:300::1".parse().expect("an address");
        assert_eq!(ClientAddress::from(a).as_str(), "2001:db8:1:200::/56");
        assert_eq!(ClientAddress::from(a), ClientAddress::from(b));
        assert_ne!(ClientAddress::from(a), ClientAddress::from(c));
    }

    #[test]
    fn ipv4_mapped_ipv6_counts_as_the_ipv4_address() {
        let a: IpAddr = "::ffff:203.0.113.7".parse().expect("an address");
        assert_eq!(ClientAddress::from(a).as_str(), "203.0.113.7");
    }
}
