use activation_runtime::activation;

activation! {
    pub fn(x) = x;
}

fn main() {}
