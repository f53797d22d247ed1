// Embedded migrations (`sqlx::migrate!`) must be rebuilt when their SQL changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
