//! A real SMTP server for tests, listening on 127.0.0.1: it speaks enough
//! ESMTP for lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps every
//! message it accepts, and can be switched "down" (it answers 421 to new
//! connections and to every command on open ones) and back up.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub recipients: Vec<String>,
    /// The raw message, dot-unstuffed, CRLF line ends.
    pub data: Vec<u8>,
}

impl Received {
    /// The message parsed as a mail client would.
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parsable message")
    }
}

#[derive(Default)]
struct State {
    messages: Vec<Received>,
    down: bool,
}

/// The running server; stops when dropped.
pub struct SmtpSink {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// Starts a server on a free port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let addr = listener.local_addr().expect("SMTP address");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, shared.clone()));
            }
        });
        Self { addr, state, task }
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        self.state.lock().expect("SMTP state").messages.clone()
    }

    /// Refuses (`down = true`) or accepts mail.
    pub fn set_down(&self, down: bool) {
        self.state.lock().expect("SMTP state").down = down;
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn is_down(state: &Mutex<State>) -> bool {
    state.lock().map(|s| s.down).unwrap_or(true)
}

async fn session(stream: TcpStream, state: Arc<Mutex<State>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let reply = if is_down(&state) {
        "421 sink down\r\n"
    } else {
        "220 sink ESMTP\r\n"
    };
    if write.write_all(reply.as_bytes()).await.is_err() || reply.starts_with("421") {
        return;
    }
    let (mut from, mut recipients) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if is_down(&state) {
            let _ = write.write_all(b"421 sink down\r\n").await;
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let answer: &[u8] = if command.starts_with("EHLO") {
            b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if command.starts_with("HELO") {
            b"250 sink\r\n"
        } else if command.starts_with("MAIL FROM:") {
            from = line.trim_end()[10..].trim().to_owned();
            recipients.clear();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO:") {
            recipients.push(
                line.trim_end()[8..]
                    .trim()
                    .trim_matches(|c| c == '<' || c == '>')
                    .to_owned(),
            );
            b"250 OK\r\n"
        } else if command == "DATA" {
            if write.write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            let mut data = Vec::new();
            loop {
                let mut raw = Vec::new();
                match lines.read_until(b'\n', &mut raw).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if raw == b".\r\n" || raw == b".\n" {
                    break;
                }
                let unstuffed = raw.strip_prefix(b".").unwrap_or(&raw);
                data.extend_from_slice(unstuffed);
            }
            state.lock().expect("SMTP state").messages.push(Received {
                from: from.clone(),
                recipients: std::mem::take(&mut recipients),
                data,
            });
            b"250 OK queued\r\n"
        } else if command == "RSET" || command == "NOOP" {
            b"250 OK\r\n"
        } else if command == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"502 not implemented\r\n"
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}
