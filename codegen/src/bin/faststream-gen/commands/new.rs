//! `faststream-gen new`: a service crate from a spec.

use std::path::PathBuf;
use std::process::ExitCode;

use faststream_gen::scaffold::Broker;

use crate::args::LoadArgs;

pub(crate) fn run(
    name: String,
    spec: PathBuf,
    broker: Broker,
    checked_in: bool,
    local: Option<PathBuf>,
    dir: Option<PathBuf>,
    load: &LoadArgs,
) -> Result<ExitCode, String> {
    use faststream_gen::scaffold::{Generation, NewService};
    let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
    let new = NewService {
        name,
        spec,
        broker,
        generation: if checked_in {
            Generation::CheckedIn
        } else {
            Generation::BuildScript
        },
        local,
        load: load.options(),
    };
    let files = faststream_gen::scaffold::scaffold(&new, &dir)?;
    eprintln!(
        "created `{}` ({} files): cd {} && cargo test",
        new.name,
        files.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
