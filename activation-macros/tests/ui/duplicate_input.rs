use activation_runtime::activation;

activation! {
    pub f(x, x) = x;
}

fn main() {}
