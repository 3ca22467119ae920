//! Helpers shared by the connector's integration tests.

use marionette_connector::{Backoff, BrokerAddr, Event, Settings};
use marionette_stomp::{Command, Frame};
use std::time::Duration;
use tokio::sync::mpsc;

/// The next MESSAGE, skipping other events; fails after 5 s without one.
pub async fn next_message(events: &mut mpsc::Receiver<Event>) -> Frame {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("event in time")
            .expect("connector alive")
        {
            Event::Frame(f) if f.command == Command::Message => return f,
            _ => {}
        }
    }
}

/// Settings for `brokers` with a short connect timeout and fast retries.
pub fn settings(brokers: Vec<BrokerAddr>) -> Settings {
    let mut s = Settings::new(brokers);
    s.connect_timeout = Duration::from_secs(2);
    s.backoff = Backoff {
        initial: Duration::from_millis(10),
        multiplier: 2.0,
        max: Duration::from_millis(200),
    };
    s
}
