//! Per-connection TCP figures: handshake time, retransmissions by kind, RTT
//! samples, and the cwnd / ssthresh / RTO series kept for plots.

use crate::sim::SimTime;
use crate::sim::chunked::ChunkedVec;
use crate::trace::TcpFinal;
use crate::transport::tcp::{OptTime, TcpStats};
use serde::Serialize;

/// One (time, cwnd, ssthresh, RTO) sample, taken whenever one of them changed.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CongestionSample {
    pub t_s: f64,
    pub cwnd: u32,
    pub ssthresh: u32,
    pub rto_ms: f64,
}

/// One change of a connection's cwnd, ssthresh or RTO, as the statistics log
/// it: every connection's in one log, in time order, so that a connection
/// with a handful of samples does not hold a vector of its own.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoggedSample {
    pub serial: u32,
    pub cwnd: u32,
    pub ssthresh: u32,
    pub at: SimTime,
    pub rto: SimTime,
}

impl LoggedSample {
    pub fn sample(&self) -> CongestionSample {
        CongestionSample {
            t_s: self.at.as_secs_f64(),
            cwnd: self.cwnd,
            ssthresh: self.ssthresh,
            rto_ms: self.rto.as_nanos() as f64 / 1e6,
        }
    }

    /// The log split into each connection's series (index = serial), each
    /// in time order.
    pub fn per_connection(
        log: &ChunkedVec<LoggedSample>,
        connections: usize,
    ) -> Vec<Vec<CongestionSample>> {
        let mut series = vec![Vec::new(); connections];
        for s in log.iter() {
            series[s.serial as usize].push(s.sample());
        }
        series
    }
}

/// Collected while a connection lives.
pub(crate) struct ConnRecord {
    pub flow: u32,
    /// True for the side that called `connect`.
    pub client: bool,
    pub established: OptTime,
    pub opened: SimTime,
    /// Counters and final state, filled when the connection closes or the run
    /// ends (boxed: an open connection should not carry room for them).
    pub last: Option<Box<(TcpStats, String)>>,
}

impl ConnRecord {
    pub fn new(flow: u32, client: bool, opened: SimTime) -> Self {
        ConnRecord {
            flow,
            client,
            established: OptTime::NONE,
            opened,
            last: None,
        }
    }

    pub fn close(&mut self, last: &TcpFinal) {
        self.last = Some(Box::new((last.stats.clone(), last.state.to_string())));
    }

    pub fn report(&self, flow: String) -> TcpConnReport {
        let (st, state) = self.last.as_deref().cloned().unwrap_or_default();
        let ms = |t: Option<SimTime>| t.map(|t| t.as_nanos() as f64 / 1e6);
        TcpConnReport {
            flow,
            side: if self.client { "client" } else { "server" }.into(),
            state,
            handshake_ms: self
                .established
                .get()
                .map(|e| (e - self.opened).as_nanos() as f64 / 1e6),
            bytes_sent: st.bytes_sent,
            bytes_acked: st.bytes_acked,
            bytes_delivered: st.bytes_delivered,
            segments_sent: st.segments_sent,
            segments_retransmitted: st.segments_retransmitted,
            bytes_retransmitted: st.bytes_retransmitted,
            rto_expiries: st.rto_expiries,
            fast_retransmits: st.fast_retransmits,
            sack_recoveries: st.sack_recoveries,
            dup_acks_received: st.dup_acks_received,
            ecn_reductions: st.ecn_reductions,
            out_of_order_segments: st.out_of_order_segments,
            duplicate_segments: st.duplicate_segments,
            persist_probes: st.persist_probes,
            loss_probes: st.loss_probes,
            rack_marked_lost: st.rack_marked_lost,
            rtt_samples: st.rtt_samples,
            rtt_min_ms: ms(st.rtt_min),
            rtt_mean_ms: ms(st.rtt_mean()),
            rtt_max_ms: ms(st.rtt_max),
            integrity_errors: st.integrity_errors,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TcpConnReport {
    pub flow: String,
    pub side: String,
    /// The state when the connection closed or the run ended.
    pub state: String,
    /// From `connect` (client) or the SYN's arrival (server) to ESTABLISHED.
    pub handshake_ms: Option<f64>,
    pub bytes_sent: u64,
    pub bytes_acked: u64,
    pub bytes_delivered: u64,
    pub segments_sent: u64,
    pub segments_retransmitted: u64,
    pub bytes_retransmitted: u64,
    pub rto_expiries: u64,
    pub fast_retransmits: u64,
    pub sack_recoveries: u64,
    pub dup_acks_received: u64,
    /// Window reductions for an ECN echo (RFC 3168) rather than a loss.
    pub ecn_reductions: u64,
    /// Segments that arrived beyond a hole in the sequence space.
    pub out_of_order_segments: u64,
    /// Segments whose data had all arrived already (needless retransmissions).
    pub duplicate_segments: u64,
    pub persist_probes: u64,
    /// RACK-TLP (RFC 8985): tail loss probes sent and segments RACK marked
    /// lost; left out of the output when zero (other loss detection).
    #[serde(skip_serializing_if = "is_zero")]
    pub loss_probes: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub rack_marked_lost: u64,
    pub rtt_samples: u64,
    pub rtt_min_ms: Option<f64>,
    pub rtt_mean_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    /// Payload whose stream offset did not match its sequence number: must be 0.
    pub integrity_errors: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}
