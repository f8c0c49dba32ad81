use activation_runtime::activation;

activation! {
    /// The identity, with a typo two lines down.
    /// More documentation.
    pub f(x) = x + sigmod(x);
}

fn main() {}
