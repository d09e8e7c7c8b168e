//! `bulkflow`: parse, call the library, exit with its code.

fn main() {
    std::process::exit(bulkflow::app::main());
}
