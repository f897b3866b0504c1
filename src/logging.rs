//! Where log lines go: stderr, through a shared buffer that a background thread flushes every
//! 50 ms (and that is flushed at once when full, and at exit).
//!
//! Why not one write(2) per line, or a writer thread: on the cached product list, one write per
//! request line cost a measurable share of the throughput, and handing each line to a writer
//! thread (tracing-appender) cost more still on two cores, since every line then also wakes that
//! thread. Appending to a buffer under a mutex costs a copy; the syscalls come in batches.

use std::io::{self, BufWriter, Stderr, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

const BUFFER: usize = 64 * 1024;
const FLUSH_EVERY: Duration = Duration::from_millis(50);

#[derive(Clone)]
pub struct BufferedStderr(Arc<Mutex<BufWriter<Stderr>>>);

/// Flushes what is buffered when dropped: keep it alive until the process ends.
pub struct FlushOnDrop(BufferedStderr);

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        let _ = self.0.lock().flush();
    }
}

impl BufferedStderr {
    /// The writer, its periodic flusher thread, and the guard that flushes at exit.
    pub fn start() -> (BufferedStderr, FlushOnDrop) {
        let out = BufferedStderr(Arc::new(Mutex::new(BufWriter::with_capacity(BUFFER, io::stderr()))));
        let flusher = out.clone();
        std::thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || loop {
                std::thread::sleep(FLUSH_EVERY);
                let _ = flusher.lock().flush();
            })
            .expect("spawning the log flusher");
        (out.clone(), FlushOnDrop(out))
    }

    fn lock(&self) -> MutexGuard<'_, BufWriter<Stderr>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One event's writer: the buffer, locked for the event's line.
pub struct Line<'a>(MutexGuard<'a, BufWriter<Stderr>>);

impl Write for Line<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        // The flusher thread flushes; an event's own flush would be a syscall per line again.
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BufferedStderr {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Line<'a> {
        Line(self.lock())
    }
}
