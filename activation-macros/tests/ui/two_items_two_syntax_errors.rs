use activation_runtime::activation;

activation! {
    pub f(x) = x +;
    pub g(x) = (x * 2;);
}

fn main() {}
