use activation_runtime::activation;

activation! {
    pub f(x) x;
}

fn main() {}
