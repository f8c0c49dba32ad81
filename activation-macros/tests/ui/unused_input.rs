use activation_runtime::activation;

activation! {
    pub f(a, b) = a * 2;
}

fn main() {}
