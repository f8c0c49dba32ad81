use activation_runtime::activation;

activation! {
    pub f(x) = x * sigmod(x);
}

fn main() {}
