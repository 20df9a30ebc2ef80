//! UDP traffic sources: constant bit rate, on-off and Poisson.
//!
//! Send times are computed from the flow's start on an exact integer grid (no
//! drift from rounding each interval), and random draws come from the flow's
//! own stream, so another flow never changes this one's packets.

use super::{App, Ctx};
use crate::scenario::{Distribution, FlowSpec, MAX_UDP_PAYLOAD, TrafficPattern};
use crate::sim::SimTime;
use crate::sim::rng::{self, Rng};
use crate::socket::{SocketId, SocketType};
use crate::wire::ipv4::Ipv4Addr;

pub struct UdpSource {
    spec: FlowSpec,
    to: Ipv4Addr,
    rng: Rng,
    sock: Option<SocketId>,
    /// CBR: datagrams sent in the current on-period, and when that period began.
    sent_in_period: u64,
    period_start: SimTime,
    /// On-off: when the current on-period ends.
    period_end: SimTime,
}

impl UdpSource {
    pub fn new(spec: FlowSpec, to: Ipv4Addr, rng: Rng) -> Self {
        UdpSource {
            to,
            rng,
            sock: None,
            sent_in_period: 0,
            period_start: spec.start,
            period_end: SimTime::MAX,
            spec,
        }
    }

    /// Mean time between datagrams: mean size in bits over the rate, in ns (exact).
    fn interval_ns(&self) -> f64 {
        self.spec.size as f64 * 8.0 * 1e9 / self.spec.rate.0 as f64
    }

    /// The k-th send time of a CBR train that started at `period_start`.
    fn cbr_time(&self, k: u64) -> SimTime {
        let ns = u128::from(k) * u128::from(self.spec.size) * 8 * 1_000_000_000
            / u128::from(self.spec.rate.0);
        self.period_start + SimTime(ns.min(u128::from(u64::MAX)) as u64)
    }

    fn draw_period(&mut self, mean: SimTime, dist: Distribution) -> SimTime {
        match dist {
            Distribution::Fixed => mean,
            Distribution::Exponential => {
                SimTime(rng::exponential(&mut self.rng, mean.as_nanos() as f64).round() as u64)
            }
        }
    }

    fn draw_size(&mut self) -> u32 {
        match self.spec.size_distribution {
            Distribution::Fixed => self.spec.size as u32,
            // Rounded to whole bytes, at least 1, at most the largest UDP payload.
            Distribution::Exponential => rng::exponential(&mut self.rng, self.spec.size as f64)
                .round()
                .clamp(1.0, MAX_UDP_PAYLOAD as f64) as u32,
        }
    }

    /// When to send next after a datagram at `now`; `None` when the flow is over.
    fn next_send(&mut self, now: SimTime) -> Option<SimTime> {
        let next = match self.spec.pattern {
            TrafficPattern::Cbr => self.cbr_time(self.sent_in_period),
            TrafficPattern::Poisson => {
                let mean = self.interval_ns();
                now + SimTime(rng::exponential(&mut self.rng, mean).round() as u64)
            }
            TrafficPattern::OnOff { off, on, periods } => {
                let t = self.cbr_time(self.sent_in_period);
                if t < self.period_end {
                    t
                } else {
                    // The on-period is over: stay silent, then start a new train.
                    let silence = self.draw_period(off, periods);
                    self.period_start = self.period_end + silence;
                    self.sent_in_period = 0;
                    self.period_end = self.period_start + self.draw_period(on, periods);
                    self.period_start
                }
            }
        };
        (next < self.spec.stop).then_some(next)
    }
}

impl App for UdpSource {
    fn start(&mut self, ctx: &mut Ctx) {
        let s = ctx.socket(SocketType::Datagram);
        ctx.bind(s, self.spec.src_port)
            .expect("source port is free");
        self.sock = Some(s);
        if let TrafficPattern::OnOff { on, periods, .. } = self.spec.pattern {
            self.period_end = self.spec.start + self.draw_period(on, periods);
        }
        ctx.wake_at(self.spec.start, 0);
    }

    fn wake(&mut self, ctx: &mut Ctx, _token: u64) {
        let now = ctx.now();
        let Some(sock) = self.sock else { return };
        let len = self.draw_size();
        // The destination exists and the size is in range: checked at validation.
        ctx.sendto(sock, len, self.to, self.spec.dst_port)
            .expect("validated datagram");
        self.sent_in_period += 1;
        match self.next_send(now) {
            Some(t) => ctx.wake_at(t, 0),
            None => {
                let _ = ctx.close(sock);
                self.sock = None;
            }
        }
    }
}
