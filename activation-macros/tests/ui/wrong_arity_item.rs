use activation_runtime::activation;

activation! {
    pub g(a, b) = a * b;
    pub f(x) = g(x);
}

fn main() {}
