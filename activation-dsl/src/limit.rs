// The limits at infinite inputs: one rule for the reference interpreter (`crate::interp`) and
// for generated code, which reaches this same file as
// `activation_runtime::__private::math::limit` (the runtime compiles it from
// `activation_dsl::LIMIT_SOURCE`, through `activation_macros::__limit_rule!`). So this file uses
// nothing but `core` and the prelude, and its module documentation is on its `mod` items.

/// The finite stand-ins for an infinite input, in the order they are tried.
pub const HUGE: [f64; 7] = [1e25, 1e50, 1e100, 1e150, 1e200, 1e300, f64::MAX];

/// The stand-ins used where the function is NaN at every one of [`HUGE`] (a formula that
/// overflows on the way, such as `(exp(x) - exp(-x)) / (exp(x) + exp(-x))` as written).
pub const MODERATE: [f64; 6] = [10.0, 20.0, 50.0, 100.0, 200.0, 500.0];

/// The limit of `f` where some inputs are infinite and direct evaluation gave NaN: each
/// infinite input is replaced by the stand-ins [`HUGE`] of its sign, and [`settle`] decides
/// per output; an output that is NaN at all of them is decided from [`MODERATE`] instead.
pub fn limit<const N: usize, const K: usize>(
    f: impl Fn([f64; N]) -> [f64; K],
    x: [f64; N],
) -> [f64; K] {
    limit_at(|m| f(x.map(|v| if v.is_infinite() { v.signum() * m } else { v })))
}

/// [`limit`], given `at(m)`: the outputs with every infinite input replaced by `±m`.
pub fn limit_at<const K: usize>(at: impl Fn(f64) -> [f64; K]) -> [f64; K] {
    let huge = HUGE.map(&at);
    let mut moderate: Option<[[f64; K]; 6]> = None;
    core::array::from_fn(|k| {
        let seq = huge.map(|r| r[k]);
        if seq.iter().all(|v| v.is_nan()) {
            let m = moderate.get_or_insert_with(|| MODERATE.map(&at));
            settle(&m.map(|r| r[k]))
        } else {
            settle(&seq)
        }
    })
}

/// The limit of a sequence of values at growing stand-ins (NaNs left out):
///
/// - `±inf` when the finite values before the first infinity (three or more) grow steadily
///   (same sign, each larger than the last, tenfold in all);
/// - else 0 when they shrink steadily toward it (each a thousandth of the last or less, the last
///   below 1e-100: `sin(x) / x`);
/// - else the value of the longest run of consecutive values that agree (to 1e-12), when the
///   run has two or more (stand-ins beyond the run may overflow on the way);
/// - else NaN: there is no limit (`sin(x)`).
pub fn settle(seq: &[f64]) -> f64 {
    let vals: Vec<f64> = seq.iter().copied().filter(|v| !v.is_nan()).collect();
    // (finite: `inf - 0 <= 1e-12 * inf` would make 0 and inf agree)
    let same = |a: f64, b: f64| {
        a == b || (a.is_finite() && b.is_finite() && (a - b).abs() <= 1e-12 * a.abs().max(b.abs()))
    };
    // Growth is read from the finite values before the first infinity: a formula as written
    // may overflow on the way with the wrong sign (`sqrt(x^2 + 1) / 2 + x` at `-1e200` is
    // `inf`, its limit at `-inf` is `-inf`).
    let finite = vals.iter().take_while(|v| v.is_finite()).count();
    let fin = &vals[..finite];
    let growing = fin.len() >= 3
        && fin
            .windows(2)
            .all(|w| w[0].signum() == w[1].signum() && w[1].abs() > w[0].abs())
        && fin[fin.len() - 1].abs() >= 10.0 * fin[0].abs().max(1.0);
    if growing {
        return fin[0].signum() * f64::INFINITY;
    }
    let shrinking = vals.len() >= 3
        && vals.windows(2).all(|w| w[1].abs() <= 1e-3 * w[0].abs())
        && vals[vals.len() - 1].abs() < 1e-100;
    if shrinking {
        return 0.0;
    }
    let (mut best, mut best_len, mut i) = (f64::NAN, 1, 0);
    while i < vals.len() {
        let mut j = i + 1;
        while j < vals.len() && same(vals[i], vals[j]) {
            j += 1;
        }
        if j - i > best_len {
            best_len = j - i;
            best = vals[j - 1];
        }
        i = j;
    }
    best
}
