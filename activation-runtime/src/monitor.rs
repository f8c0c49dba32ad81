//!
//! Both monitors read a batch laid out as a flat, row-major `[batch, units]` slice (one sample
//! per row, one unit per column), either the pre-activations `z` (through
//! [`Activation::derivative`]) or the outputs `y = f(z)` (through
//! [`OutputDerivative::derivative_from_output`]), and keep per-unit tallies over a pass until
//! `reset`. They are generic over the activation, so the standard set and any type made by
//! `activation!` work alike.
//!
//! Cost: one pass over the batch, `O(batch * units)` derivative evaluations at most, and no
//! allocation after construction, so they can run every step.
//!
//! [`Activation::derivative`]: crate::Activation::derivative
//! [`OutputDerivative::derivative_from_output`]: crate::OutputDerivative::derivative_from_output

use crate::{Activation, Float, OutputDerivative};

fn check_units(what: &str, units: usize) {
    assert!(units > 0, "{what}: needs at least one unit");
}

fn check_batch(what: &str, len: usize, units: usize) {
    assert!(
        len % units == 0,
        "{what}: batch length {len} is not a multiple of units = {units}"
    );
}

/// Which units were never active over a pass: a unit is *active* on a sample where the
/// activation's derivative is nonzero (for ReLU: `z > 0`, equivalently `y > 0`), and *dead* if
/// it was active on no sample observed since the last [`reset`](DeadUnits::reset). A dead unit
/// passes no gradient to its weights, so SGD cannot revive it.
///
/// With an activation whose derivative is never zero (LeakyRelu, ELU, …) no unit is ever dead.
///
/// ```
/// use activation_runtime::monitor::DeadUnits;
/// use activation_runtime::standard::Relu;
///
/// // 2 samples of 4 units; units 1, 2 and 3 are never positive.
/// let z = [0.5_f32, -1.0, 0.0, -3.0, /* sample 1 */ -2.0, -0.5, -1.0, 0.0];
/// let mut dead = DeadUnits::new(Relu, 4);
/// dead.observe(&z);
/// assert_eq!(dead.fraction_dead(), 0.75);
/// assert!(!dead.is_dead(0) && dead.is_dead(1));
///
/// dead.observe_outputs(&[0.0_f32, 0.0, 0.0, 2.0]); // a later batch: unit 3 fires
/// assert_eq!(dead.dead_count(), 2);
///
/// dead.reset(); // the start of the next pass
/// assert_eq!(dead.rows_seen(), 0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DeadUnits<A> {
    activation: A,
    alive: Vec<bool>,
    rows: usize,
}

impl<A> DeadUnits<A> {
    /// A monitor of `units` units of `activation`. Panics if `units` is zero.
    pub fn new(activation: A, units: usize) -> Self {
        check_units("DeadUnits::new", units);
        DeadUnits {
            activation,
            alive: vec![false; units],
            rows: 0,
        }
    }

    /// The activation being monitored.
    pub fn activation(&self) -> &A {
        &self.activation
    }

    /// The number of units (columns).
    pub fn units(&self) -> usize {
        self.alive.len()
    }

    /// The number of samples (rows) observed since the last reset.
    pub fn rows_seen(&self) -> usize {
        self.rows
    }

    /// Records a batch of pre-activations `z`, `[batch, units]` row-major: a unit becomes
    /// alive where `f'(z) != 0` (a NaN derivative counts as alive: it is not a zero gradient).
    ///
    /// Panics unless the length is a multiple of `units`.
    pub fn observe<T: Float>(&mut self, z: &[T])
    where
        A: Activation<T>,
    {
        let f = &self.activation;
        self.rows += mark_alive(&mut self.alive, "DeadUnits::observe", z, |z| {
            f.derivative(z) != T::ZERO
        });
    }

    /// Records a batch of outputs `y = f(z)`, `[batch, units]` row-major: a unit becomes alive
    /// where the derivative written from the output is nonzero (for ReLU: `y > 0`).
    ///
    /// Panics unless the length is a multiple of `units`.
    pub fn observe_outputs<T: Float>(&mut self, y: &[T])
    where
        A: OutputDerivative<T>,
    {
        let f = &self.activation;
        self.rows += mark_alive(&mut self.alive, "DeadUnits::observe_outputs", y, |y| {
            f.derivative_from_output(y) != T::ZERO
        });
    }

    /// Whether `unit` was active on no sample since the last reset. Panics if out of range.
    pub fn is_dead(&self, unit: usize) -> bool {
        !self.alive[unit]
    }

    /// The number of units never active since the last reset (0 before any sample).
    pub fn dead_count(&self) -> usize {
        if self.rows == 0 {
            return 0;
        }
        self.alive.iter().filter(|&&a| !a).count()
    }

    /// The fraction of units never active since the last reset; `0.0` before any sample
    /// (nothing observed, nothing known to be dead).
    pub fn fraction_dead(&self) -> f64 {
        self.dead_count() as f64 / self.alive.len() as f64
    }

    /// Starts a new pass: forgets every observation.
    pub fn reset(&mut self) {
        self.alive.fill(false);
        self.rows = 0;
    }
}

/// Marks the units of each row where `active` holds; returns the number of rows. Units already
/// alive are skipped, so a pass gets cheaper as units come alive.
fn mark_alive<T: Copy>(
    alive: &mut [bool],
    what: &str,
    batch: &[T],
    active: impl Fn(T) -> bool,
) -> usize {
    check_batch(what, batch.len(), alive.len());
    for row in batch.chunks_exact(alive.len()) {
        for (a, &v) in alive.iter_mut().zip(row) {
            if !*a && active(v) {
                *a = true;
            }
        }
    }
    batch.len() / alive.len()
}

/// How saturated units are: a value is *saturated* where `|f'| < threshold` (for sigmoid and
/// tanh, far out on either tail, where almost no gradient passes). Counts, per unit, the
/// samples on which it was saturated since the last [`reset`](SaturatedUnits::reset).
///
/// [`fraction_saturated`](SaturatedUnits::fraction_saturated) is the share of units saturated
/// on every sample of the pass; [`fraction_saturated_values`](SaturatedUnits::fraction_saturated_values)
/// the share of all observed values, a smoother signal for a single step.
///
/// ```
/// use activation_runtime::monitor::SaturatedUnits;
/// use activation_runtime::standard::Sigmoid;
///
/// // sigmoid'(0) = 0.25, sigmoid'(±10) ≈ 4.5e-5.
/// let mut sat = SaturatedUnits::new(Sigmoid, 4, 0.01);
/// sat.observe(&[0.0_f64, 10.0, -10.0, 0.5]);
/// assert_eq!(sat.fraction_saturated(), 0.5);
/// sat.observe(&[0.0_f64, 10.0, 0.0, 0.5]); // unit 2 leaves the tail
/// assert_eq!(sat.fraction_saturated(), 0.25);
/// assert_eq!(sat.fraction_saturated_values(), 3.0 / 8.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SaturatedUnits<A> {
    activation: A,
    threshold: f64,
    saturated: Vec<u64>,
    rows: u64,
}

impl<A> SaturatedUnits<A> {
    /// A monitor of `units` units of `activation`, counting `|f'| < threshold` as saturated.
    /// Panics if `units` is zero.
    pub fn new(activation: A, units: usize, threshold: f64) -> Self {
        check_units("SaturatedUnits::new", units);
        SaturatedUnits {
            activation,
            threshold,
            saturated: vec![0; units],
            rows: 0,
        }
    }

    /// The activation being monitored.
    pub fn activation(&self) -> &A {
        &self.activation
    }

    /// The threshold on `|f'|`.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The number of units (columns).
    pub fn units(&self) -> usize {
        self.saturated.len()
    }

    /// The number of samples (rows) observed since the last reset.
    pub fn rows_seen(&self) -> u64 {
        self.rows
    }

    /// Records a batch of pre-activations `z`, `[batch, units]` row-major, testing
    /// `|f'(z)| < threshold`. Panics unless the length is a multiple of `units`.
    pub fn observe<T: Float>(&mut self, z: &[T])
    where
        A: Activation<T>,
    {
        let (f, t) = (&self.activation, T::from_f64(self.threshold));
        self.rows += count_saturated(&mut self.saturated, "SaturatedUnits::observe", z, |z| {
            f.derivative(z).abs() < t
        });
    }

    /// Records a batch of outputs `y = f(z)`, `[batch, units]` row-major, testing `|f'| <
    /// threshold` with the derivative written from the output (sigmoid: `y (1 - y)`, tanh:
    /// `1 - y^2`). Panics unless the length is a multiple of `units`.
    pub fn observe_outputs<T: Float>(&mut self, y: &[T])
    where
        A: OutputDerivative<T>,
    {
        let (f, t) = (&self.activation, T::from_f64(self.threshold));
        self.rows += count_saturated(
            &mut self.saturated,
            "SaturatedUnits::observe_outputs",
            y,
            |y| f.derivative_from_output(y).abs() < t,
        );
    }

    /// The share of the samples since the last reset on which `unit` was saturated (`0.0`
    /// before any sample). Panics if out of range.
    pub fn saturated_share(&self, unit: usize) -> f64 {
        if self.rows == 0 {
            return 0.0;
        }
        self.saturated[unit] as f64 / self.rows as f64
    }

    /// The fraction of units saturated on every sample since the last reset (`0.0` before any
    /// sample).
    pub fn fraction_saturated(&self) -> f64 {
        if self.rows == 0 {
            return 0.0;
        }
        let always = self.saturated.iter().filter(|&&c| c == self.rows).count();
        always as f64 / self.saturated.len() as f64
    }

    /// The fraction of all values observed since the last reset that were saturated (`0.0`
    /// before any sample).
    pub fn fraction_saturated_values(&self) -> f64 {
        if self.rows == 0 {
            return 0.0;
        }
        let total: u64 = self.saturated.iter().sum();
        total as f64 / (self.rows as f64 * self.saturated.len() as f64)
    }

    /// Starts a new pass: forgets every observation.
    pub fn reset(&mut self) {
        self.saturated.fill(0);
        self.rows = 0;
    }
}

/// Adds one to each unit's count on each row where `saturated` holds; returns the number of
/// rows.
fn count_saturated<T: Copy>(
    counts: &mut [u64],
    what: &str,
    batch: &[T],
    saturated: impl Fn(T) -> bool,
) -> u64 {
    check_batch(what, batch.len(), counts.len());
    for row in batch.chunks_exact(counts.len()) {
        for (c, &v) in counts.iter_mut().zip(row) {
            *c += u64::from(saturated(v));
        }
    }
    (batch.len() / counts.len()) as u64
}
