//! The Internet checksum (RFC 1071): ones'-complement sum of 16-bit big-endian words.
//!
//! Usage: accumulate with [`ones_complement_sum`] (chaining partial sums through
//! `initial`, e.g. starting from [`pseudo_header_sum`]), then [`finish`] to get the
//! field value. To verify, sum the data *including* the checksum field: the data is
//! intact iff `finish(sum) == 0`.

/// Adds `data`, read as big-endian 16-bit words, to `initial` in ones'-complement
/// arithmetic. An odd trailing byte is padded with a zero byte on the right.
///
/// The result is folded to at most 16 significant bits, so it can be passed back as
/// `initial` for the next chunk. When chaining, only the last chunk may have odd
/// length (an odd chunk in the middle would shift the word alignment of the rest).
pub fn ones_complement_sum(data: &[u8], initial: u32) -> u32 {
    // A u64 accumulator cannot overflow for any slice that fits in memory
    // (each word adds at most 0xFFFF).
    let mut acc = u64::from(initial);
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        acc += u64::from(*last) << 8;
    }
    fold(acc)
}

/// Folds the carries of a partial sum back in and complements it: the value to store
/// in a checksum field.
pub fn finish(sum: u32) -> u16 {
    !(fold(u64::from(sum)) as u16)
}

/// The ones'-complement sum of the IPv4 pseudo-header used by TCP and UDP
/// (RFC 9293 §3.1, RFC 768): source and destination addresses, zero, protocol,
/// and the transport length (header plus payload) in bytes.
pub fn pseudo_header_sum(src: [u8; 4], dst: [u8; 4], protocol: u8, length: u16) -> u32 {
    let mut acc = 0u64;
    for addr in [src, dst] {
        acc += u64::from(u16::from_be_bytes([addr[0], addr[1]]));
        acc += u64::from(u16::from_be_bytes([addr[2], addr[3]]));
    }
    acc += u64::from(protocol);
    acc += u64::from(length);
    fold(acc)
}

/// Folds a wide accumulator to 16 bits, end-around carry included.
fn fold(mut acc: u64) -> u32 {
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    acc as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_worked_example() {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (after the
        // end-around carry), so the checksum is its complement 220d.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        let sum = ones_complement_sum(&data, 0);
        assert_eq!(sum, 0xddf2);
        assert_eq!(finish(sum), 0x220d);
        // Appending the checksum makes the whole verify.
        let mut with_ck = data.to_vec();
        with_ck.extend_from_slice(&finish(sum).to_be_bytes());
        assert_eq!(finish(ones_complement_sum(&with_ck, 0)), 0);
    }

    #[test]
    fn odd_length_pads_with_zero_on_the_right() {
        assert_eq!(ones_complement_sum(&[0xab], 0), 0xab00);
        assert_eq!(ones_complement_sum(&[0x12, 0x34, 0x56], 0), 0x1234 + 0x5600);
        assert_eq!(
            ones_complement_sum(&[0x12, 0x34, 0x56], 0),
            ones_complement_sum(&[0x12, 0x34, 0x56, 0x00], 0)
        );
    }

    #[test]
    fn chaining_equals_one_pass() {
        let data: Vec<u8> = (0..1001u32).map(|i| (i * 37 % 251) as u8).collect();
        let whole = ones_complement_sum(&data, 0);
        let first = ones_complement_sum(&data[..500], 0);
        assert_eq!(ones_complement_sum(&data[500..], first), whole);
        assert_eq!(finish(0xFFFF), 0);
        assert_eq!(finish(0x1_FFFE), 0);
    }

    #[test]
    fn large_buffer_does_not_overflow() {
        let data = vec![0xFF; 1 << 20];
        assert_eq!(ones_complement_sum(&data, u32::MAX), 0xFFFF);
    }

    #[test]
    fn pseudo_header() {
        let s = pseudo_header_sum([10, 0, 0, 1], [192, 168, 1, 2], 6, 40);
        let bytes = [10, 0, 0, 1, 192, 168, 1, 2, 0, 6, 0, 40];
        assert_eq!(s, ones_complement_sum(&bytes, 0));
    }
}
