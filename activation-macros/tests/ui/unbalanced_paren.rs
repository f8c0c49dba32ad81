use activation_runtime::activation;

activation! {
    pub f(x) = sigmoid(x + 1;);
}

fn main() {}
