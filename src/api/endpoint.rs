//! The API endpoint: a URL, optionally a template with `{region}`, resolved per row.

use reqwest::Url;

/// Why an endpoint cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("--endpoint {0:?} is not a URL")]
    NotAUrl(String),
    #[error("--endpoint {0:?}: plain http:// is allowed only for loopback addresses (127.0.0.0/8, ::1, localhost); use https://")]
    PlainHttp(String),
    #[error("--endpoint {0:?}: only https:// and http:// (loopback) are supported")]
    Scheme(String),
    #[error("--endpoint {0:?} must be the API root, with no path, query or credentials")]
    NotRoot(String),
}

/// An endpoint template such as `https://cfs.{region}.tencentcloudapi.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    template: String,
}

/// One resolved endpoint: where to send, and the `Host` value that is signed. Each distinct host
/// has its own rate budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: Url,
    pub host: String,
}

impl Target {
    /// True for a loopback host (an emulator on this machine): such calls never go through a
    /// proxy.
    pub fn is_loopback(&self) -> bool {
        is_loopback(self.url.host())
    }
}

impl Endpoint {
    /// Checks the template with a sample region, so errors show before the run starts. When the
    /// host itself is built from the region (`http://127.0.0.0{region}:8080`, regions `x1`, `x2`),
    /// whether plain http is allowed depends on the region: [`Endpoint::check_regions`] decides
    /// it for the manifest's regions before any call.
    pub fn parse(template: &str) -> Result<Endpoint, EndpointError> {
        let e = Endpoint {
            template: template.trim().trim_end_matches('/').to_owned(),
        };
        match e.resolve("ap-guangzhou") {
            Err(EndpointError::PlainHttp(_)) if e.region_in_host() => Ok(e),
            Err(err) => Err(err),
            Ok(_) => Ok(e),
        }
    }

    /// Resolves the endpoint for every region, so that a region whose host is refused stops the
    /// run before anything is sent.
    pub fn check_regions<'a>(
        &self,
        regions: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), EndpointError> {
        regions
            .into_iter()
            .try_for_each(|r| self.resolve(r).map(|_| ()))
    }

    /// Whether `{region}` is part of the scheme-and-authority, i.e. chooses the host or port.
    fn region_in_host(&self) -> bool {
        let rest = self.template.split_once("://").map_or("", |(_, r)| r);
        rest.split('/')
            .next()
            .is_some_and(|a| a.contains("{region}"))
    }

    /// Which kind of service this is: `loopback` (an emulator on this machine) or `remote`.
    /// A state file keeps to one kind, so a rehearsal is never taken for the real thing.
    pub fn service_kind(&self) -> &'static str {
        match self.resolve("ap-guangzhou") {
            Ok(t) if is_loopback(t.url.host()) => "loopback",
            _ => "remote",
        }
    }

    /// The endpoint for one region.
    pub fn resolve(&self, region: &str) -> Result<Target, EndpointError> {
        let raw = self.template.replace("{region}", region);
        let url = Url::parse(&raw).map_err(|_| EndpointError::NotAUrl(raw.clone()))?;
        let host = url
            .host_str()
            .ok_or_else(|| EndpointError::NotAUrl(raw.clone()))?
            .to_owned();
        if !(url.path() == "/" || url.path().is_empty())
            || url.query().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(EndpointError::NotRoot(raw));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(url.host()) => {}
            "http" => return Err(EndpointError::PlainHttp(raw)),
            _ => return Err(EndpointError::Scheme(raw)),
        }
        let host = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        Ok(Target { url, host })
    }
}

fn is_loopback(host: Option<url::Host<&str>>) -> bool {
    match host {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_resolve_per_region() {
        let e = Endpoint::parse("https://cfs.{region}.tencentcloudapi.com").unwrap();
        let t = e.resolve("ap-shanghai").unwrap();
        assert_eq!(t.host, "cfs.ap-shanghai.tencentcloudapi.com");
        assert_eq!(
            t.url.as_str(),
            "https://cfs.ap-shanghai.tencentcloudapi.com/"
        );
        let l = Endpoint::parse("http://127.0.0.1:8080")
            .unwrap()
            .resolve("x")
            .unwrap();
        assert_eq!(l.host, "127.0.0.1:8080");
        assert!(l.is_loopback());
        assert!(!t.is_loopback());
    }

    #[test]
    fn unsafe_or_odd_endpoints_are_refused() {
        for bad in [
            "http://cfs.tencentcloudapi.com",
            "http://10.0.0.1:80",
            "ftp://127.0.0.1",
            "cfs.tencentcloudapi.com",
            "https://cfs.tencentcloudapi.com/v3",
            "https://u:p@cfs.tencentcloudapi.com",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
        assert!(Endpoint::parse("http://localhost:9").is_ok());
        assert!(Endpoint::parse("http://[::1]:9").is_ok());
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:9")
                .unwrap()
                .service_kind(),
            "loopback"
        );
        assert_eq!(
            Endpoint::parse("https://cfs.{region}.tencentcloudapi.com")
                .unwrap()
                .service_kind(),
            "remote"
        );
    }

    #[test]
    fn a_plain_http_host_built_from_the_region_is_checked_per_region() {
        // Regions are lower-case letters, digits and `-`: `0x1` is the hex form of the last
        // byte, so these regions reach two loopback addresses (two local emulators).
        let e = Endpoint::parse("http://127.0.0.0{region}:8080").unwrap();
        assert_eq!(e.resolve("x1").unwrap().host, "127.0.0.1:8080");
        assert_eq!(e.resolve("x2").unwrap().host, "127.0.0.2:8080");
        assert!(e.check_regions(["x1", "x2"]).is_ok());
        assert!(matches!(
            e.check_regions(["x1", "ap-guangzhou"]),
            Err(EndpointError::PlainHttp(_))
        ));
        let remote = Endpoint::parse("http://cfs.{region}.example.com").unwrap();
        assert!(matches!(
            remote.check_regions(["ap-shanghai"]),
            Err(EndpointError::PlainHttp(_))
        ));
        // The region only in a fragment does not choose the host: still refused at once.
        assert!(Endpoint::parse("http://example.com/#{region}").is_err());
    }
}
