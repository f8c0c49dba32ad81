//! Writing an adapter's output once: kernels run chunk by chunk into a small buffer.

/// Elements per chunk where outputs are written chunk by chunk.
pub(crate) const CHUNK: usize = 1024;

/// Runs `kernel` on `xs` (`n` elements each) and collects its `m` results. Where it writes one
/// value per element (`m == n`), it runs chunk by chunk into a small buffer appended to the
/// output, so the output is written once, with no zeroing pass before; chunks change no value
/// (every kernel decides element by element).
pub(crate) fn collect<T: Copy + Default, const I: usize>(
    xs: [&[T]; I],
    n: usize,
    m: usize,
    kernel: impl Fn([&[T]; I], &mut [T]),
) -> Vec<T> {
    if m != n {
        let mut out = vec![T::default(); m];
        kernel(xs, &mut out);
        return out;
    }
    let mut out = Vec::with_capacity(n);
    let mut buf = [T::default(); CHUNK];
    let mut i = 0;
    while i < n {
        let e = (i + CHUNK).min(n);
        let b = &mut buf[..e - i];
        kernel(core::array::from_fn(|j| &xs[j][i..e]), b);
        out.extend_from_slice(b);
        i = e;
    }
    out
}

/// `f(x)` and `f'(x)` in one pass of the fused kernel (`forward_derivative_slice`), chunk by
/// chunk, each output written once.
pub(crate) fn value_and_derivative<T: crate::Float + Default>(
    fused: impl Fn(&[T], &mut [T], &mut [T]),
    x: &[T],
) -> (Vec<T>, Vec<T>) {
    let n = x.len();
    let (mut y, mut d) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut by, mut bd) = ([T::default(); CHUNK], [T::default(); CHUNK]);
    for xc in x.chunks(CHUNK) {
        let k = xc.len();
        fused(xc, &mut by[..k], &mut bd[..k]);
        y.extend_from_slice(&by[..k]);
        d.extend_from_slice(&bd[..k]);
    }
    (y, d)
}
