fn main() {
    let m = activation_dsl::standard::module();
    for (i, item) in m.file.items.iter().enumerate() {
        let d = activation_dsl::derive::derive_item(m, i, false);
        println!("{} = {}", item.name.name, d.graph.show(d.forward));
        for (k, di) in d.d_inputs.iter().enumerate() {
            println!("   d/d{} = {}", d.graph.inputs[k], d.graph.show(*di));
        }
        for (k, dp) in d.d_params.iter().enumerate() {
            println!("   d/d{} = {}", d.graph.params[k], d.graph.show(*dp));
        }
    }
}
