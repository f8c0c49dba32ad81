use activation_runtime::activation;

activation! {
    pub f(x; alpha = 0.5) = x * alpah;
}

fn main() {}
