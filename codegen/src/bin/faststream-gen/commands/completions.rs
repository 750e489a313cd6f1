//! `faststream-gen completions`: a shell completion script.

use std::process::ExitCode;

use crate::args::ShellArg;

pub(crate) fn run(shell: ShellArg, mut command: clap::Command) -> Result<ExitCode, String> {
    let shell = match shell {
        ShellArg::Bash => clap_complete::Shell::Bash,
        ShellArg::Zsh => clap_complete::Shell::Zsh,
        ShellArg::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(
        shell,
        &mut command,
        "faststream-gen",
        &mut std::io::stdout(),
    );
    Ok(ExitCode::SUCCESS)
}
