use activation_dsl::Module;
#[test]
fn probe2() {
    let m = Module::new("pub selu(x) = 1.0507 * (if x > 0 { x } else { 1.6733 * (exp(x) - 1) });
pub squareplus(x; b = 4) = (x + sqrt(x^2 + b)) / 2;
pub snake(x; a = 0.5) = x + sin(a * x)^2 / a;
pub sw(x) = x * sigmoid(x);
pub negsq(x) = -x^2;
pub p(x) = 2^3^2 + 0 * x;
pub lr(x) = leaky_relu(x, 0.2);
pub first(x) = later(x) + 1;
pub later(x) = 2 * x;").unwrap_or_else(|e| panic!("{e:?}"));
    for (n, x) in [("relu", f64::NAN), ("sigmoid", f64::NEG_INFINITY), ("softplus", f64::INFINITY), ("gelu", f64::NEG_INFINITY), ("gelu", f64::INFINITY), ("sw", f64::NEG_INFINITY), ("sw", f64::INFINITY), ("silu", f64::NEG_INFINITY), ("negsq", 3.0), ("p", 1.0), ("lr", -1.0), ("first", 2.0), ("mish", f64::NEG_INFINITY), ("mish", 1.0), ("selu", f64::NEG_INFINITY), ("snake", f64::INFINITY), ("squareplus", f64::NEG_INFINITY), ("squareplus", 0.0)] {
        let v = m.eval(n, &[x], &[]);
        println!("{n}({x}) = {v:?} sign_neg={:?}", v.as_ref().map(|v| v.is_sign_negative()));
    }
    println!("{:?}", m.eval("squareplus", &[0.0], &[("b", 16.0)]));
    println!("{:?}", m.eval("nope", &[0.0], &[]));
    println!("{:?}", m.eval("glu", &[0.0], &[]));
    println!("{:?}", m.eval("sw", &[0.0], &[("zz", 1.0)]));
    println!("{:?}", m.eval("leaky_relu", &[-1.0], &[("alpha", 0.5)]));
    // timing of recovery on many broken items
    for n in [500usize, 1000, 2000] {
        let src: String = (0..n).map(|i| format!("pub f{i}(x) = x +;\n")).collect();
        let t = std::time::Instant::now();
        let e = Module::new(&src).unwrap_err();
        println!("{n} broken items: {} errors in {:?}", e.len(), t.elapsed());
    }
    for n in [500usize, 1000, 2000] {
        let src: String = (0..n).map(|i| format!("pub f{i}(x) = f{}(x);\n", i + 1)).collect::<String>() + &format!("pub f{n}(x) = x;\n");
        let m = Module::new(&src).unwrap();
        println!("chain {n}: {:?}", m.eval("f0", &[1.0], &[]));
    }
}
