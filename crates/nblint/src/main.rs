use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let terminal = nblint::Terminal {
        stdout_is_terminal: stdout.is_terminal(),
        stderr_is_terminal: stderr.is_terminal(),
        color: stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    // Standard error is not locked for the run: the progress bar draws on it from the lint
    // threads.
    let status = nblint::run(
        std::env::args_os(),
        &mut stdout.lock(),
        &mut std::io::stderr(),
        terminal,
    );
    ExitCode::from(status)
}
