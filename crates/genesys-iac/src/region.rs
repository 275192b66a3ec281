//! Genesys Cloud regions and URL rules.

use std::fmt;
use std::str::FromStr;

use crate::Error;

macro_rules! regions {
    ($( $(#[$doc:meta])* $variant:ident => $key:literal, $domain:literal; )*) => {
        /// A Genesys Cloud region (deployment).
        ///
        /// Parses from a region key (`eu-west-1`), a domain (`mypurecloud.ie`),
        /// an API or login host (`api.mypurecloud.ie`) or an API URL
        /// (`https://api.mypurecloud.ie`), case-insensitively.
        ///
        /// ```
        /// use genesys_iac::Region;
        ///
        /// let r: Region = "eu-west-1".parse()?;
        /// assert_eq!(r, Region::EuWest1);
        /// assert_eq!(r.domain(), "mypurecloud.ie");
        /// assert_eq!(r.api_url(), "https://api.mypurecloud.ie");
        /// assert_eq!(r.login_url(), "https://login.mypurecloud.ie");
        /// assert_eq!("https://api.mypurecloud.ie/".parse::<Region>()?, Region::EuWest1);
        /// assert_eq!("mypurecloud.ie".parse::<Region>()?, Region::EuWest1);
        /// # Ok::<(), genesys_iac::Error>(())
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Region {
            $( $(#[$doc])* $variant, )*
        }

        impl Region {
            /// Every region, in the order of the API reference.
            pub const ALL: &'static [Region] = &[ $( Region::$variant, )* ];

            /// The region key, e.g. `eu-west-1`.
            pub fn key(self) -> &'static str {
                match self { $( Region::$variant => $key, )* }
            }

            /// The domain, e.g. `mypurecloud.ie`. The API host is `api.` + domain,
            /// the login host `login.` + domain.
            pub fn domain(self) -> &'static str {
                match self { $( Region::$variant => $domain, )* }
            }
        }
    };
}

regions! {
    /// `us-east-1` (Americas, US East): `mypurecloud.com`.
    UsEast1 => "us-east-1", "mypurecloud.com";
    /// `us-east-2` (FedRAMP): `use2.us-gov-pure.cloud`.
    UsEast2 => "us-east-2", "use2.us-gov-pure.cloud";
    /// `us-west-2` (Americas, US West): `usw2.pure.cloud`.
    UsWest2 => "us-west-2", "usw2.pure.cloud";
    /// `ca-central-1` (Canada): `cac1.pure.cloud`.
    CaCentral1 => "ca-central-1", "cac1.pure.cloud";
    /// `mx-central-1` (Mexico): `mxc1.pure.cloud`.
    MxCentral1 => "mx-central-1", "mxc1.pure.cloud";
    /// `sa-east-1` (São Paulo): `sae1.pure.cloud`.
    SaEast1 => "sa-east-1", "sae1.pure.cloud";
    /// `eu-west-1` (Dublin): `mypurecloud.ie`.
    EuWest1 => "eu-west-1", "mypurecloud.ie";
    /// `eu-west-2` (London): `euw2.pure.cloud`.
    EuWest2 => "eu-west-2", "euw2.pure.cloud";
    /// `eu-central-1` (Frankfurt): `mypurecloud.de`.
    EuCentral1 => "eu-central-1", "mypurecloud.de";
    /// `eu-central-2` (Zurich): `euc2.pure.cloud`.
    EuCentral2 => "eu-central-2", "euc2.pure.cloud";
    /// `eusc-de-east-1` (EU sovereign cloud): `edee1.eusc-pure.cloud`.
    EuscDeEast1 => "eusc-de-east-1", "edee1.eusc-pure.cloud";
    /// `me-central-1` (UAE): `mec1.pure.cloud`.
    MeCentral1 => "me-central-1", "mec1.pure.cloud";
    /// `ap-south-1` (Mumbai): `aps1.pure.cloud`.
    ApSouth1 => "ap-south-1", "aps1.pure.cloud";
    /// `ap-northeast-1` (Tokyo): `mypurecloud.jp`.
    ApNortheast1 => "ap-northeast-1", "mypurecloud.jp";
    /// `ap-northeast-2` (Seoul): `apne2.pure.cloud`.
    ApNortheast2 => "ap-northeast-2", "apne2.pure.cloud";
    /// `ap-northeast-3` (Osaka): `apne3.pure.cloud`.
    ApNortheast3 => "ap-northeast-3", "apne3.pure.cloud";
    /// `ap-southeast-1` (Singapore): `apse1.pure.cloud`.
    ApSoutheast1 => "ap-southeast-1", "apse1.pure.cloud";
    /// `ap-southeast-2` (Sydney): `mypurecloud.com.au`.
    ApSoutheast2 => "ap-southeast-2", "mypurecloud.com.au";
}

impl Region {
    /// The API base URL, e.g. `https://api.mypurecloud.ie`.
    pub fn api_url(self) -> String {
        format!("https://api.{}", self.domain())
    }

    /// The login (OAuth) base URL, e.g. `https://login.mypurecloud.ie`.
    pub fn login_url(self) -> String {
        format!("https://login.{}", self.domain())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Region {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let raw = s.trim().to_ascii_lowercase();
        let mut host = raw.as_str();
        if let Some(i) = host.find("://") {
            host = &host[i + 3..];
        }
        let host = host.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.split(':').next().unwrap_or_default();
        let host = host.trim_end_matches('.');
        let domain = host
            .strip_prefix("api.")
            .or_else(|| host.strip_prefix("login."))
            .or_else(|| host.strip_prefix("apps."))
            .unwrap_or(host);
        Region::ALL
            .iter()
            .copied()
            .find(|r| r.key() == host || r.domain() == domain)
            .ok_or_else(|| {
                let keys: Vec<&str> = Region::ALL.iter().map(|r| r.key()).collect();
                Error::Config(format!(
                    "unknown region {s:?}: expected a region key ({}), a domain such as \
                     mypurecloud.ie, or an API URL such as https://api.mypurecloud.ie",
                    keys.join(", ")
                ))
            })
    }
}

impl TryFrom<&str> for Region {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        s.parse()
    }
}

/// Checks and normalises a base URL: `https://`, or `http://` to a loopback
/// host only. Returns it without a trailing slash.
pub(crate) fn check_base_url(what: &str, raw: &str) -> Result<url::Url, Error> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("{what} {raw:?} is not a valid URL: {e}")))?;
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(Error::Config(format!("{what} {raw:?} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "{what} must not contain credentials; use client_credentials(..) or access_token(..)"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "{what} {raw:?} must not have a query or fragment"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::Config(format!(
            "{what} {raw:?} uses plain http:// to a non-loopback host; credentials and tokens \
             would travel unencrypted. Use https://, or http:// only to localhost/127.0.0.1/[::1]"
        ))),
        other => Err(Error::Config(format!(
            "{what} {raw:?} has unsupported scheme {other:?}; use https://"
        ))),
    }
}

/// Whether a checked base URL (as [`url_to_base`] returns it) names a
/// loopback host.
pub(crate) fn is_loopback_base(base: &str) -> bool {
    url::Url::parse(base).is_ok_and(|u| is_loopback(&u))
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The base URL as a string without a trailing slash.
pub(crate) fn url_to_base(url: &url::Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

/// Derives the login URL from an API URL: `api.` → `login.` in the host;
/// otherwise the same origin.
pub(crate) fn derive_login_url(api: &url::Url) -> String {
    let mut login = api.clone();
    login.set_path("");
    if let Some(url::Host::Domain(host)) = api.host()
        && let Some(rest) = host.strip_prefix("api.")
    {
        // Setting a valid domain host cannot fail.
        let _ = login.set_host(Some(&format!("login.{rest}")));
    }
    url_to_base(&login)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn eighteen_unique_regions() {
        assert_eq!(Region::ALL.len(), 18);
        let mut keys: Vec<_> = Region::ALL.iter().map(|r| r.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 18);
    }

    #[test]
    fn login_derivation() {
        let u = check_base_url("base", "https://api.mypurecloud.ie/").unwrap();
        assert_eq!(derive_login_url(&u), "https://login.mypurecloud.ie");
        let u = check_base_url("base", "http://127.0.0.1:8787").unwrap();
        assert_eq!(derive_login_url(&u), "http://127.0.0.1:8787");
        let u = check_base_url("base", "http://localhost:9/stem/").unwrap();
        assert_eq!(url_to_base(&u), "http://localhost:9/stem");
        assert_eq!(derive_login_url(&u), "http://localhost:9");
    }

    #[test]
    fn http_refused_unless_loopback() {
        assert!(check_base_url("base", "http://api.mypurecloud.ie").is_err());
        assert!(check_base_url("base", "http://10.0.0.1:80").is_err());
        assert!(check_base_url("base", "http://[::1]:8080").is_ok());
        assert!(check_base_url("base", "http://127.0.0.2:8080").is_ok());
        assert!(check_base_url("base", "ftp://x").is_err());
        assert!(check_base_url("base", "https://user:pw@api.x.com").is_err());
        assert!(check_base_url("base", "not a url").is_err());
    }

    #[test]
    fn loopback_bases() {
        for base in [
            "http://127.0.0.1:8787",
            "http://127.0.0.2:9",
            "http://localhost:9/stem",
            "http://LOCALHOST:9",
            "http://[::1]:8080",
            "https://localhost",
        ] {
            assert!(is_loopback_base(base), "{base}");
        }
        for base in [
            "https://api.mypurecloud.ie",
            "https://login.mypurecloud.ie",
            "https://10.0.0.1",
            "https://localhost.example.com",
            "not a url",
        ] {
            assert!(!is_loopback_base(base), "{base}");
        }
    }
}
