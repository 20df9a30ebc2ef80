//! The parts of a connection that a configuration or a rare event asks for
//! (pacing, rate sampling, PRR, RACK-TLP, urgent data, a reset or an ACK
//! waiting to go out), behind one pointer that stays empty until the first of
//! them is needed: an idle connection with none pays 8 bytes for all seven
//! instead of 56.

use super::events::Outgoing;
use super::pacing::Pacer;
use super::prr::Prr;
use super::rack::Rack;
use super::rate::DeliveryRate;
use super::urgent::Urgent;
use crate::wire::tcp::TcpRepr;

#[derive(Debug, Default)]
struct Parts {
    pacer: Option<Box<Pacer>>,
    rate: Option<Box<DeliveryRate>>,
    prr: Option<Box<Prr>>,
    rack: Option<Box<Rack>>,
    urgent: Option<Box<Urgent>>,
    /// Boxed: rarely there, and a segment's description is large.
    pending_rst: Option<Box<TcpRepr>>,
    /// DCTCP receiver: the ACK for the data before a change of CE state,
    /// carrying the old state (RFC 8257 §3.2).
    pending_ack: Option<Box<Outgoing>>,
}

#[derive(Debug, Default)]
pub(super) struct Addons(Option<Box<Parts>>);

/// `name()` and `name_mut()` for each part.
macro_rules! getters {
    ($($name:ident, $name_mut:ident: $t:ty;)*) => {
        $(
            pub fn $name(&self) -> Option<&$t> {
                self.0.as_deref()?.$name.as_deref()
            }

            pub fn $name_mut(&mut self) -> Option<&mut $t> {
                self.0.as_deref_mut()?.$name.as_deref_mut()
            }
        )*
    };
}

impl Addons {
    getters! {
        pacer, pacer_mut: Pacer;
        rate, rate_mut: DeliveryRate;
        prr, prr_mut: Prr;
        rack, rack_mut: Rack;
        urgent, urgent_mut: Urgent;
    }

    /// Sets one part; clearing one makes nothing.
    fn put<T>(&mut self, value: Option<T>, part: fn(&mut Parts) -> &mut Option<Box<T>>) {
        match (value, self.0.as_deref_mut()) {
            (Some(v), _) => *part(self.0.get_or_insert_with(Box::default)) = Some(Box::new(v)),
            (None, Some(parts)) => *part(parts) = None,
            (None, None) => {}
        }
    }

    fn take<T>(&mut self, part: fn(&mut Parts) -> &mut Option<Box<T>>) -> Option<T> {
        part(self.0.as_deref_mut()?).take().map(|b| *b)
    }

    pub fn set_pacer(&mut self, v: Option<Pacer>) {
        self.put(v, |p| &mut p.pacer);
    }

    pub fn set_rate(&mut self, v: Option<DeliveryRate>) {
        self.put(v, |p| &mut p.rate);
    }

    pub fn set_prr(&mut self, v: Option<Prr>) {
        self.put(v, |p| &mut p.prr);
    }

    pub fn set_rack(&mut self, v: Option<Rack>) {
        self.put(v, |p| &mut p.rack);
    }

    pub fn set_pending_rst(&mut self, v: Option<TcpRepr>) {
        self.put(v, |p| &mut p.pending_rst);
    }

    pub fn take_pending_rst(&mut self) -> Option<TcpRepr> {
        self.take(|p| &mut p.pending_rst)
    }

    pub fn set_pending_ack(&mut self, v: Option<Outgoing>) {
        self.put(v, |p| &mut p.pending_ack);
    }

    pub fn take_pending_ack(&mut self) -> Option<Outgoing> {
        self.take(|p| &mut p.pending_ack)
    }

    /// The urgent-data state, made on first use.
    pub fn urgent_or_default(&mut self) -> &mut Urgent {
        let parts = self.0.get_or_insert_with(Box::default);
        parts.urgent.get_or_insert_with(Box::default)
    }
}
