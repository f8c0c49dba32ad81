use activation_runtime::{activation, Activation};

activation! {
    /// A typo in the body. The stub of `Swishy` declares the struct, but the code below also
    /// calls its trait method and reads its constant.
    pub swishy(x; beta = 1.0) = x * sigmod(beta * x);
}

fn main() {
    let y: f64 = Swishy::default().forward(1.0);
    println!("{y} {}", Swishy::FORMULA);
}
