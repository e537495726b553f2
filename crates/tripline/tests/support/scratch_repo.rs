//! A scratch HOME and work dir for one agent CLI run: the work dir holds a `build/`
//! directory to delete and a `.env` carrying the fake AWS key ([`super::planted::AWS_KEY`]).

use std::path::PathBuf;

use tempfile::TempDir;

use super::planted::AWS_KEY;

/// The `.env` file the scenarios read.
pub fn dot_env_text() -> String {
    format!("AWS_ACCESS_KEY_ID={AWS_KEY}\nAPP_MODE=dev\n")
}

/// A fresh HOME and work dir under one temp dir.
pub struct ScratchRepo {
    dir: TempDir,
}

impl ScratchRepo {
    /// Creates `home/` and `work/` (with `README.md`, `build/app.o` and `.env`).
    pub fn new(prefix: &str) -> ScratchRepo {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("temp dir");
        let repo = ScratchRepo { dir };
        std::fs::create_dir_all(repo.home()).expect("create home");
        std::fs::create_dir_all(repo.work().join("build")).expect("create work/build");
        std::fs::write(repo.work().join("README.md"), "# scratch repo\n").unwrap();
        std::fs::write(repo.work().join("build/app.o"), "object\n").unwrap();
        std::fs::write(repo.work().join(".env"), dot_env_text()).unwrap();
        repo
    }

    /// The fake `$HOME`.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The directory the CLI works in.
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Whether `build/` is still there (the destructive scenarios delete it).
    pub fn build_dir_exists(&self) -> bool {
        self.work().join("build").exists()
    }
}
