use activation_runtime::activation;

activation! {
    pub f(x) = sigmod(x);
    pub g(x, y) = 2 * x;
}

fn main() {}
