//! Urgent data: SND.UP and the URG field on the way out, RCV.UP and the
//! out-of-band byte on the way in (RFC 9293 §3.8.5, RFC 6093).
//!
//! ## Where the urgent pointer points
//!
//! The URG flag says that the 16-bit urgent field is meaningful; added to
//! SEG.SEQ it gives the *urgent point*. RFC 793 said two different things
//! about that point: §3.1 made it the sequence number of the octet *following*
//! the urgent data, the SEND call on p. 56 set SND.UP to the *last* urgent
//! octet. RFC 1122 §4.2.2.4 settled for the last octet, but BSD, Linux and
//! virtually every stack kept the "following" reading, so RFC 6093 §4 updated
//! RFC 793, 1011 and 1122 to match them, and RFC 9293 (MUST-62; SEND: SND.UP
//! <- SND.NXT) kept it. This module implements that: **SEG.UP = SEG.SEQ +
//! urgent field is the offset just past the urgent byte**, so a segment whose
//! first byte is the urgent byte carries `urg=1`, and the byte in front of
//! the urgent point is the urgent one. A receiver reading it as RFC 1122 did
//! would take the byte after it.
//!
//! ## One urgent byte, out of band (BSD semantics)
//!
//! TCP has no second channel: the urgent byte travels in the stream, in
//! order, under flow and congestion control; only the *notice* that it is on
//! its way goes ahead, in every segment sent while SND.UP is ahead of the
//! segment's first byte (pure ACKs included). Like BSD and Linux (RFC 6093
//! §3.1), only the last byte written with `send_urgent` (MSG_OOB) is urgent,
//! and the receiver, unless `oob_inline` (SO_OOBINLINE) is set, takes that
//! byte out of the stream once it arrives in order: `recv_urgent` (recv with
//! MSG_OOB) returns it, `recv` skips it and stops at the mark so that the
//! application can tell where it was (`at_mark`, sockatmark). A newer urgent
//! byte replaces an unread older one, which is lost as a byte of the stream
//! too, as in BSD. With `oob_inline` the byte stays in the stream (RFC 6093 §6
//! asks applications that use urgent data to set it) and `recv` still stops
//! at it.
//!
//! ## More than 65,535 bytes ahead
//!
//! The field cannot reach an urgent point more than 65,535 bytes past the
//! segment. Neither RFC says what to send then; like Linux (tcp_transmit_skb)
//! the sender puts 0xFFFF while that points past everything sent so far, so
//! the receiver learns early that urgent data is coming without mistaking a
//! byte it already has for the urgent one, and sends no URG otherwise.

use super::events::TcpError;

/// Urgent state of one connection, both directions; boxed in the connection
/// because most connections never use it.
#[derive(Debug, Default)]
pub(super) struct Urgent {
    /// SND.UP: send offset just past the last urgent byte written (0: none).
    snd_up: u64,
    /// RCV.UP: receive offset just past the latest urgent byte announced.
    rcv_up: u64,
    /// The RCV.UP whose byte has arrived in order and was marked.
    arrived_up: u64,
    /// Receive offsets of urgent bytes that arrived and that the reader has
    /// not passed yet, oldest first.
    marks: Vec<u64>,
    /// The out-of-band byte waiting for `recv_urgent` (a receive offset).
    oob: Option<u64>,
    /// Out-of-band bytes that reads stepped over, and those `recv_urgent`
    /// handed out: the bytes delivered differ from the read offset by these.
    stepped_over: u64,
    taken: u64,
}

impl Urgent {
    // ------------------------------------------------------------ send side

    /// The application wrote urgent data ending just before send offset `end`.
    pub fn set_send_point(&mut self, end: u64) {
        self.snd_up = self.snd_up.max(end);
    }

    /// Urgent mode: the urgent byte is not acknowledged yet.
    pub fn sending(&self, snd_una: u64) -> bool {
        self.snd_up > snd_una
    }

    /// The urgent field of a segment starting at send offset `seq`, or `None`
    /// for no URG flag, when `snd_max` bytes have been sent.
    pub fn field(&self, seq: u64, snd_max: u64) -> Option<u16> {
        let ahead = self.snd_up.checked_sub(seq).filter(|&d| d > 0)?;
        match u16::try_from(ahead) {
            Ok(p) => Some(p),
            // 0xFFFF names the byte at seq + 0xFFFE: only if it is not sent yet.
            Err(_) => (seq + 0xFFFF > snd_max).then_some(u16::MAX),
        }
    }

    // --------------------------------------------------------- receive side

    /// A segment announced the urgent point `up` (SEG.SEQ + field) when
    /// RCV.NXT is `rcv_nxt`. True if RCV.UP advanced (the application is to
    /// be told, RFC 9293 MUST-32); a pointer that recedes, or whose byte has
    /// already arrived, is ignored.
    pub fn announce(&mut self, up: u64, rcv_nxt: u64) -> bool {
        if up <= self.rcv_up || up <= rcv_nxt {
            return false;
        }
        self.rcv_up = up;
        true
    }

    /// RCV.NXT moved to `rcv_nxt`: mark the announced urgent byte if it is
    /// now in order, and set it aside for `recv_urgent` unless `inline`.
    pub fn arrive(&mut self, rcv_nxt: u64, inline: bool) {
        if self.rcv_up > self.arrived_up && self.rcv_up <= rcv_nxt {
            self.arrived_up = self.rcv_up;
            let byte = self.rcv_up - 1;
            self.marks.push(byte);
            if !inline {
                self.oob = Some(byte);
            }
        }
    }

    /// Before a read from receive offset `read`: pass the marks there,
    /// stepping over the urgent bytes taken out of the stream.
    pub fn pass_marks(&mut self, read: &mut u64, inline: bool) {
        while self.marks.first() == Some(read) {
            self.marks.remove(0);
            if inline {
                return;
            }
            *read += 1;
            self.stepped_over += 1;
        }
    }

    /// Bytes delivered to the application when the reader is at `read` (the
    /// stream starts at receive offset 1).
    pub fn delivered(&self, read: u64) -> u64 {
        read.saturating_sub(1) - self.stepped_over + self.taken
    }

    /// The next mark a read stops at.
    pub fn next_mark(&self) -> Option<u64> {
        self.marks.first().copied()
    }

    /// Bytes of the receive buffer that are not in the stream (taken out).
    pub fn taken_out(&self, inline: bool) -> u64 {
        if inline { 0 } else { self.marks.len() as u64 }
    }

    /// Whether the next byte to read at `read` comes right at a mark.
    pub fn at_mark(&self, read: u64) -> bool {
        self.marks.first() == Some(&read)
    }

    /// `recv_urgent`: the receive offset of the out-of-band byte;
    /// `WouldBlock` while it is announced but not here (Linux's EAGAIN),
    /// `NoUrgentData` when there is none to read (EINVAL).
    pub fn take(&mut self, inline: bool) -> Result<u64, TcpError> {
        if inline {
            return Err(TcpError::NoUrgentData);
        }
        if let Some(b) = self.oob.take() {
            self.taken += 1;
            return Ok(b);
        }
        if self.rcv_up > self.arrived_up {
            return Err(TcpError::WouldBlock);
        }
        Err(TcpError::NoUrgentData)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_points_past_the_urgent_byte_and_clamps() {
        let mut u = Urgent::default();
        assert_eq!(u.field(1, 1), None, "no urgent data, no URG");
        // The urgent byte at send offset 2001 (stream offset 2000): SND.UP = 2002.
        u.set_send_point(2002);
        assert_eq!(u.field(1, 1), Some(2001));
        assert_eq!(u.field(2001, 2001), Some(1), "the urgent byte first");
        assert_eq!(u.field(2002, 2002), None, "past the urgent point");
        // 100,000 bytes ahead: 0xFFFF while seq + 0xFFFF is beyond what was sent.
        u.set_send_point(100_002);
        assert_eq!(u.field(1, 1), Some(0xFFFF));
        assert_eq!(
            u.field(1, 65_536),
            None,
            "0xFFFF would name a byte already sent"
        );
        assert_eq!(u.field(34_467, 50_000), Some(65_535));
    }

    #[test]
    fn receiver_marks_and_takes_out_the_byte() {
        let mut u = Urgent::default();
        assert!(u.announce(2002, 1));
        assert!(!u.announce(2002, 1), "the same point again");
        assert!(!u.announce(1500, 1), "a pointer never recedes");
        assert_eq!(u.take(false), Err(TcpError::WouldBlock));
        u.arrive(2001, false);
        assert_eq!(u.next_mark(), None, "the byte at 2001 is not in yet");
        u.arrive(2501, false);
        assert_eq!(u.next_mark(), Some(2001));
        assert_eq!(u.taken_out(false), 1);
        let mut read = 2001;
        assert!(u.at_mark(read));
        u.pass_marks(&mut read, false);
        assert_eq!(read, 2002, "stepped over the urgent byte");
        assert_eq!(u.delivered(read), 2000, "the bytes before it, not it");
        assert_eq!(u.take(false), Ok(2001));
        assert_eq!(u.delivered(read), 2001, "and now it, out of band");
        assert_eq!(u.take(false), Err(TcpError::NoUrgentData));
        // Inline: the mark stays in the stream, recv_urgent refuses.
        let mut u = Urgent::default();
        u.announce(11, 1);
        u.arrive(20, true);
        let mut read = 10;
        u.pass_marks(&mut read, true);
        assert_eq!((read, u.next_mark()), (10, None));
        assert_eq!(u.take(true), Err(TcpError::NoUrgentData));
    }
}
