//! Every occurrence of a set of short patterns in a text, ASCII case ignored, found by one DFA
//! that steps through several parts of the text at once.
//!
//! A DFA scan is bound by the latency of its table lookups: each step needs the state the
//! step before produced. Cutting a text into [`LANES`] segments and stepping all of them in
//! the same loop keeps that many independent lookups in flight, which is about three times
//! the throughput of one lane (aho-corasick's own search of the same automaton runs one lane).
//! Each lane reads `overlap` bytes past its segment, so a match across a boundary is found by
//! the lane of the segment it starts in, and only there.
//!
//! The automaton is aho-corasick's DFA, copied into a flat table: byte classes (the bytes of
//! the patterns, each with both cases, and everything else), state ids premultiplied by the
//! number of classes and held in `u16`, and the states that end a match numbered last, from a
//! power of two up, so that one comparison of the four lanes' states or-ed together tells
//! whether a match ended in any of them.

use std::collections::HashMap;

use aho_corasick::automaton::Automaton;
use aho_corasick::automaton::StateID;
use aho_corasick::{dfa, Anchored, MatchKind};

/// How many segments of a text are scanned together.
const LANES: usize = 4;

/// Premultiplied ids are `u16`: a transition is at `state + class`, below this length.
const TABLE: usize = (u16::MAX as usize) + 1 + 256;

/// One occurrence of a pattern: its index and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Occurrence {
    pub end: usize,
    pub start: usize,
    pub pattern: usize,
}

pub(crate) struct Lanes {
    classes: [u8; 256],
    trans: Box<[u16; TABLE]>,
    start: u16,
    /// States at or above this id end at least one match.
    first_match: u16,
    stride: u16,
    /// For the match state `first_match + k * stride`, the patterns it ends at `matches[k]`.
    matches: Vec<Vec<usize>>,
    lengths: Vec<usize>,
    /// The longest pattern's length less one: how far past its segment a lane reads.
    overlap: usize,
}

impl Lanes {
    /// The scanner of `patterns`, or `None` when they are empty or too many for `u16` ids.
    pub(crate) fn new(patterns: &[&str]) -> Option<Lanes> {
        let longest = patterns.iter().map(|p| p.len()).max()?;
        if longest == 0 {
            return None;
        }
        let automaton = dfa::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(patterns)
            .ok()?;

        // Class 0 is every byte no pattern holds; each other byte of a pattern (both of its
        // cases) is a class of its own.
        let mut classes = [0u8; 256];
        let mut representatives: Vec<u8> = vec![0];
        for byte in patterns.iter().flat_map(|p| p.bytes()) {
            let lower = byte.to_ascii_lowercase();
            if classes[usize::from(lower)] == 0 {
                let class = u8::try_from(representatives.len()).ok()?;
                representatives.push(lower);
                classes[usize::from(lower)] = class;
                classes[usize::from(lower.to_ascii_uppercase())] = class;
            }
        }
        representatives[0] = (0..=255u8).find(|&b| classes[usize::from(b)] == 0)?;
        let stride = representatives.len();

        // Every state reachable from the start, in breadth-first order.
        let start = automaton.start_state(Anchored::No).ok()?;
        let mut order: Vec<StateID> = vec![start];
        let mut index: HashMap<StateID, usize> = HashMap::from([(start, 0)]);
        let mut next = Vec::new();
        let mut at = 0;
        while at < order.len() {
            let state = order[at];
            for &byte in &representatives {
                let to = automaton.next_state(Anchored::No, state, byte);
                let id = *index.entry(to).or_insert_with(|| {
                    order.push(to);
                    order.len() - 1
                });
                next.push(id);
            }
            at += 1;
        }

        // Renumber: states that end no match first, the others after.
        let mut renumbered: Vec<usize> = (0..order.len()).collect();
        renumbered.sort_by_key(|&i| automaton.is_match(order[i]));
        let mut position = vec![0; order.len()];
        for (new, &old) in renumbered.iter().enumerate() {
            position[old] = new;
        }
        // The first match state's id is a power of two, above every other state's: then
        // `(s0 | s1 | s2 | s3) >= first_match` tells whether any of four states is a match
        // state, in one comparison.
        let non_matching = renumbered
            .iter()
            .filter(|&&old| !automaton.is_match(order[old]))
            .count();
        let first_match = (non_matching * stride).next_power_of_two();
        let id = |old: usize| {
            let new = position[old];
            let id = match new.checked_sub(non_matching) {
                None => new * stride,
                Some(k) => first_match + k * stride,
            };
            u16::try_from(id).ok()
        };
        let mut trans: Box<[u16; TABLE]> = vec![0u16; TABLE].into_boxed_slice().try_into().ok()?;
        for old in 0..order.len() {
            let base = usize::from(id(old)?);
            for class in 0..stride {
                trans[base + class] = id(next[old * stride + class])?;
            }
        }
        let matching: Vec<usize> = renumbered
            .iter()
            .copied()
            .filter(|&old| automaton.is_match(order[old]))
            .collect();
        let first_match = u16::try_from(first_match).ok()?;
        let matches = matching
            .iter()
            .map(|&old| {
                let state = order[old];
                (0..automaton.match_len(state))
                    .map(|k| automaton.match_pattern(state, k).as_usize())
                    .collect()
            })
            .collect();
        Some(Lanes {
            classes,
            trans,
            start: id(0)?,
            first_match,
            stride: u16::try_from(stride).ok()?,
            matches,
            lengths: patterns.iter().map(|p| p.len()).collect(),
            overlap: longest - 1,
        })
    }

    /// Every occurrence of every pattern in `text`, overlapping ones included, by end.
    pub(crate) fn scan(&self, text: &[u8]) -> Vec<Occurrence> {
        let mut found = Vec::new();
        // Lane `l` reads `segment + overlap` bytes from `l * segment` and reports the matches
        // that start in its segment, `l * segment..(l + 1) * segment` (the last lane every
        // match it finds, to the end of the text). A match is at most `overlap + 1` bytes, so
        // one that starts in a segment ends within what its lane reads; a lane starts afresh,
        // so it never sees a match that starts before its segment. Reading a little more in
        // every lane costs less than a lane that steps alone: each step waits on the last.
        let segment = text.len().saturating_sub(self.overlap) / LANES;
        if segment == 0 {
            // Too short to share out: one lane reads it all.
            self.run(self.start, text, 0, &mut found);
            return found;
        }
        let (trans, classes, first) = (&*self.trans, &self.classes, self.first_match);
        let step = |state: u16, byte: u8| {
            trans[usize::from(state) + usize::from(classes[usize::from(byte)])]
        };
        let span = segment + self.overlap;
        let lane = |l: usize| &text[l * segment..l * segment + span];
        // Four named states and four slices zipped: kept in an array, or indexed through one
        // slice, the states end up on the stack, which doubles each step's latency.
        let [mut s0, mut s1, mut s2, mut s3] = [self.start; LANES];
        for (j, (((&b0, &b1), &b2), &b3)) in lane(0)
            .iter()
            .zip(lane(1))
            .zip(lane(2))
            .zip(lane(3))
            .enumerate()
        {
            s0 = step(s0, b0);
            s1 = step(s1, b1);
            s2 = step(s2, b2);
            s3 = step(s3, b3);
            if (s0 | s1 | s2 | s3) >= first {
                self.record_lanes([s0, s1, s2, s3], segment, j, &mut found);
            }
        }
        // The last lane goes on to the end of the text.
        let read = (LANES - 1) * segment + span;
        self.run(s3, &text[read..], read, &mut found);
        found.sort_unstable();
        found
    }

    /// One lane from `state` over `text`, which starts at `offset` of the whole text.
    fn run(&self, mut state: u16, text: &[u8], offset: usize, found: &mut Vec<Occurrence>) {
        let (trans, classes, first) = (&*self.trans, &self.classes, self.first_match);
        for (i, &byte) in text.iter().enumerate() {
            state = trans[usize::from(state) + usize::from(classes[usize::from(byte)])];
            if state >= first {
                self.record(state, offset + i, usize::MAX, found);
            }
        }
    }

    /// The matches that lanes in the states `states` end at `j` of their segments.
    #[cold]
    #[inline(never)]
    fn record_lanes(
        &self,
        states: [u16; LANES],
        segment: usize,
        j: usize,
        found: &mut Vec<Occurrence>,
    ) {
        for (l, &state) in states.iter().enumerate() {
            if state >= self.first_match {
                // Matches that start past a lane's segment are the next lane's.
                let bound = if l + 1 < LANES {
                    (l + 1) * segment
                } else {
                    usize::MAX
                };
                self.record(state, l * segment + j, bound, found);
            }
        }
    }

    /// The matches the match state `state` ends, its last byte at `last`, that start before
    /// `bound`.
    #[cold]
    fn record(&self, state: u16, last: usize, bound: usize, found: &mut Vec<Occurrence>) {
        let k = usize::from((state - self.first_match) / self.stride);
        for &pattern in &self.matches[k] {
            let start = last + 1 - self.lengths[pattern];
            if start < bound {
                found.push(Occurrence {
                    end: last + 1,
                    start,
                    pattern,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every occurrence by brute force, ASCII case ignored.
    fn naive(patterns: &[&str], text: &str) -> Vec<Occurrence> {
        let lower = text.to_ascii_lowercase();
        let mut found = Vec::new();
        for (pattern, p) in patterns.iter().enumerate() {
            let p = p.to_ascii_lowercase();
            for start in 0..lower.len() {
                if lower.as_bytes()[start..].starts_with(p.as_bytes()) {
                    found.push(Occurrence {
                        end: start + p.len(),
                        start,
                        pattern,
                    });
                }
            }
        }
        found.sort_unstable();
        found
    }

    #[test]
    fn every_occurrence_in_every_lane_and_across_boundaries() {
        let patterns = [
            "key",
            "private_key_id",
            "sk",
            "SK-",
            "pass",
            "assword",
            "://",
        ];
        let lanes = Lanes::new(&patterns).unwrap();
        // Patterns at every offset around the segment boundaries of texts of many lengths.
        for length in [
            0, 1, 5, 13, 28, 29, 30, 31, 32, 33, 45, 255, 256, 257, 300, 1000, 1023, 4099,
        ] {
            for shift in 0..20 {
                let mut text = String::new();
                let words = [
                    "PRIVATE_KEY_ID",
                    "x",
                    "passWORD",
                    "sk-",
                    "://",
                    "k",
                    "ey",
                    "mask",
                ];
                let mut i = shift;
                while text.len() < length {
                    text.push_str(words[i % words.len()]);
                    text.push(if i % 3 == 0 { ' ' } else { 'z' });
                    i += 7;
                }
                text.truncate(length);
                assert_eq!(
                    lanes.scan(text.as_bytes()),
                    naive(&patterns, &text),
                    "{length} {shift}"
                );
            }
        }
    }

    #[test]
    fn random_texts_agree_with_brute_force() {
        let patterns = ["ab", "ABA", "b-", "aab", "xabax", "bb", "a"];
        let lanes = Lanes::new(&patterns).unwrap();
        let alphabet = b"aAbB-x ";
        let mut next = crate::test_numbers(0x9e37_79b9_7f4a_7c15);
        for _ in 0..300 {
            let length = next(2_000);
            let text: String = (0..length)
                .map(|_| char::from(alphabet[next(alphabet.len())]))
                .collect();
            assert_eq!(
                lanes.scan(text.as_bytes()),
                naive(&patterns, &text),
                "{text}"
            );
        }
    }

    #[test]
    fn non_ascii_text_and_every_byte() {
        let patterns = ["token", "ü"];
        let lanes = Lanes::new(&patterns).unwrap();
        let text: String = "Tökén TOKEN ü tokentoken ".repeat(40);
        assert_eq!(lanes.scan(text.as_bytes()), naive(&patterns, &text));
        let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        let lanes = Lanes::new(&["\u{0}\u{1}", "ab"]).unwrap();
        // `\0\1` once per cycle of the 256 bytes, `ab` and `AB` once each: 12 cycles.
        assert_eq!(lanes.scan(&bytes).len(), 3 * 12);
    }

    #[test]
    fn no_patterns_no_scanner() {
        assert!(Lanes::new(&[]).is_none());
        assert!(Lanes::new(&[""]).is_none());
    }
}
