//! SQLite backups (§11): the online copy (`stockroom backup`, and on a schedule), the check that
//! a file is a sound Stockroom database, and `stockroom restore`.
//!
//! "A server has the database open" is an advisory `flock` on the database file, shared by every
//! process that opens it through `Pools` and held as long as its pools live; restore takes it
//! exclusively. On Linux `flock` and SQLite's own POSIX locks never interact, and the kernel drops
//! the lock of a process that dies, so a crash never leaves the file "held".

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqlitePool};

use super::SQLITE_MIGRATOR;

/// Takes the shared lock that says this process has `path` open.
pub fn hold(path: &Path) -> io::Result<File> {
    let file = File::open(path)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!("{} is being restored; try again once the restore is done", path.display()),
        )),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

/// `VACUUM INTO`: a consistent, compact copy of the database as of one read transaction, taken
/// on a reader so writers carry on meanwhile.
pub async fn copy_into(read: &SqlitePool, out: &Path) -> Result<(), String> {
    let target = out.to_str().ok_or("the output path is not valid UTF-8")?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(read)
        .await
        .map_err(|e| format!("copying failed: {e}"))?;
    Ok(())
}

/// Refuses what is not a sound Stockroom database: not SQLite, failing `PRAGMA
/// integrity_check`, without Stockroom's migrations, or from a newer Stockroom.
pub async fn check_sound(path: &Path) -> Result<(), String> {
    let shown = path.display();
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .log_statements(tracing::log::LevelFilter::Trace);
    let mut c = opts.connect().await.map_err(|e| format!("{shown} cannot be opened: {e}"))?;
    let result = async {
        let not_sqlite = |e: sqlx::Error| format!("{shown} is not a SQLite database ({e})");
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('_sqlx_migrations', 'users', 'settings')",
        )
        .fetch_one(&mut c)
        .await
        .map_err(not_sqlite)?;
        let integrity: Vec<String> =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut c).await.map_err(not_sqlite)?;
        if integrity != ["ok"] {
            let first = integrity.first().cloned().unwrap_or_default();
            return Err(format!("{shown} fails the integrity check: {first}"));
        }
        if tables != 3 {
            return Err(format!("{shown} is a SQLite database but not a Stockroom one"));
        }
        let applied: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success = 1 ORDER BY version")
                .fetch_all(&mut c)
                .await
                .map_err(|e| format!("{shown} has no readable migration history: {e}"))?;
        for (version, checksum) in &applied {
            match SQLITE_MIGRATOR.iter().find(|m| m.version == *version) {
                Some(m) if m.checksum.as_ref() == checksum.as_slice() => {}
                Some(_) => return Err(format!("{shown} has a migration {version} that is not Stockroom's")),
                None => {
                    return Err(format!(
                        "{shown} was written by a newer Stockroom (schema version {version}); upgrade first"
                    ))
                }
            }
        }
        if applied.is_empty() {
            return Err(format!("{shown} is a SQLite database but not a Stockroom one"));
        }
        Ok(())
    }
    .await;
    let _ = c.close().await;
    result
}

/// Flushes `path` and the directory entry naming it to the disk.
fn sync(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// `FILE` + `suffix`, beside it.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Scheduled backups: `STEM-YYYYMMDDTHHMMSS.mmmZ.db` in `dir`, oldest removed beyond `keep`.
pub struct Schedule {
    pub dir: PathBuf,
    pub stem: String,
    pub keep: usize,
    pub every: Duration,
}

impl Schedule {
    fn name_at(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        format!("{}-{}.db", self.stem, at.format("%Y%m%dT%H%M%S%.3fZ"))
    }

    /// When the scheduled backup `path` was taken, from its name; none for other files.
    fn taken_at(&self, path: &Path) -> Option<chrono::NaiveDateTime> {
        let name = path.file_name()?.to_str()?;
        let time = name.strip_prefix(&self.stem)?.strip_prefix('-')?.strip_suffix("Z.db")?;
        chrono::NaiveDateTime::parse_from_str(time, "%Y%m%dT%H%M%S%.3f").ok()
    }

    /// The scheduled backups in `dir`, oldest first (the names sort by time).
    pub fn existing(&self) -> Vec<PathBuf> {
        let entries = fs::read_dir(&self.dir).into_iter().flatten().flatten();
        let mut found: Vec<PathBuf> =
            entries.map(|e| e.path()).filter(|p| self.taken_at(p).is_some()).collect();
        found.sort();
        found
    }

    /// How long until the next backup is due: one interval after the newest, so a restarted
    /// server neither skips one nor makes an extra.
    pub fn wait(&self) -> Duration {
        let Some(newest) = self.existing().pop().and_then(|p| self.taken_at(&p)) else {
            return Duration::ZERO;
        };
        let age = (chrono::Utc::now().naive_utc() - newest).to_std().unwrap_or(Duration::ZERO);
        self.every.saturating_sub(age)
    }

    /// One backup: copy to a temporary name, check it, fsync it, give it its name, then remove
    /// the oldest beyond `keep`. Answers the new file.
    pub async fn run_once(&self, read: &SqlitePool) -> Result<PathBuf, String> {
        fs::create_dir_all(&self.dir).map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let name = self.name_at(chrono::Utc::now());
        let (tmp, done) = (self.dir.join(format!(".{name}.partial")), self.dir.join(&name));
        let _ = fs::remove_file(&tmp);
        let outcome = async {
            copy_into(read, &tmp).await?;
            check_sound(&tmp).await?;
            sync(&tmp).map_err(|e| format!("fsync failed: {e}"))?;
            fs::rename(&tmp, &done).map_err(|e| format!("naming the backup failed: {e}"))?;
            sync(&done).map_err(|e| format!("fsync failed: {e}"))
        }
        .await;
        if let Err(e) = outcome {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        let all = self.existing();
        let extra = all.len().saturating_sub(self.keep);
        for old in &all[..extra] {
            if let Err(e) = fs::remove_file(old) {
                tracing::warn!("removing the old backup {} failed: {e}", old.display());
            }
        }
        Ok(done)
    }
}

/// `stockroom --db FILE restore BACKUP`: checks the backup, refuses while any process has
/// `FILE` open, keeps the current file as `FILE.before-restore`, and swaps the backup in with one
/// rename (a reader sees the old database or the new one, never a mix).
pub async fn restore(file: &Path, backup: &Path) -> Result<String, String> {
    if !backup.is_file() {
        return Err(format!("no backup at {}", backup.display()));
    }
    check_sound(backup).await?;
    let shown = file.display();
    let before = beside(file, ".before-restore");
    // Held until the swap is done, so no server starts on the file meanwhile.
    let lock = if file.exists() {
        let f = File::open(file).map_err(|e| format!("cannot open {shown}: {e}"))?;
        match f.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(format!("{shown} is open in a running Stockroom; stop the server first"))
            }
            Err(fs::TryLockError::Error(e)) => return Err(format!("cannot lock {shown}: {e}")),
        }
        // Fold the write-ahead log in, so FILE alone is the whole database.
        let mut c = SqliteConnectOptions::new()
            .filename(file)
            .connect()
            .await
            .map_err(|e| format!("cannot open {shown}: {e}"))?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut c)
            .await
            .map_err(|e| format!("checkpointing {shown} failed: {e}"))?;
        c.close().await.map_err(|e| format!("closing {shown} failed: {e}"))?;
        let _ = fs::remove_file(&before);
        fs::hard_link(file, &before)
            .or_else(|_| fs::copy(file, &before).map(drop))
            .map_err(|e| format!("keeping {} failed: {e}", before.display()))?;
        sync(&before).map_err(|e| format!("fsync failed: {e}"))?;
        Some(f)
    } else {
        None
    };
    let tmp = beside(file, ".restoring");
    let _ = fs::remove_file(&tmp);
    let swapped = async {
        fs::copy(backup, &tmp).map_err(|e| format!("copying {} failed: {e}", backup.display()))?;
        sync(&tmp).map_err(|e| format!("fsync failed: {e}"))?;
        check_sound(&tmp).await?;
        // A log left from the old file must never be replayed into the new one.
        for suffix in ["-wal", "-shm"] {
            match fs::remove_file(beside(file, suffix)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(format!("removing {suffix} failed: {e}"))
                }
                _ => {}
            }
        }
        fs::rename(&tmp, file).map_err(|e| format!("swapping the backup in failed: {e}"))?;
        sync(file).map_err(|e| format!("fsync failed: {e}"))
    }
    .await;
    if let Err(e) = swapped {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let kept = if lock.is_some() {
        format!(" The database it replaced is kept as {}.", before.display())
    } else {
        String::new()
    };
    Ok(format!("Restored {shown} from {}.{kept} Start the server to use it.", backup.display()))
}
