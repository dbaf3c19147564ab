//! `GET /metrics`: the service's counters in Prometheus's text exposition format (version 0.0.4).

use std::fmt::Write;

use trent_service::alarm::AttemptCount;

/// The content type Prometheus expects for this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// Renders the attempted uses of disabled or pending keys as the counter `trent_disabled_key_use_attempts_total`.
pub fn render(attempts: &[AttemptCount]) -> String {
    let mut out = String::from(
        "# HELP trent_disabled_key_use_attempts_total Attempted uses of keys that are disabled or pending deletion.\n\
         # TYPE trent_disabled_key_use_attempts_total counter\n",
    );
    for attempt in attempts {
        let _ = writeln!(
            out,
            "trent_disabled_key_use_attempts_total{{key_id=\"{}\",key_state=\"{}\",operation=\"{}\"}} {}",
            attempt.key_id, attempt.key_state, attempt.operation, attempt.count
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_count_is_one_labelled_sample_of_the_counter() {
        let attempts =
            [AttemptCount { key_id: "k".into(), key_state: "Disabled", operation: "Decrypt".into(), count: 3 }];
        let text = render(&attempts);
        assert!(text.starts_with("# HELP trent_disabled_key_use_attempts_total "));
        assert!(text.ends_with(
            "trent_disabled_key_use_attempts_total{key_id=\"k\",key_state=\"Disabled\",operation=\"Decrypt\"} 3\n"
        ));
    }
}
