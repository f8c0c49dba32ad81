//! Helpers shared by the integration tests of the symbolic engine.

/// Ridders' extrapolation of central differences (Numerical Recipes `dfridr`): the derivative
/// and an estimate of its error.
#[allow(dead_code)]
pub fn ridders(f: &dyn Fn(f64) -> f64, x: f64, h: f64) -> (f64, f64) {
    const CON: f64 = 1.4;
    const CON2: f64 = CON * CON;
    const N: usize = 10;
    let mut t = [[0.0f64; N]; N];
    let mut hh = h;
    t[0][0] = (f(x + hh) - f(x - hh)) / (2.0 * hh);
    let (mut ans, mut err) = (t[0][0], f64::INFINITY);
    for i in 1..N {
        hh /= CON;
        t[0][i] = (f(x + hh) - f(x - hh)) / (2.0 * hh);
        let mut fac = CON2;
        for j in 1..=i {
            t[j][i] = (t[j - 1][i] * fac - t[j - 1][i - 1]) / (fac - 1.0);
            fac *= CON2;
            let e = (t[j][i] - t[j - 1][i])
                .abs()
                .max((t[j][i] - t[j - 1][i - 1]).abs());
            if e <= err {
                err = e;
                ans = t[j][i];
            }
        }
        if (t[i][i] - t[i - 1][i - 1]).abs() >= 2.0 * err {
            break;
        }
    }
    (ans, err)
}

/// Parses an IR expression, panicking with the text when it does not parse.
#[allow(dead_code)]
pub fn parse(text: &str) -> activation_dsl::lower::IrExpr {
    text.parse::<activation_dsl::lower::IrExpr>()
        .unwrap_or_else(|e| panic!("`{text}` does not parse: {e:?}"))
}

/// Asserts that there are no mismatches, listing all of them at once.
#[allow(dead_code)]
pub fn assert_all(mismatches: Vec<String>) {
    assert!(
        mismatches.is_empty(),
        "{} mismatch(es):\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
