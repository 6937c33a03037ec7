//! `ListNotifications`, the same in every service that sends e-mail.

use gcc_proto::notification as pb;
use tonic::Code;

use super::store::{NotificationRow, NotificationState, list};
use super::{Delivery, Mailer};
use crate::db::Db;
use crate::error::Problem;
use crate::paging::Page;
use crate::time::{from_micros, to_timestamp};

/// Answers a `ListNotificationsRequest`: for `tenant` only, or all (`None`, reviewers).
pub async fn list_notifications(
    db: &Db,
    mailer: &Mailer,
    tenant: Option<&str>,
    req: &pb::ListNotificationsRequest,
    max_message_bytes: usize,
) -> Result<pb::ListNotificationsResponse, Problem> {
    if req.about.chars().count() > 300 {
        return Err(Problem::invalid_field("about", "FIELD_TOO_LONG", "at most 300 characters"));
    }
    let state = match req.state {
        0 => None,
        n => match pb::notification::State::try_from(n) {
            Ok(s) => Some(state_from(s).ok_or_else(|| bad_state(n))?),
            Err(_) => return Err(bad_state(n)),
        },
    };
    let fingerprint = format!("{tenant:?}/{}/{:?}", req.about, state);
    let page = Page::parse(req.page_size, &req.page_token, &fingerprint)?;
    let rows = list(db, tenant, &req.about, state, &page.after, page.limit()).await.map_err(|e| {
        Problem::new(Code::Unavailable, "STORAGE_UNAVAILABLE", format!("cannot read notifications: {e}"))
    })?;
    let (notifications, next_page_token) = page.finish(rows, |n| n.id.clone(), to_wire, max_message_bytes)?;
    Ok(pb::ListNotificationsResponse { notifications, next_page_token, delivery: delivery(mailer) as i32 })
}

fn bad_state(n: i32) -> Problem {
    Problem::invalid_field("state", "ENUM_VALUE_INVALID", format!("{n} is not a notification state"))
}

fn state_from(s: pb::notification::State) -> Option<NotificationState> {
    match s {
        pb::notification::State::Unspecified => None,
        pb::notification::State::Pending => Some(NotificationState::Pending),
        pb::notification::State::Sent => Some(NotificationState::Sent),
        pb::notification::State::Failed => Some(NotificationState::Failed),
        pb::notification::State::Logged => Some(NotificationState::Logged),
    }
}

fn state_to(s: NotificationState) -> pb::notification::State {
    match s {
        NotificationState::Pending => pb::notification::State::Pending,
        NotificationState::Sent => pb::notification::State::Sent,
        NotificationState::Failed => pb::notification::State::Failed,
        NotificationState::Logged => pb::notification::State::Logged,
    }
}

pub fn delivery(mailer: &Mailer) -> pb::Delivery {
    match mailer.delivery() {
        Delivery::Smtp => pb::Delivery::Smtp,
        Delivery::File => pb::Delivery::File,
        Delivery::LogOnly => pb::Delivery::LogOnly,
    }
}

fn to_wire(n: &NotificationRow) -> pb::Notification {
    pb::Notification {
        name: format!("notifications/{}", n.id),
        kind: n.kind.clone(),
        about: n.about.clone(),
        to: n.to.clone(),
        cc: n.cc.clone(),
        subject: n.subject.clone(),
        state: state_to(n.state) as i32,
        attempts: i32::try_from(n.attempts).unwrap_or(i32::MAX),
        last_error: n.last_error.clone().unwrap_or_default(),
        create_time: Some(to_timestamp(from_micros(n.created_at))),
        update_time: Some(to_timestamp(from_micros(n.updated_at))),
        next_attempt_time: (n.state == NotificationState::Pending)
            .then(|| to_timestamp(from_micros(n.next_attempt_at))),
    }
}
