//! The TLS accept loop both listeners share, and how its connections plug into axum
//! ([`TlsListener`]) and tonic ([`incoming`]).
//!
//! TCP connections are accepted in one task; each handshake runs in a task of its own, under
//! [`HANDSHAKE_TIMEOUT`]. Finished connections, with the name their client certificate
//! carries, queue on a channel the server reads. Dropping the receiving end (the server
//! stopped) ends the loop and closes the socket.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::{client_name, TlsConfig};

/// The longest a client may take to complete the TLS handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections handshaken but not yet taken by the server.
const QUEUE: usize = 64;

/// Who is on the other end of a TLS connection.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    /// The name in the client's verified certificate ([`client_name`]), if it sent one.
    pub(crate) name: Option<String>,
}

/// One established TLS connection.
pub(crate) struct TlsConn {
    stream: TlsStream<TcpStream>,
    peer: Peer,
}

/// Accept TCP connections on `listener` and complete TLS handshakes with `server`, counting
/// failures in `tls`. `what` names the listener in logs.
pub(crate) fn spawn(
    listener: TcpListener,
    server: Arc<ServerConfig>,
    tls: TlsConfig,
    what: &'static str,
) -> mpsc::Receiver<TlsConn> {
    let (tx, rx) = mpsc::channel(QUEUE);
    let acceptor = TlsAcceptor::from(server);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = tx.closed() => return,
                accepted = listener.accept() => accepted,
            };
            let (tcp, remote) = match accepted {
                Ok(conn) => conn,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::error!(listener = what, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let (acceptor, tx, tls) = (acceptor.clone(), tx.clone(), tls.clone());
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let name = stream
                            .get_ref()
                            .1
                            .peer_certificates()
                            .and_then(|chain| chain.first())
                            .and_then(|leaf| client_name(leaf));
                        let peer = Peer { name };
                        let _ = tx.send(TlsConn { stream, peer }).await;
                    }
                    Ok(Err(e)) => {
                        tls.count_failure();
                        tracing::debug!(listener = what, %remote, error = %e, "TLS handshake failed");
                    }
                    Err(_) => {
                        tls.count_failure();
                        tracing::debug!(listener = what, %remote, "TLS handshake timed out");
                    }
                }
            });
        }
    });
    rx
}

/// Errors that concern one connection only.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// The handshaken connections as the stream tonic serves.
pub(crate) fn incoming(
    conns: mpsc::Receiver<TlsConn>,
) -> impl Stream<Item = Result<TlsConn, io::Error>> + Send + 'static {
    futures::stream::unfold(conns, |mut conns| async move {
        conns.recv().await.map(|conn| (Ok(conn), conns))
    })
}

/// The handshaken connections as an axum listener; each connection's [`Peer`] stands in for
/// its address (handlers read it as `ConnectInfo<Peer>`).
pub(crate) struct TlsListener(pub(crate) mpsc::Receiver<TlsConn>);

impl axum::serve::Listener for TlsListener {
    type Io = TlsConn;
    type Addr = Peer;

    async fn accept(&mut self) -> (TlsConn, Peer) {
        match self.0.recv().await {
            Some(conn) => {
                let peer = conn.peer.clone();
                (conn, peer)
            }
            // The accept loop only ends once this listener is dropped.
            None => std::future::pending().await,
        }
    }

    /// Axum only uses this for its logs; the server knows the bound address.
    fn local_addr(&self) -> io::Result<Peer> {
        Ok(Peer { name: None })
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, TlsListener>) -> Peer {
        stream.remote_addr().clone()
    }
}

impl tonic::transport::server::Connected for TlsConn {
    type ConnectInfo = Peer;

    fn connect_info(&self) -> Peer {
        self.peer.clone()
    }
}

impl AsyncRead for TlsConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
