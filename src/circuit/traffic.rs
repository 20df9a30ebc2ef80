//! What the flows offer: the calls they place and the data they would send.
//!
//! Both follow the packet-mode sources draw for draw, from the same stream
//! `flow:NAME` (see `app::calls` and `app::udp_source`), so that in both modes
//! the calls arrive at the same instants and hold for the same times, and an
//! on-off source is on during the same periods.

use crate::scenario::{Distribution, FlowSpec, Scenario, TrafficPattern};
use crate::sim::SimTime;
use crate::sim::rng::{self, Rng};

/// Nanoseconds per second times bits per byte: bytes = rate (bit/s) * ns / this.
const NS_BITS_PER_BYTE_SECOND: u128 = 8_000_000_000;

fn flow_stream(sc: &Scenario, flow: &FlowSpec) -> Rng {
    rng::stream(sc.seed, &format!("flow:{}", flow.name))
}

/// An exponential draw with mean `mean`, rounded to the nanosecond, as the
/// packet-mode sources draw their times.
fn exponential_time(rng: &mut Rng, mean: SimTime) -> SimTime {
    SimTime(rng::exponential(rng, mean.as_nanos() as f64).round() as u64)
}

/// The call arrivals of a `calls` flow, drawn exactly as `CallSource` draws
/// them: the first gap at the flow's start, then at each arrival its holding
/// time followed by the next gap.
pub(super) struct CallArrivals {
    rng: Rng,
    mean_gap_ns: f64,
    holding: SimTime,
    distribution: Distribution,
    stop: SimTime,
}

impl CallArrivals {
    /// `None` unless the flow's pattern is `calls`.
    pub fn new(sc: &Scenario, flow: &FlowSpec) -> Option<CallArrivals> {
        let TrafficPattern::Calls {
            arrival_rate,
            holding,
            holding_distribution,
        } = flow.pattern
        else {
            return None;
        };
        Some(CallArrivals {
            rng: flow_stream(sc, flow),
            mean_gap_ns: 1e9 / arrival_rate,
            holding,
            distribution: holding_distribution,
            stop: flow.stop,
        })
    }

    /// Draws the gap to the next arrival after `after`; `None` if that arrival
    /// would be at or after the flow's stop (it never happens).
    pub fn next_after(&mut self, after: SimTime) -> Option<SimTime> {
        let gap = rng::exponential(&mut self.rng, self.mean_gap_ns).round() as u64;
        let t = after + SimTime(gap);
        (t < self.stop).then_some(t)
    }

    /// Draws the holding time of the call arriving now.
    pub fn holding(&mut self) -> SimTime {
        match self.distribution {
            Distribution::Fixed => self.holding,
            Distribution::Exponential => exponential_time(&mut self.rng, self.holding),
        }
    }
}

/// When a source is sending.
enum OnTimes {
    /// Always (CBR, Poisson, calls: a call sends for all of its holding time).
    Always,
    /// On-off with fixed periods: on during [start + k*cycle, start + k*cycle + on).
    Periodic { start: u64, on: u64, cycle: u64 },
    /// On-off with drawn periods: on during [starts[i], ends[i]); `before[i]`
    /// is the on-time of the periods before period i.
    Listed {
        starts: Vec<u64>,
        ends: Vec<u64>,
        before: Vec<u64>,
    },
}

/// The data a flow's source offers, as a fluid: `rate` while on.
pub(super) struct Offer {
    rate: u64,
    on: OnTimes,
}

impl Offer {
    pub fn new(sc: &Scenario, flow: &FlowSpec) -> Offer {
        let on = match flow.pattern {
            TrafficPattern::OnOff {
                on,
                off,
                periods: Distribution::Fixed,
            } => OnTimes::Periodic {
                start: flow.start.as_nanos(),
                on: on.as_nanos(),
                cycle: (on + off).as_nanos(),
            },
            TrafficPattern::OnOff {
                on,
                off,
                periods: Distribution::Exponential,
            } => drawn_periods(sc, flow, on, off),
            // A TCP transfer of a fixed size: its bytes at the circuit's rate, once.
            _ if transfer_time(flow).is_some() => OnTimes::Periodic {
                start: flow.start.as_nanos(),
                on: transfer_time(flow).map_or(0, SimTime::as_nanos),
                cycle: u64::MAX,
            },
            _ => OnTimes::Always,
        };
        Offer {
            rate: flow.rate.0,
            on,
        }
    }

    /// The flow's rate, bit/s.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// How long the source is on during [0, t), ns.
    pub fn on_before(&self, t: SimTime) -> u64 {
        let t = t.as_nanos();
        match &self.on {
            OnTimes::Always => t,
            OnTimes::Periodic { start, on, cycle } => {
                let Some(e) = t.checked_sub(*start) else {
                    return 0;
                };
                (e / cycle) * on + (e % cycle).min(*on)
            }
            OnTimes::Listed {
                starts,
                ends,
                before,
            } => {
                // The last period starting before t.
                let i = starts.partition_point(|&s| s < t);
                if i == 0 {
                    return 0;
                }
                before[i - 1] + (t.min(ends[i - 1]) - starts[i - 1])
            }
        }
    }

    /// How long the source is on during [a, b), ns.
    pub fn on_between(&self, a: SimTime, b: SimTime) -> u64 {
        if b <= a {
            return 0;
        }
        self.on_before(b) - self.on_before(a)
    }

    /// Bytes offered during [0, t): rate times on-time, rounded down.
    fn cumulative(&self, t: SimTime) -> u64 {
        let bytes = u128::from(self.rate) * u128::from(self.on_before(t)) / NS_BITS_PER_BYTE_SECOND;
        bytes.min(u128::from(u64::MAX)) as u64
    }

    /// Bytes offered during [a, b). A difference of one cumulative function,
    /// so the bytes of adjacent intervals add up exactly to those of their union.
    pub fn bytes(&self, a: SimTime, b: SimTime) -> u64 {
        if b <= a {
            return 0;
        }
        self.cumulative(b) - self.cumulative(a)
    }
}

/// The on-periods of an on-off source with exponential periods, drawn in the
/// order `UdpSource` draws them: an on-period at the start, then at the end of
/// each on-period an off-period and the next on-period. With exponential
/// datagram sizes the source also draws one size per datagram from the same
/// stream, before the period draws: those draws are made here too (and
/// discarded) so that the periods come out the same.
fn drawn_periods(sc: &Scenario, flow: &FlowSpec, on: SimTime, off: SimTime) -> OnTimes {
    let mut rng = flow_stream(sc, flow);
    let (mut starts, mut ends, mut before) = (Vec::new(), Vec::new(), Vec::new());
    let mut total = 0u64;
    let mut start = flow.start;
    let mut end = start + exponential_time(&mut rng, on);
    while start < flow.stop {
        let clipped = end.min(flow.stop);
        starts.push(start.as_nanos());
        ends.push(clipped.as_nanos());
        before.push(total);
        total += (clipped - start).as_nanos();
        if flow.size_distribution == Distribution::Exponential {
            for _ in 0..datagrams_in_period(end - start, flow) {
                rng::unit(&mut rng);
            }
        }
        start = end + exponential_time(&mut rng, off);
        end = start + exponential_time(&mut rng, on);
    }
    OnTimes::Listed {
        starts,
        ends,
        before,
    }
}

/// How many datagrams a CBR train sends in an on-period of `length`: the
/// first at the period's start, then one at each `cbr_offset(k)` < length,
/// i.e. every k >= 1 with k * size * 8e9 < length * rate.
fn datagrams_in_period(length: SimTime, flow: &FlowSpec) -> u64 {
    let num = u128::from(length.as_nanos()) * u128::from(flow.rate.0);
    let den = u128::from(flow.size) * NS_BITS_PER_BYTE_SECOND;
    (num.div_ceil(den).min(u128::from(u64::MAX)) as u64).max(1)
}

/// A TCP flow of a fixed size, carried over a circuit: how long its bytes take
/// at the flow's `rate`. `None` for every other flow.
pub(super) fn transfer_time(flow: &FlowSpec) -> Option<SimTime> {
    if flow.protocol() != crate::scenario::Protocol::Tcp {
        return None;
    }
    let bytes = flow.bytes?;
    let ns = u128::from(bytes) * NS_BITS_PER_BYTE_SECOND / u128::from(flow.rate.0.max(1));
    Some(SimTime(ns.min(u128::from(u64::MAX)) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::udp_source::cbr_offset;

    #[test]
    fn datagram_count_matches_the_cbr_grid() {
        let sc = crate::scenario::parse(
            "t.toml",
            "[[node]]\nname=\"A\"\n[[node]]\nname=\"B\"\n[[link]]\nbetween=[\"A\",\"B\"]\n\
             [[flow]]\nfrom=\"A\"\nto=\"B\"\nrate=\"3Mbps\"\nsize=\"700B\"\n",
            "t",
        )
        .unwrap();
        let f = &sc.flows[0];
        for len in [
            0u64,
            1,
            1_866_666,
            1_866_667,
            1_866_668,
            10_000_000,
            123_456_789,
        ] {
            let by_grid = 1
                + (1..10_000)
                    .take_while(|&k| cbr_offset(k, f.size, f.rate).as_nanos() < len)
                    .count() as u64;
            assert_eq!(datagrams_in_period(SimTime(len), f), by_grid, "len {len}");
        }
    }
}
