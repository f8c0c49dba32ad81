use activation_runtime::activation;

activation! {
    pub f(x) = if x > 0 { x };
}

fn main() {}
