//! The result folder, written atomically.
//!
//! Files are written into a hidden temporary folder beside the final one and the
//! folder is renamed into place only when everything succeeded. A run that fails
//! (or is interrupted) leaves the previous result untouched and no complete-looking
//! partial folder; the temporary folder is removed when the writer is dropped.
//!
//! A process killed outright (SIGINT, SIGKILL) cannot remove its temporary
//! folder: `.NAME.partial-PID` stays behind, hidden and clearly unfinished. The
//! next run of the same name removes every such folder whose process is gone
//! (on Linux, where `/proc` tells; elsewhere they are left alone). The pid
//! appears only in these folder names, never in a result file.

use crate::error::{Error, Result};
use std::fs;
use std::path::{Path, PathBuf};

pub struct OutputDir {
    final_path: PathBuf,
    tmp_path: PathBuf,
    committed: bool,
}

impl OutputDir {
    /// Prepares `root/name`. `name` must be a plain folder name (the scenario
    /// validator guarantees it), never a path.
    pub fn create(root: &Path, name: &str) -> Result<OutputDir> {
        if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\']) {
            return Err(Error::Internal(format!(
                "unsafe output folder name `{name}`"
            )));
        }
        fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
        remove_stale(root, name);
        let tmp_path = root.join(format!(".{name}.partial-{}", std::process::id()));
        if tmp_path.exists() {
            fs::remove_dir_all(&tmp_path).map_err(|e| Error::io(&tmp_path, e))?;
        }
        fs::create_dir(&tmp_path).map_err(|e| Error::io(&tmp_path, e))?;
        Ok(OutputDir {
            final_path: root.join(name),
            tmp_path,
            committed: false,
        })
    }

    /// Where a file of this result is written while the result is incomplete.
    pub fn path(&self, file: &str) -> PathBuf {
        self.tmp_path.join(file)
    }

    pub fn write(&self, file: &str, contents: impl AsRef<[u8]>) -> Result<()> {
        let p = self.path(file);
        fs::write(&p, contents).map_err(|e| Error::io(&p, e))
    }

    /// The folder the result will have once committed.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Moves the finished result into place, replacing an earlier one.
    pub fn commit(mut self) -> Result<PathBuf> {
        let old = self.final_path.with_file_name(format!(
            ".{}.old-{}",
            self.final_path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
            std::process::id()
        ));
        if self.final_path.exists() {
            fs::rename(&self.final_path, &old).map_err(|e| Error::io(&self.final_path, e))?;
        }
        fs::rename(&self.tmp_path, &self.final_path).map_err(|e| Error::io(&self.final_path, e))?;
        self.committed = true;
        if old.exists() {
            fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        Ok(self.final_path.clone())
    }
}

/// Removes `.NAME.partial-PID` and `.NAME.old-PID` folders left by processes
/// that no longer run (an `.old` one only when the result it was replaced by
/// exists). Best effort: a folder that cannot be removed is left.
fn remove_stale(root: &Path, name: &str) {
    let proc_fs = Path::new("/proc/self");
    if !proc_fs.exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    let ours = std::process::id().to_string();
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = file.strip_prefix('.').and_then(|f| f.strip_prefix(name)) else {
            continue;
        };
        let pid = match (rest.strip_prefix(".partial-"), rest.strip_prefix(".old-")) {
            (Some(pid), _) => pid,
            (None, Some(pid)) if root.join(name).is_dir() => pid,
            _ => continue,
        };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) || pid == ours {
            continue;
        }
        if !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_result_leaves_nothing_and_keeps_the_old_one() {
        let root = std::env::temp_dir().join(format!("netsim-out-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let first = OutputDir::create(&root, "x").unwrap();
        first.write("a.txt", "old").unwrap();
        first.commit().unwrap();
        {
            let second = OutputDir::create(&root, "x").unwrap();
            second.write("a.txt", "new").unwrap();
            // dropped without commit: a failed run
        }
        assert_eq!(fs::read_to_string(root.join("x/a.txt")).unwrap(), "old");
        assert_eq!(
            fs::read_dir(&root).unwrap().count(),
            1,
            "no partial folder left behind"
        );
        let third = OutputDir::create(&root, "x").unwrap();
        third.write("a.txt", "new").unwrap();
        third.commit().unwrap();
        assert_eq!(fs::read_to_string(root.join("x/a.txt")).unwrap(), "new");
        assert!(OutputDir::create(&root, "../escape").is_err());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn refuses_names_that_are_not_one_plain_folder() {
        let root = std::env::temp_dir().join(format!("netsim-out-names-{}", std::process::id()));
        for name in ["", ".", "..", "../x", "/abs", "a/b", "a\\b", ".hidden"] {
            assert!(OutputDir::create(&root, name).is_err(), "accepted `{name}`");
        }
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn removes_temporary_folders_of_dead_processes_only() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let root = std::env::temp_dir().join(format!("netsim-out-stale-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        // pid 4194304 is above Linux's largest (2^22): never a live process.
        let dead = root.join(".x.partial-4194304");
        let alive = root.join(format!(".x.partial-{}", std::process::id()));
        let other = root.join(".y.partial-4194304");
        for d in [&dead, &other] {
            fs::create_dir_all(d).unwrap();
        }
        let out = OutputDir::create(&root, "x").unwrap();
        assert!(!dead.exists(), "a dead process's partial folder is removed");
        assert!(
            alive.exists(),
            "this run's own folder is the one being written"
        );
        assert!(other.exists(), "another scenario's folders are left alone");
        drop(out);
        fs::remove_dir_all(&root).unwrap();
    }
}
