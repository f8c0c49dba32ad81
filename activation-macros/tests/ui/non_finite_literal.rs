use activation_runtime::activation;

activation! {
    pub f(x) = 1e400 * x;
}

fn main() {}
