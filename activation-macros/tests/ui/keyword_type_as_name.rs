use activation_runtime::activation;

activation! {
    pub f(type) = type * 2;
}

fn main() {}
