//! The sender's loss-recovery state: the run of duplicate ACKs (RFC 5681
//! §3.2), the fast-recovery phase (RFC 6582 NewReno, RFC 6675 SACK) and the
//! recovery point that outlives it. Behind one pointer made at the first
//! duplicate ACK or retransmission timeout: most connections never see
//! either, and an idle one pays 8 bytes instead of 64.

use super::opt64::OptOffset;

/// The loss-recovery phase the sender is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Recovery {
    None,
    /// RFC 6582: `recover` = HighData when fast retransmit happened.
    NewReno {
        recover: u64,
    },
    /// RFC 6675: RecoveryPoint, HighRxt (exclusive end), RescueRxt.
    Sack {
        point: u64,
        high_rxt: u64,
        rescue: Option<u64>,
    },
}

#[derive(Debug)]
pub(super) struct LossState {
    pub phase: Recovery,
    pub dupacks: u32,
    /// SND.MAX when the first duplicate ACK of the current run arrived: what
    /// was sent after it (RFC 3042 limited transmit, RFC 6675 §5 step 3) is
    /// not part of the FlightSize that sets ssthresh (RFC 5681 §3.2 step 2).
    pub dupack_high: u64,
    /// The last recovery point (RFC 6582 `recover`, RFC 6675 RecoveryPoint); no new
    /// recovery may start until SND.UNA passes it.
    pub recover: OptOffset,
    pub fast_rtx_pending: bool,
    pub partial_acks: u32,
}

/// A connection that has seen no loss.
const UNTOUCHED: LossState = LossState {
    phase: Recovery::None,
    dupacks: 0,
    dupack_high: 0,
    recover: OptOffset::NONE,
    fast_rtx_pending: false,
    partial_acks: 0,
};

#[derive(Debug, Default)]
pub(super) struct Loss(Option<Box<LossState>>);

impl Loss {
    pub fn get(&self) -> &LossState {
        self.0.as_deref().unwrap_or(&UNTOUCHED)
    }

    pub fn phase(&self) -> Recovery {
        self.get().phase
    }

    /// The recovery point, if a recovery or timeout ever set one.
    pub fn recover(&self) -> Option<u64> {
        self.get().recover.get()
    }

    /// For a change that makes the state differ from an untouched one.
    pub fn make(&mut self) -> &mut LossState {
        self.0.get_or_insert_with(|| Box::new(UNTOUCHED))
    }

    /// For a change back towards the untouched state: nothing to do if the
    /// state was never made.
    pub fn existing(&mut self) -> Option<&mut LossState> {
        self.0.as_deref_mut()
    }

    /// A fast-recovery episode ended: its phase and duplicate-ACK run with it.
    pub fn end_episode(&mut self) {
        if let Some(l) = self.existing() {
            l.phase = Recovery::None;
            l.dupacks = 0;
            l.fast_rtx_pending = false;
            l.partial_acks = 0;
        }
    }

    /// A retransmission timeout ends any episode (RFC 6582 §3.2, RFC 6675
    /// §5.1), and no new one may start until `snd_max` is acknowledged.
    pub fn timed_out(&mut self, snd_max: u64) {
        self.end_episode();
        self.make().recover = OptOffset::some(snd_max);
    }
}
