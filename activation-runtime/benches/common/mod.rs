//! What the benchmarks share.

/// `n` values uniform on `[-r, r]` from a fixed xorshift stream (the same inputs every run).
pub fn uniform<T: From<f32>>(n: usize, r: f64, seed: u64) -> Vec<T> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
            T::from(((2.0 * u - 1.0) * r) as f32)
        })
        .collect()
}
