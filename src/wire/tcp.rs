//! The TCP header (RFC 9293 §3.1) as a value type, and sequence-number arithmetic.
//!
//! Protocol code handles `TcpRepr` values only; bytes exist only where bytes are
//! needed (checksums, pcap). Payload bytes are never stored: see `crate::wire::stream_byte`.

use std::fmt;

use super::WireError;
use super::checksum;
use super::ipv4::{IPPROTO_TCP, Ipv4Addr};

/// A TCP sequence number: arithmetic and comparisons are modulo 2^32 (RFC 9293 §3.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// Signed distance `self - other`, valid while the two are within 2^31 of each other.
    pub fn diff(self, other: SeqNum) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }
    // `add` with a `u32` operand is the intended, established API (not `ops::Add`).
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_add(n))
    }
    pub fn lt(self, other: SeqNum) -> bool {
        self.diff(other) < 0
    }
    pub fn le(self, other: SeqNum) -> bool {
        self.diff(other) <= 0
    }
    pub fn gt(self, other: SeqNum) -> bool {
        self.diff(other) > 0
    }
    pub fn ge(self, other: SeqNum) -> bool {
        self.diff(other) >= 0
    }
}

impl fmt::Display for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The flag bits of byte 13 of the header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: TcpFlags = TcpFlags(0x01);
    pub const SYN: TcpFlags = TcpFlags(0x02);
    pub const RST: TcpFlags = TcpFlags(0x04);
    pub const PSH: TcpFlags = TcpFlags(0x08);
    pub const ACK: TcpFlags = TcpFlags(0x10);
    pub const URG: TcpFlags = TcpFlags(0x20);
    pub const ECE: TcpFlags = TcpFlags(0x40);
    pub const CWR: TcpFlags = TcpFlags(0x80);

    pub const fn empty() -> TcpFlags {
        TcpFlags(0)
    }
    pub const fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn union(self, other: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | other.0)
    }
}

impl std::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        self.union(rhs)
    }
}

/// The maximum number of SACK blocks one header can carry (with no timestamps).
pub const MAX_SACK_BLOCKS: usize = 4;

/// Header options. `Default` is "no options".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// Maximum segment size (kind 2), only on SYN segments.
    pub mss: Option<u16>,
    /// Window scale shift count (kind 3), only on SYN segments, 0..=14.
    pub window_scale: Option<u8>,
    /// SACK-permitted (kind 4), only on SYN segments.
    pub sack_permitted: bool,
    /// SACK blocks (kind 5): `[left, right)` edges; the first `sack_count` entries are used.
    pub sack_blocks: [(SeqNum, SeqNum); MAX_SACK_BLOCKS],
    pub sack_count: u8,
    /// Timestamps (kind 8): (TSval, TSecr).
    pub timestamps: Option<(u32, u32)>,
}

impl TcpOptions {
    pub fn sack(&self) -> &[(SeqNum, SeqNum)] {
        &self.sack_blocks[..self.sack_count as usize]
    }
}

/// Every field of a TCP header, plus the payload length (the payload itself is implied).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpRepr {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: SeqNum,
    pub ack: SeqNum,
    pub flags: TcpFlags,
    /// The window field as sent on the wire (before any window scaling is applied).
    pub window: u16,
    pub urgent: u16,
    pub options: TcpOptions,
    /// Payload length in bytes (not part of the header; the IP length carries it).
    pub payload_len: u32,
}

impl fmt::Display for TcpFlags {
    /// `SYN|ACK` style, in the order SYN, FIN, RST, PSH, ACK, URG, ECE, CWR;
    /// no flags print as `-`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(TcpFlags, &str); 8] = [
            (TcpFlags::SYN, "SYN"),
            (TcpFlags::FIN, "FIN"),
            (TcpFlags::RST, "RST"),
            (TcpFlags::PSH, "PSH"),
            (TcpFlags::ACK, "ACK"),
            (TcpFlags::URG, "URG"),
            (TcpFlags::ECE, "ECE"),
            (TcpFlags::CWR, "CWR"),
        ];
        let mut s = String::new();
        for (flag, name) in NAMES {
            if self.contains(flag) {
                if !s.is_empty() {
                    s.push('|');
                }
                s.push_str(name);
            }
        }
        if s.is_empty() {
            s.push('-');
        }
        f.pad(&s)
    }
}

// ---- Byte encoding -------------------------------------------------------------

const OPT_EOL: u8 = 0;
const OPT_NOP: u8 = 1;
const OPT_MSS: u8 = 2;
const OPT_WINDOW_SCALE: u8 = 3;
const OPT_SACK_PERMITTED: u8 = 4;
const OPT_SACK: u8 = 5;
const OPT_TIMESTAMPS: u8 = 8;

/// The fixed part of the header.
const BASE_HEADER_LEN: usize = 20;
/// Room for options: the 4-bit data offset caps the header at 60 bytes.
const MAX_OPTIONS_LEN: usize = 40;

impl TcpOptions {
    /// Option bytes without any SACK option, in the aligned layout of `emit`.
    fn len_without_sack(&self) -> usize {
        let mut n = 0;
        if self.mss.is_some() {
            n += 4; // kind, len, 2-byte value
        }
        if self.timestamps.is_some() {
            n += 12; // NOP NOP (or SACK-permitted) + 10
        }
        if self.window_scale.is_some() {
            n += 4; // NOP + 3
        }
        if self.sack_permitted && self.timestamps.is_none() {
            n += 4; // NOP NOP + 2 (otherwise it rides in front of timestamps)
        }
        n
    }

    /// How many of the SACK blocks `emit` actually sends: `sack_count` (at most
    /// `MAX_SACK_BLOCKS`), reduced from the end until the options fit in 40 bytes.
    /// With timestamps (12 bytes) that is at most 3 blocks; with timestamps, MSS
    /// and window scale at most 2.
    pub fn emitted_sack_count(&self) -> usize {
        let wanted = usize::from(self.sack_count).min(MAX_SACK_BLOCKS);
        let room = MAX_OPTIONS_LEN.saturating_sub(self.len_without_sack());
        // Each SACK option costs NOP NOP kind len (4 bytes) + 8 per block.
        let fit = room.saturating_sub(4) / 8;
        wanted.min(fit)
    }

    /// Option bytes as `emit` lays them out (already a multiple of 4).
    fn encoded_len(&self) -> usize {
        let blocks = self.emitted_sack_count();
        let sack = if blocks > 0 { 4 + 8 * blocks } else { 0 };
        (self.len_without_sack() + sack).next_multiple_of(4)
    }

    /// Writes the options into `buf` (exactly `encoded_len()` bytes).
    ///
    /// Layout, as common stacks do it, so that multi-byte values sit on 4-byte
    /// boundaries: `MSS`; `NOP NOP TS` (or `SACKP TS` when both are present);
    /// `NOP WS`; `NOP NOP SACKP` (when there are no timestamps);
    /// `NOP NOP SACK(blocks)`; then EOL/zero padding to a multiple of 4 (never needed
    /// with this layout, but kept for safety).
    fn emit(&self, buf: &mut [u8]) {
        let mut i = 0;
        let mut put = |bytes: &[u8]| {
            buf[i..i + bytes.len()].copy_from_slice(bytes);
            i += bytes.len();
        };
        if let Some(mss) = self.mss {
            let [a, b] = mss.to_be_bytes();
            put(&[OPT_MSS, 4, a, b]);
        }
        if let Some((tsval, tsecr)) = self.timestamps {
            if self.sack_permitted {
                put(&[OPT_SACK_PERMITTED, 2]);
            } else {
                put(&[OPT_NOP, OPT_NOP]);
            }
            put(&[OPT_TIMESTAMPS, 10]);
            put(&tsval.to_be_bytes());
            put(&tsecr.to_be_bytes());
        }
        if let Some(shift) = self.window_scale {
            put(&[OPT_NOP, OPT_WINDOW_SCALE, 3, shift]);
        }
        if self.sack_permitted && self.timestamps.is_none() {
            put(&[OPT_NOP, OPT_NOP, OPT_SACK_PERMITTED, 2]);
        }
        let blocks = self.emitted_sack_count();
        if blocks > 0 {
            put(&[OPT_NOP, OPT_NOP, OPT_SACK, (2 + 8 * blocks) as u8]);
            for &(left, right) in &self.sack_blocks[..blocks] {
                put(&left.0.to_be_bytes());
                put(&right.0.to_be_bytes());
            }
        }
        let end = self.encoded_len();
        buf[i..end].fill(OPT_EOL);
    }

    /// Parses an options area. Unknown options are skipped by their length byte;
    /// known options with a wrong length, or any option overrunning the area, are
    /// errors. When an option repeats, the last one wins.
    fn parse(mut opts: &[u8]) -> Result<TcpOptions, WireError> {
        const WHAT: &str = "TCP option";
        let mut out = TcpOptions::default();
        while let Some(&kind) = opts.first() {
            match kind {
                OPT_EOL => break,
                OPT_NOP => {
                    opts = &opts[1..];
                    continue;
                }
                _ => {}
            }
            let Some(&len) = opts.get(1) else {
                return Err(WireError::truncated(WHAT, 2, opts.len()));
            };
            let len = usize::from(len);
            if len < 2 {
                return Err(WireError::malformed(
                    WHAT,
                    format!("kind {kind} has length {len}"),
                ));
            }
            if opts.len() < len {
                return Err(WireError::truncated(WHAT, len, opts.len()));
            }
            let body = &opts[2..len];
            let bad_len = || WireError::malformed(WHAT, format!("kind {kind} has length {len}"));
            match kind {
                OPT_MSS => {
                    let &[a, b] = body else { return Err(bad_len()) };
                    out.mss = Some(u16::from_be_bytes([a, b]));
                }
                OPT_WINDOW_SCALE => {
                    let &[shift] = body else {
                        return Err(bad_len());
                    };
                    out.window_scale = Some(shift);
                }
                OPT_SACK_PERMITTED => {
                    if !body.is_empty() {
                        return Err(bad_len());
                    }
                    out.sack_permitted = true;
                }
                OPT_SACK => {
                    if body.is_empty() || body.len() % 8 != 0 {
                        return Err(bad_len());
                    }
                    // At most 4 blocks fit in 40 bytes, so none are lost here.
                    let mut count = 0;
                    for (slot, block) in out.sack_blocks.iter_mut().zip(body.chunks_exact(8)) {
                        let left = u32::from_be_bytes([block[0], block[1], block[2], block[3]]);
                        let right = u32::from_be_bytes([block[4], block[5], block[6], block[7]]);
                        *slot = (SeqNum(left), SeqNum(right));
                        count += 1;
                    }
                    out.sack_blocks[count..].fill(Default::default());
                    out.sack_count = count as u8;
                }
                OPT_TIMESTAMPS => {
                    if body.len() != 8 {
                        return Err(bad_len());
                    }
                    let tsval = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
                    let tsecr = u32::from_be_bytes([body[4], body[5], body[6], body[7]]);
                    out.timestamps = Some((tsval, tsecr));
                }
                _ => {} // unknown: skipped
            }
            opts = &opts[len..];
        }
        Ok(out)
    }
}

impl TcpRepr {
    /// Bytes of options `emit` writes, padding included (a multiple of 4, at most 40).
    /// SACK blocks that do not fit are not counted (see [`TcpRepr::emit`]).
    pub fn options_len(&self) -> usize {
        self.options.encoded_len()
    }

    /// Header length in bytes, options included: 20..=60.
    pub fn header_len(&self) -> usize {
        BASE_HEADER_LEN + self.options_len()
    }

    /// The data-offset field: header length in 32-bit words, 5..=15.
    pub fn data_offset(&self) -> u8 {
        (self.header_len() / 4) as u8
    }

    /// Writes the segment, header then `payload`, into
    /// `buf[..header_len() + payload.len()]`, with the checksum computed over the
    /// IPv4 pseudo-header (`src`, `dst`), the header and the payload.
    ///
    /// Options are laid out aligned as real stacks do (see `TcpOptions`); if they
    /// would exceed the 40 bytes of option space, SACK blocks are dropped from the
    /// end of the list until they fit ([`TcpOptions::emitted_sack_count`]), so a
    /// parsed-back repr may carry fewer SACK blocks than the one emitted. The NS bit
    /// and reserved bits are written as zero.
    ///
    /// # Panics
    /// If `payload.len() != self.payload_len`, if the segment exceeds 65535 bytes,
    /// or if `buf` is too short.
    pub fn emit(&self, buf: &mut [u8], src: Ipv4Addr, dst: Ipv4Addr, payload: &[u8]) {
        assert_eq!(
            payload.len(),
            self.payload_len as usize,
            "TcpRepr::emit: payload length differs from payload_len"
        );
        let header_len = self.header_len();
        let len = header_len + payload.len();
        let seg_len = u16::try_from(len)
            .unwrap_or_else(|_| panic!("TCP segment of {len} bytes exceeds 65535"));
        let seg = &mut buf[..len];
        seg[0..2].copy_from_slice(&self.src_port.to_be_bytes());
        seg[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
        seg[4..8].copy_from_slice(&self.seq.0.to_be_bytes());
        seg[8..12].copy_from_slice(&self.ack.0.to_be_bytes());
        seg[12] = self.data_offset() << 4;
        seg[13] = self.flags.0;
        seg[14..16].copy_from_slice(&self.window.to_be_bytes());
        seg[16..18].fill(0);
        seg[18..20].copy_from_slice(&self.urgent.to_be_bytes());
        self.options.emit(&mut seg[BASE_HEADER_LEN..header_len]);
        seg[header_len..].copy_from_slice(payload);
        let sum = checksum::pseudo_header_sum(src.0, dst.0, IPPROTO_TCP, seg_len);
        let ck = checksum::finish(checksum::ones_complement_sum(seg, sum));
        seg[16..18].copy_from_slice(&ck.to_be_bytes());
    }

    /// Reads a TCP segment: `buf` is exactly the segment (the IPv4 payload, header
    /// and data), so `payload_len = buf.len() - header length`. Returns the header
    /// and whether the checksum verifies against the pseudo-header of `src`/`dst`.
    pub fn parse(buf: &[u8], src: Ipv4Addr, dst: Ipv4Addr) -> Result<(TcpRepr, bool), WireError> {
        const WHAT: &str = "TCP header";
        if buf.len() < BASE_HEADER_LEN {
            return Err(WireError::truncated(WHAT, BASE_HEADER_LEN, buf.len()));
        }
        let header_len = usize::from(buf[12] >> 4) * 4;
        if header_len < BASE_HEADER_LEN {
            return Err(WireError::malformed(
                WHAT,
                format!("data offset {} below 5", header_len / 4),
            ));
        }
        if buf.len() < header_len {
            return Err(WireError::truncated(WHAT, header_len, buf.len()));
        }
        let seg_len = u16::try_from(buf.len()).map_err(|_| {
            WireError::malformed("TCP segment", format!("length {} exceeds 65535", buf.len()))
        })?;
        let options = TcpOptions::parse(&buf[BASE_HEADER_LEN..header_len])?;
        let sum = checksum::pseudo_header_sum(src.0, dst.0, IPPROTO_TCP, seg_len);
        let checksum_ok = checksum::finish(checksum::ones_complement_sum(buf, sum)) == 0;
        let be32 = |i: usize| u32::from_be_bytes([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]);
        let be16 = |i: usize| u16::from_be_bytes([buf[i], buf[i + 1]]);
        let repr = TcpRepr {
            src_port: be16(0),
            dst_port: be16(2),
            seq: SeqNum(be32(4)),
            ack: SeqNum(be32(8)),
            flags: TcpFlags(buf[13]),
            window: be16(14),
            urgent: be16(18),
            options,
            payload_len: (buf.len() - header_len) as u32,
        };
        Ok((repr, checksum_ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
    const DST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);

    fn syn_options() -> TcpOptions {
        TcpOptions {
            mss: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            timestamps: Some((0xDEAD_BEEF, 0)),
            ..Default::default()
        }
    }

    fn payload(n: usize) -> Vec<u8> {
        let mut p = vec![0u8; n];
        crate::wire::fill_stream_bytes(99, &mut p);
        p
    }

    fn emit(repr: &TcpRepr) -> Vec<u8> {
        let p = payload(repr.payload_len as usize);
        let mut buf = vec![0u8; repr.header_len() + p.len()];
        repr.emit(&mut buf, SRC, DST, &p);
        buf
    }

    fn round_trip(repr: &TcpRepr) -> TcpRepr {
        let buf = emit(repr);
        let (parsed, ok) = TcpRepr::parse(&buf, SRC, DST).unwrap();
        assert!(ok, "checksum of {repr:?}");
        assert_eq!(
            &buf[repr.header_len()..],
            &payload(repr.payload_len as usize)[..]
        );
        parsed
    }

    fn with_sack(opts: TcpOptions, blocks: &[(u32, u32)]) -> TcpOptions {
        let mut o = opts;
        for (slot, &(l, r)) in o.sack_blocks.iter_mut().zip(blocks) {
            *slot = (SeqNum(l), SeqNum(r));
        }
        o.sack_count = blocks.len() as u8;
        o
    }

    #[test]
    fn header_lengths() {
        let bare = TcpRepr::default();
        assert_eq!(bare.options_len(), 0);
        assert_eq!(bare.header_len(), 20);
        assert_eq!(bare.data_offset(), 5);

        let syn = TcpRepr {
            flags: TcpFlags::SYN,
            options: syn_options(),
            ..Default::default()
        };
        // MSS 4 + SACKP/TS 12 + NOP/WS 4 = 20, as Linux sends it.
        assert_eq!(syn.options_len(), 20);
        assert_eq!(syn.header_len(), 40);
        assert_eq!(syn.data_offset(), 10);

        let mss_only = TcpRepr {
            options: TcpOptions {
                mss: Some(536),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(mss_only.header_len(), 24);

        let ts_only = TcpRepr {
            options: TcpOptions {
                timestamps: Some((1, 2)),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(ts_only.header_len(), 32);
    }

    #[test]
    fn syn_options_wire_layout() {
        let syn = TcpRepr {
            src_port: 0x1234,
            dst_port: 80,
            seq: SeqNum(1),
            flags: TcpFlags::SYN,
            window: 64240,
            options: syn_options(),
            ..Default::default()
        };
        let buf = emit(&syn);
        assert_eq!(buf[12], 10 << 4);
        assert_eq!(buf[13], 0x02);
        assert_eq!(
            &buf[20..40],
            &[
                2, 4, 0x05, 0xb4, // MSS 1460
                4, 2, 8, 10, 0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 0, // SACKP, TS
                1, 3, 3, 7, // NOP, WS 7
            ]
        );
        // Without timestamps, SACK-permitted gets its own NOP-padded word.
        let mut no_ts = syn;
        no_ts.options.timestamps = None;
        let buf = emit(&no_ts);
        assert_eq!(&buf[20..32], &[2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2]);
        assert_eq!(round_trip(&no_ts), no_ts);
    }

    #[test]
    fn round_trips() {
        let cases = [
            TcpRepr::default(),
            TcpRepr {
                src_port: 40000,
                dst_port: 443,
                seq: SeqNum(u32::MAX - 3),
                ack: SeqNum(u32::MAX),
                flags: TcpFlags::SYN | TcpFlags::ACK,
                window: 65535,
                urgent: 0,
                options: syn_options(),
                payload_len: 0,
            },
            TcpRepr {
                src_port: 1,
                dst_port: 2,
                seq: SeqNum(u32::MAX - 500),
                ack: SeqNum(7),
                flags: TcpFlags::ACK | TcpFlags::PSH | TcpFlags::URG,
                window: 1000,
                urgent: 17,
                options: with_sack(
                    TcpOptions {
                        timestamps: Some((u32::MAX, 12345)),
                        ..Default::default()
                    },
                    &[(u32::MAX - 100, 50), (1000, 2000), (3000, 4000)],
                ),
                payload_len: 1001,
            },
            TcpRepr {
                flags: TcpFlags::ACK,
                options: with_sack(
                    TcpOptions::default(),
                    &[(1, 2), (3, 4), (5, 6), (u32::MAX - 1, u32::MAX)],
                ),
                payload_len: 1,
                ..Default::default()
            },
            TcpRepr {
                flags: TcpFlags(0xFF),
                options: TcpOptions {
                    window_scale: Some(14),
                    ..Default::default()
                },
                ..Default::default()
            },
        ];
        for repr in cases {
            assert_eq!(repr.header_len() % 4, 0);
            assert!(repr.header_len() <= 60);
            assert_eq!(round_trip(&repr), repr);
        }
    }

    #[test]
    fn excess_sack_blocks_are_dropped_from_the_end() {
        let four = [(10, 20), (30, 40), (50, 60), (70, 80)];
        // Timestamps leave room for 3 blocks.
        let ts = with_sack(
            TcpOptions {
                timestamps: Some((5, 6)),
                ..Default::default()
            },
            &four,
        );
        let repr = TcpRepr {
            options: ts,
            ..Default::default()
        };
        assert_eq!(ts.emitted_sack_count(), 3);
        assert_eq!(repr.header_len(), 60);
        let parsed = round_trip(&repr);
        assert_eq!(parsed.options.sack(), &ts.sack()[..3]);
        assert_eq!(parsed.options.timestamps, Some((5, 6)));

        // All of MSS, WS, SACKP and TS leave room for 2.
        let full = with_sack(syn_options(), &four);
        assert_eq!(full.emitted_sack_count(), 2);
        let repr = TcpRepr {
            options: full,
            ..Default::default()
        };
        assert_eq!(repr.header_len(), 60);
        assert_eq!(round_trip(&repr).options.sack(), &full.sack()[..2]);

        // A corrupt sack_count never panics.
        let silly = TcpOptions {
            sack_count: 200,
            ..Default::default()
        };
        assert_eq!(silly.emitted_sack_count(), 4);
    }

    #[test]
    fn flipped_bits_are_detected() {
        let repr = TcpRepr {
            src_port: 5555,
            dst_port: 80,
            seq: SeqNum(0x8000_0000),
            ack: SeqNum(42),
            flags: TcpFlags::ACK,
            window: 512,
            options: with_sack(
                TcpOptions {
                    timestamps: Some((9, 8)),
                    ..Default::default()
                },
                &[(100, 200)],
            ),
            payload_len: 77,
            ..Default::default()
        };
        let buf = emit(&repr);
        for bit in 0..buf.len() * 8 {
            let mut bad = buf.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            // Flips in the data offset or option framing may be rejected outright.
            if let Ok((_, ok)) = TcpRepr::parse(&bad, SRC, DST) {
                assert!(!ok, "bit {bit} flip not detected");
            }
        }
        // The pseudo-header is covered.
        let (_, ok) = TcpRepr::parse(&buf, DST, SRC).unwrap();
        assert!(ok, "swapping src and dst keeps the sum");
        let (_, ok) = TcpRepr::parse(&buf, SRC, Ipv4Addr::new(198, 51, 100, 8)).unwrap();
        assert!(!ok);
    }

    #[test]
    fn malformed_input_is_an_error() {
        let repr = TcpRepr {
            options: syn_options(),
            flags: TcpFlags::SYN,
            ..Default::default()
        };
        let buf = emit(&repr);
        for n in 0..buf.len() {
            assert!(TcpRepr::parse(&buf[..n], SRC, DST).is_err(), "prefix {n}");
        }
        let mut low_offset = buf.clone();
        low_offset[12] = 4 << 4;
        assert!(matches!(
            TcpRepr::parse(&low_offset, SRC, DST),
            Err(WireError::Malformed { .. })
        ));
        let mut bad_mss_len = buf.clone();
        bad_mss_len[21] = 5;
        assert!(TcpRepr::parse(&bad_mss_len, SRC, DST).is_err());
        let mut zero_len = buf.clone();
        zero_len[21] = 0;
        assert!(TcpRepr::parse(&zero_len, SRC, DST).is_err());
        let mut overrun = buf.clone();
        overrun[38] = 200; // the WS option's length byte
        assert!(TcpRepr::parse(&overrun, SRC, DST).is_err());
        let mut empty_sack = buf.clone();
        empty_sack[36..40].copy_from_slice(&[1, 1, 5, 2]);
        assert!(TcpRepr::parse(&empty_sack, SRC, DST).is_err());
        // Every byte value in every header position: never a panic.
        for pos in 0..buf.len() {
            for v in 0..=255u8 {
                let mut b = buf.clone();
                b[pos] = v;
                let _ = TcpRepr::parse(&b, SRC, DST);
            }
        }
    }

    #[test]
    fn unknown_options_and_eol_are_handled() {
        let mut buf = vec![0u8; 32];
        buf[12] = 8 << 4;
        // Unknown kind 30 (len 4), NOP, EOL, then garbage after EOL (ignored).
        buf[20..32].copy_from_slice(&[30, 4, 0xAA, 0xBB, 1, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0]);
        let sum = checksum::pseudo_header_sum(SRC.0, DST.0, IPPROTO_TCP, 32);
        let ck = checksum::finish(checksum::ones_complement_sum(&buf, sum));
        buf[16..18].copy_from_slice(&ck.to_be_bytes());
        let (parsed, ok) = TcpRepr::parse(&buf, SRC, DST).unwrap();
        assert!(ok);
        assert_eq!(parsed.options, TcpOptions::default());
        assert_eq!(parsed.payload_len, 0);
    }

    #[test]
    fn flags_display() {
        assert_eq!(TcpFlags::empty().to_string(), "-");
        assert_eq!((TcpFlags::ACK | TcpFlags::SYN).to_string(), "SYN|ACK");
        assert_eq!((TcpFlags::ACK | TcpFlags::FIN).to_string(), "FIN|ACK");
        assert_eq!(
            TcpFlags(0xFF).to_string(),
            "SYN|FIN|RST|PSH|ACK|URG|ECE|CWR"
        );
        assert_eq!(format!("{:<8}|", TcpFlags::RST), "RST     |");
    }

    #[test]
    fn seq_num_comparisons_across_the_wrap() {
        let hi = SeqNum(u32::MAX - 10);
        let lo = SeqNum(5);
        assert!(hi.lt(lo));
        assert!(hi.le(lo));
        assert!(lo.gt(hi));
        assert!(lo.ge(hi));
        assert!(!lo.lt(hi));
        assert_eq!(lo.diff(hi), 16);
        assert_eq!(hi.diff(lo), -16);
        assert_eq!(hi.add(16), lo);
        assert!(hi.le(hi) && hi.ge(hi) && !hi.lt(hi));
    }
}
