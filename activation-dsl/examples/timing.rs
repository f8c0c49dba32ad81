fn main() {
    let forms = [
        "x * sigmoid(beta * x)",
        "ln(1 + exp(x))",
        "if x > 0 { x } else { alpha * (exp(x) - 1) }",
        "0.5 * x * (1 + erf(x / sqrt(2)))",
    ];
    let mut s = String::new();
    let n: usize = std::env::args().nth(1).map_or(100, |a| a.parse().unwrap());
    for i in 0..n {
        s += &format!(
            "/// Item {i}.\npub item_{i}(x; alpha = 1.0, beta = 1.5, b = 4) = {};\n",
            forms[i % 4]
        );
    }
    let t = std::time::Instant::now();
    for _ in 0..5 {
        activation_dsl::parse::parse(&s).unwrap();
    }
    println!("parse {:?}", t.elapsed() / 5);
    let t = std::time::Instant::now();
    for _ in 0..5 {
        activation_dsl::Module::new(&s).unwrap();
    }
    println!("module {:?}", t.elapsed() / 5);
}
