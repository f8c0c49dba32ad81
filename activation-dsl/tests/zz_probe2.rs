use activation_dsl::Module;
#[test]
fn probe2() {
    let s = activation_dsl::standard::SOURCE
        .replace("pub sigmoid(x)", "pub logistic(x)")
        .replace("pub tanh(x)", "pub tanh_act(x)")
        .replace("pub softplus(x;", "pub softplus_beta(x;");
    let t = std::time::Instant::now();
    let m = Module::new(&s).unwrap();
    println!("valid: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    for it in &m.file.items {
        for v in [0.0, f64::INFINITY, f64::NEG_INFINITY] {
            let _ = m.eval(&it.name.name, &vec![v; it.inputs.len()], &[]);
        }
    }
    println!("eval: {:?}", t.elapsed());
    let broken = s.replacen("= x * sigmoid(x);", "= x * sigmoid(x;", 1);
    let t = std::time::Instant::now();
    let e = Module::new(&broken).unwrap_err();
    println!(
        "broken: {:?} {:?}",
        t.elapsed(),
        e.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
    let broken = s.replacen("= x * sigmoid(x);", "= x * sigmoid(x));", 1);
    let t = std::time::Instant::now();
    let e = Module::new(&broken).unwrap_err();
    println!(
        "broken2: {:?} {:?}",
        t.elapsed(),
        e.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
}
