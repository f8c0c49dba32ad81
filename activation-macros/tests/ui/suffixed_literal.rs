use activation_runtime::activation;

activation! {
    pub f(x) = 1.0f32 * x;
}

fn main() {}
