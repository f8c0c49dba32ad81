use activation_runtime::activation;

activation! {
    /// Correct: its type should be declared even though the next item has a syntax error.
    pub good(x; alpha = 0.5) = alpha * x;
    pub bad(x) = x +;
}

fn main() {
    let _ = Good::default().alpha;
    let _ = Bad;
}
