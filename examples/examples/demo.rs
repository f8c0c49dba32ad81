//! The first thing to run: define an activation as one line of mathematics and use what the
//! generator derives from it.
//!
//! ```text
//! cargo run --example demo
//! ```

use activation_runtime::standard::{Gelu, LeakyRelu, Sigmoid};
use activation_runtime::{activation, Activation, OutputDerivative, ParamGradient};

activation! {
    /// Softplus written the textbook way; the generator derives the rest.
    pub my_softplus(x) = ln(1 + exp(x));

    /// Swish with a learnable slope (Ramachandran et al., 2017).
    pub my_swish(x; beta = 1.0) = x * sigmoid(beta * x);

    /// An experiment: half GELU, half Mish, calling the standard set by name.
    pub my_mix(x; w = 0.5) = w * gelu(x) + (1 - w) * mish(x);
}

fn main() {
    println!("== my_swish, written as `{}`", MySwish::FORMULA);
    println!("   derivative d/dx      = {}", MySwish::DERIVATIVE);
    println!(
        "   derivative d/dbeta   = {}",
        MySwish::PARAM_DERIVATIVES[0]
    );
    let f = MySwish { beta: 1.5 };
    for x in [-2.0_f64, 0.0, 0.5, 3.0] {
        let (y, dy) = f.forward_derivative(x);
        let mut g = [0.0];
        f.param_gradient(x, &mut g);
        println!(
            "   x = {x:5}: f = {y:.6}, f' = {dy:.6}, df/dbeta = {:.6}",
            g[0]
        );
    }

    println!("\n== my_softplus, written as `{}`", MySoftplus::FORMULA);
    println!("   derivative       = {}", MySoftplus::DERIVATIVE);
    if let Some(h) = MySoftplus::OUTPUT_DERIVATIVE {
        println!("   from the output  = {h}");
    }

    println!("\n== my_mix = {}", MyMix::SIMPLIFIED);
    println!("   d/dx = {}", MyMix::DERIVATIVE);

    println!("\n== the standard set, with PyTorch's kink conventions");
    let leaky = LeakyRelu::default();
    println!(
        "   leaky_relu'(0) = {} (alpha, as PyTorch)",
        Activation::<f64>::derivative(&leaky, 0.0)
    );
    println!(
        "   sigmoid' from its output 0.25: {}",
        Sigmoid.derivative_from_output(0.25_f64)
    );
    println!("   gelu derivative: {}", Gelu::DERIVATIVE);

    // Slices: a forward and a backward pass over a batch, in f32.
    let x: Vec<f32> = (-4..=4).map(|i| i as f32 * 0.5).collect();
    let mut y = vec![0.0_f32; x.len()];
    Gelu.forward_slice(&x, &mut y);
    let dy = vec![1.0_f32; x.len()];
    let mut dx = vec![0.0_f32; x.len()];
    Gelu.backward_slice(&x, &dy, &mut dx);
    println!("\n   gelu over a slice: x  = {x:?}");
    println!(
        "                      y  = {:?}",
        y.iter()
            .map(|v| (v * 1e4).round() / 1e4)
            .collect::<Vec<_>>()
    );
    println!(
        "                      dx = {:?}",
        dx.iter()
            .map(|v| (v * 1e4).round() / 1e4)
            .collect::<Vec<_>>()
    );
    println!("\nNext: `cargo run --example inspect` prints the Rust generated for a formula (snapshots of the");
    println!("standard set's: activation-runtime/tests/generated/); `cargo run --release --example train`");
    println!("trains a network on handwritten digits with these activations and checks the textbook's claims.");
}
