//! IPv4 addresses and the 20-byte IPv4 header (RFC 791) as value types.
//!
//! Only option-less, unfragmented packets are represented: `emit` always writes a
//! 20-byte header with fragment offset 0 and MF clear; `parse` skips (and checksums)
//! any header options and rejects fragments as `WireError::Unsupported`.

use std::fmt;
use std::str::FromStr;

use super::WireError;
use super::checksum;

/// Protocol number of TCP in the IPv4 `protocol` field.
pub const IPPROTO_TCP: u8 = 6;
/// Protocol number of UDP in the IPv4 `protocol` field.
pub const IPPROTO_UDP: u8 = 17;

/// An IPv4 address. Ordered numerically (the octets are big-endian).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Addr(pub [u8; 4]);

impl Ipv4Addr {
    pub const UNSPECIFIED: Ipv4Addr = Ipv4Addr([0, 0, 0, 0]);

    pub const fn new(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
        Ipv4Addr([a, b, c, d])
    }
    pub const fn octets(self) -> [u8; 4] {
        self.0
    }
    pub const fn to_u32(self) -> u32 {
        u32::from_be_bytes(self.0)
    }
    pub const fn from_u32(v: u32) -> Ipv4Addr {
        Ipv4Addr(v.to_be_bytes())
    }
}

impl fmt::Display for Ipv4Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        // Pad as a whole so `{:>15}` aligns addresses in tables.
        f.pad(&format!("{a}.{b}.{c}.{d}"))
    }
}

impl fmt::Debug for Ipv4Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a string is not a dotted-quad IPv4 address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid IPv4 address {input:?}: {reason}")]
pub struct AddrParseError {
    pub input: String,
    pub reason: &'static str,
}

impl FromStr for Ipv4Addr {
    type Err = AddrParseError;

    /// Strict dotted-quad: exactly four decimal fields of 1 to 3 digits, each at most
    /// 255, no leading zeros (so "010" is not silently octal or decimal), no signs,
    /// no whitespace.
    fn from_str(s: &str) -> Result<Ipv4Addr, AddrParseError> {
        let err = |reason| AddrParseError {
            input: s.to_string(),
            reason,
        };
        let mut octets = [0u8; 4];
        let mut fields = s.split('.');
        for octet in &mut octets {
            let field = fields
                .next()
                .ok_or_else(|| err("expected four dot-separated fields"))?;
            if field.is_empty() {
                return Err(err("empty field"));
            }
            if !field.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("fields must be decimal digits only"));
            }
            if field.len() > 1 && field.starts_with('0') {
                return Err(err("leading zeros are not allowed"));
            }
            if field.len() > 3 {
                return Err(err("field exceeds 255"));
            }
            let v: u16 = field.parse().map_err(|_| err("invalid field"))?;
            *octet = u8::try_from(v).map_err(|_| err("field exceeds 255"))?;
        }
        if fields.next().is_some() {
            return Err(err("expected four dot-separated fields"));
        }
        Ok(Ipv4Addr(octets))
    }
}

/// Every field of an option-less, unfragmented IPv4 header, plus the payload length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ipv4Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    /// `IPPROTO_TCP`, `IPPROTO_UDP`, ...
    pub protocol: u8,
    pub ttl: u8,
    pub identification: u16,
    /// The second header byte: DSCP (upper 6 bits) and ECN (lower 2 bits).
    pub dscp_ecn: u8,
    pub dont_fragment: bool,
    /// Bytes after the header (the transport segment).
    pub payload_len: u16,
}

const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const FRAG_OFFSET_MASK: u16 = 0x1FFF;

impl Ipv4Repr {
    /// Length of the header `emit` writes (no options).
    pub const HEADER_LEN: usize = 20;
    /// The largest payload whose total length fits the 16-bit field.
    pub const MAX_PAYLOAD_LEN: usize = u16::MAX as usize - Self::HEADER_LEN;

    /// Header plus payload, the value of the total-length field.
    pub fn total_len(&self) -> usize {
        Self::HEADER_LEN + usize::from(self.payload_len)
    }

    /// Writes the 20-byte header, checksum included, into `buf[..20]`.
    ///
    /// # Panics
    /// If `buf` is shorter than 20 bytes, or `payload_len > MAX_PAYLOAD_LEN`.
    pub fn emit(&self, buf: &mut [u8]) {
        assert!(
            usize::from(self.payload_len) <= Self::MAX_PAYLOAD_LEN,
            "IPv4 payload of {} bytes exceeds the 16-bit total length",
            self.payload_len
        );
        let h = &mut buf[..Self::HEADER_LEN];
        h[0] = 0x45; // version 4, IHL 5 words
        h[1] = self.dscp_ecn;
        h[2..4].copy_from_slice(&(self.total_len() as u16).to_be_bytes());
        h[4..6].copy_from_slice(&self.identification.to_be_bytes());
        let flags = if self.dont_fragment { FLAG_DF } else { 0 };
        h[6..8].copy_from_slice(&flags.to_be_bytes());
        h[8] = self.ttl;
        h[9] = self.protocol;
        h[10..12].fill(0);
        h[12..16].copy_from_slice(&self.src.0);
        h[16..20].copy_from_slice(&self.dst.0);
        let ck = checksum::finish(checksum::ones_complement_sum(h, 0));
        h[10..12].copy_from_slice(&ck.to_be_bytes());
    }

    /// Reads an IPv4 header from the start of `buf`; returns the header and whether
    /// its checksum verifies.
    ///
    /// `buf` may extend past the packet's total length (link-layer padding); the
    /// payload is `buf[ihl * 4 .. total_len]`. Header options are skipped.
    pub fn parse(buf: &[u8]) -> Result<(Ipv4Repr, bool), WireError> {
        const WHAT: &str = "IPv4 header";
        if buf.len() < Self::HEADER_LEN {
            return Err(WireError::truncated(WHAT, Self::HEADER_LEN, buf.len()));
        }
        let version = buf[0] >> 4;
        if version != 4 {
            return Err(WireError::malformed(WHAT, format!("version {version}")));
        }
        let header_len = usize::from(buf[0] & 0x0F) * 4;
        if header_len < Self::HEADER_LEN {
            return Err(WireError::malformed(
                WHAT,
                format!("header length {header_len} below 20"),
            ));
        }
        if buf.len() < header_len {
            return Err(WireError::truncated(WHAT, header_len, buf.len()));
        }
        let total_len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if total_len < header_len {
            return Err(WireError::malformed(
                WHAT,
                format!("total length {total_len} below header length {header_len}"),
            ));
        }
        if buf.len() < total_len {
            return Err(WireError::truncated("IPv4 packet", total_len, buf.len()));
        }
        let flags_frag = u16::from_be_bytes([buf[6], buf[7]]);
        if flags_frag & FLAG_MF != 0 || flags_frag & FRAG_OFFSET_MASK != 0 {
            return Err(WireError::unsupported(
                WHAT,
                "fragment (MF set or nonzero fragment offset)",
            ));
        }
        let checksum_ok =
            checksum::finish(checksum::ones_complement_sum(&buf[..header_len], 0)) == 0;
        let repr = Ipv4Repr {
            src: Ipv4Addr([buf[12], buf[13], buf[14], buf[15]]),
            dst: Ipv4Addr([buf[16], buf[17], buf[18], buf[19]]),
            protocol: buf[9],
            ttl: buf[8],
            identification: u16::from_be_bytes([buf[4], buf[5]]),
            dscp_ecn: buf[1],
            dont_fragment: flags_frag & FLAG_DF != 0,
            payload_len: (total_len - header_len) as u16,
        };
        Ok((repr, checksum_ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addr_display_and_parse() {
        let a: Ipv4Addr = "192.168.0.255".parse().unwrap();
        assert_eq!(a, Ipv4Addr::new(192, 168, 0, 255));
        assert_eq!(a.to_string(), "192.168.0.255");
        assert_eq!(format!("{a:>15}|"), "  192.168.0.255|");
        assert_eq!(format!("{a:?}"), "192.168.0.255");
        assert_eq!(
            "0.0.0.0".parse::<Ipv4Addr>().unwrap(),
            Ipv4Addr::UNSPECIFIED
        );
        assert_eq!(Ipv4Addr::from_u32(a.to_u32()), a);
    }

    #[test]
    fn addr_parse_is_strict() {
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.",
            ".1.2.3",
            "1..2.3",
            "256.0.0.1",
            "1.2.3.04",
            "01.2.3.4",
            "1.2.3.4 ",
            " 1.2.3.4",
            "+1.2.3.4",
            "1.2.3.-4",
            "1.2.3.x",
            "1.2.3.1000",
            "0x1.2.3.4",
            "1.2.3.99999999999999999999",
        ] {
            let e = bad.parse::<Ipv4Addr>().unwrap_err();
            assert_eq!(e.input, bad);
            assert!(e.to_string().contains("invalid IPv4 address"), "{e}");
        }
        let e = "1.2.300.4".parse::<Ipv4Addr>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid IPv4 address \"1.2.300.4\": field exceeds 255"
        );
    }

    #[test]
    fn addr_order_is_numeric() {
        let mut v: Vec<Ipv4Addr> = ["10.0.0.2", "9.255.255.255", "10.0.0.10", "10.0.0.1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        v.sort();
        let s: Vec<String> = v.iter().map(|a| a.to_string()).collect();
        assert_eq!(s, ["9.255.255.255", "10.0.0.1", "10.0.0.2", "10.0.0.10"]);
    }

    fn sample() -> Ipv4Repr {
        Ipv4Repr {
            src: Ipv4Addr::new(192, 168, 0, 1),
            dst: Ipv4Addr::new(192, 168, 0, 199),
            protocol: IPPROTO_UDP,
            ttl: 64,
            identification: 0x1c46,
            dscp_ecn: 0,
            dont_fragment: true,
            payload_len: 0x73 - 20,
        }
    }

    #[test]
    fn emit_matches_known_header() {
        // A classic textbook header: 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7,
        // with identification 0 (the checksum b861 is for id 0).
        let repr = Ipv4Repr {
            identification: 0,
            ..sample()
        };
        let mut buf = [0u8; 20];
        repr.emit(&mut buf);
        let expected = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(buf, expected);
    }

    #[test]
    fn round_trip_and_checksum() {
        let repr = sample();
        let mut buf = vec![0u8; repr.total_len() + 3]; // trailing link padding is fine
        repr.emit(&mut buf);
        let (parsed, ok) = Ipv4Repr::parse(&buf).unwrap();
        assert!(ok);
        assert_eq!(parsed, repr);

        for bit in 0..160 {
            let mut bad = buf.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            // Flips in the version/length/fragment fields may be rejected outright.
            if let Ok((_, ok)) = Ipv4Repr::parse(&bad) {
                assert!(!ok, "bit {bit} flip not detected");
            }
        }
    }

    #[test]
    fn malformed_input_is_an_error() {
        let repr = sample();
        let mut buf = vec![0u8; repr.total_len()];
        repr.emit(&mut buf);
        for n in 0..buf.len() {
            assert!(Ipv4Repr::parse(&buf[..n]).is_err(), "prefix {n}");
        }
        let mut v6 = buf.clone();
        v6[0] = 0x65;
        assert!(matches!(
            Ipv4Repr::parse(&v6),
            Err(WireError::Malformed { .. })
        ));
        let mut short_ihl = buf.clone();
        short_ihl[0] = 0x44;
        assert!(matches!(
            Ipv4Repr::parse(&short_ihl),
            Err(WireError::Malformed { .. })
        ));
        let mut frag = buf.clone();
        frag[6] |= 0x20;
        assert!(matches!(
            Ipv4Repr::parse(&frag),
            Err(WireError::Unsupported { .. })
        ));
        let mut short_total = buf.clone();
        short_total[2..4].copy_from_slice(&19u16.to_be_bytes());
        assert!(Ipv4Repr::parse(&short_total).is_err());
    }

    #[test]
    fn options_are_skipped() {
        let repr = sample();
        let mut buf = vec![0u8; repr.total_len() + 4];
        repr.emit(&mut buf);
        buf[0] = 0x46; // IHL 6: one word of options (NOPs then EOL)
        buf[20..24].copy_from_slice(&[1, 1, 1, 0]);
        buf[10..12].fill(0);
        let ck = checksum::finish(checksum::ones_complement_sum(&buf[..24], 0));
        buf[10..12].copy_from_slice(&ck.to_be_bytes());
        let (parsed, ok) = Ipv4Repr::parse(&buf).unwrap();
        assert!(ok);
        assert_eq!(parsed.payload_len, repr.payload_len - 4);
    }
}
