use activation_runtime::activation;

activation! {
    pub f(x; a = x) = a * x;
}

fn main() {}
