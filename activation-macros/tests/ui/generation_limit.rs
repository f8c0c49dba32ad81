use activation_runtime::activation;

// Each level doubles the graph after inlining: the first five derive, the sixth stops at a
// limit of the generator, an error at its name instead of a compile that never ends.
activation! {
    pub f0(x) = tanh(x) * sigmoid(x);
    pub f1(x) = f0(f0(x)) + x;
    pub f2(x) = f1(f1(x)) + x;
    pub f3(x) = f2(f2(x)) + x;
    pub f4(x) = f3(f3(x)) + x;
    pub f5(x) = f4(f4(x)) + x;
}

fn main() {
    let _ = F4::default();
}
