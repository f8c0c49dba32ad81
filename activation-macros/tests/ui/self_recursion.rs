use activation_runtime::activation;

activation! {
    pub f(x) = x + f(x);
}

fn main() {}
