use activation_runtime::activation;

activation! {
    pub f(x) = ;
}

fn main() {}
