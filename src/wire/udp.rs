//! The UDP header (RFC 768) as a value type, with its pseudo-header checksum.

use super::WireError;
use super::checksum;
use super::ipv4::{IPPROTO_UDP, Ipv4Addr};

/// The largest UDP payload an IPv4 datagram can carry: 65,535 bytes less the
/// 20-byte IPv4 and 8-byte UDP headers.
pub const MAX_UDP_PAYLOAD: u64 = 65_507;

/// Every field of a UDP header except the checksum, plus the payload length
/// (the payload itself is implied).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct UdpRepr {
    pub src_port: u16,
    pub dst_port: u16,
    /// Payload bytes after the 8-byte header.
    pub payload_len: u32,
}

impl UdpRepr {
    pub const HEADER_LEN: usize = 8;
    /// The largest payload whose length fits the 16-bit length field.
    pub const MAX_PAYLOAD_LEN: usize = u16::MAX as usize - Self::HEADER_LEN;

    /// Header plus payload, the value of the length field.
    pub fn total_len(&self) -> usize {
        Self::HEADER_LEN + self.payload_len as usize
    }

    /// Writes the datagram, header then `payload`, into
    /// `buf[..HEADER_LEN + payload.len()]`, with the checksum computed over the
    /// IPv4 pseudo-header (`src`, `dst`), the header and the payload. A computed
    /// checksum of 0 is sent as 0xFFFF (RFC 768: 0 means "no checksum").
    ///
    /// # Panics
    /// If `payload.len() != self.payload_len`, if the payload exceeds
    /// `MAX_PAYLOAD_LEN`, or if `buf` is too short.
    pub fn emit(&self, buf: &mut [u8], src: Ipv4Addr, dst: Ipv4Addr, payload: &[u8]) {
        assert_eq!(
            payload.len(),
            self.payload_len as usize,
            "UdpRepr::emit: payload length differs from payload_len"
        );
        assert!(
            payload.len() <= Self::MAX_PAYLOAD_LEN,
            "UDP payload of {} bytes exceeds the 16-bit length field",
            payload.len()
        );
        let len = self.total_len();
        let datagram = &mut buf[..len];
        datagram[0..2].copy_from_slice(&self.src_port.to_be_bytes());
        datagram[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
        datagram[4..6].copy_from_slice(&(len as u16).to_be_bytes());
        datagram[6..8].fill(0);
        datagram[Self::HEADER_LEN..].copy_from_slice(payload);
        let sum = checksum::pseudo_header_sum(src.0, dst.0, IPPROTO_UDP, len as u16);
        let ck = match checksum::finish(checksum::ones_complement_sum(datagram, sum)) {
            0 => 0xFFFF,
            ck => ck,
        };
        datagram[6..8].copy_from_slice(&ck.to_be_bytes());
    }

    /// Reads a UDP datagram from the start of `buf` (the IPv4 payload); returns the
    /// header and whether its checksum verifies against the pseudo-header of
    /// `src`/`dst`. A checksum field of 0 means the sender computed none; it is
    /// reported as `true` (nothing to verify).
    ///
    /// `buf` may extend past the datagram's length field; the payload is
    /// `buf[8..length]`.
    pub fn parse(buf: &[u8], src: Ipv4Addr, dst: Ipv4Addr) -> Result<(UdpRepr, bool), WireError> {
        if buf.len() < Self::HEADER_LEN {
            return Err(WireError::truncated(
                "UDP header",
                Self::HEADER_LEN,
                buf.len(),
            ));
        }
        let len = usize::from(u16::from_be_bytes([buf[4], buf[5]]));
        if len < Self::HEADER_LEN {
            return Err(WireError::malformed(
                "UDP header",
                format!("length field {len} below 8"),
            ));
        }
        if buf.len() < len {
            return Err(WireError::truncated("UDP datagram", len, buf.len()));
        }
        let datagram = &buf[..len];
        let checksum_ok = if datagram[6..8] == [0, 0] {
            true
        } else {
            let sum = checksum::pseudo_header_sum(src.0, dst.0, IPPROTO_UDP, len as u16);
            checksum::finish(checksum::ones_complement_sum(datagram, sum)) == 0
        };
        let repr = UdpRepr {
            src_port: u16::from_be_bytes([buf[0], buf[1]]),
            dst_port: u16::from_be_bytes([buf[2], buf[3]]),
            payload_len: (len - Self::HEADER_LEN) as u32,
        };
        Ok((repr, checksum_ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const DST: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    fn emit(repr: &UdpRepr, payload: &[u8]) -> Vec<u8> {
        let mut buf = vec![0u8; repr.total_len()];
        repr.emit(&mut buf, SRC, DST, payload);
        buf
    }

    #[test]
    fn round_trip_and_checksum() {
        let payload: Vec<u8> = (0..101u8).collect(); // odd length
        let repr = UdpRepr {
            src_port: 1234,
            dst_port: 53,
            payload_len: 101,
        };
        let buf = emit(&repr, &payload);
        assert_eq!(&buf[..6], &[0x04, 0xd2, 0x00, 0x35, 0x00, 109]);
        assert_eq!(&buf[8..], &payload[..]);
        let (parsed, ok) = UdpRepr::parse(&buf, SRC, DST).unwrap();
        assert!(ok);
        assert_eq!(parsed, repr);

        // The pseudo-header is covered: other addresses fail.
        let (_, ok) = UdpRepr::parse(&buf, SRC, Ipv4Addr::new(10, 0, 0, 3)).unwrap();
        assert!(!ok);
        // Any single flipped bit outside the length field is detected.
        for bit in 0..buf.len() * 8 {
            if bit / 8 == 4 || bit / 8 == 5 {
                continue;
            }
            let mut bad = buf.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let (_, ok) = UdpRepr::parse(&bad, SRC, DST).unwrap();
            assert!(!ok, "bit {bit} flip not detected");
        }
    }

    #[test]
    fn zero_checksum_is_sent_as_ffff() {
        // Find ports whose checksum computes to 0 (sum of everything = 0xFFFF).
        let payload = [0u8; 2];
        let base = UdpRepr {
            src_port: 0,
            dst_port: 0,
            payload_len: 2,
        };
        let sum0 = checksum::pseudo_header_sum(SRC.0, DST.0, IPPROTO_UDP, 10);
        let sum0 = checksum::ones_complement_sum(&[0, 0, 0, 0, 0, 10, 0, 0], sum0);
        // Choose the payload word so the total sum is 0xFFFF (checksum 0).
        let word = (0xFFFFu32 - sum0) as u16;
        let payload2 = word.to_be_bytes();
        let buf = emit(&base, &payload2);
        assert_eq!(&buf[6..8], &[0xFF, 0xFF]);
        let (_, ok) = UdpRepr::parse(&buf, SRC, DST).unwrap();
        assert!(ok);
        // And a normal one is not 0xFFFF.
        let buf = emit(&base, &payload);
        assert_ne!(&buf[6..8], &[0xFF, 0xFF]);
    }

    #[test]
    fn absent_checksum_accepted() {
        let repr = UdpRepr {
            src_port: 7,
            dst_port: 7,
            payload_len: 3,
        };
        let mut buf = emit(&repr, b"abc");
        buf[6..8].fill(0);
        assert_eq!(UdpRepr::parse(&buf, SRC, DST).unwrap(), (repr, true));
    }

    #[test]
    fn malformed_input_is_an_error() {
        let repr = UdpRepr {
            src_port: 7,
            dst_port: 9,
            payload_len: 5,
        };
        let buf = emit(&repr, b"hello");
        for n in 0..buf.len() {
            assert!(UdpRepr::parse(&buf[..n], SRC, DST).is_err(), "prefix {n}");
        }
        let mut bad = buf.clone();
        bad[4..6].copy_from_slice(&7u16.to_be_bytes());
        assert!(matches!(
            UdpRepr::parse(&bad, SRC, DST),
            Err(WireError::Malformed { .. })
        ));
        // Trailing bytes beyond the length field are ignored.
        let mut padded = buf.clone();
        padded.extend_from_slice(&[0xEE; 4]);
        assert_eq!(UdpRepr::parse(&padded, SRC, DST).unwrap(), (repr, true));
    }
}
