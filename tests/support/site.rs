//! A scratch document root for stage 07: a temporary folder holding
//! `www/`, the folder the server serves, and beside it `secret.txt`, which
//! no request may reach. Removed when dropped. The stage's own tests, its
//! exercises and its breaks all build their sites with it.

use crate::Server;
use std::path::{Path, PathBuf};

/// What `secret.txt`, outside the document root, holds: seen in an
/// answer, it is a leak.
pub const SECRET: &str = "secret\n";

/// The time every file written by [`Site::file`] was last modified, so
/// that `Last-Modified` and `ETag` are the same in every run.
const MODIFIED_SECS: u64 = 1_700_000_000;

pub struct Site {
    top: PathBuf,
}

impl Site {
    /// An empty `www/` and `secret.txt`, in a folder of the system's
    /// temporary folder named after `name` and this process.
    pub fn new(name: &str) -> Site {
        let top = std::env::temp_dir().join(format!("workbook-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        std::fs::create_dir_all(top.join("www")).unwrap();
        std::fs::write(top.join("secret.txt"), SECRET).unwrap();
        Site { top }
    }

    /// The folder that holds `www/` and `secret.txt`.
    pub fn top(&self) -> &Path {
        &self.top
    }

    /// The document root, `www/`.
    pub fn root(&self) -> PathBuf {
        self.top.join("www")
    }

    /// Writes `contents` to `path` in `www/`, its folders made as needed,
    /// last modified at a fixed time.
    pub fn file(&self, path: &str, contents: impl AsRef<[u8]>) -> &Site {
        let path = self.root().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(MODIFIED_SECS);
        file.set_modified(time).unwrap();
        self
    }

    /// Makes the folder `path` in `www/`.
    pub fn dir(&self, path: &str) -> &Site {
        std::fs::create_dir_all(self.root().join(path)).unwrap();
        self
    }

    /// Makes `path` in `www/` a symbolic link to `to`.
    pub fn link(&self, path: &str, to: impl AsRef<Path>) -> &Site {
        std::os::unix::fs::symlink(to, self.root().join(path)).unwrap();
        self
    }

    /// `stage07_files 0 www`, then `extra` arguments.
    pub fn start(&self, extra: &[&str]) -> Server {
        let root = self.root().display().to_string();
        let mut args = vec!["0", root.as_str()];
        args.extend_from_slice(extra);
        Server::start("stage07_files", &args)
    }

    /// The names in `www/` and in its folders, hidden ones included,
    /// sorted: a folder's with a `/` after it, a link's with `@`.
    pub fn names(&self) -> Vec<String> {
        fn walk(dir: &Path, prefix: &str, names: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
                let kind = entry.file_type().unwrap();
                if kind.is_symlink() {
                    names.push(format!("{name}@"));
                } else if kind.is_dir() {
                    names.push(format!("{name}/"));
                    walk(&entry.path(), &format!("{name}/"), names);
                } else {
                    names.push(name);
                }
            }
        }
        let mut names = Vec::new();
        walk(&self.root(), "", &mut names);
        names.sort();
        names
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.top);
    }
}
