//!
//! Each layer owns its parameters and exposes a `forward` and a `backward` pass; the backward
//! pass *adds* the parameter gradients into buffers the caller owns (so they can be summed
//! over micro-batches; zero them before a step) and *overwrites* the input gradient.
//!
//! - [`Prelu`](crate::layers::Prelu): PReLU with one slope or one slope per channel, on flat
//!   slices. The elementwise math is the generated
//!   [`standard::Prelu`](crate::standard::Prelu), not a second copy.
//! - [`Maxout`](crate::layers::Maxout): `k` affine pieces and their maximum, on [`ndarray`]
//!   matrices.
//!
//! `ndarray` is re-exported here so a caller uses the same version as the layer's signatures.

mod maxout;
mod prelu;

pub use maxout::{Maxout, MaxoutGrad};
pub use prelu::Prelu;

/// The `ndarray` crate that [`Maxout`]'s signatures use, re-exported so callers need not pin
/// a matching version themselves.
pub use ndarray;
