//! `bulkflow`: parse, call the library, exit with its code.

fn main() -> std::process::ExitCode {
    let code = match bulkflow::app::main() {
        Ok(()) => bulkflow::ExitCode::Ok,
        Err(failure) => failure.exit_code(),
    };
    code.into()
}
