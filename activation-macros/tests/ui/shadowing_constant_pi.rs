use activation_runtime::activation;

activation! {
    pub f(x; pi = 3.14) = pi * x;
}

fn main() {}
