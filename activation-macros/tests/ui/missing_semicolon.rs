use activation_runtime::activation;

activation! {
    pub f(x) = x + 1
}

fn main() {}
