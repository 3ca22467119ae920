//! One connected STOMP session: the CONNECT handshake, then reading, writing and
//! heart-beats until the link fails or the owner closes it.

use crate::settings::{BrokerAddr, Settings};
use crate::tls::{Member, Stream};
use crate::{Command as Cmd, ConnectorError, Event, Subscription};
use bytes::BytesMut;
use marionette_stomp::{Command, Decoder, Frame, Item, Version, encode};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};

/// Why a session ended.
#[derive(Debug)]
pub enum Ended {
    /// The owner asked to close (or dropped the connector).
    Closed,
    /// The link failed; reconnect.
    Failed(String),
}

pub struct Session {
    stream: Stream,
    decoder: Decoder,
    buf: BytesMut,
    pub version: Version,
    send_every: Option<Duration>,
    expect_every: Option<Duration>,
    grace: f64,
    write_timeout: Duration,
}

/// The CONNECT `heart-beat` values: what we can send, what we want to receive.
fn heart_beat_values(h: Option<Duration>, skew: Duration) -> (u64, u64) {
    let Some(h) = h else { return (0, 0) };
    let (ms, skew) = (h.as_millis() as u64, skew.as_millis() as u64);
    (ms.saturating_add(skew), ms.saturating_sub(skew).max(1))
}

/// Opens the TCP connection, from `bind` when given (a fleet emulator spreads its
/// connections over loopback source addresses to get past one address's ephemeral ports).
async fn connect(broker: &BrokerAddr, bind: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let Some(local) = bind else {
        return TcpStream::connect((broker.host.as_str(), broker.port)).await;
    };
    let mut last = None;
    for addr in tokio::net::lookup_host((broker.host.as_str(), broker.port)).await? {
        if addr.is_ipv4() != local.is_ipv4() {
            continue;
        }
        let socket = if local.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.bind(SocketAddr::new(local, 0))?;
        match socket.connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            format!("no address of {} matches {local}", broker.host),
        )
    }))
}

impl Session {
    /// Connects to `member`, over TLS when it asks for it, and performs the STOMP
    /// handshake. The caller bounds the time.
    pub async fn open(member: &Member, settings: &Settings) -> Result<Session, ConnectorError> {
        let broker = &member.addr;
        let tcp = connect(broker, settings.bind)
            .await
            .map_err(|e| ConnectorError::Connect(broker.to_string(), e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        if let Some(k) = settings.tcp_keepalive {
            socket2::SockRef::from(&tcp)
                .set_tcp_keepalive(&k.to_socket2())
                .map_err(|e| {
                    ConnectorError::Connect(broker.to_string(), format!("TCP keepalive: {e}"))
                })?;
        }
        let stream = match &member.tls {
            Some(link) => link.connect(broker, tcp).await?,
            None => Stream::Plain(tcp),
        };
        let (cx, cy) = heart_beat_values(settings.heartbeat, settings.heartbeat_skew);
        let mut connect =
            Frame::new(Command::Connect).header("accept-version", settings.accept_version.as_str());
        if let Some(host) = &settings.vhost {
            connect.headers.push("host", host.as_str());
        }
        connect.headers.push("heart-beat", format!("{cx},{cy}"));
        if let Some(login) = &broker.login {
            connect.headers.push("login", login.as_str());
        }
        if let Some(pass) = &broker.passcode {
            connect.headers.push("passcode", pass.as_str());
        }
        let mut session = Session {
            stream,
            decoder: Decoder::new(settings.limits),
            buf: BytesMut::with_capacity(4096),
            version: Version::V1_0,
            send_every: None,
            expect_every: None,
            grace: settings.heartbeat_grace.max(1.0),
            write_timeout: settings.connect_timeout,
        };
        session.write(&connect).await?;
        let reply = loop {
            match session.next_item().await? {
                Some(Item::Frame(f)) => break f,
                Some(Item::Heartbeat) => continue,
                None => {
                    return Err(ConnectorError::Connect(
                        broker.to_string(),
                        "closed during CONNECT".into(),
                    ));
                }
            }
        };
        match reply.command {
            Command::Connected => {}
            Command::Error => {
                let msg = reply
                    .get("message")
                    .unwrap_or("ERROR without message")
                    .to_string();
                return Err(ConnectorError::Refused(broker.to_string(), msg));
            }
            other => {
                return Err(ConnectorError::Connect(
                    broker.to_string(),
                    format!("expected CONNECTED, got {other}"),
                ));
            }
        }
        session.version = reply
            .get("version")
            .and_then(Version::parse)
            .unwrap_or(Version::V1_0);
        session.decoder.set_version(session.version);
        if session.version != Version::V1_0 {
            let (sx, sy) = reply
                .get("heart-beat")
                .and_then(|v| v.split_once(','))
                .and_then(|(a, b)| {
                    Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?))
                })
                .unwrap_or((0, 0));
            let agreed =
                |a: u64, b: u64| (a != 0 && b != 0).then(|| Duration::from_millis(a.max(b)));
            session.send_every = agreed(cx, sy);
            session.expect_every = agreed(sx, cy);
        }
        Ok(session)
    }

    async fn write(&mut self, frame: &Frame) -> Result<(), ConnectorError> {
        let mut out = BytesMut::new();
        encode(frame, self.version, &mut out);
        self.write_bytes(&out).await
    }

    /// Writes and flushes `bytes` (the flush is what pushes TLS records out; on plain
    /// TCP it does nothing).
    async fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), ConnectorError> {
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        match timeout(self.write_timeout, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ConnectorError::Io(e.to_string())),
            Err(_) => Err(ConnectorError::Io(format!(
                "write blocked for {:?}",
                self.write_timeout
            ))),
        }
    }

    /// The next item; `None` at EOF.
    async fn next_item(&mut self) -> Result<Option<Item>, ConnectorError> {
        loop {
            if let Some(item) = self
                .decoder
                .decode(&mut self.buf)
                .map_err(|e| ConnectorError::Protocol(e.to_string()))?
            {
                return Ok(Some(item));
            }
            let n = self
                .stream
                .read_buf(&mut self.buf)
                .await
                .map_err(|e| ConnectorError::Io(e.to_string()))?;
            if n == 0 {
                return Ok(None);
            }
        }
    }

    /// Subscribes on this session.
    pub async fn subscribe(&mut self, sub: &Subscription) -> Result<(), ConnectorError> {
        let mut f = Frame::new(Command::Subscribe)
            .header("destination", sub.destination.as_str())
            .header("id", sub.id.as_str());
        for (k, v) in &sub.headers {
            f.headers.push(k.as_str(), v.as_str());
        }
        self.write(&f).await
    }

    /// Runs until the link fails or the owner closes. Subscriptions made meanwhile are
    /// added to `subs` so a later session can replay them.
    pub async fn run(
        &mut self,
        commands: &mut mpsc::Receiver<Cmd>,
        events: &mpsc::Sender<Event>,
        subs: &mut Vec<Subscription>,
    ) -> Ended {
        let mut last_write = Instant::now();
        let mut last_read = Instant::now();
        let silence = self.expect_every.map(|d| d.mul_f64(self.grace));
        loop {
            // Frames already buffered first.
            loop {
                match self.decoder.decode(&mut self.buf) {
                    Err(e) => return Ended::Failed(format!("broker sent invalid STOMP: {e}")),
                    Ok(None) => break,
                    Ok(Some(Item::Heartbeat)) => {}
                    Ok(Some(Item::Frame(f))) => {
                        let event = match f.command {
                            Command::Error => Event::Error(f),
                            _ => Event::Frame(f),
                        };
                        if events.send(event).await.is_err() {
                            return Ended::Closed;
                        }
                    }
                }
            }
            let beat_at = self.send_every.map(|d| last_write + d);
            let dead_at = silence.map(|d| last_read + d);
            tokio::select! {
                read = self.stream.read_buf(&mut self.buf) => match read {
                    Ok(0) => return Ended::Failed("broker closed the connection".into()),
                    Ok(_) => last_read = Instant::now(),
                    Err(e) => return Ended::Failed(format!("read failed: {e}")),
                },
                cmd = commands.recv() => {
                    let result = match cmd {
                        None | Some(Cmd::Close) => {
                            let _ = self.write(&Frame::new(Command::Disconnect)).await;
                            return Ended::Closed;
                        }
                        Some(Cmd::Subscribe(sub, done)) => {
                            let r = self.subscribe(&sub).await;
                            subs.retain(|s| s.id != sub.id);
                            subs.push(sub);
                            let _ = done.send(Ok(()));
                            r
                        }
                        Some(Cmd::Unsubscribe(id, done)) => {
                            subs.retain(|s| s.id != id);
                            let r = self.write(&Frame::new(Command::Unsubscribe).header("id", id)).await;
                            let _ = done.send(Ok(()));
                            r
                        }
                        Some(Cmd::Send(frame, done)) => {
                            let r = self.write(&frame).await;
                            let failed = r.as_ref().err().map(|e| e.to_string());
                            let _ = done.send(r);
                            failed.map_or(Ok(()), |e| Err(ConnectorError::Io(e)))
                        }
                    };
                    if let Err(e) = result {
                        return Ended::Failed(e.to_string());
                    }
                    last_write = Instant::now();
                }
                _ = sleep_opt(beat_at) => {
                    if let Err(e) = self.write_bytes(b"\n").await {
                        return Ended::Failed(e.to_string());
                    }
                    last_write = Instant::now();
                }
                _ = sleep_opt(dead_at) => {
                    return Ended::Failed(format!("no heart-beat from the broker for {:?}", silence.unwrap_or_default()));
                }
            }
        }
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::heart_beat_values;
    use std::time::Duration;

    #[test]
    fn connect_heart_beat_like_mcollective() {
        assert_eq!(heart_beat_values(None, Duration::from_millis(500)), (0, 0));
        assert_eq!(
            heart_beat_values(Some(Duration::from_secs(30)), Duration::ZERO),
            (30_000, 30_000)
        );
        assert_eq!(
            heart_beat_values(Some(Duration::from_secs(30)), Duration::from_millis(500)),
            (30_500, 29_500)
        );
    }
}
