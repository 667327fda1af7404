//! Invitation emails leaving the outbox: through a real SMTP conversation with a server on loopback
//! (written here: greeting, EHLO, MAIL, RCPT, DATA, QUIT), retried with backoff when the server is
//! down, sent once by several workers at once, erased once their link is dead, and shown by the
//! development mailbox.

use std::sync::{Arc, Mutex};

use app::server::store::EmailStatus;
use serde_json::json;
use server::mailer::{Mailer, Transport};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use crate::{
    both_backends,
    helpers::seats::{assign, assign_body, buy, invitation_token},
    helpers::*,
};

/// A minimal SMTP server on loopback that accepts every message and keeps what it received.
struct SmtpSink {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                    let mut envelope = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "MAIL" | "RCPT" => {
                                envelope.push_str(&line);
                                envelope.push('\n');
                                b"250 OK\r\n"
                            }
                            "DATA" => {
                                write.write_all(b"354 go on\r\n").await.unwrap();
                                let mut data = envelope.clone();
                                while let Ok(Some(line)) = lines.next_line().await {
                                    if line == "." {
                                        break;
                                    }
                                    data.push_str(&line);
                                    data.push('\n');
                                }
                                kept.lock().unwrap().push(data);
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 OK\r\n",
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        Self { port, messages }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

/// Undoes quoted-printable soft line breaks and `=3D`, so assertions can read the parts.
fn unfold(message: &str) -> String {
    message.replace("=\n", "").replace("=3D", "=")
}

async fn an_invitation_is_delivered_over_smtp_with_both_parts_and_the_claim_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    let (status, _) = json(
        app.post_as(
            &org.token,
            "/v1/customer-seats",
            &assign_body(&paid, "jane@globex.example"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let sink = SmtpSink::start().await;
    let transport =
        Transport::from_config(Some(&sink.url()), "Seatkeeper <seats@acme.example>").unwrap();
    let mailer = Mailer::new(app.services.clone(), transport);
    assert_eq!(mailer.deliver_due().await.unwrap(), 1);
    let received = sink.messages.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let message = unfold(&received[0]);
    assert!(
        message.contains("RCPT TO:<jane@globex.example>"),
        "{message}"
    );
    assert!(
        message.contains("MAIL FROM:<seats@acme.example>"),
        "{message}"
    );
    assert!(
        message.contains("Subject: You've been invited to access Team plan"),
        "{message}"
    );
    assert!(message.contains("multipart/alternative"), "{message}");
    assert!(
        message.contains("text/plain") && message.contains("text/html"),
        "{message}"
    );
    let link = format!("{}/acme/portal/claim?token=skp_inv_", app.url(""));
    assert!(message.contains(&link), "{message}");
    assert!(message.contains("expires in 24 hours"), "{message}");

    let emails = app.store().recent_emails(10).await.unwrap();
    assert_eq!(emails[0].status, EmailStatus::Sent);
    assert_eq!(emails[0].transport.as_deref(), Some("smtp"));
    assert!(
        !emails[0].text_body.contains("skp_inv_") && !emails[0].html_body.contains("skp_inv_"),
        "a sent link is not kept"
    );
    assert_eq!(
        mailer.deliver_due().await.unwrap(),
        0,
        "a sent email is not sent again"
    );
    assert_eq!(sink.messages.lock().unwrap().len(), 1);
}

async fn a_failed_send_is_retried_with_backoff_and_delivered_once_the_server_is_up(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    app.post_as(
        &org.token,
        "/v1/customer-seats",
        &assign_body(&paid, "jane@globex.example"),
    )
    .await;
    // A port nobody listens on: bind, note the port, close.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = Mailer::new(
        app.services.clone(),
        Transport::from_config(
            Some(&format!("smtp://127.0.0.1:{closed}")),
            "a@acme.example",
        )
        .unwrap(),
    );
    assert_eq!(down.deliver_due().await.unwrap(), 0);
    let email = app.store().recent_emails(1).await.unwrap().remove(0);
    assert_eq!(email.status, EmailStatus::Pending);
    assert_eq!(email.attempts, 1);
    assert!(
        email
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("SMTP")),
        "{:?}",
        email.last_error
    );
    let wait = email.next_attempt_at - app.services.now();
    assert!(
        wait >= chrono::TimeDelta::seconds(3) && wait <= chrono::TimeDelta::seconds(7),
        "{wait}"
    );
    assert_eq!(
        down.deliver_due().await.unwrap(),
        0,
        "not retried before its time"
    );
    assert_eq!(app.store().recent_emails(1).await.unwrap()[0].attempts, 1);

    app.advance_clock(&json!({"seconds": 10})).await;
    let sink = SmtpSink::start().await;
    let up = Mailer::new(
        app.services.clone(),
        Transport::from_config(Some(&sink.url()), "a@acme.example").unwrap(),
    );
    assert_eq!(up.deliver_due().await.unwrap(), 1);
    assert_eq!(sink.messages.lock().unwrap().len(), 1);
    let email = app.store().recent_emails(1).await.unwrap().remove(0);
    assert_eq!((email.status, email.attempts), (EmailStatus::Sent, 2));
}

async fn an_smtp_server_that_accepts_and_then_stalls_costs_one_failed_attempt(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    assign(&app, &org, &paid, "jane@globex.example").await;
    // Accepts connections and never says a word (lettre's own timeout covers only the connect).
    let stalled = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = stalled.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = stalled.accept().await {
            open.push(socket);
        }
    });
    let mailer = Mailer::new(
        app.services.clone(),
        Transport::from_config(Some(&format!("smtp://127.0.0.1:{port}")), "a@acme.example")
            .unwrap(),
    );
    let started = std::time::Instant::now();
    let delivered = tokio::time::timeout(std::time::Duration::from_secs(30), mailer.deliver_due())
        .await
        .expect("the mailer gives up on a stalled send instead of waiting for ever")
        .unwrap();
    assert_eq!(delivered, 0);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let email = email_to(&app, "jane@globex.example").await;
    assert_eq!((email.status, email.attempts), (EmailStatus::Pending, 1));
    assert!(
        email
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("no answer")),
        "{:?}",
        email.last_error
    );
    held.abort();
}

async fn the_development_mailbox_shows_invitations_with_a_clickable_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    app.post_as(
        &org.token,
        "/v1/customer-seats",
        &assign_body(&paid, "jane@globex.example"),
    )
    .await;
    let mailer = Mailer::new(app.services.clone(), Transport::DevMailbox);
    assert_eq!(mailer.deliver_due().await.unwrap(), 1);
    let response = app.get("/dev/mailbox").await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("You&#39;ve been invited to access Team plan"),
        "{page}"
    );
    assert!(page.contains("delivered to this mailbox"));
    let link = format!("<a href=\"{}/acme/portal/claim?token=skp_inv_", app.url(""));
    assert!(page.contains(&link), "{page}");
}

both_backends!(
    an_invitation_is_delivered_over_smtp_with_both_parts_and_the_claim_link,
    a_failed_send_is_retried_with_backoff_and_delivered_once_the_server_is_up,
    an_smtp_server_that_accepts_and_then_stalls_costs_one_failed_attempt,
    the_development_mailbox_shows_invitations_with_a_clickable_link,
);

/// The outbox row of the newest email to `to`.
async fn email_to(app: &TestApp, to: &str) -> app::server::store::EmailRecord {
    app.store()
        .recent_emails(100)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.to == to)
        .unwrap_or_else(|| panic!("no email to {to}"))
}

fn keeps_a_link(email: &app::server::store::EmailRecord) -> bool {
    email.text_body.contains("skp_inv_") || email.html_body.contains("skp_inv_")
}

async fn claiming_revoking_or_resending_a_seat_erases_its_emails_and_discards_unsent_ones(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 5, Some("month")).await;
    let mailbox = Mailer::new(app.services.clone(), Transport::DevMailbox);

    // Claimed after delivery to the mailbox: the kept copy loses its link.
    assign(&app, &org, &paid, "claimed@globex.example").await;
    assert_eq!(mailbox.deliver_due().await.unwrap(), 1);
    assert!(
        keeps_a_link(&email_to(&app, "claimed@globex.example").await),
        "the mailbox shows a live link"
    );
    let token = invitation_token(&app, "claimed@globex.example").await;
    let (status, _) = json(
        app.post_json(
            "/v1/customer-seats/claim",
            &json!({"invitation_token": token}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let claimed = email_to(&app, "claimed@globex.example").await;
    assert!(!keeps_a_link(&claimed), "{claimed:?}");
    assert_eq!(claimed.status, EmailStatus::Sent);

    // Revoked before it was sent: discarded, never sent.
    let seat = assign(&app, &org, &paid, "revoked@globex.example").await;
    let response = app
        .client
        .delete(app.url(&format!(
            "/v1/customer-seats/{}",
            seat["id"].as_str().unwrap()
        )))
        .bearer_auth(&org.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let revoked = email_to(&app, "revoked@globex.example").await;
    assert_eq!(revoked.status, EmailStatus::Discarded);
    assert!(!keeps_a_link(&revoked));

    // Re-sent before the first was sent: the first is discarded, the new one goes out.
    let seat = assign(&app, &org, &paid, "resent@globex.example").await;
    let response = app
        .post_as(
            &org.token,
            &format!("/v1/customer-seats/{}/resend", seat["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let emails: Vec<_> = app
        .store()
        .recent_emails(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.to == "resent@globex.example")
        .collect();
    assert_eq!(emails.len(), 2);
    assert_eq!(
        (emails[0].status, keeps_a_link(&emails[0])),
        (EmailStatus::Pending, true),
        "the new one"
    );
    assert_eq!(
        (emails[1].status, keeps_a_link(&emails[1])),
        (EmailStatus::Discarded, false),
        "the old one"
    );
    assert_eq!(
        mailbox.deliver_due().await.unwrap(),
        1,
        "only the new invitation is sent"
    );
}

async fn an_email_given_up_after_its_last_attempt_keeps_no_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    assign(&app, &org, &paid, "jane@globex.example").await;
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = Mailer::new(
        app.services.clone(),
        Transport::from_config(
            Some(&format!("smtp://127.0.0.1:{closed}")),
            "a@acme.example",
        )
        .unwrap(),
    );
    for _ in 0..app::server::service::retry::MAX_ATTEMPTS {
        down.deliver_due().await.unwrap();
        app.advance_clock(&json!({"seconds": 5000})).await;
    }
    let email = email_to(&app, "jane@globex.example").await;
    assert_eq!(
        (email.status, email.attempts),
        (
            EmailStatus::Failed,
            app::server::service::retry::MAX_ATTEMPTS
        )
    );
    assert!(!keeps_a_link(&email), "{email:?}");
}

async fn several_workers_sending_one_outbox_send_each_email_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = second_server(&app).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 40, Some("month")).await;
    for i in 0..40 {
        assign(&app, &org, &paid, &format!("person{i}@globex.example")).await;
    }
    let sink = SmtpSink::start().await;
    let workers: Vec<_> = [&app, &other, &app, &other]
        .into_iter()
        .map(|server| {
            let mailer = Mailer::new(
                server.services.clone(),
                Transport::from_config(Some(&sink.url()), "a@acme.example").unwrap(),
            );
            tokio::spawn(async move { mailer.deliver_due().await.unwrap() })
        })
        .collect();
    let mut sent = 0;
    for worker in workers {
        sent += worker.await.unwrap();
    }
    assert_eq!(sent, 40);
    let received = sink.messages.lock().unwrap().clone();
    assert_eq!(received.len(), 40, "no email twice, none lost");
    let mut recipients: Vec<_> = received
        .iter()
        .map(|m| {
            m.lines()
                .find(|l| l.starts_with("RCPT"))
                .unwrap()
                .to_owned()
        })
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 40);
}

async fn a_worker_whose_lease_ran_out_cannot_record_the_outcome(backend: Backend) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 2, Some("month")).await;
    assign(&app, &org, &paid, "jane@globex.example").await;
    let store = app.store();
    let now = app.services.now();
    let lease_for = chrono::TimeDelta::seconds(120);
    let slow = uuid::Uuid::new_v4();
    let leased = store
        .lease_due_emails(now, now + lease_for, slow, 10)
        .await
        .unwrap();
    assert_eq!(leased.len(), 1);
    let email = &leased[0];
    assert!(
        store
            .lease_due_emails(now, now + lease_for, uuid::Uuid::new_v4(), 10)
            .await
            .unwrap()
            .is_empty(),
        "a leased email is not leased again"
    );
    // The lease runs out; another worker takes the email.
    let later = now + chrono::TimeDelta::seconds(121);
    let fast = uuid::Uuid::new_v4();
    let again = store
        .lease_due_emails(later, later + lease_for, fast, 10)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![email.id]
    );
    assert_eq!(
        store
            .mark_leased_emails_sent(slow, &[email.id], later, "smtp", true)
            .await
            .unwrap(),
        0,
        "the old lease records nothing"
    );
    assert_eq!(
        store
            .mark_leased_emails_sent(fast, &[email.id], later, "smtp", true)
            .await
            .unwrap(),
        1
    );
    assert!(
        !store
            .mark_email_failed(email.id, fast, "late", None, later)
            .await
            .unwrap(),
        "sent is final"
    );
}

async fn a_batch_is_leased_oldest_first_up_to_its_limit_and_recorded_under_its_lease(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let org = app.create_org("acme").await;
    let paid = buy(&app, &org, 5, Some("month")).await;
    for i in 0..5 {
        assign(&app, &org, &paid, &format!("person{i}@globex.example")).await;
    }
    let store = app.store();
    let now = app.services.now();
    let lease_for = chrono::TimeDelta::seconds(120);
    let first = uuid::Uuid::new_v4();
    let batch = store
        .lease_due_emails(now, now + lease_for, first, 3)
        .await
        .unwrap();
    let mut to: Vec<_> = batch.iter().map(|e| e.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "person0@globex.example",
            "person1@globex.example",
            "person2@globex.example"
        ],
        "the three oldest"
    );
    let second = uuid::Uuid::new_v4();
    let rest = store
        .lease_due_emails(now, now + lease_for, second, 10)
        .await
        .unwrap();
    assert_eq!(rest.len(), 2, "the others, not the leased ones");
    // One of the first batch fails: the two others are recorded as sent by id, the failed one
    // leaves the lease.
    let sent: Vec<_> = batch[1..].iter().map(|e| e.id).collect();
    assert_eq!(
        store
            .mark_leased_emails_sent(first, &sent, now, "smtp", true)
            .await
            .unwrap(),
        2
    );
    assert!(
        store
            .mark_email_failed(batch[0].id, first, "refused", Some(now), now)
            .await
            .unwrap()
    );
    let retried = store
        .lease_due_emails(now, now + lease_for, uuid::Uuid::new_v4(), 10)
        .await
        .unwrap();
    assert_eq!(
        retried.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![batch[0].id],
        "the failed one is due again; the second batch is still leased"
    );
}

both_backends!(a_batch_is_leased_oldest_first_up_to_its_limit_and_recorded_under_its_lease);

both_backends!(
    claiming_revoking_or_resending_a_seat_erases_its_emails_and_discards_unsent_ones,
    an_email_given_up_after_its_last_attempt_keeps_no_link,
    several_workers_sending_one_outbox_send_each_email_exactly_once,
    a_worker_whose_lease_ran_out_cannot_record_the_outcome,
);
