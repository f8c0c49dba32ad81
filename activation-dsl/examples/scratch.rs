fn main() {
    let m = activation_dsl::standard::module();
    let name = std::env::args().nth(1).unwrap_or("elu".into());
    let idx = m.index_of(&name).unwrap();
    println!(
        "{}",
        activation_dsl::codegen::pretty(&activation_dsl::codegen::expand_item(m, idx))
    );
}
