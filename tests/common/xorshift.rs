//! A tiny deterministic generator for the generated tests: the sequences
//! are the same on every run.

pub struct Xorshift(pub u64);

impl Xorshift {
    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
