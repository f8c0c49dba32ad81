use activation_runtime::activation;

activation! {
    pub f(x) = exp(x, 2);
}

fn main() {}
