//! Packet formats as value types: IPv4, UDP and TCP headers, the Internet checksum.
pub mod tcp;
