//! The TCP header (RFC 9293 §3.1) as a value type, and sequence-number arithmetic.
//!
//! Protocol code handles `TcpRepr` values only; bytes exist only where bytes are
//! needed (checksums, pcap). Payload bytes are never stored: see `crate::wire::stream_byte`.

use std::fmt;

/// A TCP sequence number: arithmetic and comparisons are modulo 2^32 (RFC 9293 §3.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// Signed distance `self - other`, valid while the two are within 2^31 of each other.
    pub fn diff(self, other: SeqNum) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }
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
