//! Checking TCP flows: `[tcp]` defaults, `tcp = { ... }` per flow, and the
//! application a TCP flow runs (bulk transfer, request-response, echo).

use super::Validator;
use super::schema::{Protocol, RawFlow, RawTcp, StreamApp};
use crate::error::Result;
use crate::sim::SimTime;
use crate::transport::tcp::{
    CongestionAlgorithm, CwndGrowth, KeepAlive, LossDetection, LossFlight, LossRecovery,
    RtoBackoff, RtoRestart, RttSample, SynLossWindow, TcpConfig,
};
use crate::units::parse_duration;

/// What the two ends of a TCP flow do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppSpec {
    /// Send `bytes` (or without a size, as fast as the window allows until stop).
    Bulk { bytes: Option<u64> },
    /// `requests` requests of `request_size` bytes, each answered with
    /// `response_size` bytes; the next request goes `think` after a response.
    RequestResponse {
        requests: u64,
        request_size: u64,
        response_size: u64,
        think: crate::sim::SimTime,
    },
    /// Send `bytes`; the server returns every byte.
    Echo { bytes: u64 },
}

/// The listen backlog when none is given (Linux's SOMAXCONN).
pub const DEFAULT_BACKLOG: u32 = 4096;

impl Validator<'_> {
    /// `base` with the keys of `raw` applied.
    pub(super) fn tcp_config(&self, base: TcpConfig, raw: Option<&RawTcp>) -> Result<TcpConfig> {
        let Some(r) = raw else { return Ok(base) };
        let mut c = base;
        if let Some(m) = &r.mss {
            if !(88..=65_495).contains(m.get_ref()) {
                return self.err(m.span(), format!("mss {} is out of range; expected 88 to 65495 bytes (1448 for a 1500-byte MTU)", m.get_ref()));
            }
            c.mss = *m.get_ref();
        }
        if let Some(iw) = r.initial_window {
            c.initial_window_segments = iw;
        }
        if let Some(d) = &r.dupack_threshold {
            if !(1..=1000).contains(d.get_ref()) {
                return self.err(d.span(), format!("dupack_threshold {} is out of range; expected 1 to 1000 duplicate ACKs (3, RFC 5681; more tolerates reordering)", d.get_ref()));
            }
            c.dupack_threshold = *d.get_ref();
        }
        for (value, field, what) in [
            (&r.send_buffer, &mut c.send_buffer, "send_buffer"),
            (&r.recv_buffer, &mut c.recv_buffer, "recv_buffer"),
        ] {
            if let Some(v) = value {
                let bytes = v.get_ref().0;
                // 1 GiB, the largest window RFC 7323 scaling can announce.
                if bytes == 0 || bytes > 1 << 30 {
                    return self.err(
                        v.span(),
                        format!(
                            "{what} {} is out of range; expected 1B to 1GiB",
                            v.get_ref()
                        ),
                    );
                }
                *field = bytes as u32;
            }
        }
        if let Some(rto) = r.min_rto {
            c.min_rto = rto.0;
        }
        if let Some(d) = &r.delayed_ack {
            c.delayed_ack = match d.get_ref().as_str() {
                "off" | "none" => None,
                text => match parse_duration(text) {
                    Ok(t) if t <= SimTime::from_millis(500) => Some(t),
                    Ok(_) => return self.err(d.span(), "delayed_ack must stay below 500ms (RFC 1122 §4.2.3.2); expected e.g. \"40ms\" or \"off\""),
                    Err(e) => return self.err(d.span(), format!("{e}, or \"off\"")),
                },
            };
        }
        if let Some(s) = r.sack {
            c.sack = s;
        }
        if let Some(w) = r.window_scaling {
            c.window_scaling = w;
        }
        if let Some(t) = r.timestamps {
            c.timestamps = t;
        }
        if let Some(t) = r.time_wait {
            c.time_wait = t.0;
        }
        if let Some(e) = r.ecn {
            c.ecn = e;
        }
        if let Some(n) = r.nagle {
            c.nodelay = !n;
        }
        if let Some(p) = r.pacing {
            c.pacing = p;
        }
        if let Some(i) = r.oob_inline {
            c.oob_inline = i;
        }
        if let Some(v) = &r.congestion {
            c.congestion = self.choice(v, "congestion", &CongestionAlgorithm::ALL, |a| a.name())?;
            if c.congestion == CongestionAlgorithm::Dctcp {
                // RFC 8257 §3: DCTCP's signal is the ECN mark.
                if r.ecn == Some(false) {
                    return self.err(v.span(), "congestion = \"dctcp\" reacts to ECN marks; expected ecn = true (or no ecn key) with it");
                }
                c.ecn = true;
            }
        }
        if let Some(v) = &r.cwnd_growth {
            c.cwnd_growth = self.choice(v, "cwnd_growth", &CwndGrowth::ALL, |g| g.name())?;
        }
        if !c.cwnd_growth.applies_to(c.congestion) {
            // Either key may be the one set here (the other from `[tcp]`).
            if let Some(span) = r
                .cwnd_growth
                .as_ref()
                .or(r.congestion.as_ref())
                .map(|v| v.span())
            {
                return self.err(
                    span,
                    format!(
                        "cwnd_growth = \"{}\" is the congestion-avoidance rule of newreno and dctcp; expected congestion = \"newreno\" or \"dctcp\" with it, or cwnd_growth = \"bytes\" (congestion = \"{}\" grows its own way)",
                        c.cwnd_growth.name(),
                        c.congestion.name()
                    ),
                );
            }
        }
        if let Some(v) = &r.syn_loss_window {
            c.syn_loss_window =
                self.choice(v, "syn_loss_window", &SynLossWindow::ALL, |w| w.name())?;
        }
        if let Some(v) = &r.keepalive {
            c.keepalive = match v.get_ref().as_str() {
                "off" | "none" => None,
                text => match parse_duration(text) {
                    Ok(t) if t > SimTime::ZERO => Some(KeepAlive {
                        idle: t,
                        ..c.keepalive.unwrap_or_default()
                    }),
                    Ok(_) => {
                        return self.err(
                            v.span(),
                            "keepalive must be above zero; expected e.g. \"2h\" or \"off\"",
                        );
                    }
                    Err(e) => return self.err(v.span(), format!("{e}, or \"off\"")),
                },
            };
        }
        for (key, span) in [
            (
                "keepalive_interval",
                r.keepalive_interval.as_ref().map(|v| v.span()),
            ),
            (
                "keepalive_probes",
                r.keepalive_probes.as_ref().map(|v| v.span()),
            ),
        ] {
            if let Some(span) = span
                && c.keepalive.is_none()
            {
                return self.err(span, format!("{key} needs keep-alive on; expected keepalive = \"2h\" (or another idle time) beside it"));
            }
        }
        if let Some(k) = &mut c.keepalive {
            if let Some(v) = &r.keepalive_interval {
                if v.get_ref().0 == SimTime::ZERO {
                    return self.err(
                        v.span(),
                        "keepalive_interval must be above zero; expected e.g. \"75s\"",
                    );
                }
                k.interval = v.get_ref().0;
            }
            if let Some(v) = &r.keepalive_probes {
                if *v.get_ref() == 0 {
                    return self.err(
                        v.span(),
                        "keepalive_probes must be at least 1; expected e.g. 9",
                    );
                }
                k.probes = *v.get_ref();
            }
        }
        if let Some(v) = &r.recovery {
            c.recovery = self.choice(v, "recovery", &LossRecovery::ALL, |w| w.name())?;
        }
        if let Some(v) = &r.loss_detection {
            c.loss_detection =
                self.choice(v, "loss_detection", &LossDetection::ALL, |w| w.name())?;
        }
        if let Some(v) = &r.rto_restart {
            c.rto_restart = self.choice(v, "rto_restart", &RtoRestart::ALL, |w| w.name())?;
        }
        if let Some(v) = &r.rto_backoff {
            c.rto_backoff = self.choice(v, "rto_backoff", &RtoBackoff::ALL, |w| w.name())?;
        }
        if let Some(v) = &r.rtt_sample {
            c.rtt_sample = self.choice(v, "rtt_sample", &RttSample::ALL, |w| w.name())?;
        }
        if let Some(v) = &r.loss_flight {
            c.loss_flight = self.choice(v, "loss_flight", &LossFlight::ALL, |w| w.name())?;
        }
        for (value, field, key) in [
            (&r.initial_rto, &mut c.initial_rto, "initial_rto"),
            (&r.syn_loss_rto, &mut c.syn_loss_rto, "syn_loss_rto"),
        ] {
            if let Some(v) = value {
                if v.get_ref().0 == SimTime::ZERO {
                    return self.err(
                        v.span(),
                        format!("{key} must be above zero; expected e.g. \"1s\" (RFC 6298 §2.1)"),
                    );
                }
                *field = v.get_ref().0;
            }
        }
        Ok(c)
    }

    /// One of a fixed set of named choices, or an error listing them.
    fn choice<T: Copy>(
        &self,
        value: &toml::Spanned<String>,
        key: &str,
        all: &[T],
        name: impl Fn(T) -> &'static str,
    ) -> Result<T> {
        let text = value.get_ref().as_str();
        if let Some(&found) = all.iter().find(|&&c| name(c) == text) {
            return Ok(found);
        }
        let expected: Vec<String> = all.iter().map(|&c| format!("\"{}\"", name(c))).collect();
        self.err(
            value.span(),
            format!("unknown {key} `{text}`; expected {}", expected.join(", ")),
        )
    }

    /// `urgent_at`: a stream offset within a TCP bulk transfer.
    pub(super) fn urgent_at(
        &self,
        f: &RawFlow,
        protocol: Protocol,
        app: AppSpec,
    ) -> Result<Option<u64>> {
        let Some(u) = &f.urgent_at else {
            return Ok(None);
        };
        let at = u.get_ref().0;
        if protocol != Protocol::Tcp {
            return self.err(
                u.span(),
                "urgent_at is TCP's urgent data; expected protocol = \"tcp\" with it",
            );
        }
        match app {
            AppSpec::Bulk { bytes: Some(bytes) } if at >= bytes => self.err(
                u.span(),
                format!("urgent_at {} is past the transfer's last byte; expected a stream offset from 0B to {}B (bytes - 1: the urgent byte is one of the bytes sent)", u.get_ref(), bytes - 1),
            ),
            AppSpec::Bulk { .. } => Ok(Some(at)),
            _ => self.err(u.span(), "urgent_at is sent by a bulk client; expected app = \"bulk\" (the default) with it"),
        }
    }

    pub(super) fn stream_app(&self, f: &RawFlow) -> Result<AppSpec> {
        let positive = |v: &Option<toml::Spanned<crate::units::ByteSize>>,
                        what: &str,
                        default: u64|
         -> Result<u64> {
            match v {
                Some(b) if b.get_ref().0 == 0 => {
                    self.err(b.span(), format!("{what} must be at least 1B"))
                }
                Some(b) => Ok(b.get_ref().0),
                None => Ok(default),
            }
        };
        Ok(match f.app.unwrap_or(StreamApp::Bulk) {
            StreamApp::Bulk => AppSpec::Bulk {
                bytes: f
                    .bytes
                    .as_ref()
                    .map(|_| positive(&f.bytes, "bytes", 0))
                    .transpose()?,
            },
            StreamApp::Echo => AppSpec::Echo {
                bytes: positive(&f.bytes, "bytes", 100_000)?,
            },
            StreamApp::RequestResponse => AppSpec::RequestResponse {
                requests: match &f.requests {
                    Some(n) if *n.get_ref() == 0 => {
                        return self.err(n.span(), "requests must be at least 1");
                    }
                    Some(n) => *n.get_ref(),
                    None => 10,
                },
                request_size: positive(&f.request_size, "request_size", 100)?,
                response_size: positive(&f.response_size, "response_size", 10_000)?,
                think: f.think.map_or(crate::sim::SimTime::ZERO, |t| t.0),
            },
        })
    }
}
