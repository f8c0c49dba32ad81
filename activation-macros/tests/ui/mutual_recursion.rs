use activation_runtime::activation;

activation! {
    pub f(x) = 2 * g(x);
    pub g(x) = f(x) + 1;
}

fn main() {}
