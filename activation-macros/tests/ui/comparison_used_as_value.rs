use activation_runtime::activation;

activation! {
    pub f(x) = x * (x > 0);
}

fn main() {}
