use activation_runtime::activation;

activation! {
    /// A typo in the body: the type `Swishy` is still declared, so the code below that uses
    /// it adds no "cannot find type" error of its own.
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
