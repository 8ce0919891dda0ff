//! The hosts of the certificate authorities that sign Azure's certificates,
//! where a client fetches issuer certificates (AIA), revocation lists (CRL)
//! and OCSP answers over plain HTTP, port 80. "Azure Certificate Authority
//! details" (ms.date 11/17/2025), "Certificate downloads and revocation
//! lists": "The following domains (HTTP/Port 80) may need to be included in
//! your firewall allowlists to optimize connectivity".

use crate::model::CaService;

/// The hosts, as the page lists them, each with what it serves
/// (`www.microsoft.com` is listed under AIA and under CRL).
pub(crate) const CA_HOSTS: &[(&str, CaService)] = &[
    ("cacerts.digicert.com", CaService::Aia),
    ("cacerts.digicert.cn", CaService::Aia),
    ("cacerts.geotrust.com", CaService::Aia),
    ("caissuers.microsoft.com", CaService::Aia),
    ("www.microsoft.com", CaService::AiaCrl),
    ("crl3.digicert.com", CaService::Crl),
    ("crl4.digicert.com", CaService::Crl),
    ("crl.digicert.cn", CaService::Crl),
    ("ocsp.digicert.com", CaService::Ocsp),
    ("ocsp.digicert.cn", CaService::Ocsp),
    ("oneocsp.microsoft.com", CaService::Ocsp),
];

/// What the host `name` serves, if it is one of the list (any case, with or
/// without a final dot).
pub(crate) fn service_of(name: &str) -> Option<CaService> {
    let name = name.strip_suffix('.').unwrap_or(name);
    CA_HOSTS
        .iter()
        .find(|(h, _)| h.eq_ignore_ascii_case(name))
        .map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pages_hosts_are_told_by_name() {
        assert_eq!(CA_HOSTS.len(), 11);
        assert_eq!(service_of("crl3.digicert.com"), Some(CaService::Crl));
        assert_eq!(service_of("OCSP.DigiCert.com."), Some(CaService::Ocsp));
        assert_eq!(service_of("www.microsoft.com"), Some(CaService::AiaCrl));
        assert_eq!(service_of("cacerts.digicert.com"), Some(CaService::Aia));
        assert_eq!(service_of("crl5.digicert.com"), None);
        assert_eq!(service_of("digicert.com"), None);
    }
}
