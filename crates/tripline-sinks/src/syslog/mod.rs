//! The `syslog` sink: RFC 5424 messages over UDP, TCP or TLS, with the record's JSON body
//! or a CEF:0 line as MSG. Reference: `docs/sinks/syslog.md`.
//!
//! * [`rfc5424`]: PRI, header, structured data, truncation.
//! * [`cef`]: the CEF payload.
//! * [`transport`]: UDP datagrams, octet-counted TCP/TLS streams, reconnects.

pub mod cef;
pub mod rfc5424;
pub mod transport;

use std::path::PathBuf;

use serde::Deserialize;

use crate::record_fields::RecordFields;
use crate::sink::{parse_options, BuildContext, BuildError, Outcome, Record, SendError, Sink};
use rfc5424::Header;
use transport::{Sender, Transport};

const KIND: &str = "syslog";

/// Largest UDP payload over IPv4.
const UDP_MAX: usize = 65_507;
/// Largest message a stream transport will send.
const STREAM_MAX: usize = 1 << 20;
/// RFC 5424 section 6.1: every receiver accepts 480 octets.
const MIN_MESSAGE: usize = 480;

/// `[[sinks]]` options of type `syslog`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    /// `host:port` of the collector.
    address: String,
    /// `udp` (default), `tcp` or `tls`.
    #[serde(default = "default_transport")]
    transport: String,
    /// Facility name (`local0` .. `local7`, `user`, `auth`, ...) or code 0-23.
    #[serde(default = "default_facility")]
    facility: String,
    /// MSG: `json` (the formatted record) or `cef`.
    #[serde(default = "default_payload")]
    payload: String,
    /// HOSTNAME; default the machine's host name.
    #[serde(default)]
    hostname: Option<String>,
    /// APP-NAME.
    #[serde(default = "default_app_name")]
    app_name: String,
    /// The SD-ID of the structured-data element.
    #[serde(default = "default_sd_id")]
    sd_id: String,
    /// Longest message in bytes; default 8192 for UDP, 65536 for TCP and TLS.
    #[serde(default)]
    max_message_bytes: Option<usize>,
    /// Connect and write timeout, e.g. `10s`.
    #[serde(default = "default_timeout")]
    timeout: String,
    /// TLS: PEM file of the CA certificates that sign the collector's certificate.
    #[serde(default)]
    ca_file: Option<PathBuf>,
    /// TLS: PEM certificate chain to present when the collector asks for one.
    #[serde(default)]
    client_cert_file: Option<PathBuf>,
    /// TLS: PEM private key of `client_cert_file`.
    #[serde(default)]
    client_key_file: Option<PathBuf>,
    /// TLS: the name to verify in the collector's certificate; default the host of `address`.
    #[serde(default)]
    server_name: Option<String>,
}

fn default_transport() -> String {
    "udp".into()
}
fn default_facility() -> String {
    "local0".into()
}
fn default_payload() -> String {
    "json".into()
}
fn default_app_name() -> String {
    "tripline".into()
}
fn default_sd_id() -> String {
    rfc5424::DEFAULT_SD_ID.into()
}
fn default_timeout() -> String {
    "10s".into()
}

/// What MSG carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payload {
    Json,
    Cef,
}

/// A syslog sink.
pub struct SyslogSink {
    name: String,
    header: Header,
    payload: Payload,
    max_message_bytes: usize,
    sender: Sender,
}

/// Builds a syslog sink from its `[[sinks]]` options.
pub fn build(ctx: &BuildContext, options: &toml::Table) -> Result<Box<dyn Sink>, BuildError> {
    Ok(Box::new(SyslogSink::new(ctx, options)?))
}

/// The machine's host name, or `-` when it cannot be read.
fn system_hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into the buffer we own.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "-".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

impl SyslogSink {
    /// A syslog sink from its `[[sinks]]` options.
    pub fn new(ctx: &BuildContext, options: &toml::Table) -> Result<SyslogSink, BuildError> {
        let opts: Options = parse_options(ctx, KIND, options)?;
        let err = |message: String| BuildError {
            sink: ctx.name.clone(),
            kind: KIND,
            message,
        };
        let facility = rfc5424::facility_code(&opts.facility).ok_or_else(|| {
            err(format!(
                "facility {:?}: expected a name ({}) or a code 0-23",
                opts.facility,
                rfc5424::facility_names()
            ))
        })?;
        let payload = match opts.payload.as_str() {
            "json" => Payload::Json,
            "cef" => Payload::Cef,
            other => {
                return Err(err(format!(
                    "payload {other:?}: expected \"json\" or \"cef\""
                )))
            }
        };
        if !opts.address.contains(':') {
            return Err(err(format!(
                "address {:?}: expected host:port",
                opts.address
            )));
        }
        let timeout = tripline_store::duration::parse_duration(&opts.timeout)
            .map_err(|e| err(format!("timeout: {e}")))?;
        if timeout.is_zero() {
            return Err(err("timeout: must be more than 0".into()));
        }
        let tls_only = [
            ("ca_file", opts.ca_file.is_some()),
            ("client_cert_file", opts.client_cert_file.is_some()),
            ("client_key_file", opts.client_key_file.is_some()),
            ("server_name", opts.server_name.is_some()),
        ];
        let transport = match opts.transport.as_str() {
            "udp" | "tcp" => {
                if let Some((field, _)) = tls_only.iter().find(|(_, set)| *set) {
                    return Err(err(format!(
                        "{field} is only used with transport = \"tls\""
                    )));
                }
                if opts.transport == "udp" {
                    Transport::Udp
                } else {
                    Transport::Tcp
                }
            }
            "tls" => {
                let ca_file = opts.ca_file.as_deref().ok_or_else(|| {
                    err("transport \"tls\" needs ca_file (PEM CA certificates)".into())
                })?;
                let client = match (&opts.client_cert_file, &opts.client_key_file) {
                    (Some(cert), Some(key)) => Some((cert.as_path(), key.as_path())),
                    (None, None) => None,
                    _ => {
                        return Err(err(
                            "client_cert_file and client_key_file go together".into()
                        ))
                    }
                };
                let config = transport::tls_config(ca_file, client).map_err(err)?;
                let name = opts
                    .server_name
                    .clone()
                    .unwrap_or_else(|| transport::host_of(&opts.address).to_owned());
                let server_name = rustls::pki_types::ServerName::try_from(name.clone())
                    .map_err(|e| err(format!("server_name {name:?}: {e}")))?;
                Transport::Tls {
                    config: std::sync::Arc::new(config),
                    server_name,
                }
            }
            other => {
                return Err(err(format!(
                    "transport {other:?}: expected \"udp\", \"tcp\" or \"tls\""
                )))
            }
        };
        let (default_max, limit) = match transport {
            Transport::Udp => (8192, UDP_MAX),
            _ => (65_536, STREAM_MAX),
        };
        let max_message_bytes = opts.max_message_bytes.unwrap_or(default_max);
        if !(MIN_MESSAGE..=limit).contains(&max_message_bytes) {
            return Err(err(format!(
                "max_message_bytes {max_message_bytes}: must be between {MIN_MESSAGE} and {limit} for transport {:?}",
                transport.name()
            )));
        }
        let hostname = opts.hostname.clone().unwrap_or_else(system_hostname);
        Ok(SyslogSink {
            name: ctx.name.clone(),
            header: Header::new(facility, &hostname, &opts.app_name, &opts.sd_id),
            payload,
            max_message_bytes,
            sender: Sender::new(transport, opts.address, timeout),
        })
    }

    /// The message bytes (without transport framing) for one record.
    pub fn message(&self, record: &Record) -> Result<Vec<u8>, SendError> {
        let fields = RecordFields::of(record);
        let msg = match self.payload {
            Payload::Json => serde_json::to_string(&record.body)
                .map_err(|e| SendError::fatal(format!("record {}: {e}", record.id)))?,
            Payload::Cef => cef::line(record, &fields),
        };
        Ok(rfc5424::message(
            &self.header,
            record,
            &fields,
            &msg,
            self.max_message_bytes,
        ))
    }
}

impl Sink for SyslogSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        KIND
    }

    fn send(&mut self, batch: &[Record]) -> Result<Outcome, SendError> {
        let messages = batch
            .iter()
            .map(|r| self.message(r))
            .collect::<Result<Vec<_>, _>>()?;
        self.sender.send_all(&messages)?;
        Ok(Outcome::all_delivered())
    }

    fn flush(&mut self) -> Result<(), SendError> {
        self.sender.flush()
    }
}
