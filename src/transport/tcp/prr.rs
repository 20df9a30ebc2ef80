//! Proportional Rate Reduction (RFC 6937) for SACK-based loss recovery.
//!
//! RFC 6675 alone lets the sender transmit whenever pipe < cwnd, and cwnd
//! drops to ssthresh at once: nothing is sent until pipe has drained below
//! the new window, then a burst. PRR spreads the reduction over the recovery
//! instead. Each ACK reports how much data left the network (DeliveredData:
//! the advance of SND.UNA plus the change in SACKed bytes), and the sender may
//! send
//!
//! - while pipe > ssthresh: `⌈prr_delivered · ssthresh / RecoverFS⌉ − prr_out`,
//!   i.e. ssthresh/RecoverFS of what was delivered (one segment for every two
//!   delivered after a halving);
//! - once pipe ≤ ssthresh: up to `ssthresh − pipe`, but at most
//!   `max(prr_delivered − prr_out, DeliveredData) + MSS` (the slow-start
//!   reduction bound, PRR-SSRB, which RFC 6937 §3.1 recommends), so a
//!   recovery that lost much can grow back towards ssthresh no faster than
//!   slow start.
//!
//! The connection sets cwnd = pipe + sndcnt after each ACK; `on_sent` counts
//! prr_out.

/// PRR's state for one recovery episode (all in bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prr {
    /// FlightSize when recovery began.
    recover_fs: u64,
    ssthresh: u64,
    smss: u64,
    /// Data delivered to the receiver since recovery began.
    delivered: u64,
    /// Data sent since recovery began.
    out: u64,
}

impl Prr {
    /// Recovery begins with `recover_fs` bytes in flight and the controller's
    /// new `ssthresh`.
    pub fn new(recover_fs: u64, ssthresh: u64, smss: u64) -> Self {
        Prr {
            recover_fs: recover_fs.max(1),
            ssthresh,
            smss,
            delivered: 0,
            out: 0,
        }
    }

    /// An ACK during recovery delivered `delivered` bytes and left `pipe`
    /// bytes in flight: how many bytes may be sent now (sndcnt).
    pub fn on_ack(&mut self, delivered: u64, pipe: u64) -> u64 {
        self.delivered += delivered;
        if pipe > self.ssthresh {
            // Proportional rate reduction.
            (self.delivered * self.ssthresh)
                .div_ceil(self.recover_fs)
                .saturating_sub(self.out)
        } else {
            // PRR-SSRB.
            let limit = self.delivered.saturating_sub(self.out).max(delivered) + self.smss;
            (self.ssthresh - pipe).min(limit)
        }
    }

    pub fn on_sent(&mut self, bytes: u64) {
        self.out += bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u64 = 1000;

    /// A window of 20 segments loses one; ssthresh = 10 segments. Each ACK
    /// delivers one segment while pipe stays above ssthresh: PRR lets one
    /// segment out for every two ACKs (RFC 6937 §6's example).
    #[test]
    fn one_segment_per_two_acks_after_a_halving() {
        let mut prr = Prr::new(20 * MSS, 10 * MSS, MSS);
        let mut pipe = 19 * MSS;
        let mut sent_per_ack = Vec::new();
        for _ in 0..10 {
            pipe -= MSS;
            let mut allowed = prr.on_ack(MSS, pipe);
            let mut sent = 0;
            while allowed >= MSS {
                prr.on_sent(MSS);
                allowed -= MSS;
                pipe += MSS;
                sent += 1;
            }
            sent_per_ack.push(sent);
        }
        assert_eq!(sent_per_ack, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
        // Half of what was delivered went out: pipe fell by half as much.
        assert_eq!(pipe, 14 * MSS);
    }

    /// Heavy loss: pipe is already below ssthresh; SSRB lets the sender catch
    /// up by at most one MSS more than was delivered per ACK.
    #[test]
    fn slow_start_reduction_bound_below_ssthresh() {
        let mut prr = Prr::new(20 * MSS, 10 * MSS, MSS);
        // Pipe 4 segments, ACK delivered 1: limit = max(1 − 0, 1) + 1 = 2.
        assert_eq!(prr.on_ack(MSS, 4 * MSS), 2 * MSS);
        prr.on_sent(2 * MSS);
        // Next ACK delivers 1, pipe 5: limit = max(2 − 2, 1) + 1 = 2.
        assert_eq!(prr.on_ack(MSS, 5 * MSS), 2 * MSS);
        prr.on_sent(2 * MSS);
        // Near ssthresh the gap binds: pipe 9 → one segment.
        assert_eq!(prr.on_ack(MSS, 9 * MSS), MSS);
    }

    /// The proportional part rounds up, so the first segment goes out as
    /// soon as half a segment's worth of sending has been earned.
    #[test]
    fn proportional_part_rounds_up() {
        let mut prr = Prr::new(20 * MSS, 14 * MSS, MSS);
        // ⌈1000 · 14000 / 20000⌉ = 700 bytes: not yet a segment.
        assert_eq!(prr.on_ack(MSS, 18 * MSS), 700);
        assert_eq!(prr.on_ack(MSS, 17 * MSS), 1400);
    }
}
