use activation_runtime::activation;

activation! {
    pub f(x) = if 0 < x < 1 { x } else { 0 };
}

fn main() {}
