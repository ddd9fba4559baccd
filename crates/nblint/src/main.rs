use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let terminal = nblint::Terminal {
        stdout_is_terminal: stdout.is_terminal(),
        color: stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let status = nblint::run(
        std::env::args_os(),
        &mut stdout.lock(),
        &mut stderr.lock(),
        terminal,
    );
    ExitCode::from(status)
}
