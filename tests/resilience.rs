//! A slow or idle client cannot starve the others: connections that never finish their headers, and bodies that
//! never arrive, do not keep the server from answering everyone else.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::TestServer;

#[tokio::test]
async fn stalled_clients_do_not_block_other_requests() {
    let server = TestServer::start();
    let mut stalled = Vec::new();
    for i in 0..200 {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        if i % 2 == 0 {
            // Half send a partial request line and stop.
            stream.write_all(b"POST / HTTP/1.1\r\nhost: x\r\n").unwrap();
        } else {
            // Half promise a body and never send it.
            stream.write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\nx-amz-target: TrentService.ListKeys\r\n\r\n{").unwrap();
        }
        stalled.push(stream);
    }
    let kms = server.client();
    let started = Instant::now();
    for _ in 0..20 {
        kms.list_keys().send().await.unwrap();
    }
    assert!(started.elapsed() < Duration::from_secs(5), "other clients were served promptly: {:?}", started.elapsed());
    drop(stalled);
}
