use activation_runtime::activation;

activation! {
    pub f(x; a = 1, a = 2) = a * x;
}

fn main() {}
