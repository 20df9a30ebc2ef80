//! A minimal writer for classic libpcap trace files, readable by Wireshark and tcpdump.
//!
//! Format: little-endian, magic 0xa1b23c4d (nanosecond timestamps), version 2.4,
//! snaplen 65535, link type 101 (LINKTYPE_RAW: each record is a bare IPv4 packet).
//! Timestamps are simulated time in nanoseconds since the start of the run, so the
//! trace starts at the Unix epoch.

use std::io::{self, Write};

/// Magic number selecting nanosecond-resolution timestamps.
pub const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
pub const VERSION_MAJOR: u16 = 2;
pub const VERSION_MINOR: u16 = 4;
/// Longest record stored; longer packets are truncated (keeping their original length).
pub const SNAPLEN: u32 = 65535;
/// LINKTYPE_RAW: raw IP packets, no link-layer header.
pub const LINKTYPE_RAW: u32 = 101;

/// Writes a pcap global header on creation, then one record per packet.
///
/// Output is not buffered here: wrap a file in `std::io::BufWriter`.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the 24-byte global header to `w`.
    pub fn new(mut w: W) -> io::Result<Self> {
        let mut header = [0u8; 24];
        header[0..4].copy_from_slice(&MAGIC_NANOS.to_le_bytes());
        header[4..6].copy_from_slice(&VERSION_MAJOR.to_le_bytes());
        header[6..8].copy_from_slice(&VERSION_MINOR.to_le_bytes());
        // thiszone (i32) and sigfigs (u32): both zero.
        header[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
        header[20..24].copy_from_slice(&LINKTYPE_RAW.to_le_bytes());
        w.write_all(&header)?;
        Ok(PcapWriter { w })
    }

    /// Appends one packet captured at `time_ns` nanoseconds. Packets longer than
    /// `SNAPLEN` are truncated to it. Fails with `InvalidInput` if the time's seconds
    /// do not fit the 32-bit field (beyond about 136 years).
    pub fn write_packet(&mut self, time_ns: u64, bytes: &[u8]) -> io::Result<()> {
        let secs = u32::try_from(time_ns / 1_000_000_000).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("pcap timestamp {time_ns} ns does not fit 32-bit seconds"),
            )
        })?;
        let nanos = (time_ns % 1_000_000_000) as u32;
        let orig_len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        let incl_len = orig_len.min(SNAPLEN);
        let mut record = [0u8; 16];
        record[0..4].copy_from_slice(&secs.to_le_bytes());
        record[4..8].copy_from_slice(&nanos.to_le_bytes());
        record[8..12].copy_from_slice(&incl_len.to_le_bytes());
        record[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.w.write_all(&record)?;
        self.w.write_all(&bytes[..incl_len as usize])
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    pub fn get_ref(&self) -> &W {
        &self.w
    }

    /// The underlying writer (not flushed).
    pub fn into_inner(self) -> W {
        self.w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_header_bytes() {
        let w = PcapWriter::new(Vec::new()).unwrap();
        assert_eq!(
            w.into_inner(),
            [
                0x4d, 0x3c, 0xb2, 0xa1, // magic, nanosecond resolution
                0x02, 0x00, 0x04, 0x00, // version 2.4
                0x00, 0x00, 0x00, 0x00, // thiszone
                0x00, 0x00, 0x00, 0x00, // sigfigs
                0xff, 0xff, 0x00, 0x00, // snaplen 65535
                0x65, 0x00, 0x00, 0x00, // LINKTYPE_RAW
            ]
        );
    }

    #[test]
    fn record_bytes() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.write_packet(3_000_000_007, &[0x45, 0xAA, 0xBB]).unwrap();
        let out = w.into_inner();
        assert_eq!(
            &out[24..],
            &[
                3, 0, 0, 0, // seconds
                7, 0, 0, 0, // nanoseconds
                3, 0, 0, 0, // captured length
                3, 0, 0, 0, // original length
                0x45, 0xAA, 0xBB,
            ]
        );
    }

    #[test]
    fn long_packets_truncated_and_bad_times_rejected() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.write_packet(0, &vec![0u8; 70_000]).unwrap();
        let out = w.get_ref();
        assert_eq!(out.len(), 24 + 16 + 65535);
        assert_eq!(&out[32..36], &65535u32.to_le_bytes());
        assert_eq!(&out[36..40], &70_000u32.to_le_bytes());
        let e = w.write_packet(u64::MAX, &[1]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }
}
