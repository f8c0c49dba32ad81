use activation_runtime::activation;

activation! {
    pub f(x) = x
    pub g(x) = 2 * x;
}

fn main() {}
