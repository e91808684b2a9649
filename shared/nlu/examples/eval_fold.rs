//! Intent accuracy of `understand` on one fold of the dev sets
//! (`smsbot_nlu::model::fold`): `cargo run --release --example eval_fold -- 1`.
fn main() {
    let k: u8 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/nlu");
    let (mut n, mut ok) = (0, 0);
    for f in ["sgd-train.jsonl", "hasd-dev.jsonl"] {
        let text = std::fs::read_to_string(dir.join(f)).expect("corpus");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("json");
            let id = v["id"].as_str().unwrap_or_default();
            let Some(intents) = v["expect"]["intents"].as_array() else {
                continue;
            };
            if smsbot_nlu::model::fold(id) != k {
                continue;
            }
            let tz: chrono_tz::Tz = v["timezone"].as_str().unwrap_or("UTC").parse().expect("tz");
            let now = smsbot_nlu::eval::parse_now(v["now"].as_str().unwrap_or_default(), tz)
                .expect("now");
            let u = smsbot_nlu::understand(v["text"].as_str().unwrap_or_default(), now);
            n += 1;
            if intents
                .iter()
                .any(|i| i.as_str() == Some(u.intent.as_str()))
            {
                ok += 1;
            }
        }
    }
    println!(
        "fold {k}: {ok}/{n} = {:.2}%",
        100.0 * ok as f64 / n.max(1) as f64
    );
}
