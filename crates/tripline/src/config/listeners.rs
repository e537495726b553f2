//! Mapping the config onto the receivers' listener settings.

use anyhow::Context;
use tripline_receive::{check_exposure, Auth, GrpcConfig, HttpConfig, Token};

use super::Config;

impl Config {
    /// The OTLP/HTTP and OTLP/gRPC listener settings, sharing one [`Auth`] and one TLS
    /// setup (and so one failure counter each). Refuses non-loopback addresses without
    /// tokens or mTLS unless `insecure` (the `--insecure` flag) or `auth.insecure` is set.
    pub fn listeners(&self, insecure: bool) -> anyhow::Result<(HttpConfig, GrpcConfig)> {
        let auth = self.receive_auth()?;
        let tls = self.tls.receive_config().map_err(anyhow::Error::msg)?;
        let insecure = insecure || self.auth.insecure;
        for addr in [self.server.http_addr, self.server.grpc_addr] {
            check_exposure(addr, &auth, tls.as_ref(), insecure)?;
        }
        let max = usize::try_from(self.limits.max_body_bytes)
            .context("limits.max_body_bytes is larger than this machine can address")?;
        let http = HttpConfig {
            addr: self.server.http_addr,
            max_body_bytes: max,
            auth: auth.clone(),
            tls: tls.clone(),
            ..HttpConfig::default()
        };
        let grpc = GrpcConfig {
            addr: self.server.grpc_addr,
            max_message_bytes: max,
            auth,
            tls,
        };
        Ok((http, grpc))
    }

    /// `[auth]` as the receivers' [`Auth`].
    fn receive_auth(&self) -> anyhow::Result<Auth> {
        let tokens = self
            .auth
            .pairs()
            .map_err(anyhow::Error::msg)?
            .into_iter()
            .map(|(emitter, secret)| Token { emitter, secret })
            .collect();
        let mut auth = Auth::bearer(tokens);
        auth.header = self.auth.header.trim().to_ascii_lowercase();
        Ok(auth)
    }
}
