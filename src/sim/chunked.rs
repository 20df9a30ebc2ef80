//! An append-only vector kept in fixed-size chunks, for tables that grow one
//! entry per socket or connection and are indexed by a dense id.
//!
//! A `Vec` that doubles holds up to as much room again as it has entries (at
//! 20,000 entries, room for 32,768), and while it grows it briefly holds the
//! old and the new copy. Here the room beyond the entries is under one chunk,
//! and growing moves nothing once the first chunk is full.

/// Entries per chunk (a power of two, so that an index splits by shift and mask).
const CHUNK: usize = 1024;

/// Entries in chunks of `CHUNK`; the first chunk grows as a `Vec` does, so a
/// small table stays small.
#[derive(Debug)]
pub struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> ChunkedVec<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `value`; its index is the length before.
    pub fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(tail) if tail.len() < CHUNK => tail.push(value),
            _ => {
                let mut chunk = if self.chunks.is_empty() {
                    Vec::new()
                } else {
                    Vec::with_capacity(CHUNK)
                };
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks.get_mut(index / CHUNK)?.get_mut(index % CHUNK)
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> std::ops::Index<usize> for ChunkedVec<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        self.get(index).expect("index within the table")
    }
}

impl<T> std::ops::IndexMut<usize> for ChunkedVec<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        self.get_mut(index).expect("index within the table")
    }
}

impl<T> IntoIterator for ChunkedVec<T> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<T>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_and_iterates_across_chunks_in_push_order() {
        let mut v = ChunkedVec::new();
        let n = 3 * CHUNK + 7;
        for i in 0..n {
            v.push(i);
        }
        assert_eq!(v.len(), n);
        assert_eq!(v[0], 0);
        assert_eq!(v[CHUNK - 1], CHUNK - 1);
        assert_eq!(v[CHUNK], CHUNK);
        assert_eq!(v[n - 1], n - 1);
        assert!(v.get(n).is_none());
        v[CHUNK + 1] = 99;
        assert_eq!(v.get(CHUNK + 1), Some(&99));
        let seen: Vec<usize> = v.iter().copied().collect();
        assert_eq!(seen.len(), n);
        assert_eq!(seen[CHUNK + 1], 99);
        assert!(
            v.into_iter()
                .enumerate()
                .all(|(i, x)| x == i || i == CHUNK + 1)
        );
    }

    #[test]
    fn room_beyond_the_entries_is_under_one_chunk() {
        let mut v = ChunkedVec::new();
        for i in 0..20_000u64 {
            v.push(i);
        }
        let room: usize = v.chunks.iter().map(Vec::capacity).sum();
        assert!(room - v.len() < CHUNK, "room {room} for {}", v.len());
        // A small table is not given a whole chunk.
        let mut small = ChunkedVec::new();
        small.push(1u8);
        assert!(small.chunks[0].capacity() < CHUNK);
    }
}
