// Rebuild when a migration is added or changed: `sqlx::migrate!` embeds both folders.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
