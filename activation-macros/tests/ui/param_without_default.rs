use activation_runtime::activation;

activation! {
    pub f(x; alpha) = alpha * x;
}

fn main() {}
