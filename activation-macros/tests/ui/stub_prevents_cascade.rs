use activation_runtime::activation;

activation! {
    /// A typo in the body: the type `Swishy` is still declared (a stub with its fields), so the
    /// code below that names it, builds it and reads its field adds no error of its own.
    pub swishy(x; beta = 1.0) = x * sigmod(beta * x);
}

fn uses_the_type(f: Swishy) -> f64 {
    f.beta
}

fn main() {
    let f = Swishy::default();
    let g = Swishy { beta: 2.0 };
    println!("{}", uses_the_type(f) + g.beta);
}
