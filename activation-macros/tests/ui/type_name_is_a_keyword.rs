use activation_runtime::activation;

activation! {
    pub self_(x) = x;
}

fn main() {}
