//! Writing output files: the only place the crate writes to the file
//! system. Every write is atomic (a temporary file in the same folder,
//! then a rename), so a failed run never leaves a half-written file, and a
//! file whose content is unchanged is not touched.

use std::io::Write as _;
use std::path::Path;

/// Writes `content` to `path` atomically. Returns `false` when the file
/// already held exactly this content (and was left alone).
pub fn write_atomic(path: &Path, content: &[u8]) -> std::io::Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == content) {
        return Ok(false);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_skips_unchanged() {
        let dir = std::env::temp_dir().join(format!("fsg-write-{}", std::process::id()));
        let path = dir.join("out.yaml");
        assert!(write_atomic(&path, b"a: 1\n").unwrap());
        assert!(!write_atomic(&path, b"a: 1\n").unwrap());
        assert!(write_atomic(&path, b"a: 2\n").unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a: 2\n");
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn failed_write_leaves_old_file() {
        let dir = std::env::temp_dir().join(format!("fsg-write-fail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // The target is a non-empty directory: the rename must fail.
        let target = dir.join("taken");
        std::fs::create_dir_all(target.join("inner")).unwrap();
        assert!(write_atomic(&target, b"x").is_err());
        assert!(target.join("inner").is_dir());
        let leftovers = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count();
        assert_eq!(leftovers, 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
