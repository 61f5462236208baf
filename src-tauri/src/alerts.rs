//! Alerts: what the owner must know now (a refund is due, …). Every alert is kept in
//! the app's alert list with its time and state, and shown as a desktop notification
//! through a [`Notifier`]. A desktop without a notification daemon is logged, never
//! fatal: the alert is still in the list.
//!
//! The list lives in memory for this run; keeping it in the database (and the rules
//! that raise balance, supplier and price-drift alerts) belongs to core's `alerts`.

use std::sync::{Arc, Mutex};

use codetill_core::orders::{Outcome, Sale};
use serde::Serialize;

/// Shows an alert to whoever sits at this computer.
pub trait Notifier: Send + Sync {
    fn notify(&self, title: &str, body: &str) -> Result<(), String>;
}

/// Desktop notifications through the session's notification daemon (notify-rust).
pub struct DesktopNotifier;

impl Notifier for DesktopNotifier {
    fn notify(&self, title: &str, body: &str) -> Result<(), String> {
        notify_rust::Notification::new()
            .appname("codetill")
            .summary(title)
            .body(body)
            .show()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A paid order the supplier refused: the buyer's money must go back.
    RefundDue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The desktop showed it.
    Notified,
    /// No notification could be shown (no daemon…); the alert is only in the list.
    ListOnly,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub at: String,
    pub title: String,
    pub body: String,
    /// The order it is about, if any.
    pub order_id: Option<String>,
    pub delivery: Delivery,
}

/// The app's alert list and where alerts are shown.
pub struct Alerts {
    notifier: Arc<dyn Notifier>,
    list: Mutex<Vec<Alert>>,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts").finish_non_exhaustive()
    }
}

impl Alerts {
    pub fn new(notifier: Arc<dyn Notifier>) -> Alerts {
        Alerts {
            notifier,
            list: Mutex::new(Vec::new()),
        }
    }

    /// Keeps the alert and shows it; a notification that fails is logged.
    pub async fn raise(
        &self,
        kind: AlertKind,
        title: String,
        body: String,
        order_id: Option<String>,
    ) {
        let notifier = self.notifier.clone();
        let (t, b) = (title.clone(), body.clone());
        let shown = tauri::async_runtime::spawn_blocking(move || notifier.notify(&t, &b)).await;
        let delivery = match shown {
            Ok(Ok(())) => Delivery::Notified,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, ?kind, "no desktop notification (the alert is in the app's list)");
                Delivery::ListOnly
            }
            Err(e) => {
                tracing::warn!(error = %e, ?kind, "the notification task failed");
                Delivery::ListOnly
            }
        };
        let alert = Alert {
            kind,
            at: codetill_core::db::now_text(),
            title,
            body,
            order_id,
            delivery,
        };
        match self.list.lock() {
            Ok(mut list) => list.push(alert),
            Err(poisoned) => poisoned.into_inner().push(alert),
        }
    }

    /// What a sale that did not deliver must tell the owner.
    pub async fn after_sale(&self, sale: &Sale) {
        if let Outcome::RefundDue { code, message } = &sale.outcome {
            let o = &sale.order;
            self.raise(
                AlertKind::RefundDue,
                format!("Refund due: {} {}", o.price, o.public_id),
                format!("{} — the supplier refused ({code}: {message}). Payment was taken; give it back.", o.name),
                Some(o.public_id.clone()),
            )
            .await;
        }
    }

    /// Refunds that became due while orders were finished in the background.
    pub async fn after_recovery(&self, refund_due: &[String]) {
        for id in refund_due {
            self.raise(
                AlertKind::RefundDue,
                format!("Refund due: {id}"),
                "The supplier refused an order that was paid. Give the payment back and record it on the Orders screen.".into(),
                Some(id.clone()),
            )
            .await;
        }
    }

    /// The alert list, newest first.
    pub fn list(&self) -> Vec<Alert> {
        let list = match self.list.lock() {
            Ok(l) => l.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        list.into_iter().rev().collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Notifier for Recorder {
        fn notify(&self, title: &str, _body: &str) -> Result<(), String> {
            self.0.lock().unwrap().push(title.to_string());
            Ok(())
        }
    }

    struct NoDaemon;

    impl Notifier for NoDaemon {
        fn notify(&self, _: &str, _: &str) -> Result<(), String> {
            Err("org.freedesktop.DBus.Error.ServiceUnknown: no notification daemon".into())
        }
    }

    #[test]
    fn an_alert_is_listed_and_shown() {
        let recorder = Arc::new(Recorder::default());
        let alerts = Alerts::new(recorder.clone());
        tauri::async_runtime::block_on(alerts.after_recovery(&["ORD-000007".into()]));
        assert_eq!(*recorder.0.lock().unwrap(), ["Refund due: ORD-000007"]);
        let list = alerts.list();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].kind, AlertKind::RefundDue);
        assert_eq!(list[0].order_id.as_deref(), Some("ORD-000007"));
        assert_eq!(list[0].delivery, Delivery::Notified);
    }

    #[test]
    fn without_a_notification_daemon_the_alert_is_kept_and_nothing_fails() {
        let alerts = Alerts::new(Arc::new(NoDaemon));
        tauri::async_runtime::block_on(
            alerts.after_recovery(&["ORD-000008".into(), "ORD-000009".into()]),
        );
        let list = alerts.list();
        assert_eq!(list.len(), 2);
        assert_eq!(
            list[0].order_id.as_deref(),
            Some("ORD-000009"),
            "newest first"
        );
        assert!(list.iter().all(|a| a.delivery == Delivery::ListOnly));
    }

    /// A real desktop notification. Needs a session bus with a notification daemon:
    /// `xvfb-run -a dbus-run-session -- sh -c 'dunst & sleep 1; cargo test -p
    /// codetill-app desktop_notification -- --ignored'`.
    #[test]
    #[ignore = "needs a notification daemon (dunst) on a D-Bus session"]
    fn desktop_notification_reaches_the_daemon() {
        DesktopNotifier
            .notify(
                "codetill test",
                "a desktop notification from the test suite",
            )
            .unwrap();
    }
}
