use activation_runtime::activation;

activation! {
    pub f(x) = x * sigmoid;
}

fn main() {}
