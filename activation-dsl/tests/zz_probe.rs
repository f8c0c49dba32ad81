// temporary probe; deleted before handing back
use activation_dsl::{diag::line_col, Module};
#[test]
fn probe() {
    let text = std::fs::read_to_string("/tmp/probe_cases.txt").unwrap();
    for case in text.split("\n====\n") {
        let src = case.trim_end_matches('\n');
        println!("#### {:?}", src.chars().take(200).collect::<String>());
        match Module::new(src) {
            Ok(_) => println!("  OK"),
            Err(ds) => {
                for d in ds {
                    let (l, c) = line_col(src, d.span.start);
                    println!(
                        "  {l}:{c} {:?} span={:?} label={:?}",
                        d.message,
                        src.get(d.span.start..d.span.end)
                            .map(|s| s.chars().take(60).collect::<String>()),
                        d.label
                    );
                }
            }
        }
    }
}
