//! Where the server's e-mail goes: an SMTP server (`--smtp-url`, lettre's
//! pooled transport), or the outbox (`--mail-outbox`), which keeps each
//! message in the database for moderators (`/admin/outbox`) and the demo
//! (`/demo/outbox`) to read, so mail can be seen on a machine with no
//! mail server.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use prometheus_client::metrics::counter::Counter;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::store::{OutboxMail, SharedStore};

/// A reader's text quoted in a plain-text mail: at most `max` characters,
/// with "…" where it was cut, every line behind "> ", so that nothing the
/// reader wrote reads as the mail's own lines (a link labelled as the
/// mail's "Approve:" or "Stop these e-mails:" one, say).
pub fn quote(text: &str, max: usize) -> String {
    let mut kept: String = text.chars().take(max).collect();
    if kept.len() < text.len() {
        kept.push('…');
    }
    kept.lines()
        .map(|line| {
            if line.is_empty() {
                ">".to_owned()
            } else {
                format!("> {line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Messages the outbox keeps; older ones are forgotten.
pub const OUTBOX_KEEP: u32 = 200;

/// A message ready to leave, with the parts the outbox shows in clear
/// (the built message has them encoded for transport).
pub struct Outgoing {
    /// The message as SMTP sends it.
    pub message: Message,
    /// The From header, as text.
    pub sender: String,
    /// The To header, as text.
    pub recipient: String,
    /// The subject.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
}

enum Transport {
    /// Lettre's pooled transport, and its URL: a message cut off by
    /// SEND_LIMIT leaves its connection mid-conversation, and the pool
    /// would hand it to the next message, so the transport (its pool) is
    /// built anew.
    Smtp {
        url: String,
        smtp: std::sync::Mutex<AsyncSmtpTransport<Tokio1Executor>>,
    },
    Outbox(SharedStore),
}

/// `text` (a mail server's reply, which often repeats the recipient) with
/// every e-mail address in it replaced: what is logged keeps no reader's
/// address, nor that of a friend an article was sent to.
pub(crate) fn without_addresses(text: &str) -> String {
    let apart = |c: char| c.is_whitespace() || "<>\"'(),;[]".contains(c);
    text.split_inclusive(apart)
        .map(|part| {
            let word = part.trim_end_matches(apart);
            if word.contains('@') {
                format!("(an address){}", &part[word.len()..])
            } else {
                part.to_owned()
            }
        })
        .collect()
}

/// Why a message did not go.
#[derive(Debug)]
pub struct MailFailure {
    /// What the mail server or the outbox said.
    pub message: String,
    /// Whether sending it again cannot help.
    pub permanent: bool,
}

/// The server's way out for e-mail, and the envelope sender.
pub struct Mailer {
    transport: Transport,
    /// The From address of every message.
    pub from: Mailbox,
    /// Counts every message that did not go, whoever sent it (moderators'
    /// mail, reply notices, confirmations, "send to a friend"): the
    /// metrics' `khabar_mail_failures_total` once [`Mailer::counting_failures_in`].
    failures: Counter,
}

/// How long one message may take to hand to the mail server, every
/// command of it (lettre limits only the connecting).
const SEND_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Lettre's pooled SMTP transport for `url`.
fn smtp_transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build())
}

impl Mailer {
    /// Through SMTP at `smtp://host:port`, `smtps://…` or
    /// `smtp://…?tls=required` (lettre's URL syntax, with credentials if
    /// needed).
    pub fn new(url: &str, from: &str) -> anyhow::Result<Mailer> {
        Ok(Mailer {
            transport: Transport::Smtp {
                url: url.to_owned(),
                smtp: std::sync::Mutex::new(smtp_transport(url)?),
            },
            from: from.parse()?,
            failures: Counter::default(),
        })
    }

    /// Into the outbox of `store`: nothing leaves the machine.
    pub fn outbox(store: SharedStore, from: &str) -> anyhow::Result<Mailer> {
        Ok(Mailer {
            transport: Transport::Outbox(store),
            from: from.parse()?,
            failures: Counter::default(),
        })
    }

    /// This mailer, counting its failures in `counter`.
    pub fn counting_failures_in(mut self, counter: Counter) -> Mailer {
        self.failures = counter;
        self
    }

    /// Whether mail is kept in the outbox rather than sent.
    pub fn is_outbox(&self) -> bool {
        matches!(self.transport, Transport::Outbox(_))
    }

    /// Sends one message (or keeps it in the outbox), and says whether a
    /// failure is for good: the mail server refused it with a 5xx (no
    /// such mailbox, say), which sending again cannot mend.
    pub async fn send_checked(&self, mail: Outgoing) -> Result<(), MailFailure> {
        let sent = self.deliver(mail).await;
        if sent.is_err() {
            self.failures.inc();
        }
        sent
    }

    async fn deliver(&self, mail: Outgoing) -> Result<(), MailFailure> {
        match &self.transport {
            Transport::Smtp { url, smtp } => {
                // One message, all its commands, in SEND_LIMIT at most: a
                // mail server answering each command slowly must not carry
                // a run of the mail jobs past its claim (another instance
                // would send the same), nor a confirmation past shutdown.
                let transport = smtp.lock().unwrap_or_else(|p| p.into_inner()).clone();
                let sent = tokio::time::timeout(SEND_LIMIT, transport.send(mail.message)).await;
                if sent.is_err() {
                    // Its connection went back to the pool mid-command.
                    if let Ok(fresh) = smtp_transport(url) {
                        *smtp.lock().unwrap_or_else(|p| p.into_inner()) = fresh;
                    }
                }
                match sent {
                    Ok(sent) => sent.map(|_| ()).map_err(|e| MailFailure {
                        permanent: e.is_permanent(),
                        message: without_addresses(&e.to_string()),
                    }),
                    Err(_) => Err(MailFailure {
                        permanent: false,
                        message: format!(
                            "the mail server took more than {} s",
                            SEND_LIMIT.as_secs()
                        ),
                    }),
                }
            }
            Transport::Outbox(store) => keep(store, mail).await.map_err(|message| MailFailure {
                message,
                permanent: false,
            }),
        }
    }

    /// Sends one message (or keeps it in the outbox).
    pub async fn send(&self, mail: Outgoing) -> Result<(), String> {
        self.send_checked(mail).await.map_err(|f| f.message)
    }
}

/// Keeps `mail` in the outbox of `store`.
async fn keep(store: &SharedStore, mail: Outgoing) -> Result<(), String> {
    let at = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .map_err(|e| e.to_string())?
        .format(&Rfc3339)
        .map_err(|e| e.to_string())?;
    let kept = OutboxMail {
        id: 0,
        at,
        sender: mail.sender,
        recipient: mail.recipient,
        subject: mail.subject,
        text: mail.text,
    };
    store
        .put_outbox_mail(kept, OUTBOX_KEEP)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_servers_reply_is_logged_without_the_addresses_in_it() {
        assert_eq!(
            without_addresses(
                "permanent error (550): 5.1.1 <friend@example.org>: Recipient address rejected"
            ),
            "permanent error (550): 5.1.1 <(an address)>: Recipient address rejected"
        );
        assert_eq!(
            without_addresses("452 too many for lina+news@example.net, try later"),
            "452 too many for (an address), try later"
        );
        assert_eq!(without_addresses("421 busy"), "421 busy");
    }

    /// A mail server that takes the connection and never answers: the
    /// send gives up after SEND_LIMIT (on tokio's paused clock, at once).
    #[tokio::test(start_paused = true)]
    async fn a_mail_server_that_never_answers_is_given_up_on() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let held = listener.accept().await;
            std::future::pending::<()>().await;
            drop(held);
        });
        let mailer = Mailer::new(&format!("smtp://{addr}"), "desk@news.test").expect("mailer");
        let message = Message::builder()
            .from("desk@news.test".parse().expect("from"))
            .to("reader@example.test".parse().expect("to"))
            .subject("s")
            .body("b".to_owned())
            .expect("message");
        let mail = Outgoing {
            message,
            sender: "desk@news.test".into(),
            recipient: "reader@example.test".into(),
            subject: "s".into(),
            text: "b".into(),
        };
        let started = tokio::time::Instant::now();
        let failure = mailer.send(mail).await.expect_err("no answer");
        assert!(failure.contains("more than 20 s"), "{failure}");
        assert!(started.elapsed() <= SEND_LIMIT + std::time::Duration::from_secs(1));
    }
}
