//! Telephone-style calls over packets: Poisson call arrivals, each call a CBR
//! stream of datagrams for its holding time. Calls overlap freely; each has its
//! own send timer. (Over circuits the same calls reserve capacity instead: see
//! `circuit`.)

use super::udp_source::cbr_offset;
use super::{App, Ctx};
use crate::scenario::{Distribution, FlowSpec, TrafficPattern};
use crate::sim::SimTime;
use crate::sim::rng::{self, Rng};
use crate::stack::{SocketId, SocketType};
use crate::wire::ipv4::Ipv4Addr;

/// Timer token of the next call arrival; token `slot + 1` is call `slot`'s send timer.
const ARRIVAL: u64 = 0;

struct Call {
    start: SimTime,
    end: SimTime,
    sent: u64,
}

pub struct CallSource {
    spec: FlowSpec,
    to: Ipv4Addr,
    rng: Rng,
    sock: Option<SocketId>,
    /// Active calls by slot; a finished call frees its slot.
    calls: Vec<Option<Call>>,
}

impl CallSource {
    pub fn new(spec: FlowSpec, to: Ipv4Addr, rng: Rng) -> Self {
        CallSource {
            spec,
            to,
            rng,
            sock: None,
            calls: Vec::new(),
        }
    }

    fn pattern(&self) -> (f64, SimTime, Distribution) {
        match self.spec.pattern {
            TrafficPattern::Calls {
                arrival_rate,
                holding,
                holding_distribution,
            } => (arrival_rate, holding, holding_distribution),
            _ => (1.0, SimTime::from_secs(1), Distribution::Fixed),
        }
    }

    fn next_arrival(&mut self, ctx: &mut Ctx, after: SimTime) {
        let (arrival_rate, _, _) = self.pattern();
        let gap = rng::exponential(&mut self.rng, 1e9 / arrival_rate).round() as u64;
        let t = after + SimTime(gap);
        if t < self.spec.stop {
            ctx.wake_at(t, ARRIVAL);
        }
    }
}

impl App for CallSource {
    fn start(&mut self, ctx: &mut Ctx) {
        let s = ctx.socket(SocketType::Datagram);
        ctx.bind(s, self.spec.src_port)
            .expect("source port is free");
        self.sock = Some(s);
        self.next_arrival(ctx, self.spec.start);
    }

    fn wake(&mut self, ctx: &mut Ctx, token: u64) {
        let now = ctx.now();
        if token == ARRIVAL {
            let (_, holding, dist) = self.pattern();
            let length = match dist {
                Distribution::Fixed => holding,
                Distribution::Exponential => SimTime(
                    rng::exponential(&mut self.rng, holding.as_nanos() as f64).round() as u64,
                ),
            };
            let call = Call {
                start: now,
                end: (now + length).min(self.spec.stop),
                sent: 0,
            };
            let slot = match self.calls.iter().position(Option::is_none) {
                Some(i) => i,
                None => {
                    self.calls.push(None);
                    self.calls.len() - 1
                }
            };
            self.calls[slot] = Some(call);
            ctx.wake_at(now, slot as u64 + 1);
            self.next_arrival(ctx, now);
            return;
        }
        let slot = (token - 1) as usize;
        let (Some(sock), Some(call)) =
            (self.sock, self.calls.get_mut(slot).and_then(Option::as_mut))
        else {
            return;
        };
        ctx.sendto(sock, self.spec.size as u32, self.to, self.spec.dst_port)
            .expect("validated datagram");
        call.sent += 1;
        let next = call.start + cbr_offset(call.sent, self.spec.size, self.spec.rate);
        if next < call.end {
            ctx.wake_at(next, token);
        } else {
            self.calls[slot] = None;
        }
    }
}
