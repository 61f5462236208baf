//! Alerts on the desktop. Core decides when an alert is due, raises it where it
//! happens and keeps it in the database (so the list survives a restart, and a rule that
//! keeps firing raises one alert, not one a minute). Here each new alert is announced
//! to the UI as an `alert-raised` event and shown as a desktop notification through
//! a [`Notifier`]. Once the UI listens, it words the notification in the shop's
//! language (English or Hindi) and asks for it; until then (at start, say) it is
//! shown in English from here. A desktop without a notification daemon is logged,
//! never fatal: the alert is still in the list.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use codetill_core::alerts::{Alert, AlertSink};

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

type Listener = Box<dyn Fn(&Alert) + Send + Sync>;

/// Where new alerts are shown: the desktop, and the UI once it listens.
pub struct Alerts {
    notifier: Arc<dyn Notifier>,
    listener: OnceLock<Listener>,
    /// The UI words and asks for each notification itself.
    worded_by_ui: AtomicBool,
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
            listener: OnceLock::new(),
            worded_by_ui: AtomicBool::new(false),
        }
    }

    /// Called with every new alert (the app emits it to the UI). Set once, at start.
    pub fn set_listener(&self, listener: Listener) {
        if self.listener.set(listener).is_err() {
            tracing::warn!("the alert listener was already set");
        }
    }

    /// From now on the UI words each new alert's notification (in its language) and
    /// asks for it with [`Alerts::notify`]; called once it listens for alerts.
    pub fn word_notifications_in_ui(&self) {
        self.worded_by_ui.store(true, Ordering::Relaxed);
    }

    /// Shows new alerts; a notification that fails is logged and the alert stays listed.
    pub async fn show(&self, raised: impl IntoIterator<Item = Alert>) {
        for alert in raised {
            if let Some(listener) = self.listener.get() {
                listener(&alert);
            }
            if !self.worded_by_ui.load(Ordering::Relaxed) {
                self.notify(alert.kind.title().to_string(), alert.message.clone())
                    .await;
            }
        }
    }

    /// One desktop notification; a failure is logged (the alert is in the app's list).
    pub async fn notify(&self, title: String, body: String) {
        let notifier = self.notifier.clone();
        let shown =
            tauri::async_runtime::spawn_blocking(move || notifier.notify(&title, &body)).await;
        match shown {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(
                error = %e,
                "no desktop notification (the alert is in the app's list)"
            ),
            Err(e) => tracing::warn!(error = %e, "the notification task failed"),
        }
    }
}

/// Core raises alerts where they happen (a sale, a sync, a health check, recovery)
/// and tells the app here.
#[async_trait::async_trait]
impl AlertSink for Alerts {
    async fn raised(&self, alert: &Alert) {
        self.show([alert.clone()]).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use codetill_core::alerts::AlertKind;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Notifier for Recorder {
        fn notify(&self, title: &str, body: &str) -> Result<(), String> {
            self.0.lock().unwrap().push(format!("{title}: {body}"));
            Ok(())
        }
    }

    struct NoDaemon;

    impl Notifier for NoDaemon {
        fn notify(&self, _: &str, _: &str) -> Result<(), String> {
            Err("org.freedesktop.DBus.Error.ServiceUnknown: no notification daemon".into())
        }
    }

    fn unreachable_alert(id: i64) -> Alert {
        Alert {
            id,
            kind: AlertKind::SupplierUnreachable,
            message: "The supplier cannot be reached".into(),
            facts: None,
            order_ref: None,
            created_at: "2026-03-01T09:00:00.000Z".into(),
            state: codetill_core::alerts::AlertState::Open,
        }
    }

    /// Alerts that notify a recorder, with a listener (the UI) noting the ids it hears.
    fn listened() -> (Alerts, Arc<Recorder>, Arc<Mutex<Vec<i64>>>) {
        let recorder = Arc::new(Recorder::default());
        let alerts = Alerts::new(recorder.clone());
        let announced = Arc::new(Mutex::new(Vec::new()));
        let seen = announced.clone();
        alerts.set_listener(Box::new(move |a| seen.lock().unwrap().push(a.id)));
        (alerts, recorder, announced)
    }

    #[test]
    fn a_new_alert_is_shown_on_the_desktop_and_announced_to_the_ui() {
        let (alerts, recorder, announced) = listened();
        tauri::async_runtime::block_on(alerts.show([unreachable_alert(7)]));
        assert_eq!(
            *recorder.0.lock().unwrap(),
            ["Supplier unreachable: The supplier cannot be reached"]
        );
        assert_eq!(*announced.lock().unwrap(), [7]);
    }

    #[test]
    fn once_the_ui_words_notifications_it_alone_asks_for_them() {
        let (alerts, recorder, announced) = listened();
        alerts.word_notifications_in_ui();
        tauri::async_runtime::block_on(async {
            alerts.show([unreachable_alert(8)]).await;
            alerts
                .notify("सप्लायर से संपर्क नहीं".into(), "बिक्री रुकी है".into())
                .await;
        });
        assert_eq!(*announced.lock().unwrap(), [8], "the UI still hears of it");
        assert_eq!(
            *recorder.0.lock().unwrap(),
            ["सप्लायर से संपर्क नहीं: बिक्री रुकी है"],
            "one notification, the UI's, not an English one besides"
        );
    }

    #[test]
    fn without_a_notification_daemon_nothing_fails() {
        let alerts = Alerts::new(Arc::new(NoDaemon));
        tauri::async_runtime::block_on(alerts.show([unreachable_alert(1), unreachable_alert(2)]));
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
