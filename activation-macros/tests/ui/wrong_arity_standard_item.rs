use activation_runtime::activation;

activation! {
    pub f(x) = x + gelu(x, 1, 2);
}

fn main() {}
