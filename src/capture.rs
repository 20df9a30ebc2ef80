//! Packet captures: one pcap file per link direction, as `netsim run --pcap` writes them.
//!
//! Layout: `<result folder>/pcap/<from>-<to>.pcap`, one file for every link
//! direction, in the order of the links in the scenario (a direction that carried
//! nothing gets a file with the pcap header only). The name is the direction's
//! name ("A->R1") made safe: "->" becomes "-", any character other than an ASCII
//! letter, digit, `_`, `.` or `-` becomes `_` (so the second of two parallel links,
//! "A->B#2", is `A-B_2.pcap`). Should two directions still get the same name
//! (nodes may have `-` in their names: "A-B"->"C" and "A"->"B-C"), the later one
//! gets `~N` appended, `N` being its direction index.
//!
//! A packet is recorded when its transmission on the direction starts (the
//! `transmit` trace point), at that simulated time (the capture starts at the Unix
//! epoch), as the whole IPv4 packet that is on the wire (link type RAW): real IPv4,
//! UDP and TCP headers with correct checksums, TCP options as sent, and the
//! payload bytes of the stream function. The IPv4 header has no options,
//! identification = the low 16 bits of the packet's uid, DF set, and the TTL the
//! packet has on that hop (routers decrement it before forwarding). So each file's
//! frame count and byte count (sum of IPv4 total lengths) equal the direction's
//! `tx_packets` and `tx_bytes` in the statistics.
//!
//! `Capture` is a subscriber to the run's trace records (`TraceSink`), fed the
//! `transmit` records; it costs nothing unless enabled.
//! Records are buffered in memory per direction and appended to their file in
//! large pieces, so no file stays open (a big topology needs no file descriptors
//! per direction).

use crate::error::{Error, Result};
use crate::net::Network;
use crate::net::link::ChannelId;
use crate::net::packet::{Packet, Transport};
use crate::sim::SimTime;
use crate::trace::{PacketEvent, PacketRecord, TraceSink};
use crate::wire::{Ipv4Repr, PcapWriter, emit_ipv4_tcp, emit_ipv4_udp};
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The folder, inside a result folder, that holds the captures.
pub const PCAP_DIR: &str = "pcap";

/// Bytes buffered per direction before they are appended to its file.
const SPILL_AT: usize = 64 * 1024;

/// The file name (no folder) of the capture of the direction named `channel`,
/// before de-duplication: "A->R1" → "A-R1.pcap".
pub fn file_stem(channel: &str) -> String {
    channel
        .replace("->", "-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The capture file names of all directions of `net`, in direction order.
pub fn file_names(net: &Network) -> Vec<String> {
    let mut used = BTreeSet::new();
    (0..net.channels.len())
        .map(|c| {
            let stem = file_stem(net.channel_name(ChannelId(c as u32)));
            let mut name = format!("{stem}.pcap");
            if used.contains(&name) {
                name = format!("{stem}~{c}.pcap");
            }
            used.insert(name.clone());
            name
        })
        .collect()
}

/// An append-only file written in large pieces; the file is open only while a
/// piece is written.
#[derive(Debug)]
struct SpillFile {
    path: PathBuf,
    buf: Vec<u8>,
}

impl SpillFile {
    fn spill(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let mut f = OpenOptions::new().append(true).open(&self.path)?;
            f.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl Write for SpillFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= SPILL_AT {
            self.spill()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.spill()
    }
}

/// The captures of one run: one pcap writer per link direction.
#[derive(Debug)]
pub struct Capture {
    writers: Vec<PcapWriter<SpillFile>>,
    /// The first write error, reported by `finish` (the run goes on meanwhile).
    error: Option<Error>,
}

impl Capture {
    /// Creates `dir` and one empty capture per direction of `net` in it.
    pub fn create(dir: &Path, net: &Network) -> Result<Capture> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let writers = file_names(net)
            .into_iter()
            .map(|name| {
                let path = dir.join(name);
                File::create(&path).map_err(|e| Error::io(&path, e))?;
                let file = SpillFile {
                    path,
                    buf: Vec::new(),
                };
                PcapWriter::new(file).map_err(|e| Error::Internal(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Capture {
            writers,
            error: None,
        })
    }

    /// Records `p` starting its transmission on `channel` at `now`.
    pub fn transmit(&mut self, now: SimTime, channel: ChannelId, p: &Packet) {
        if self.error.is_some() {
            return;
        }
        let bytes = packet_bytes(p);
        let w = &mut self.writers[channel.index()];
        if let Err(e) = w.write_packet(now.as_nanos(), &bytes) {
            self.error = Some(Error::io(&w.get_ref().path, e));
        }
    }

    /// Writes what is still buffered; fails with the first error of the run.
    pub fn finish(mut self) -> Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        for w in &mut self.writers {
            w.flush().map_err(|e| Error::io(&w.get_ref().path, e))?;
        }
        Ok(())
    }
}

/// The captures subscribe to the packet records: each transmission is one
/// packet in its direction's file.
impl TraceSink for Capture {
    #[inline]
    fn packet(&mut self, record: &PacketRecord, _net: &Network) {
        let PacketRecord {
            now,
            event,
            packet: p,
            ..
        } = *record;
        if let PacketEvent::Transmit { channel } = event {
            self.transmit(now, channel, p);
        }
    }
}

/// The IPv4 packet `p` as it is on the wire: identification = the low 16 bits
/// of its uid, DF set, its current TTL.
pub fn packet_bytes(p: &Packet) -> Vec<u8> {
    let ip = Ipv4Repr {
        src: p.src_addr,
        dst: p.dst_addr,
        protocol: 0, // set by emit_* from the transport
        ttl: p.ttl,
        identification: p.uid as u16,
        dscp_ecn: p.ecn as u8,
        dont_fragment: true,
        payload_len: 0,
    };
    match &p.transport {
        Transport::Udp(udp) => emit_ipv4_udp(&ip, udp, p.payload_origin),
        Transport::Tcp(tcp) => emit_ipv4_tcp(&ip, tcp, p.payload_origin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_stem("A->R1"), "A-R1");
        assert_eq!(file_stem("A->B#2"), "A-B_2");
        assert_eq!(file_stem("r.1->x_y"), "r.1-x_y");
        // Node names cannot hold these (the validator refuses them), and even
        // if they did, a capture stays a plain file inside pcap/.
        assert_eq!(file_stem("../../etc->/passwd"), ".._.._etc-_passwd");
        assert!(!file_stem("a\\b->c/d").contains(['/', '\\']));
    }

    #[test]
    fn clashing_file_names_get_the_direction_index() {
        let sc = crate::scenario::parse(
            "t.toml",
            r#"
            [simulation]
            duration = "1s"
            [[node]]
            name = "A-B"
            [[node]]
            name = "C"
            [[node]]
            name = "A"
            [[node]]
            name = "B-C"
            [[link]]
            between = ["A-B", "C"]
            bandwidth = "1Mbps"
            delay = "1ms"
            [[link]]
            between = ["A", "B-C"]
            bandwidth = "1Mbps"
            delay = "1ms"
            "#,
            "t",
        )
        .unwrap();
        let net = Network::build(&sc);
        assert_eq!(
            file_names(&net),
            ["A-B-C.pcap", "C-A-B.pcap", "A-B-C~2.pcap", "B-C-A.pcap"]
        );
    }

    #[test]
    fn spill_file_appends_in_pieces() {
        let dir = std::env::temp_dir().join(format!("netsim-spill-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.bin");
        File::create(&path).unwrap();
        let mut f = SpillFile {
            path: path.clone(),
            buf: Vec::new(),
        };
        let chunk = vec![7u8; 40_000];
        f.write_all(&chunk).unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 0);
        f.write_all(&chunk).unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 80_000);
        f.write_all(&[1, 2, 3]).unwrap();
        f.flush().unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 80_003);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
