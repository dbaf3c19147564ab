//! Keeping the cores' threads evenly loaded: each core accepts on its own `SO_REUSEPORT` listener, and the kernel
//! spreads new connections over the listeners by a hash of their addresses, so a run of 64 connections can land 40
//! on one core and 24 on the other. A core that accepts a connection while it serves more than another hands it,
//! before its first byte is read, to the core that serves the fewest; a request still never changes thread.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// A connection handed from one core to another, with its peer's address.
type Handed = (std::net::TcpStream, SocketAddr);

/// One core as the others see it: how many connections it serves and how to hand it one.
#[derive(Debug)]
struct Core {
    open: AtomicUsize,
    inbox: mpsc::UnboundedSender<Handed>,
}

impl Core {
    fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// One core's place among those serving a port: what it accepts and what it is handed.
#[derive(Debug)]
pub struct Seat {
    core: Arc<Core>,
    cores: Arc<[Arc<Core>]>,
    inbox: mpsc::UnboundedReceiver<Handed>,
}

/// Counts a connection as open on its core until dropped.
#[derive(Debug)]
pub struct Open(Arc<Core>);

impl Open {
    fn on(core: &Arc<Core>) -> Self {
        core.open.fetch_add(1, Ordering::Relaxed);
        Open(Arc::clone(core))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The seats of `count` cores serving one port, one for each.
pub fn seats(count: usize) -> Vec<Seat> {
    let (cores, inboxes): (Vec<_>, Vec<_>) = (0..count)
        .map(|_| {
            let (sender, inbox) = mpsc::unbounded_channel();
            (Arc::new(Core { open: AtomicUsize::new(0), inbox: sender }), inbox)
        })
        .unzip();
    let all: Arc<[Arc<Core>]> = cores.iter().cloned().collect();
    cores.into_iter().zip(inboxes).map(|(core, inbox)| Seat { core, cores: Arc::clone(&all), inbox }).collect()
}

impl Seat {
    /// Where a connection this core accepted is served: here (`Some`, counted as open here), or elsewhere (`None`):
    /// handed to the core serving the fewest when that is fewer than here, or closed when it could not be moved.
    pub fn place(&self, stream: TcpStream, peer: SocketAddr) -> Option<(TcpStream, Open)> {
        let least = self
            .cores
            .iter()
            .filter(|core| !core.inbox.is_closed())
            .min_by_key(|core| core.open())
            .filter(|least| !Arc::ptr_eq(least, &self.core) && least.open() < self.core.open());
        let Some(target) = least else {
            return Some((stream, Open::on(&self.core)));
        };
        // Leaving this core's reactor cannot fail for a stream it registered; if it does, the stream is closed.
        let stream = stream.into_std().ok()?;
        // Counted for the receiving core from now on, so that the next placement sees it (see `handed`).
        target.open.fetch_add(1, Ordering::Relaxed);
        match target.inbox.send((stream, peer)) {
            Ok(()) => None,
            Err(mpsc::error::SendError((stream, _))) => {
                // That core stopped taking connections since it was chosen: this one serves it after all.
                target.open.fetch_sub(1, Ordering::Relaxed);
                let stream = TcpStream::from_std(stream).ok()?;
                Some((stream, Open::on(&self.core)))
            }
        }
    }

    /// The next connection another core handed to this one, counted as open here (the core that handed it counted
    /// it for this one).
    pub async fn handed(&mut self) -> Option<(TcpStream, SocketAddr, Open)> {
        loop {
            let (stream, peer) = self.inbox.recv().await?;
            if let Some(handed) = self.take(stream, peer) {
                return Some(handed);
            }
        }
    }

    /// Stops taking connections from the other cores (they serve what they accept from now on) and returns those
    /// already handed to this one, to be served before it stops.
    pub fn stop_taking(&mut self) -> Vec<(TcpStream, SocketAddr, Open)> {
        self.inbox.close();
        let mut handed = Vec::new();
        while let Ok((stream, peer)) = self.inbox.try_recv() {
            handed.extend(self.take(stream, peer));
        }
        handed
    }

    /// A handed connection, registered with this core's reactor. Joining it fails only when the process is out of
    /// resources: the connection is then closed.
    fn take(&self, stream: std::net::TcpStream, peer: SocketAddr) -> Option<(TcpStream, SocketAddr, Open)> {
        let open = Open(Arc::clone(&self.core));
        TcpStream::from_std(stream).ok().map(|stream| (stream, peer, open))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn connected(listener: &tokio::net::TcpListener) -> (TcpStream, SocketAddr, TcpStream) {
        let address = listener.local_addr().unwrap();
        let client = TcpStream::connect(address).await.unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        (server, peer, client)
    }

    /// Opens `count` connections that `seat` accepts and places; returns the clients and those it serves itself.
    async fn placed(
        seat: &Seat,
        listener: &tokio::net::TcpListener,
        count: usize,
    ) -> (Vec<TcpStream>, Vec<(TcpStream, Open)>) {
        let (mut clients, mut served_here) = (Vec::new(), Vec::new());
        for _ in 0..count {
            let (server, peer, client) = connected(listener).await;
            clients.push(client);
            served_here.extend(seat.place(server, peer));
        }
        (clients, served_here)
    }

    #[tokio::test]
    async fn a_busier_core_hands_new_connections_to_the_least_loaded_until_they_are_even() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut seats = seats(2);
        // Core 0 accepts four: it keeps the first, hands the second, keeps the third, hands the fourth.
        let (_clients, served_here) = placed(&seats[0], &listener, 4).await;
        assert_eq!(served_here.len(), 2);
        let mut handed = Vec::new();
        for _ in 0..2 {
            handed.push(seats[1].handed().await.unwrap());
        }
        let all = Arc::clone(&seats[0].cores);
        let open = |core: usize| all.get(core).map(|c| c.open());
        assert_eq!((open(0), open(1)), (Some(2), Some(2)));
        // A closed connection no longer counts.
        drop(handed);
        assert_eq!((open(0), open(1)), (Some(2), Some(0)));
    }

    #[tokio::test]
    async fn a_core_that_stops_taking_gives_back_what_it_was_handed_and_is_handed_no_more() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut seats = seats(2);
        // Core 0 keeps one and hands one to core 1.
        let (_clients, served_here) = placed(&seats[0], &listener, 2).await;
        assert_eq!(served_here.len(), 1);
        // Core 1 stops: the connection it was handed is still its to serve, and counted on it.
        let given_back = seats[1].stop_taking();
        assert_eq!(given_back.len(), 1);
        // Core 0 now keeps everything, though core 1 serves fewer once that connection ends.
        drop(given_back);
        let (_more_clients, kept) = placed(&seats[0], &listener, 2).await;
        assert_eq!(served_here.len() + kept.len(), 3);
        let open: Vec<usize> = seats[0].cores.iter().map(|c| c.open()).collect();
        assert_eq!(open, [3, 0]);
    }

    #[tokio::test]
    async fn a_connection_for_a_core_that_is_gone_is_served_where_it_was_accepted() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut seats = seats(2);
        let gone = seats.pop();
        drop(gone);
        // The second connection would go to core 1, which serves fewer; it is gone, so core 0 serves both.
        let (_clients, served_here) = placed(&seats[0], &listener, 2).await;
        assert_eq!(served_here.len(), 2);
        let open: Vec<usize> = seats[0].cores.iter().map(|c| c.open()).collect();
        assert_eq!(open, [2, 0]);
    }
}
