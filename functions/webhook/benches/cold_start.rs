//! Benchmark: cold start of the webhook Lambda binary and its size.
//!
//! Cold start here is the time from spawning the process until it asks the Lambda
//! Runtime API for its first event, i.e. until it is ready to serve. A local
//! stand-in for the Runtime API records that moment; no network leaves loopback.
//! Run: `cargo bench -p webhook --bench cold_start` (builds the release binary).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let binary = env!("CARGO_BIN_EXE_webhook");
    let size = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
    let mut samples: Vec<Duration> = (0..15).map(|_| cold_start(binary)).collect();
    samples.sort();
    println!(
        "webhook cold start (spawn → first Runtime API poll): median {:.1} ms, min {:.1} ms, max {:.1} ms; binary {:.1} MiB (host target)",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        size as f64 / (1024.0 * 1024.0)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn cold_start(binary: &str) -> Duration {
    let runtime_api = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = runtime_api.local_addr().expect("address");
    let start = Instant::now();
    let mut child = Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "webhook")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("TWILIO_AUTH_TOKEN", "bench-auth-token")
        .env(
            "PUBLIC_BASE_URL",
            "https://abc123.execute-api.us-east-1.amazonaws.com",
        )
        .env("DATABASE_URL", "postgres://bench@127.0.0.1:9/bench")
        .env(
            "INBOUND_QUEUE_URL",
            "http://127.0.0.1:9/000000000000/inbound.fifo",
        )
        .env("IDEMPOTENCY_TABLE", "bench")
        .env("RUST_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the webhook binary");
    let (stream, _) = runtime_api
        .accept()
        .expect("the binary polls the Runtime API");
    let mut first_line = String::new();
    BufReader::new(&stream)
        .read_line(&mut first_line)
        .expect("request line");
    let elapsed = start.elapsed();
    assert!(
        first_line.contains("/runtime/invocation/next"),
        "unexpected first request: {first_line}"
    );
    let _ = child.kill();
    let _ = child.wait();
    elapsed
}
