//! Link capacity: what each link can reserve, who holds it, whether the link
//! is up, and the time integrals behind the utilisation figures.
//!
//! A circuit reserves the same amount in both directions of a link (circuits
//! are full duplex), so the reservation state is kept per link; only the data
//! actually carried ("used") differs between the two directions.

use super::report::LinkDirectionReport;
use crate::ids::ChannelId;
use crate::scenario::Scenario;
use crate::sim::SimTime;
use crate::stats::human_rate;
use std::collections::BTreeMap;

/// Who holds a reservation: (call, attempt epoch). A new attempt of the
/// same call is a different holder, so a late release of an old attempt never
/// frees a newer one's reservation.
pub(super) type Holder = (u32, u32);

/// Why a link refused a SETUP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Every channel (or all the bandwidth) is reserved.
    NoCapacity,
    /// The link is down (the routes have not caught up with the failure yet).
    LinkDown,
}

impl Refusal {
    pub fn name(self, channels: bool) -> &'static str {
        match (self, channels) {
            (Refusal::NoCapacity, true) => "no-channel",
            (Refusal::NoCapacity, false) => "no-bandwidth",
            (Refusal::LinkDown, _) => "link-down",
        }
    }
}

struct LinkState {
    /// Channels per direction (`channels`), or bit/s (`bandwidth`).
    limit: u64,
    channels: bool,
    /// Whether a failure holds the link down (`net::failures` counts the causes).
    down: bool,
    held: BTreeMap<Holder, u64>,
    /// Sum of the held amounts.
    reserved: u64,
    /// Integral of `reserved` over time, unit-ns, up to `last`.
    reserved_integral: u128,
    last: SimTime,
    peak: usize,
    reservations: u64,
    refusals: u64,
}

impl LinkState {
    fn advance(&mut self, now: SimTime) {
        self.reserved_integral +=
            u128::from(self.reserved) * u128::from((now - self.last).as_nanos());
        self.last = self.last.max(now);
    }
}

pub(super) struct Links {
    links: Vec<LinkState>,
    /// Per direction (`link * 2 + direction`): integral of the capacity in
    /// use by data, unit-ns.
    used: Vec<u128>,
}

impl Links {
    pub fn new(sc: &Scenario) -> Links {
        Links {
            links: sc
                .links
                .iter()
                .map(|l| LinkState {
                    limit: l.channels.map_or(l.bandwidth.0, u64::from),
                    channels: l.channels.is_some(),
                    down: false,
                    held: BTreeMap::new(),
                    reserved: 0,
                    reserved_integral: 0,
                    last: SimTime::ZERO,
                    peak: 0,
                    reservations: 0,
                    refusals: 0,
                })
                .collect(),
            used: vec![0; sc.links.len() * 2],
        }
    }

    /// What a circuit of `rate` bit/s takes on `link`: one channel, or its rate.
    pub fn amount(&self, link: usize, rate: u64) -> u64 {
        if self.links[link].channels { 1 } else { rate }
    }

    pub fn counts_channels(&self, link: usize) -> bool {
        self.links[link].channels
    }

    /// What `link` holds now: circuits, and reserved of limit (channels or bit/s).
    pub fn reservation(&self, link: usize) -> (u32, u64, u64) {
        let l = &self.links[link];
        (l.held.len() as u32, l.reserved, l.limit)
    }

    pub fn is_up(&self, link: usize) -> bool {
        !self.links[link].down
    }

    /// `link` went down: it carries nothing more, and every reservation on it
    /// is lost. Returns the holders whose reservations it took with it.
    pub fn fail(&mut self, now: SimTime, link: usize) -> Vec<Holder> {
        let l = &mut self.links[link];
        l.advance(now);
        l.down = true;
        l.reserved = 0;
        std::mem::take(&mut l.held).into_keys().collect()
    }

    /// `link` is back up (with nothing reserved on it).
    pub fn restore(&mut self, link: usize) {
        self.links[link].down = false;
    }

    /// Reserves a circuit of `rate` on both directions of `link` for `holder`.
    pub fn reserve(
        &mut self,
        now: SimTime,
        link: usize,
        holder: Holder,
        rate: u64,
    ) -> Result<(), Refusal> {
        let amount = self.amount(link, rate);
        let l = &mut self.links[link];
        if l.down {
            l.refusals += 1;
            return Err(Refusal::LinkDown);
        }
        // Checked: rates up to u64::MAX bit/s may add up beyond 64 bits.
        let Some(reserved) = l.reserved.checked_add(amount).filter(|&r| r <= l.limit) else {
            l.refusals += 1;
            return Err(Refusal::NoCapacity);
        };
        l.advance(now);
        l.reserved = reserved;
        l.held.insert(holder, amount);
        l.peak = l.peak.max(l.held.len());
        l.reservations += 1;
        Ok(())
    }

    /// Frees `holder`'s reservation on `link`, if it still has one (a failed
    /// link has already lost all of its reservations).
    pub fn free(&mut self, now: SimTime, link: usize, holder: Holder) {
        let l = &mut self.links[link];
        if let Some(amount) = l.held.remove(&holder) {
            l.advance(now);
            l.reserved -= amount;
        }
    }

    /// Data used `amount` of direction `channel`'s capacity for `ns`.
    pub fn add_used(&mut self, channel: ChannelId, amount: u64, ns: u64) {
        self.used[channel.index()] += u128::from(amount) * u128::from(ns);
    }

    /// One row per link direction, utilisations as fractions of `duration`.
    pub fn report(&mut self, sc: &Scenario, duration: SimTime) -> Vec<LinkDirectionReport> {
        let mut rows = Vec::with_capacity(self.used.len());
        let names = sc.direction_names();
        for (i, l) in self.links.iter_mut().enumerate() {
            l.advance(duration);
            let full = u128::from(l.limit) as f64 * duration.as_nanos() as f64;
            for direction in 0..2 {
                rows.push(LinkDirectionReport {
                    name: names[i * 2 + direction].clone(),
                    capacity: if l.channels {
                        format!("{} ch", l.limit)
                    } else {
                        human_rate(l.limit as f64)
                    },
                    reserved_utilization: l.reserved_integral as f64 / full,
                    used_utilization: self.used[i * 2 + direction] as f64 / full,
                    peak_circuits: l.peak as u64,
                    circuits: l.reservations,
                    refused: l.refusals,
                });
            }
        }
        rows
    }
}
