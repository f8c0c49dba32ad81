use activation_runtime::activation;

activation! {
    pub f(x) = if x { 1 } else { 0 };
}

fn main() {}
