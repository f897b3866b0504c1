//! SQLite only (a full disk under the database file). Storage faults: a full disk answers JSON 503s, leaves no partial rows, and the server recovers
//! when space comes back. (A read-only remount is refused by the kernel while SQLite holds the
//! files open for writing, and root ignores file modes, so the full disk is the fault we inject.) Mounting a tmpfs needs root, so these are ignored
//! in a plain `cargo test`; CI (root) runs them with `--ignored`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::helpers::{assert_error, Req, TestApp, PASSWORD};

/// A tiny tmpfs, unmounted on drop.
struct TinyDisk {
    dir: tempfile::TempDir,
}

impl TinyDisk {
    fn new(size: &str) -> TinyDisk {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "mounting a tmpfs needs root");
        TinyDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk with one file; returns its path.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let chunk = vec![0u8; 64 * 1024];
        let mut f = std::fs::File::create(&filler).unwrap();
        while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
        let _ = f.sync_all();
        filler
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

async fn signup(app: &TestApp, name: &str) -> crate::helpers::Resp {
    let body = json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD});
    app.post("/api/auth/signup", &Req::default(), body).await
}

#[rocket::async_test]
#[ignore = "needs root to mount a tmpfs; CI runs it with --ignored"]
async fn a_full_disk_fails_writes_cleanly_and_recovers() {
    let disk = TinyDisk::new("2m");
    let db = disk.path().join("full.db");
    let app = TestApp::with(|f| f.merge(("database", &db))).await;
    let (token, _) = app.signup("ann").await;
    let users_before = app.count("SELECT count(*) FROM users").await;

    let filler = disk.fill();
    // Several writes, so that at least one needs new pages in the WAL or the file.
    let mut failures = 0;
    for i in 0..40 {
        let r = signup(&app, &format!("bulk{i}")).await;
        match r.status {
            201 => {}
            503 => {
                assert_error(&r, 503, "internal");
                assert!(r.body["error"]["requestId"].is_string());
                failures += 1;
            }
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert!(failures > 0, "the disk never filled up");
    assert_eq!(app.get("/api/users/me", &Req::bearer(&token)).await.status, 200, "reads keep working");

    std::fs::remove_file(filler).unwrap();
    let r = signup(&app, "after").await;
    assert_eq!(r.status, 201, "recovers once space is back: {}", r.body);
    let users = app.count("SELECT count(*) FROM users").await;
    let bulk_ok: i64 = 40 - failures;
    assert_eq!(users, users_before + bulk_ok + 1, "no partial or phantom rows");
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(app.sqlite().0).await.unwrap();
    assert_eq!(check, "ok");
}
