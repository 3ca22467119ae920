//! The names in a certificate: the subject's common name and its DNS subject alternative
//! names, read from DER with a parser bounded by the input (no recursion beyond the
//! fixed certificate layout, no allocation past [`MAX_NAMES`] names of
//! [`MAX_NAME_LEN`] bytes), that returns an error instead of panicking on any input.
//!
//! A verified client certificate's name is a broker identity, so the names are also
//! checked to be printable: they end up in logs, ACL decisions and the connection table.

/// Most DNS names kept from one certificate.
pub const MAX_NAMES: usize = 64;
/// Longest name accepted (a DNS name is at most 253 bytes).
pub const MAX_NAME_LEN: usize = 253;

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const EXPLICIT_0: u8 = 0xa0;
const EXPLICIT_3: u8 = 0xa3;
const DNS_NAME: u8 = 0x82;
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// The names a certificate gives its subject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerNames {
    /// The `CN` of the subject, if any (a subject with several is refused).
    pub common_name: Option<String>,
    /// The `dNSName` entries of the subject alternative names, in order.
    pub dns_names: Vec<String>,
}

impl PeerNames {
    /// The identity the certificate stands for: its common name, else its first DNS
    /// name. A name with `*` in it is refused: `*` means "any identity" to the broker.
    pub fn identity(&self) -> Result<&str, NameError> {
        let name = self
            .common_name
            .as_deref()
            .or(self.dns_names.first().map(String::as_str))
            .ok_or(NameError::NoName)?;
        if name.contains('*') {
            return Err(NameError::Wildcard(name.to_string()));
        }
        Ok(name)
    }
}

/// Why a certificate's names could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("certificate DER is truncated or malformed at byte {0}")]
    Malformed(usize),
    #[error("certificate DER uses an unsupported encoding at byte {0}")]
    Unsupported(usize),
    #[error("certificate name is longer than {MAX_NAME_LEN} bytes")]
    TooLong,
    #[error("certificate name holds a character that is not printable")]
    NotPrintable,
    #[error("certificate has more than {MAX_NAMES} DNS names")]
    TooMany,
    #[error("certificate has neither a subject common name nor a DNS name")]
    NoName,
    #[error("certificate subject has more than one common name")]
    SeveralCommonNames,
    #[error("certificate name {0:?} holds a wildcard, which no identity may")]
    Wildcard(String),
}

/// A cursor over DER bytes; `base` is the offset of `bytes` in the certificate, for errors.
#[derive(Debug, Clone, Copy)]
struct Der<'a> {
    bytes: &'a [u8],
    base: usize,
}

impl<'a> Der<'a> {
    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Takes one tag-length-value off the front: (tag, contents).
    fn next(&mut self) -> Result<(u8, Der<'a>), NameError> {
        let b = self.bytes;
        let at = self.base;
        let (&tag, rest) = b.split_first().ok_or(NameError::Malformed(at))?;
        if tag & 0x1f == 0x1f {
            return Err(NameError::Unsupported(at));
        }
        let (&first, rest) = rest.split_first().ok_or(NameError::Malformed(at + 1))?;
        let (len, rest, header) = if first < 0x80 {
            (first as usize, rest, 2)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return Err(NameError::Unsupported(at + 1));
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, &d| (acc << 8) | d as usize);
            (len, &rest[n..], 2 + n)
        };
        if rest.len() < len {
            return Err(NameError::Malformed(at + header));
        }
        let contents = Der {
            bytes: &rest[..len],
            base: at + header,
        };
        self.bytes = &rest[len..];
        self.base = at + header + len;
        Ok((tag, contents))
    }

    /// Takes one element that must have `tag`.
    fn expect(&mut self, tag: u8) -> Result<Der<'a>, NameError> {
        let at = self.base;
        match self.next()? {
            (t, contents) if t == tag => Ok(contents),
            _ => Err(NameError::Malformed(at)),
        }
    }

    /// The tag of the next element, if any.
    fn peek(&self) -> Option<u8> {
        self.bytes.first().copied()
    }
}

/// Reads the subject common name and DNS names of a DER certificate.
pub fn peer_names(der: &[u8]) -> Result<PeerNames, NameError> {
    let mut outer = Der {
        bytes: der,
        base: 0,
    };
    let mut cert = outer.expect(SEQUENCE)?;
    let mut tbs = cert.expect(SEQUENCE)?;
    if tbs.peek() == Some(EXPLICIT_0) {
        tbs.next()?; // version
    }
    tbs.next()?; // serialNumber
    tbs.expect(SEQUENCE)?; // signature algorithm
    tbs.expect(SEQUENCE)?; // issuer
    tbs.expect(SEQUENCE)?; // validity
    let subject = tbs.expect(SEQUENCE)?;
    let mut names = PeerNames {
        common_name: common_name(subject)?,
        dns_names: Vec::new(),
    };
    // subjectPublicKeyInfo, then the optional unique ids and the extensions.
    while !tbs.is_empty() {
        let (tag, contents) = tbs.next()?;
        if tag == EXPLICIT_3 {
            names.dns_names = dns_names(contents)?;
        }
    }
    Ok(names)
}

/// The CN attribute of a Name; several are refused (tools disagree on which one counts).
fn common_name(mut name: Der<'_>) -> Result<Option<String>, NameError> {
    let mut found = None;
    while !name.is_empty() {
        let mut rdn = name.expect(SET)?;
        while !rdn.is_empty() {
            let mut attr = rdn.expect(SEQUENCE)?;
            let oid = attr.expect(OID)?;
            let (_, value) = attr.next()?;
            if oid.bytes == OID_COMMON_NAME {
                if found.is_some() {
                    return Err(NameError::SeveralCommonNames);
                }
                found = Some(text(value.bytes)?);
            }
        }
    }
    Ok(found)
}

/// The dNSName entries of the subjectAltName extension in `[3] Extensions`.
fn dns_names(explicit: Der<'_>) -> Result<Vec<String>, NameError> {
    let mut wrapper = explicit;
    let mut extensions = wrapper.expect(SEQUENCE)?;
    while !extensions.is_empty() {
        let mut ext = extensions.expect(SEQUENCE)?;
        let oid = ext.expect(OID)?;
        let (mut tag, mut value) = ext.next()?;
        if tag == 0x01 {
            (tag, value) = ext.next()?; // critical
        }
        if oid.bytes != OID_SUBJECT_ALT_NAME || tag != 0x04 {
            continue;
        }
        let mut general = value.expect(SEQUENCE)?;
        let mut out = Vec::new();
        while !general.is_empty() {
            let (tag, name) = general.next()?;
            if tag == DNS_NAME {
                if out.len() == MAX_NAMES {
                    return Err(NameError::TooMany);
                }
                out.push(text(name.bytes)?);
            }
        }
        return Ok(out);
    }
    Ok(Vec::new())
}

/// A name as text: UTF-8, printable, at most [`MAX_NAME_LEN`] bytes.
fn text(bytes: &[u8]) -> Result<String, NameError> {
    if bytes.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong);
    }
    let s = std::str::from_utf8(bytes).map_err(|_| NameError::NotPrintable)?;
    if s.is_empty() || s.chars().any(|c| c.is_control()) {
        return Err(NameError::NotPrintable);
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_forms() {
        let mut d = Der {
            bytes: &[0x04, 0x81, 0x02, 0xaa, 0xbb, 0x05, 0x00],
            base: 0,
        };
        let (tag, c) = d.next().unwrap();
        assert_eq!((tag, c.bytes), (0x04, &[0xaa, 0xbb][..]));
        assert_eq!(d.next().unwrap().0, 0x05);
        assert!(d.is_empty());
        let mut long = Der {
            bytes: &[0x04, 0x85, 1, 0, 0, 0, 0],
            base: 0,
        };
        assert_eq!(long.next().unwrap_err(), NameError::Unsupported(1));
        let mut short = Der {
            bytes: &[0x04, 0x05, 1],
            base: 0,
        };
        assert_eq!(short.next().unwrap_err(), NameError::Malformed(2));
    }

    #[test]
    fn refuses_control_characters() {
        assert_eq!(text(b"node1\n"), Err(NameError::NotPrintable));
        assert_eq!(text(b""), Err(NameError::NotPrintable));
        assert_eq!(text(&[b'a'; 254]), Err(NameError::TooLong));
        assert_eq!(text(b"node1.example.com").unwrap(), "node1.example.com");
    }
}
