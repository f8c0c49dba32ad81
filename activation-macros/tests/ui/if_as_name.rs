use activation_runtime::activation;

activation! {
    pub if(x) = x;
}

fn main() {}
