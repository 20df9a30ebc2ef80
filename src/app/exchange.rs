//! The client's side of an exchange, whatever carries it (a TCP connection, a
//! Unix-domain stream or datagrams): what is left to send and to receive, and
//! what to do next. The clients own the sockets; this owns the bookkeeping.

use crate::scenario::AppSpec;
use crate::sim::SimTime;

/// What the client does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Hand `to_send` bytes to the socket.
    Send,
    /// Wait `think`, then call `next_request`.
    Think(SimTime),
    /// Everything was exchanged: close.
    Close,
    /// Nothing to do until more data arrives or the socket is writable.
    Wait,
}

pub(super) struct Exchange {
    app: AppSpec,
    /// Bytes still to hand to the socket in the current phase.
    pub to_send: u64,
    /// Bytes still expected back (echo, responses) in the current phase.
    pub to_receive: u64,
    requests_done: u64,
}

impl Exchange {
    pub fn new(app: AppSpec) -> Self {
        Exchange {
            app,
            to_send: 0,
            to_receive: 0,
            requests_done: 0,
        }
    }

    /// A bulk transfer without a size: it sends until the flow stops.
    pub fn unlimited(&self) -> bool {
        matches!(self.app, AppSpec::Bulk { bytes: None })
    }

    /// The connection (or socket) is ready: the first phase.
    pub fn begin(&mut self) -> Next {
        match self.app {
            AppSpec::Bulk { bytes } => self.to_send = bytes.unwrap_or(0),
            AppSpec::Echo { bytes } => (self.to_send, self.to_receive) = (bytes, bytes),
            AppSpec::RequestResponse { .. } => return self.next_request(),
        }
        Next::Send
    }

    /// The next request, or `Close` when every request was answered.
    pub fn next_request(&mut self) -> Next {
        match self.app {
            AppSpec::RequestResponse {
                requests,
                request_size,
                response_size,
                ..
            } if self.requests_done < requests => {
                (self.to_send, self.to_receive) = (request_size, response_size);
                Next::Send
            }
            _ => Next::Close,
        }
    }

    /// `n` bytes were handed to the socket.
    pub fn sent(&mut self, n: u64) {
        if !self.unlimited() {
            self.to_send = self.to_send.saturating_sub(n);
        }
    }

    /// Whether a bulk transfer has sent everything (an unlimited one: once the
    /// flow's stop time has passed) and expects nothing back.
    pub fn bulk_finished(&self, past_stop: bool) -> bool {
        matches!(self.app, AppSpec::Bulk { .. })
            && self.to_send == 0
            && self.to_receive == 0
            && (!self.unlimited() || past_stop)
    }

    /// `n` bytes of the peer's answer arrived.
    pub fn received(&mut self, n: u64) -> Next {
        self.to_receive = self.to_receive.saturating_sub(n);
        if self.to_receive > 0 || n == 0 {
            return Next::Wait;
        }
        match self.app {
            AppSpec::RequestResponse { think, .. } => {
                self.requests_done += 1;
                if think > SimTime::ZERO {
                    Next::Think(think)
                } else {
                    self.next_request()
                }
            }
            AppSpec::Echo { .. } => Next::Close,
            AppSpec::Bulk { .. } => Next::Wait,
        }
    }
}

/// The server's side of one connection: what it owes the client.
#[derive(Default)]
pub(super) struct Peer {
    /// Bytes to send back (echo, responses) not yet accepted by `send`.
    pub owed: u64,
    /// Request bytes received towards the next full request.
    partial_request: u64,
    /// The client closed its side.
    pub eof: bool,
}

impl Peer {
    /// `got` bytes (and perhaps the end of the stream) arrived from the client;
    /// returns how many of them are the flow's delivered data (bulk transfers),
    /// and adds what must be sent back (echo, responses) to `owed`.
    pub fn received(&mut self, app: AppSpec, got: u64, eof: bool) -> u64 {
        self.eof |= eof;
        match app {
            AppSpec::Bulk { .. } => return got,
            AppSpec::Echo { .. } => self.owed += got,
            AppSpec::RequestResponse {
                request_size,
                response_size,
                ..
            } => {
                self.partial_request += got;
                let complete = self.partial_request / request_size;
                self.partial_request %= request_size;
                // Saturating: requests and sizes may each be up to 2^64 - 1.
                self.owed = self
                    .owed
                    .saturating_add(complete.saturating_mul(response_size));
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_response_runs_its_requests_then_closes() {
        let mut e = Exchange::new(AppSpec::RequestResponse {
            requests: 2,
            request_size: 10,
            response_size: 30,
            think: SimTime::ZERO,
        });
        assert_eq!(e.begin(), Next::Send);
        e.sent(10);
        assert_eq!(e.received(20), Next::Wait);
        assert_eq!(e.received(10), Next::Send);
        e.sent(10);
        assert_eq!(e.received(30), Next::Close);
    }

    #[test]
    fn echo_closes_when_everything_came_back() {
        let mut e = Exchange::new(AppSpec::Echo { bytes: 100 });
        assert_eq!(e.begin(), Next::Send);
        e.sent(100);
        assert_eq!(e.received(60), Next::Wait);
        assert_eq!(e.received(40), Next::Close);
    }
}
