use activation_runtime::activation;

activation! {
    pub exp(x) = x * 2;
}

fn main() {}
