//! Writes a fresh test CA and a server certificate for `localhost` and
//! `127.0.0.1` (`ca.pem`, `cert.pem`, `key.pem`) into a directory: `.ci/run`
//! serves the proxy over HTTPS with them to the official Python SDK.
//!
//! `cargo run --example test_certificates -- target/tls`

#[path = "../tests/common/certs.rs"]
mod certs;

fn main() -> std::io::Result<()> {
    let directory = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/tls".to_owned());
    std::fs::create_dir_all(&directory)?;
    let generated = certs::generate();
    for (name, text) in [
        ("ca.pem", &generated.ca),
        ("cert.pem", &generated.cert),
        ("key.pem", &generated.key),
    ] {
        std::fs::write(std::path::Path::new(&directory).join(name), text)?;
    }
    println!("{directory}/ca.pem, cert.pem, key.pem");
    Ok(())
}
