//! A TCP relay between the pool and the test server that can go silent, the way a
//! NAT gateway or RDS Proxy looks to a Lambda container thawed after they dropped
//! its connections: the sockets stay open on our side, writes are accepted, and
//! nothing ever comes back. New connections are relayed as usual.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// One relayed connection: whether it has gone silent.
struct Link {
    silent: AtomicBool,
}

pub struct Relay {
    pub port: u16,
    links: Arc<std::sync::Mutex<Vec<Arc<Link>>>>,
    from_clients: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Relays 127.0.0.1:`port` to `upstream` (host:port).
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let links = Arc::new(std::sync::Mutex::new(Vec::new()));
        let from_clients = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn({
            let links = Arc::clone(&links);
            let from_clients = Arc::clone(&from_clients);
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let server = TcpStream::connect(&upstream)
                        .await
                        .expect("reach the server");
                    let link = Arc::new(Link {
                        silent: AtomicBool::new(false),
                    });
                    links.lock().unwrap().push(Arc::clone(&link));
                    let (client_in, client_out) = client.into_split();
                    let (server_in, server_out) = server.into_split();
                    tokio::spawn(pump(
                        client_in,
                        server_out,
                        Arc::clone(&link),
                        Some(Arc::clone(&from_clients)),
                    ));
                    tokio::spawn(pump(server_in, client_out, link, None));
                }
            }
        });
        Self {
            port,
            links,
            from_clients,
            task,
        }
    }

    /// Every connection open now stops carrying anything, in both directions,
    /// without being closed.
    pub fn silence_open_connections(&self) {
        for link in self.links.lock().unwrap().iter() {
            link.silent.store(true, Ordering::SeqCst);
        }
    }

    /// Bytes clients sent that reached the server so far.
    pub fn bytes_from_clients(&self) -> usize {
        self.from_clients.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    link: Arc<Link>,
    counter: Option<Arc<AtomicUsize>>,
) {
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if link.silent.load(Ordering::SeqCst) {
            continue; // swallowed: the socket stays open, nothing arrives
        }
        if let Some(counter) = &counter {
            counter.fetch_add(n, Ordering::SeqCst);
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
