//! Packet formats as value types: IPv4, UDP and TCP headers, the Internet checksum,
//! the synthetic payload byte stream, and a pcap writer.
//!
//! Protocol code handles `*Repr` values only. Bytes are produced (`emit`) and read
//! back (`parse`) only where real bytes are needed: checksums, pcap traces, tests.
//! Payload bytes are never stored: the byte at stream offset `k` is
//! [`stream_byte(k)`](stream_byte), so any segment's payload can be regenerated
//! from its stream offset alone.

pub mod checksum;
pub mod ipv4;
pub mod pcap;
pub mod tcp;
pub mod udp;
pub mod unix;

pub use ipv4::{AddrParseError, IPPROTO_TCP, IPPROTO_UDP, Ipv4Addr, Ipv4Repr};
pub use pcap::PcapWriter;
pub use tcp::{SeqNum, TcpFlags, TcpOptions, TcpRepr};
pub use udp::UdpRepr;

/// Why a byte buffer could not be parsed into a header value.
///
/// `parse` functions never panic on malformed input; they return one of these.
/// A bad checksum is *not* an error: `parse` reports it as a `bool` next to the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The buffer ends before the structure it must hold.
    #[error("truncated {what}: need {needed} bytes, got {got}")]
    Truncated {
        what: &'static str,
        needed: usize,
        got: usize,
    },
    /// A field holds a value the format does not allow.
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    /// Well-formed input that these value types cannot represent (e.g. IPv4 fragments).
    #[error("unsupported {what}: {detail}")]
    Unsupported { what: &'static str, detail: String },
}

impl WireError {
    pub(crate) fn truncated(what: &'static str, needed: usize, got: usize) -> WireError {
        WireError::Truncated { what, needed, got }
    }
    pub(crate) fn malformed(what: &'static str, detail: impl Into<String>) -> WireError {
        WireError::Malformed {
            what,
            detail: detail.into(),
        }
    }
    pub(crate) fn unsupported(what: &'static str, detail: impl Into<String>) -> WireError {
        WireError::Unsupported {
            what,
            detail: detail.into(),
        }
    }
}

/// The payload byte at stream offset `offset`: a pure function of the offset.
///
/// Every byte stream in the simulator (each TCP direction, each UDP flow) carries
/// these bytes, indexed from the stream's origin, so receivers can check that what
/// they reassembled is byte-for-byte what was sent, and a misplaced segment (wrong
/// offset) shows up as wrong data.
///
/// Construction: the offset is multiplied by an odd 64-bit constant (a bijection on
/// `u64`), then mixed with two xor-shift/multiply rounds (Stafford's "Mix13"
/// finalizer, also used by SplitMix64) so that every input bit affects the top
/// byte, which is returned. Because the whole 64-bit map is a bijection there is no
/// period shorter than 2^64 in the underlying words, and the byte sequence shows no
/// short period in practice (tested below for periods up to 4096).
pub fn stream_byte(offset: u64) -> u8 {
    let mut z = offset.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 56) as u8
}

/// Fills `buf` with the stream bytes at offsets `origin, origin + 1, ...`
/// (offsets wrap modulo 2^64).
pub fn fill_stream_bytes(origin: u64, buf: &mut [u8]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = stream_byte(origin.wrapping_add(i as u64));
    }
}

/// A complete IPv4 packet carrying a UDP datagram, with real checksums; the payload
/// is `stream_byte(payload_origin + i)` for `i in 0..udp.payload_len`.
///
/// The IPv4 `protocol` and `payload_len` fields are taken from the UDP header
/// (`IPPROTO_UDP`, `8 + udp.payload_len`), whatever `ip` holds, so the packet is
/// always self-consistent.
///
/// # Panics
/// If the datagram does not fit in an IPv4 packet (UDP payload above 65507 bytes).
pub fn emit_ipv4_udp(ip: &Ipv4Repr, udp: &UdpRepr, payload_origin: u64) -> Vec<u8> {
    let len = udp.payload_len as usize;
    emit_ipv4(
        ip,
        IPPROTO_UDP,
        UdpRepr::HEADER_LEN,
        len,
        payload_origin,
        |buf, src, dst, payload| udp.emit(buf, src, dst, payload),
    )
}

/// A complete IPv4 packet carrying a TCP segment, with real checksums; the payload
/// is `stream_byte(payload_origin + i)` for `i in 0..tcp.payload_len`.
///
/// The IPv4 `protocol` and `payload_len` fields are taken from the TCP segment
/// (`IPPROTO_TCP`, `tcp.header_len() + tcp.payload_len`), whatever `ip` holds.
/// SACK blocks that do not fit in the option space are dropped as documented on
/// [`TcpRepr::emit`].
///
/// # Panics
/// If the segment does not fit in an IPv4 packet.
pub fn emit_ipv4_tcp(ip: &Ipv4Repr, tcp: &TcpRepr, payload_origin: u64) -> Vec<u8> {
    let len = tcp.payload_len as usize;
    emit_ipv4(
        ip,
        IPPROTO_TCP,
        tcp.header_len(),
        len,
        payload_origin,
        |buf, src, dst, payload| tcp.emit(buf, src, dst, payload),
    )
}

/// A whole IPv4 packet around a transport header of `header_len` bytes that
/// `emit_transport` writes, followed by `payload_len` stream bytes.
fn emit_ipv4(
    ip: &Ipv4Repr,
    protocol: u8,
    header_len: usize,
    payload_len: usize,
    payload_origin: u64,
    emit_transport: impl FnOnce(&mut [u8], Ipv4Addr, Ipv4Addr, &[u8]),
) -> Vec<u8> {
    let ip = transport_ip_repr(ip, protocol, header_len + payload_len);
    let mut payload = vec![0u8; payload_len];
    fill_stream_bytes(payload_origin, &mut payload);
    let mut packet = vec![0u8; ip.total_len()];
    ip.emit(&mut packet);
    emit_transport(
        &mut packet[Ipv4Repr::HEADER_LEN..],
        ip.src,
        ip.dst,
        &payload,
    );
    packet
}

fn transport_ip_repr(ip: &Ipv4Repr, protocol: u8, transport_len: usize) -> Ipv4Repr {
    let payload_len = u16::try_from(transport_len)
        .ok()
        .filter(|&n| usize::from(n) <= Ipv4Repr::MAX_PAYLOAD_LEN)
        .unwrap_or_else(|| {
            panic!("transport segment of {transport_len} bytes does not fit in an IPv4 packet")
        });
    Ipv4Repr {
        protocol,
        payload_len,
        ..*ip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_bytes_are_a_pure_function_of_offset() {
        let mut a = [0u8; 100];
        fill_stream_bytes(1_000_000, &mut a);
        for (i, &b) in a.iter().enumerate() {
            assert_eq!(b, stream_byte(1_000_000 + i as u64));
        }
        let mut w = [0u8; 4];
        fill_stream_bytes(u64::MAX - 1, &mut w);
        assert_eq!(w[2], stream_byte(0));
    }

    #[test]
    fn stream_bytes_have_no_short_period_and_are_roughly_uniform() {
        let n = 1 << 16;
        let mut bytes = vec![0u8; n];
        fill_stream_bytes(0, &mut bytes);
        for period in 1..=4096 {
            let same = (0..n - period)
                .filter(|&i| bytes[i] == bytes[i + period])
                .count();
            // Random bytes agree with probability 1/256.
            assert!(same < (n - period) / 64, "period {period}: {same} matches");
        }
        let mut counts = [0u32; 256];
        for &b in &bytes {
            counts[b as usize] += 1;
        }
        // Expected 256 per value; allow a generous band.
        assert!(
            counts.iter().all(|&c| (160..360).contains(&c)),
            "{counts:?}"
        );
    }

    fn addrs() -> (Ipv4Addr, Ipv4Addr) {
        ("10.0.0.1".parse().unwrap(), "10.0.1.2".parse().unwrap())
    }

    #[test]
    fn ipv4_udp_packet_parses_back() {
        let (src, dst) = addrs();
        let ip = Ipv4Repr {
            src,
            dst,
            protocol: 0,
            ttl: 64,
            identification: 7,
            dscp_ecn: 0,
            dont_fragment: true,
            payload_len: 0,
        };
        let udp = UdpRepr {
            src_port: 5000,
            dst_port: 53,
            payload_len: 333,
        };
        let pkt = emit_ipv4_udp(&ip, &udp, 42);
        assert_eq!(pkt.len(), 20 + 8 + 333);
        let (ip2, ok) = Ipv4Repr::parse(&pkt).unwrap();
        assert!(ok);
        assert_eq!(ip2.protocol, IPPROTO_UDP);
        assert_eq!(ip2.payload_len, 8 + 333);
        let (udp2, ok) = UdpRepr::parse(&pkt[20..], src, dst).unwrap();
        assert!(ok);
        assert_eq!(udp2, udp);
        for (i, &b) in pkt[28..].iter().enumerate() {
            assert_eq!(b, stream_byte(42 + i as u64));
        }
    }

    #[test]
    fn ipv4_tcp_packet_parses_back() {
        let (src, dst) = addrs();
        let ip = Ipv4Repr {
            src,
            dst,
            protocol: 0,
            ttl: 64,
            identification: 0,
            dscp_ecn: 2,
            dont_fragment: true,
            payload_len: 0,
        };
        let mut tcp = TcpRepr {
            src_port: 40000,
            dst_port: 80,
            seq: SeqNum(u32::MAX - 100),
            ack: SeqNum(12345),
            flags: TcpFlags::ACK | TcpFlags::PSH,
            window: 65535,
            payload_len: 1448,
            ..Default::default()
        };
        tcp.options.timestamps = Some((1, 2));
        let pkt = emit_ipv4_tcp(&ip, &tcp, 1 << 40);
        assert_eq!(pkt.len(), 20 + 32 + 1448);
        let (ip2, ok) = Ipv4Repr::parse(&pkt).unwrap();
        assert!(ok);
        assert_eq!(ip2.protocol, IPPROTO_TCP);
        assert_eq!(ip2.dscp_ecn, 2);
        let end = ip2.total_len();
        let (tcp2, ok) = TcpRepr::parse(&pkt[20..end], src, dst).unwrap();
        assert!(ok);
        assert_eq!(tcp2, tcp);
        assert_eq!(pkt[52], stream_byte(1 << 40));
    }
}
