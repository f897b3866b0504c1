//! Times one argon2id hash at the configured cost, through the server's own hashing pool (the
//! same code and reused memory a login uses), for the benchmark suite's hashing ceiling:
//! ceiling = cores / this time. The configuration is read as the server reads it (Rocket.toml,
//! then `STOCKROOM_*`), so the cost is the one being benchmarked.
//!
//!   cargo bench --bench hash_cost [-- SAMPLES]
//!
//! Prints one JSON object: {"hash_ms", "samples_ms", "memory_kib", "iterations", "parallelism"}.

use std::time::Instant;

use stockroom::auth::password::Hasher;
use stockroom::config::{figment, Config, Overrides};

#[rocket::main]
async fn main() {
    let samples: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(30);
    let config = Config::from_figment(&figment(&Overrides::default())).unwrap_or_else(|e| {
        eprintln!("configuration: {e}");
        std::process::exit(2);
    });
    let hasher = Hasher::new(&config);
    // The first hash on each thread faults its memory in; a server pays that once, not per login.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for _ in 0..2 {
        let warm_ups: Vec<_> = (0..cores).map(|_| hasher.hash("warm-up")).collect();
        for result in futures::future::join_all(warm_ups).await {
            result.expect("hashing");
        }
    }
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples.max(1) {
        let start = Instant::now();
        hasher.hash("correct horse battery staple").await.expect("hashing");
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let samples_ms: Vec<String> = times.iter().map(|t| format!("{t:.3}")).collect();
    println!(
        "{{\"hash_ms\": {median:.3}, \"samples_ms\": [{}], \"memory_kib\": {}, \"iterations\": {}, \"parallelism\": {}}}",
        samples_ms.join(", "),
        config.argon2_memory_kib,
        config.argon2_iterations,
        config.argon2_parallelism
    );
}
