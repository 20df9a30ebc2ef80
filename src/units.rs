//! Quantities as people write them in scenario files: "10Mbps", "20ms", "1500B", "64KB", "100p".
//!
//! Parsing is exact decimal arithmetic on integers (no float rounding): "1.5s" is
//! exactly 1_500_000_000 ns. Decimal prefixes are powers of ten (MB = 10^6 bytes,
//! Mbps = 10^6 bit/s); binary ones are powers of two (MiB = 2^20 bytes).
//! Each type deserializes from a TOML string, so a bad value is reported by the
//! TOML layer at the value's own line and column.

use crate::sim::SimTime;
use serde::Deserialize;
use serde::de::{self, Deserializer};
use std::fmt;

/// A data rate in bits per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bandwidth(pub u64);

/// A number of bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

/// The capacity of a drop-tail queue: in packets ("100p") or in bytes ("64KB").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueCapacity {
    Packets(u64),
    Bytes(u64),
}

/// Splits "12.5ms" into ("12.5", "ms"), trimming spaces between number and unit.
fn split_number(s: &str) -> (&str, &str) {
    let s = s.trim();
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    (&s[..end], s[end..].trim())
}

/// Multiplies a non-negative decimal ("1.25") by an integer scale, exactly.
/// Fails on malformed numbers, on a result that is not a whole number of base
/// units, and on overflow.
fn scaled_decimal(number: &str, scale: u64) -> Result<u64, String> {
    if number.is_empty() {
        return Err("no number".into());
    }
    let (int_part, frac_part) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() || frac_part.contains('.') {
        return Err(format!("`{number}` is not a number"));
    }
    let too_big = || "the value is too large".to_string();
    let int: u64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().map_err(|_| too_big())?
    };
    let mut value = int.checked_mul(scale).ok_or_else(too_big)?;
    // Each fractional digit contributes digit * scale / 10^position; it must divide exactly.
    let mut denominator: u64 = 1;
    for (i, d) in frac_part.bytes().enumerate() {
        denominator = denominator.checked_mul(10).ok_or_else(too_big)?;
        let digit = u64::from(d - b'0');
        if digit == 0 {
            continue;
        }
        let contribution = (digit as u128) * (scale as u128);
        if contribution % (denominator as u128) != 0 {
            return Err(format!(
                "`{number}` has more decimal places ({}) than the unit's resolution allows",
                i + 1
            ));
        }
        value = value
            .checked_add((contribution / denominator as u128) as u64)
            .ok_or_else(too_big)?;
    }
    Ok(value)
}

fn parse_with_units(s: &str, units: &[(&str, u64)], what: &str) -> Result<u64, String> {
    let (number, unit) = split_number(s);
    let expected = || {
        let names: Vec<&str> = units.iter().map(|(u, _)| *u).collect();
        format!(
            "expected {what} such as {}, with a unit from: {}",
            EXAMPLES
                .iter()
                .find(|(w, _)| *w == what)
                .map_or("", |(_, e)| e),
            names.join(", ")
        )
    };
    if s.trim_start().starts_with('-') {
        return Err(format!("`{s}` is negative; {}", expected()));
    }
    if number.is_empty() {
        return Err(format!("`{s}`: no number; {}", expected()));
    }
    if unit.is_empty() {
        return Err(format!("`{s}`: missing unit; {}", expected()));
    }
    let scale = units
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, k)| *k)
        .ok_or_else(|| format!("`{s}`: unknown unit `{unit}`; {}", expected()))?;
    scaled_decimal(number, scale).map_err(|e| format!("`{s}`: {e}; {}", expected()))
}

const EXAMPLES: &[(&str, &str)] = &[
    ("a data rate", "\"10Mbps\" or \"64kbps\""),
    ("a duration", "\"20ms\" or \"1.5s\""),
    ("a size", "\"1500B\" or \"64KB\""),
    ("a queue capacity", "\"100p\" (packets) or \"64KB\" (bytes)"),
];

const RATE_UNITS: &[(&str, u64)] = &[
    ("bps", 1),
    ("kbps", 1_000),
    ("Kbps", 1_000),
    ("Mbps", 1_000_000),
    ("Gbps", 1_000_000_000),
    ("Tbps", 1_000_000_000_000),
];

const TIME_UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("min", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

const SIZE_UNITS: &[(&str, u64)] = &[
    ("B", 1),
    ("KB", 1_000),
    ("kB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
];

impl std::str::FromStr for Bandwidth {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_with_units(s, RATE_UNITS, "a data rate").map(Bandwidth)
    }
}

impl std::str::FromStr for ByteSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_with_units(s, SIZE_UNITS, "a size").map(ByteSize)
    }
}

/// Parses a duration such as "20ms", "1.5s", "100us" into simulated time.
pub fn parse_duration(s: &str) -> Result<SimTime, String> {
    parse_with_units(s, TIME_UNITS, "a duration").map(SimTime)
}

impl std::str::FromStr for QueueCapacity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (number, unit) = split_number(s);
        if unit == "p" || unit == "pkts" || unit == "packets" {
            if s.trim_start().starts_with('-') {
                return Err(format!("`{s}` is negative; expected a queue capacity"));
            }
            return scaled_decimal(number, 1)
                .map(QueueCapacity::Packets)
                .map_err(|e| {
                    format!("`{s}`: {e}; expected a whole number of packets such as \"100p\"")
                });
        }
        parse_with_units(s, SIZE_UNITS, "a queue capacity").map(QueueCapacity::Bytes)
    }
}

/// Serde adapter: a value parsed from a TOML string with `FromStr`.
macro_rules! deserialize_from_str {
    ($ty:ty, $what:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl de::Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$ty, E> {
                        s.parse().map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

deserialize_from_str!(Bandwidth, "a data rate string such as \"10Mbps\"");
deserialize_from_str!(ByteSize, "a size string such as \"1500B\" or \"64KB\"");
deserialize_from_str!(
    QueueCapacity,
    "a queue capacity string such as \"100p\" or \"64KB\""
);

/// A duration in a scenario file: "20ms", "1.5s", "100us".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub SimTime);

impl std::str::FromStr for Duration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_duration(s).map(Duration)
    }
}
deserialize_from_str!(Duration, "a duration string such as \"20ms\" or \"1.5s\"");

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        for (unit, k) in RATE_UNITS.iter().rev().filter(|(u, _)| *u != "Kbps") {
            if b >= *k && b % k == 0 {
                return write!(f, "{}{unit}", b / k);
            }
        }
        write!(f, "{b}bps")
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}B", self.0)
    }
}

/// As a person would write it back into a scenario file: "10s", "1.5s", "250ms", "3us".
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0.0;
        let (unit, scale, digits) = match ns {
            0 | 1_000_000_000.. => ("s", 1_000_000_000, 9),
            1_000_000.. => ("ms", 1_000_000, 6),
            1_000.. => ("us", 1_000, 3),
            _ => ("ns", 1, 0),
        };
        let frac = format!("{:0digits$}", ns % scale);
        let frac = frac.trim_end_matches('0');
        let point = if frac.is_empty() { "" } else { "." };
        write!(f, "{}{point}{frac}{unit}", ns / scale)
    }
}

impl Bandwidth {
    /// Time to serialize `bytes` at this rate, rounded up to a whole nanosecond.
    pub fn transmit_time(self, bytes: u64) -> SimTime {
        let bits = bytes as u128 * 8 * 1_000_000_000;
        SimTime(bits.div_ceil(self.0.max(1) as u128).min(u64::MAX as u128) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!("10Mbps".parse::<Bandwidth>(), Ok(Bandwidth(10_000_000)));
        assert_eq!("1Gbps".parse::<Bandwidth>(), Ok(Bandwidth(1_000_000_000)));
        assert_eq!("64kbps".parse::<Bandwidth>(), Ok(Bandwidth(64_000)));
        assert_eq!("1.5 Mbps".parse::<Bandwidth>(), Ok(Bandwidth(1_500_000)));
        assert!(
            "10 Mbsp"
                .parse::<Bandwidth>()
                .unwrap_err()
                .contains("unknown unit `Mbsp`")
        );
        assert!(
            "-1Mbps"
                .parse::<Bandwidth>()
                .unwrap_err()
                .contains("negative")
        );
        assert!("0.5bps".parse::<Bandwidth>().is_err());
    }

    #[test]
    fn durations_are_exact() {
        assert_eq!(parse_duration("20ms"), Ok(SimTime::from_millis(20)));
        assert_eq!(parse_duration("1.5s"), Ok(SimTime(1_500_000_000)));
        assert_eq!(parse_duration("100us"), Ok(SimTime(100_000)));
        assert_eq!(parse_duration("0.000000001s"), Ok(SimTime(1)));
        assert!(parse_duration("0.0000000001s").is_err());
        assert!(parse_duration("20").unwrap_err().contains("missing unit"));
        assert!(parse_duration("fast").unwrap_err().contains("no number"));
        assert!(parse_duration("1.2.3s").is_err());
        assert!(
            parse_duration("99999999999999999999s")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn sizes_decimal_and_binary() {
        assert_eq!("1500B".parse::<ByteSize>(), Ok(ByteSize(1500)));
        assert_eq!("64KB".parse::<ByteSize>(), Ok(ByteSize(64_000)));
        assert_eq!("10MB".parse::<ByteSize>(), Ok(ByteSize(10_000_000)));
        assert_eq!("10MiB".parse::<ByteSize>(), Ok(ByteSize(10 << 20)));
    }

    #[test]
    fn queue_capacity() {
        assert_eq!(
            "100p".parse::<QueueCapacity>(),
            Ok(QueueCapacity::Packets(100))
        );
        assert_eq!(
            "64KB".parse::<QueueCapacity>(),
            Ok(QueueCapacity::Bytes(64_000))
        );
        assert!("1.5p".parse::<QueueCapacity>().is_err());
    }

    #[test]
    fn largest_values_parse_and_one_more_is_refused() {
        let max = "18446744073709551615";
        assert_eq!(
            format!("{max}bps").parse::<Bandwidth>(),
            Ok(Bandwidth(u64::MAX))
        );
        assert_eq!(
            format!("{max}B").parse::<ByteSize>(),
            Ok(ByteSize(u64::MAX))
        );
        assert_eq!(parse_duration(&format!("{max}ns")), Ok(SimTime::MAX));
        assert_eq!(
            format!("{max}p").parse::<QueueCapacity>(),
            Ok(QueueCapacity::Packets(u64::MAX))
        );
        for s in [
            "18446744073709551616bps",
            "18446744073709551616B",
            "18446744073709551616ns",
        ] {
            let e = match s.strip_suffix("bps") {
                Some(_) => s.parse::<Bandwidth>().unwrap_err(),
                None => match s.strip_suffix("ns") {
                    Some(_) => parse_duration(s).unwrap_err(),
                    None => s.parse::<ByteSize>().unwrap_err(),
                },
            };
            assert!(e.contains("too large"), "{s}: {e}");
        }
        // Scaled by the unit: 18446745 Tbps is past 2^64 bit/s; 1.5 of it is too.
        assert!(
            "18446745Tbps"
                .parse::<Bandwidth>()
                .unwrap_err()
                .contains("too large")
        );
        assert!(
            "5124096h"
                .parse::<Duration>()
                .unwrap_err()
                .contains("too large")
        );
        assert!(
            "18446744073.8GB"
                .parse::<ByteSize>()
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn serialization_time_saturates_instead_of_wrapping() {
        assert_eq!(Bandwidth(1).transmit_time(u64::MAX), SimTime::MAX);
        assert_eq!(Bandwidth(u64::MAX).transmit_time(1), SimTime(1));
        assert_eq!(Bandwidth(u64::MAX).transmit_time(0), SimTime(0));
        assert_eq!(
            crate::app::udp_source::cbr_offset(u64::MAX, 65_507, Bandwidth(1)),
            SimTime::MAX
        );
    }

    #[test]
    fn transmit_time_rounds_up() {
        // 1500 bytes at 10 Mbps: 12000 bits / 1e7 = 1.2 ms.
        assert_eq!(
            Bandwidth(10_000_000).transmit_time(1500),
            SimTime(1_200_000)
        );
        assert_eq!(Bandwidth(3).transmit_time(1), SimTime(2_666_666_667));
    }

    #[test]
    fn durations_display_in_the_largest_fitting_unit() {
        for s in [
            "0s",
            "10s",
            "1.5s",
            "90s",
            "250ms",
            "1.25ms",
            "3us",
            "7ns",
            "1.000000001s",
        ] {
            assert_eq!(s.parse::<Duration>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["10Mbps", "64kbps", "1Gbps", "1500bps"] {
            assert_eq!(s.parse::<Bandwidth>().unwrap().to_string(), s);
        }
    }
}
