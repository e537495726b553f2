//! Getting messages to the collector: one UDP datagram per message (RFC 5426), or a TCP or
//! TLS stream with octet-counting framing (`LEN SP MSG`, RFC 6587 section 3.4.1; RFC 5425
//! for TLS).
//!
//! A stream is opened on first use and kept. Before each batch it is checked for a peer
//! that has closed it (so a collector restart does not swallow the next batch into a dead
//! socket), and any I/O error drops it and reports [`SendError::Retry`]; the next send
//! reconnects.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use crate::sink::SendError;

/// How the sink reaches the collector.
#[derive(Clone)]
pub enum Transport {
    /// RFC 5426 datagrams.
    Udp,
    /// RFC 6587 octet-counted TCP.
    Tcp,
    /// RFC 5425 TLS.
    Tls {
        /// The TLS client configuration (roots, client certificate).
        config: Arc<ClientConfig>,
        /// The name the server's certificate must carry.
        server_name: ServerName<'static>,
    },
}

impl Transport {
    /// The name used in `transport = "..."`.
    pub fn name(&self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls { .. } => "tls",
        }
    }
}

/// The TLS client configuration: trust anchors from `ca_file` (PEM), and a client
/// certificate chain and key (PEM) when the collector asks for one.
pub fn tls_config(ca_file: &Path, client: Option<(&Path, &Path)>) -> Result<ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca_file)
        .map_err(|e| format!("ca_file {}: {e}", ca_file.display()))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("ca_file {}: {e}", ca_file.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("ca_file {}: {e}", ca_file.display()))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "ca_file {}: no PEM certificate in it",
            ca_file.display()
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    match client {
        None => Ok(builder.with_no_client_auth()),
        Some((cert_file, key_file)) => {
            let chain = CertificateDer::pem_file_iter(cert_file)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("client_cert_file {}: {e}", cert_file.display()))?;
            if chain.is_empty() {
                return Err(format!(
                    "client_cert_file {}: no PEM certificate in it",
                    cert_file.display()
                ));
            }
            let key = PrivateKeyDer::from_pem_file(key_file)
                .map_err(|e| format!("client_key_file {}: {e}", key_file.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("client_cert_file/client_key_file: {e}"))
        }
    }
}

/// The host part of `host:port` or `[v6]:port`.
pub fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

/// A connection to one collector, opened lazily and reopened after errors.
pub struct Sender {
    transport: Transport,
    address: String,
    timeout: Duration,
    conn: Option<Conn>,
}

fn retry(what: &str, address: &str, e: impl std::fmt::Display) -> SendError {
    SendError::retry(format!("{what} {address}: {e}"))
}

impl Sender {
    /// A sender to `address` over `transport`, with this I/O timeout.
    pub fn new(transport: Transport, address: String, timeout: Duration) -> Sender {
        Sender {
            transport,
            address,
            timeout,
            conn: None,
        }
    }

    /// Sends every message, in order. `Err` drops the connection: the caller retries the
    /// whole batch, so the collector may see some messages twice (at least once).
    pub fn send_all(&mut self, messages: &[Vec<u8>]) -> Result<(), SendError> {
        let result = self.try_send_all(messages);
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    fn try_send_all(&mut self, messages: &[Vec<u8>]) -> Result<(), SendError> {
        if self.conn.as_mut().is_some_and(|conn| !alive(conn)) {
            self.conn = None;
        }
        if self.conn.is_none() {
            self.conn = Some(self.connect()?);
        }
        let address = self.address.clone();
        match self.conn.as_mut() {
            Some(Conn::Udp(socket)) => {
                for message in messages {
                    socket
                        .send(message)
                        .map_err(|e| retry("udp send to", &address, e))?;
                }
                Ok(())
            }
            Some(Conn::Tcp(stream)) => {
                write_framed(stream, messages).map_err(|e| retry("tcp write to", &address, e))
            }
            Some(Conn::Tls(stream)) => write_framed(stream.as_mut(), messages)
                .map_err(|e| retry("tls write to", &address, e)),
            None => Err(SendError::retry("no connection")),
        }
    }

    fn resolve(&self) -> Result<Vec<SocketAddr>, SendError> {
        let addrs: Vec<SocketAddr> = self
            .address
            .to_socket_addrs()
            .map_err(|e| retry("resolving", &self.address, e))?
            .collect();
        if addrs.is_empty() {
            return Err(retry("resolving", &self.address, "no address"));
        }
        Ok(addrs)
    }

    fn connect(&self) -> Result<Conn, SendError> {
        let addrs = self.resolve()?;
        if let Transport::Udp = self.transport {
            let target = addrs[0];
            let local: SocketAddr = if target.is_ipv4() {
                ([0, 0, 0, 0], 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            let socket =
                UdpSocket::bind(local).map_err(|e| retry("udp bind for", &self.address, e))?;
            socket
                .connect(target)
                .map_err(|e| retry("udp connect to", &self.address, e))?;
            return Ok(Conn::Udp(socket));
        }
        let mut last = None;
        let mut tcp = None;
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, self.timeout) {
                Ok(stream) => {
                    tcp = Some(stream);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let tcp = tcp.ok_or_else(|| {
            retry(
                "connecting to",
                &self.address,
                last.map_or_else(|| "no address".into(), |e| e.to_string()),
            )
        })?;
        tcp.set_write_timeout(Some(self.timeout))
            .map_err(|e| retry("configuring", &self.address, e))?;
        tcp.set_read_timeout(Some(self.timeout))
            .map_err(|e| retry("configuring", &self.address, e))?;
        let _ = tcp.set_nodelay(true);
        match &self.transport {
            Transport::Tls {
                config,
                server_name,
            } => {
                let conn = ClientConnection::new(config.clone(), server_name.clone())
                    .map_err(|e| retry("tls setup for", &self.address, e))?;
                let mut stream = StreamOwned::new(conn, tcp);
                while stream.conn.is_handshaking() {
                    stream
                        .conn
                        .complete_io(&mut stream.sock)
                        .map_err(|e| retry("tls handshake with", &self.address, e))?;
                }
                if stream.conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3) {
                    server_verdict(&mut stream, self.timeout)
                        .map_err(|e| retry("tls handshake with", &self.address, e))?;
                }
                Ok(Conn::Tls(Box::new(stream)))
            }
            _ => Ok(Conn::Tcp(tcp)),
        }
    }

    /// Pushes buffered stream bytes to the kernel (a no-op for UDP).
    pub fn flush(&mut self) -> Result<(), SendError> {
        let result = match self.conn.as_mut() {
            Some(Conn::Tcp(stream)) => stream.flush(),
            Some(Conn::Tls(stream)) => stream.flush(),
            _ => Ok(()),
        };
        result.map_err(|e| {
            self.conn = None;
            retry("flushing to", &self.address, e)
        })
    }
}

/// How long to wait, after a TLS 1.3 handshake, for the server's answer to our certificate.
const VERDICT_WAIT: Duration = Duration::from_millis(500);

/// In TLS 1.3 the client's handshake ends before the server has checked the client's
/// certificate (or its absence), so a refusal only arrives afterwards, as an alert. Waits
/// briefly for the server's first records (session tickets, or that alert), so a refused
/// certificate fails the connect instead of silently swallowing the first batch.
fn server_verdict(
    stream: &mut StreamOwned<ClientConnection, TcpStream>,
    timeout: Duration,
) -> io::Result<()> {
    stream
        .sock
        .set_read_timeout(Some(VERDICT_WAIT.min(timeout)))?;
    let result = match stream.conn.read_tls(&mut stream.sock) {
        Ok(0) => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection after the handshake",
        )),
        Ok(_) => stream
            .conn
            .process_new_packets()
            .map(|_| ())
            .map_err(io::Error::other),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    };
    stream.sock.set_read_timeout(Some(timeout))?;
    result
}

/// Writes `LEN SP MSG` for each message in one buffer.
fn write_framed(stream: &mut impl Write, messages: &[Vec<u8>]) -> io::Result<()> {
    let mut buf = Vec::with_capacity(messages.iter().map(|m| m.len() + 8).sum());
    for message in messages {
        buf.extend_from_slice(message.len().to_string().as_bytes());
        buf.push(b' ');
        buf.extend_from_slice(message);
    }
    stream.write_all(&buf)?;
    stream.flush()
}

/// Whether a kept stream is still usable: the peer has not closed it and it has no error
/// pending. For TLS, whatever records arrived (session tickets, a close_notify, an alert)
/// are processed first.
fn alive(conn: &mut Conn) -> bool {
    match conn {
        Conn::Udp(_) => true,
        Conn::Tcp(stream) => {
            if stream.set_nonblocking(true).is_err() {
                return false;
            }
            // EOF or an error: dead. Nothing to read, or bytes a collector chose to send: alive.
            let mut byte = [0u8; 1];
            let ok = match stream.peek(&mut byte) {
                Ok(n) => n > 0,
                Err(e) => e.kind() == io::ErrorKind::WouldBlock,
            };
            ok && stream.set_nonblocking(false).is_ok()
        }
        Conn::Tls(stream) => {
            if stream.sock.set_nonblocking(true).is_err() {
                return false;
            }
            let mut ok = true;
            loop {
                match stream.conn.read_tls(&mut stream.sock) {
                    Ok(0) => {
                        ok = false;
                        break;
                    }
                    Ok(_) => match stream.conn.process_new_packets() {
                        Ok(state) if state.peer_has_closed() => {
                            ok = false;
                            break;
                        }
                        Ok(state) => {
                            // Drain any plaintext so rustls' buffer never fills up.
                            let mut sink = vec![0u8; state.plaintext_bytes_to_read()];
                            let _ = stream.conn.reader().read(&mut sink);
                        }
                        Err(_) => {
                            ok = false;
                            break;
                        }
                    },
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
            }
            ok && stream.sock.set_nonblocking(false).is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_part() {
        assert_eq!(host_of("collector.example:6514"), "collector.example");
        assert_eq!(host_of("[::1]:6514"), "::1");
        assert_eq!(host_of("127.0.0.1:514"), "127.0.0.1");
    }
}
