//! TCP reassembly of one direction: in-order delivery of new bytes, retransmits and
//! overlaps trimmed, out-of-order segments held (bounded) until the hole is filled.
//! A hole that is never filled is delivered as an explicit gap, never glued.

use std::collections::BTreeMap;

/// What the reassembler hands on, in stream order: in-order bytes are lent straight from
/// the packet, only out-of-order ones are copied (to be held).
#[derive(Debug, PartialEq)]
pub enum Chunk<'a> {
    /// New stream bytes, with the time of the packet that carried them.
    Data(f64, &'a [u8]),
    /// That many bytes are missing from the capture before the next data.
    Gap(f64, u64),
}

/// One direction of a TCP connection.
#[derive(Debug, Default)]
pub struct Reassembler {
    /// The next expected sequence number, unwrapped to 64 bits.
    next: Option<u64>,
    /// Out-of-order segments by unwrapped start: time and bytes.
    held: BTreeMap<u64, (f64, Vec<u8>)>,
    held_bytes: usize,
    /// Whether the stream's start (SYN) was seen.
    pub saw_syn: bool,
    /// Bytes received again (retransmits and overlaps).
    pub duplicate_bytes: u64,
    /// Bytes missing (gaps delivered).
    pub gap_bytes: u64,
    pub gaps: u64,
    /// Sequence number after the FIN, once seen.
    fin: Option<u64>,
}

impl Reassembler {
    /// Unwraps a 32-bit sequence number to the 64-bit value nearest the expected one.
    fn unwrap(&self, seq: u32) -> u64 {
        match self.next {
            None => u64::from(seq) + (1 << 32),
            Some(next) => {
                let diff = seq.wrapping_sub(next as u32) as i32;
                (next as i64 + i64::from(diff)).max(0) as u64
            }
        }
    }

    /// Takes one segment; `out` receives what becomes deliverable.
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        time: f64,
        seq: u32,
        syn: bool,
        fin: bool,
        payload: &[u8],
        max_held: usize,
        out: &mut (impl FnMut(Chunk<'_>) + ?Sized),
    ) {
        if syn {
            let start = self.unwrap(seq);
            if self.next.is_none() {
                self.saw_syn = true;
                self.next = Some(start + 1);
            }
        }
        let start = if syn {
            self.unwrap(seq) + 1
        } else {
            self.unwrap(seq)
        };
        if self.next.is_none() {
            // The capture starts in the middle of the stream.
            self.next = Some(start);
        }
        let end = start + payload.len() as u64;
        if fin {
            self.fin.get_or_insert(end);
        }
        if payload.is_empty() {
            return;
        }
        let next = self.next.unwrap_or(start);
        if end <= next {
            self.duplicate_bytes += payload.len() as u64;
            return;
        }
        if start <= next {
            let skip = (next - start) as usize;
            self.duplicate_bytes += skip as u64;
            out(Chunk::Data(time, &payload[skip..]));
            self.next = Some(end);
            self.drain(out);
            return;
        }
        // Out of order: hold it, unless the budget is spent, in which case the oldest
        // hole is given up as a gap.
        while self.held_bytes + payload.len() > max_held && !self.held.is_empty() {
            self.give_up_hole(out);
        }
        if self.held_bytes + payload.len() > max_held {
            // Larger than the whole budget on its own: deliver it after a gap.
            let next = self.next.unwrap_or(start);
            self.gap(time, start - next, out);
            out(Chunk::Data(time, payload));
            self.next = Some(end);
            return;
        }
        match self.held.get(&start) {
            Some((_, existing)) if existing.len() >= payload.len() => {
                self.duplicate_bytes += payload.len() as u64;
            }
            _ => {
                if let Some((_, old)) = self.held.insert(start, (time, payload.to_vec())) {
                    self.held_bytes -= old.len();
                    self.duplicate_bytes += old.len() as u64;
                }
                self.held_bytes += payload.len();
            }
        }
    }

    /// Delivers held segments that have become contiguous.
    fn drain(&mut self, out: &mut (impl FnMut(Chunk<'_>) + ?Sized)) {
        while let Some(entry) = self.held.first_entry() {
            let start = *entry.key();
            let next = self.next.unwrap_or(start);
            if start > next {
                break;
            }
            let (time, bytes) = entry.remove();
            self.held_bytes -= bytes.len();
            let end = start + bytes.len() as u64;
            if end <= next {
                self.duplicate_bytes += bytes.len() as u64;
                continue;
            }
            let skip = (next - start) as usize;
            self.duplicate_bytes += skip as u64;
            out(Chunk::Data(time, &bytes[skip..]));
            self.next = Some(end);
        }
    }

    fn gap(&mut self, time: f64, missing: u64, out: &mut (impl FnMut(Chunk<'_>) + ?Sized)) {
        if missing > 0 {
            self.gaps += 1;
            self.gap_bytes += missing;
            out(Chunk::Gap(time, missing));
        }
    }

    /// Skips to the first held segment, reporting the hole as a gap.
    fn give_up_hole(&mut self, out: &mut (impl FnMut(Chunk<'_>) + ?Sized)) {
        let Some((&start, (time, _))) = self.held.first_key_value() else {
            return;
        };
        let time = *time;
        let next = self.next.unwrap_or(start);
        if start > next {
            self.gap(time, start - next, out);
            self.next = Some(start);
        }
        self.drain(out);
    }

    /// Whether segments are held, and the time of the oldest.
    pub fn oldest_held(&self) -> Option<f64> {
        self.held
            .values()
            .map(|(t, _)| *t)
            .min_by(|a, b| a.total_cmp(b))
    }

    /// Gives up every hole (end of the capture, or a hole older than the caller accepts).
    pub fn flush(&mut self, out: &mut (impl FnMut(Chunk<'_>) + ?Sized)) {
        while !self.held.is_empty() {
            self.give_up_hole(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects what is handed on: data bytes, `|` for each gap.
    #[derive(Default)]
    struct Out(Vec<u8>);

    impl Out {
        fn take(&mut self) -> impl FnMut(Chunk<'_>) + '_ {
            |chunk| match chunk {
                Chunk::Data(_, d) => self.0.extend_from_slice(d),
                Chunk::Gap(..) => self.0.push(b'|'),
            }
        }
    }

    #[test]
    fn out_of_order_retransmit_overlap_and_gap() {
        let mut r = Reassembler::default();
        let mut out = Out::default();
        r.segment(0.0, 99, true, false, b"", 1 << 20, &mut out.take());
        r.segment(0.1, 105, false, false, b"fgh", 1 << 20, &mut out.take()); // early
        r.segment(0.2, 100, false, false, b"abc", 1 << 20, &mut out.take());
        r.segment(0.3, 100, false, false, b"abc", 1 << 20, &mut out.take()); // retransmit
        r.segment(0.4, 102, false, false, b"cde", 1 << 20, &mut out.take()); // overlap
        assert_eq!(out.0, b"abcdefgh");
        r.segment(0.5, 120, false, false, b"xyz", 1 << 20, &mut out.take()); // hole
        r.flush(&mut out.take());
        assert_eq!(out.0, b"abcdefgh|xyz");
        assert_eq!(r.gap_bytes, 120 - 108);
        assert_eq!(r.duplicate_bytes, 3 + 1);
    }

    #[test]
    fn sequence_wraps() {
        let mut r = Reassembler::default();
        let mut out = Out::default();
        r.segment(
            0.0,
            u32::MAX - 1,
            false,
            false,
            b"ab",
            1 << 20,
            &mut out.take(),
        );
        r.segment(0.0, 0, false, false, b"cd", 1 << 20, &mut out.take());
        assert_eq!(out.0, b"abcd");
    }

    #[test]
    fn budget_gives_up_holes() {
        let mut r = Reassembler::default();
        let mut out = Out::default();
        r.segment(0.0, 0, false, false, b"a", 4, &mut out.take());
        r.segment(0.0, 10, false, false, b"bbb", 4, &mut out.take());
        r.segment(0.0, 20, false, false, b"ccc", 4, &mut out.take());
        assert_eq!(out.0, b"a|bbb");
        assert_eq!(r.gaps, 1);
    }
}
