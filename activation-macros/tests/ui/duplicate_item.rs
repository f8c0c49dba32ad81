use activation_runtime::activation;

activation! {
    pub f(x) = x;
    pub f(x) = 2 * x;
}

fn main() {}
