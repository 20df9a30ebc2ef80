//! The queue discipline of a link direction (`aqm` in `[[link]]`): what the
//! model holds, with each algorithm's published defaults, and the checks.

use super::Validator;
use super::schema::RawLink;
use crate::error::Result;
use crate::sim::SimTime;

/// How a link direction's queue decides what to drop (see `net::queue`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum QueueDiscipline {
    /// Drop arrivals once the queue is full.
    #[default]
    DropTail,
    /// Random Early Detection.
    Red(RedParams),
    /// Controlled Delay (RFC 8289).
    Codel(CodelParams),
    /// Flow queueing with CoDel per queue (RFC 8290).
    FqCodel {
        codel: CodelParams,
        flows: u32,
        quantum: u32,
    },
    /// Mark (with `ecn`; else drop) every arrival that finds `threshold` or
    /// more packets waiting: the instantaneous-queue marking DCTCP expects of
    /// a switch (RFC 8257 §3.1).
    Step { threshold: u32 },
}

/// The step threshold when none is given: the DCTCP paper's K for 1 Gbit/s
/// links (20 packets); RFC 8257 §3.1 leaves K to the operator.
pub const STEP_THRESHOLD: u32 = 20;

/// CoDel's two settings; RFC 8289 §4.2-4.3 gives 5 ms and 100 ms for the Internet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodelParams {
    pub target: SimTime,
    pub interval: SimTime,
}

impl Default for CodelParams {
    fn default() -> Self {
        CodelParams {
            target: SimTime::from_millis(5),
            interval: SimTime::from_millis(100),
        }
    }
}

/// RFC 8290 §4.1-4.2 defaults (Linux's): 1024 queues, a quantum of one MTU.
pub const FQ_CODEL_FLOWS: u32 = 1024;
pub const FQ_CODEL_QUANTUM: u32 = 1514;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RedParams {
    /// Thresholds on the average queue, in packets.
    pub min_th: f64,
    pub max_th: f64,
    /// The drop probability as the average reaches `max_th`.
    pub max_p: f64,
    /// The averaging weight of one arrival.
    pub wq: f64,
}

impl Default for RedParams {
    /// Floyd's recommended settings (wq = 0.002, max_p = 0.1, max_th = 3
    /// min_th), with ns-3's min_th of 5 packets.
    fn default() -> Self {
        RedParams {
            min_th: 5.0,
            max_th: 15.0,
            max_p: 0.1,
            wq: 0.002,
        }
    }
}

impl Validator<'_> {
    /// `aqm`, `aqm_target` and `aqm_interval` of a `[[link]]`.
    pub(super) fn queue_discipline(&self, link: &RawLink) -> Result<QueueDiscipline> {
        let mut codel = CodelParams::default();
        for (value, field, key) in [
            (&link.aqm_target, &mut codel.target, "aqm_target"),
            (&link.aqm_interval, &mut codel.interval, "aqm_interval"),
        ] {
            if let Some(v) = value {
                if v.get_ref().0 == SimTime::ZERO {
                    return self.err(
                        v.span(),
                        format!("{key} must be above zero; expected e.g. \"5ms\""),
                    );
                }
                *field = v.get_ref().0;
            }
        }
        let Some(name) = &link.aqm else {
            if let Some(v) = link.aqm_target.as_ref().or(link.aqm_interval.as_ref()) {
                return self.err(v.span(), "aqm_target and aqm_interval set CoDel; expected aqm = \"codel\" or \"fq-codel\" on this link");
            }
            return Ok(QueueDiscipline::DropTail);
        };
        let codel_keys = link.aqm_target.as_ref().or(link.aqm_interval.as_ref());
        if let Some(t) = &link.aqm_threshold
            && name.get_ref() != "step"
        {
            return self.err(
                t.span(),
                "aqm_threshold sets the step marker; expected aqm = \"step\" on this link",
            );
        }
        Ok(match name.get_ref().as_str() {
            "drop-tail" | "red" | "step" if codel_keys.is_some() => {
                return self.err(codel_keys.unwrap().span(), "aqm_target and aqm_interval set CoDel; expected aqm = \"codel\" or \"fq-codel\" on this link");
            }
            "drop-tail" => QueueDiscipline::DropTail,
            "step" => QueueDiscipline::Step {
                threshold: match &link.aqm_threshold {
                    Some(t) if *t.get_ref() == 0 => {
                        return self.err(
                            t.span(),
                            "aqm_threshold must be at least 1 packet; expected e.g. 20",
                        );
                    }
                    Some(t) => *t.get_ref(),
                    None => STEP_THRESHOLD,
                },
            },
            "red" => QueueDiscipline::Red(RedParams::default()),
            "codel" => QueueDiscipline::Codel(codel),
            "fq-codel" => QueueDiscipline::FqCodel {
                codel,
                flows: FQ_CODEL_FLOWS,
                quantum: FQ_CODEL_QUANTUM,
            },
            other => {
                return self.err(name.span(), format!("unknown aqm `{other}`; expected \"drop-tail\", \"red\", \"codel\", \"fq-codel\" or \"step\""));
            }
        })
    }
}
