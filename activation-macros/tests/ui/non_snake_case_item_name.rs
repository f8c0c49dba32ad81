use activation_runtime::activation;

activation! {
    pub LeakyRelu(x) = x;
}

fn main() {}
