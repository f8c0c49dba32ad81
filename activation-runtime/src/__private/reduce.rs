//! The exact reduction of a huge argument of `sin` and `cos` modulo `pi / 2` (Payne and Hanek's
//! method), for the scalar path's double-double sines: an argument `(hi + lo) 2^shift` of any
//! size (`alpha * x` beyond `f64`'s range in snake, where the library's sine sees only an
//! infinity), reduced from the exact bits of `2 / pi`, so that `sin(alpha x)` keeps
//! double-double accuracy there.
//!
//! Not a public API.

use super::math::{dd_mul, two_sum, Dd};

/// `(hi + lo) 2^shift`: a double-double with an exponent of its own, for a product that
/// overflows `f64` (see `math::dd_mul_wide`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wide(pub Dd, pub i32);

impl From<Dd> for Wide {
    #[inline(always)]
    fn from(a: Dd) -> Self {
        Wide(a, 0)
    }
}

/// The bits of `2 / pi` after the binary point, big-endian (`scripts/two_over_pi.py`).
const TWO_OVER_PI: [u64; 48] = [
    0xa2f9836e4e441529,
    0xfc2757d1f534ddc0,
    0xdb6295993c439041,
    0xfe5163abdebbc561,
    0xb7246e3a424dd2e0,
    0x06492eea09d1921c,
    0xfe1deb1cb129a73e,
    0xe88235f52ebb4484,
    0xe99c7026b45f7e41,
    0x3991d639835339f4,
    0x9c845f8bbdf9283b,
    0x1ff897ffde05980f,
    0xef2f118b5a0a6d1f,
    0x6d367ecf27cb09b7,
    0x4f463f669e5fea2d,
    0x7527bac7ebe5f17b,
    0x3d0739f78a5292ea,
    0x6bfb5fb11f8d5d08,
    0x56033046fc7b6bab,
    0xf0cfbc209af4361d,
    0xa9e391615ee61b08,
    0x6599855f14a06840,
    0x8dffd8804d732731,
    0x06061556ca73a8c9,
    0x60e27bc08c6b47c4,
    0x19c367cddce8092a,
    0x8359c4768b961ca6,
    0xddaf44d15719053e,
    0xa5ff07053f7e33e8,
    0x32c2de4f98327dbb,
    0xc33d26ef6b1e5ef8,
    0x9f3a1f35caf27f1d,
    0x87f121907c7c246a,
    0xfa6ed5772d30433b,
    0x15c614b59d19c3c2,
    0xc4ad414d2c5d000c,
    0x467d862d71e39ac6,
    0x9b0062337cd2b497,
    0xa7b4d55537f63ed7,
    0x1810a3fc764d2a9d,
    0x64abd770f87c6357,
    0xb07ae715175649c0,
    0xd9d63b3884a7cb23,
    0x24778ad623545ab9,
    0x1f001b0af1dfce19,
    0xff319f6a1e666157,
    0x9947fbacd87f7eb7,
    0x652289e83260bfe6,
];

/// Bits `p + 1 ..= p + 64` of `2 / pi` (bit 1 is the first after the point), 0 outside the
/// table (`2 / pi < 1`: none before it).
fn bits64(p: i64) -> u64 {
    let word = |k: i64| -> u64 {
        if (0..TWO_OVER_PI.len() as i64).contains(&k) {
            TWO_OVER_PI[k as usize]
        } else {
            0
        }
    };
    let (q, r) = (p.div_euclid(64), p.rem_euclid(64));
    if r == 0 {
        word(q)
    } else {
        (word(q) << r) | (word(q + 1) >> (64 - r))
    }
}

/// `v 2^shift 2 / pi` modulo 4 as a 256-bit fixed-point number (little-endian words; the top
/// two bits the integer part, the quadrant): exact but for the bits of `2 / pi` beyond a
/// 320-bit window, which weigh less than `2^-260`.
fn quarter_turns(v: f64, shift: i32) -> [u64; 4] {
    if v == 0.0 || !v.is_finite() {
        return [0; 4];
    }
    let bits = v.abs().to_bits();
    let (e, m) = ((bits >> 52) as i64, bits & ((1 << 52) - 1));
    // v = m 2^e exactly, m an integer below 2^53
    let (m, e) = if e == 0 {
        (m, -1074)
    } else {
        (m | (1 << 52), e - 1075)
    };
    let e = e + i64::from(shift);
    // m 2^(e + 254) (2/pi) mod 2^256: the bits of 2/pi at positions up to e - 2 give multiples
    // of 2^256; the 320 from e - 1 on, W, give m W 2^-64
    let w: [u64; 5] = core::array::from_fn(|i| bits64(e - 2 + 64 * (4 - i as i64)));
    // m W, little-endian (w[0] is the least significant word)
    let mut prod = [0u64; 6];
    let mut carry = 0u128;
    for i in 0..5 {
        let t = u128::from(m) * u128::from(w[i]) + carry;
        prod[i] = t as u64;
        carry = t >> 64;
    }
    prod[5] = carry as u64;
    let t = [prod[1], prod[2], prod[3], prod[4]];
    if v < 0.0 {
        negate(t)
    } else {
        t
    }
}

fn negate(t: [u64; 4]) -> [u64; 4] {
    let mut r = [0u64; 4];
    let mut carry = 1u64;
    for i in 0..4 {
        let (s, c) = (!t[i]).overflowing_add(carry);
        r[i] = s;
        carry = u64::from(c);
    }
    r
}

fn add(a: [u64; 4], b: [u64; 4]) -> [u64; 4] {
    let mut r = [0u64; 4];
    let mut carry = false;
    for i in 0..4 {
        let (s, c1) = a[i].overflowing_add(b[i]);
        let (s, c2) = s.overflowing_add(u64::from(carry));
        r[i] = s;
        carry = c1 || c2;
    }
    r
}

/// `pi / 2` as a double-double.
const FRAC_PI_2_DD: Dd = (core::f64::consts::FRAC_PI_2, 6.123_233_995_736_766e-17);

/// `w = k pi/2 + r` with `|r| <= pi/4`: `(k mod 4, r)`, `r` as a double-double (to about
/// `2^-106` of `r`, or `2^-240` absolutely where `r` is smaller still). For finite `w`.
pub fn reduce(w: Wide) -> (u32, Dd) {
    let Wide((hi, lo), shift) = w;
    let t = add(quarter_turns(hi, shift), quarter_turns(lo, shift));
    // round to the nearest quarter turn: k the top two bits of t + 2^253, the rest signed
    let u = add(t, [0, 0, 0, 1 << 61]);
    let k = (u[3] >> 62) as u32;
    let mut f = u;
    f[3] &= (1 << 62) - 1;
    let f = add(f, negate([0, 0, 0, 1 << 61])); // f - 2^253, in [-2^253, 2^253)
    let neg = f[3] >> 63 == 1;
    let f = if neg { negate(f) } else { f };
    // |f| 2^-254 quarter turns: its top 116 bits as a double-double
    let lead = f.iter().rev().position(|&x| x != 0);
    let Some(top) = lead.map(|i| 3 - i) else {
        return (k, (0.0, 0.0));
    };
    let z = f[top].leading_zeros();
    // the 128 bits from the leading one, and their weight
    // the 128 bits from the leading one: words top, top - 1 and top - 2 (0 below the first)
    let word = |i: usize| -> u64 { f.get(i).copied().unwrap_or(0) };
    let below = |i: usize, d: usize| -> u64 { i.checked_sub(d).map_or(0, word) };
    let join = |h: u64, l: u64| {
        if z == 0 {
            h
        } else {
            (h << z) | (l >> (64 - z))
        }
    };
    let a = join(word(top), below(top, 1));
    let b = join(below(top, 1), below(top, 2));
    let n = ((u128::from(a) << 64) | u128::from(b)) >> 12; // below 2^116
    let h = n as f64;
    let l = (n as i128 - h as i128) as f64;
    // the bit below the leading one of f[top] has weight 2^(64 top + 63 - z - 254)
    let scale = 64 * top as i32 + 63 - z as i32 - 254 - 115;
    let s = 2f64.powi(scale);
    let q = two_sum(h * s, l * s);
    let r = dd_mul(q, FRAC_PI_2_DD);
    (k, if neg { (-r.0, -r.1) } else { r })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against `f64`'s own sine (the library reduces exactly) at arguments it can hold.
    #[test]
    fn reduces_like_the_library_sine() {
        let mut x = 1.0f64;
        let mut worst = 0.0f64;
        for i in 0..2000 {
            x = if i % 2 == 0 {
                x * 1.4137 + 0.37
            } else {
                -x * 1.01
            };
            if !x.is_finite() {
                break;
            }
            let (k, r) = reduce(Wide((x, 0.0), 0));
            let s = match k {
                0 => r.0.sin(),
                1 => r.0.cos(),
                2 => -r.0.sin(),
                _ => -r.0.cos(),
            };
            let want = x.sin();
            worst = worst.max((s - want).abs() / f64::EPSILON);
            assert!(
                r.0.abs() <= core::f64::consts::FRAC_PI_4 * (1.0 + 1e-15),
                "{x}: {r:?}"
            );
        }
        assert!(worst <= 2.0, "worst {worst} x 2^-52");
    }

    /// An argument beyond f64's range reduces as its half doubled: sin(2u) = 2 sin(u) cos(u).
    #[test]
    fn a_shifted_argument_is_the_doubled_angle() {
        for &x in &[1.7e308, -9.87654321e307, 3.3e200, 6.02e23] {
            let (k2, r2) = reduce(Wide((x, 0.0), 1));
            let (k1, r1) = reduce(Wide((x, 0.0), 0));
            let sc = |k: u32, r: Dd| {
                let (s, c) = (r.0.sin(), r.0.cos());
                match k {
                    0 => (s, c),
                    1 => (c, -s),
                    2 => (-s, -c),
                    _ => (-c, s),
                }
            };
            let (s1, c1) = sc(k1, r1);
            let (s2, _) = sc(k2, r2);
            assert!((s2 - 2.0 * s1 * c1).abs() < 4.0 * f64::EPSILON, "{x}");
        }
    }

    /// The low part: against the double-double reduction `x - k (pi/2)_dd`, good to about
    /// `2^-88` absolutely for `|x| < 2^17`, where the library's sine says nothing of it.
    #[test]
    fn the_reduced_argument_is_a_double_double() {
        use super::super::math::{dd_mul, dd_sub};
        let mut x = 1000.0f64;
        while x < 100_000.0 {
            let (k, r) = reduce(Wide((x, 0.0), 0));
            let n = (x / core::f64::consts::FRAC_PI_2).round();
            let want = dd_sub((x, 0.0), dd_mul((n, 0.0), FRAC_PI_2_DD));
            assert_eq!(k, (n as i64).rem_euclid(4) as u32, "{x}");
            let diff = (r.0 - want.0) + (r.1 - want.1);
            assert!(diff.abs() < 2f64.powi(-85), "{x}: {r:?} against {want:?}");
            x = x * 1.37 + 0.1;
        }
    }

    /// `(hi + lo) 2^shift` is the same angle however it is split between the parts and the
    /// exponent: `x 2^-1024` with shift 1024 reduces to the bits of `x` itself.
    #[test]
    fn the_exponent_of_its_own_is_exact() {
        for &x in &[4.5, 1e10, -3.3e100, 1.7e308, 123_456.789] {
            let s = 2f64.powi(-512);
            assert_eq!(
                reduce(Wide((x * s * s, 0.0), 1024)),
                reduce(Wide((x, 0.0), 0)),
                "{x}"
            );
        }
    }
}
