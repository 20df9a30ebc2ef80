//! Facts of the Unix-domain socket address and buffer formats (AF_UNIX, as
//! Linux has them): what a path may hold and how large a datagram may be.

/// The default buffer of a Unix-domain socket (net.core.wmem_default).
pub const LOCAL_BUFFER: u64 = 212_992;
/// The largest datagram with the default buffer.
pub const MAX_DATAGRAM: u64 = LOCAL_BUFFER;
/// The longest path: `sun_path` holds 108 bytes, the last one a NUL.
pub const MAX_PATH: usize = 107;
