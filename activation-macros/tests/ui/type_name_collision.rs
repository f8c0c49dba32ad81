use activation_runtime::activation;

activation! {
    pub relu_6(x) = x;
    pub relu6(x) = 2 * x;
}

fn main() {}
