//! The monitors from the outside, on crafted batches whose answer is known.

use activation_runtime::activation;
use activation_runtime::monitor::{DeadUnits, SaturatedUnits};
use activation_runtime::standard::{Elu, LeakyRelu, Relu, Sigmoid, Tanh};

activation! {
    /// A user activation with a flat region: zero gradient below 0.
    pub squared_relu(x) = if x > 0 { x^2 } else { 0 };
}

/// `[batch 3, units 4]`: unit 0 is positive once, units 1–3 never (unit 2 touches 0, where
/// relu'(0) = 0).
const Z: [f64; 12] = [
    -1.0, -2.0, -0.5, -3.0, //
    0.7, -1.0, 0.0, -0.1, //
    -0.2, -4.0, -1e-9, -2.0,
];

#[test]
fn three_of_four_relu_units_dead_from_pre_activations() {
    let mut dead = DeadUnits::new(Relu, 4);
    dead.observe(&Z);
    assert_eq!(dead.rows_seen(), 3);
    assert_eq!(dead.dead_count(), 3);
    assert_eq!(dead.fraction_dead(), 0.75);
    assert_eq!(
        (0..4).map(|u| dead.is_dead(u)).collect::<Vec<_>>(),
        [false, true, true, true]
    );
}

#[test]
fn three_of_four_relu_units_dead_from_outputs() {
    let y: Vec<f32> = Z.iter().map(|&z| z.max(0.0) as f32).collect();
    let mut dead = DeadUnits::new(Relu, 4);
    dead.observe_outputs(&y);
    assert_eq!(dead.fraction_dead(), 0.75);
}

#[test]
fn a_unit_alive_in_any_batch_of_the_pass_is_alive() {
    let mut dead = DeadUnits::new(Relu, 4);
    dead.observe(&Z);
    dead.observe(&[-1.0_f64, -1.0, -1.0, 2.0]);
    assert_eq!(dead.fraction_dead(), 0.5);
    assert_eq!(dead.rows_seen(), 4);
}

#[test]
fn reset_starts_a_new_pass() {
    let mut dead = DeadUnits::new(Relu, 4);
    dead.observe(&[1.0_f64, 1.0, 1.0, 1.0]);
    assert_eq!(dead.fraction_dead(), 0.0);
    dead.reset();
    assert_eq!((dead.rows_seen(), dead.fraction_dead()), (0, 0.0));
    dead.observe(&Z);
    assert_eq!(dead.fraction_dead(), 0.75);
}

#[test]
fn nothing_observed_nothing_dead() {
    let mut dead = DeadUnits::new(Relu, 4);
    assert_eq!(dead.fraction_dead(), 0.0);
    dead.observe::<f64>(&[]);
    assert_eq!((dead.rows_seen(), dead.fraction_dead()), (0, 0.0));
}

#[test]
fn leaky_relu_and_elu_units_never_die() {
    let mut leaky = DeadUnits::new(LeakyRelu::default(), 4);
    leaky.observe(&Z);
    assert_eq!(leaky.fraction_dead(), 0.0);
    let mut elu = DeadUnits::new(Elu::default(), 4);
    elu.observe(&Z);
    assert_eq!(elu.fraction_dead(), 0.0);
}

#[test]
fn a_user_activation_works() {
    let mut dead = DeadUnits::new(SquaredRelu, 4);
    dead.observe(&Z);
    assert_eq!(dead.fraction_dead(), 0.75);
    assert_eq!(dead.activation(), &SquaredRelu);
}

#[test]
#[should_panic(expected = "DeadUnits::observe: batch length 6 is not a multiple of units = 4")]
fn dead_units_reject_a_ragged_batch() {
    DeadUnits::new(Relu, 4).observe(&[0.0_f64; 6]);
}

#[test]
#[should_panic(expected = "DeadUnits::new: needs at least one unit")]
fn dead_units_reject_zero_units() {
    DeadUnits::new(Relu, 0);
}

/// sigmoid'(z) at z = 0, ±2, ±6, ±10: 0.25, 0.105, 0.0025, 4.5e-5.
const SIG_Z: [f64; 5] = [0.0, 2.0, -6.0, 10.0, -10.0];

#[test]
fn saturated_sigmoid_units_at_crafted_inputs() {
    let mut sat = SaturatedUnits::new(Sigmoid, 5, 0.01);
    sat.observe(&SIG_Z);
    assert_eq!(sat.fraction_saturated(), 0.6);
    assert_eq!(sat.fraction_saturated_values(), 0.6);
    assert_eq!(sat.saturated_share(0), 0.0);
    assert_eq!(sat.saturated_share(2), 1.0);

    // The threshold decides: at 1e-3 only ±10 are saturated.
    let mut strict = SaturatedUnits::new(Sigmoid, 5, 1e-3);
    strict.observe(&SIG_Z);
    assert_eq!(strict.fraction_saturated(), 0.4);
}

#[test]
fn saturated_sigmoid_from_outputs_matches_pre_activations() {
    let y: Vec<f32> = SIG_Z
        .iter()
        .map(|&z| (1.0 / (1.0 + (-z).exp())) as f32)
        .collect();
    let mut sat = SaturatedUnits::new(Sigmoid, 5, 0.01);
    sat.observe_outputs(&y);
    assert_eq!(sat.fraction_saturated(), 0.6);
}

#[test]
fn saturated_tanh_over_a_pass() {
    // tanh'(z) = 1 - tanh(z)^2: 1 at 0, 0.07 at ±2, 1.8e-4 at ±5.
    let mut sat = SaturatedUnits::new(Tanh, 3, 0.01);
    sat.observe(&[0.0_f64, 5.0, -5.0, /* row 1 */ 2.0, -5.0, 0.0]);
    // Unit 1 is saturated on both rows, unit 2 on one of two, unit 0 on none.
    assert_eq!(sat.rows_seen(), 2);
    assert_eq!(sat.fraction_saturated(), 1.0 / 3.0);
    assert_eq!(sat.fraction_saturated_values(), 0.5);
    assert_eq!(sat.saturated_share(2), 0.5);

    let y: Vec<f64> = [0.0_f64, 5.0, -5.0, 2.0, -5.0, 0.0]
        .iter()
        .map(|z| z.tanh())
        .collect();
    let mut from_y = SaturatedUnits::new(Tanh, 3, 0.01);
    from_y.observe_outputs(&y);
    assert_eq!(from_y, sat);

    sat.reset();
    assert_eq!((sat.rows_seen(), sat.fraction_saturated()), (0, 0.0));
}

#[test]
fn relu_dead_regions_count_as_saturated() {
    let mut sat = SaturatedUnits::new(Relu, 4, 1e-12);
    sat.observe(&Z);
    assert_eq!(sat.fraction_saturated(), 0.75);
}

#[test]
#[should_panic(
    expected = "SaturatedUnits::observe_outputs: batch length 7 is not a multiple of units = 5"
)]
fn saturated_units_reject_a_ragged_batch() {
    SaturatedUnits::new(Sigmoid, 5, 0.01).observe_outputs(&[0.5_f32; 7]);
}
