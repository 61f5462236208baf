//! The shop's staff: who may sign in at a till, with which role, and the audit log
//! of what they did.
//!
//! - Members of staff have a unique name, a role ([`Role`]: owner, manager,
//!   cashier), a PIN kept only as an Argon2id hash ([`pin`]) and an enabled flag.
//!   The first run creates the owner ([`add_first_owner`]).
//! - Sign-in ([`login`]) is by name and PIN, or by PIN alone at the PIN pad: PINs
//!   are unique among enabled staff, so a PIN names its owner. Five wrong PINs lock
//!   that member for [`LOCK_FOR`] (a wrong PIN typed alone, which names nobody,
//!   counts against the pad, which locks the same way). The counts and locks are
//!   stored, so a restart resets nothing.
//! - [`permission`] is the one table of who may do what; the till checks it before
//!   every privileged action and writes a refusal to the audit log.
//! - [`audit`] is the tamper-evident log every audited action writes through.

pub mod audit;
pub mod permission;
pub mod pin;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{Db, DbError, Flag, now_text, time_text};

pub use permission::{Action, Refused, authorize};

/// Wrong PINs in a row that lock a member (or the pad).
pub const MAX_WRONG_PINS: i64 = 5;
/// How long they stay locked.
pub const LOCK_FOR: Duration = Duration::from_secs(60);

/// The PIN pad counts wrong PINs typed alone over this long: a right PIN does
/// not clear the count (anyone could then guess others' PINs between their own),
/// and a typo this old is forgotten.
pub const PAD_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Longest name a member of staff has (it is printed on receipts).
const MAX_NAME_CHARS: usize = 40;

/// What a member of staff may do (see [`permission`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Cashier,
    Manager,
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Cashier, Role::Manager, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Manager => "manager",
            Role::Owner => "owner",
        }
    }

    /// Each role may do all that the roles below it may.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Role::Cashier => 0,
            Role::Manager => 1,
            Role::Owner => 2,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = StaffError;
    fn from_str(s: &str) -> Result<Role, StaffError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cashier" => Ok(Role::Cashier),
            "manager" => Ok(Role::Manager),
            "owner" => Ok(Role::Owner),
            other => Err(StaffError::bad_input(
                "role",
                format!("{other:?} is not one of owner, manager, cashier"),
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// A field that cannot be taken; the message names it.
    #[error("{message}")]
    BadInput {
        field: &'static str,
        message: String,
    },
    #[error("no member of staff is called {0:?}")]
    NotFound(String),
    #[error("{0:?} is already on the staff")]
    Exists(String),
    #[error("the staff already has an owner: the first-run owner is made once")]
    HasOwner,
    #[error("wrong PIN ({left} more before a {seconds} s lock)", seconds = LOCK_FOR.as_secs())]
    WrongPin { left: i64 },
    /// Five wrong PINs: `who` (a name, or "the PIN pad") waits `seconds`.
    #[error("{who} is locked after {max} wrong PINs: try again in {seconds} s", max = MAX_WRONG_PINS)]
    Locked { who: String, seconds: u64 },
    #[error("{0} is disabled")]
    Disabled(String),
    #[error("{0} is the last enabled owner: make another owner first")]
    LastOwner(String),
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("PIN hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl StaffError {
    pub fn bad_input(field: &'static str, message: impl std::fmt::Display) -> StaffError {
        StaffError::BadInput {
            field,
            message: format!("{field}: {message}"),
        }
    }
}

impl From<sqlx::Error> for StaffError {
    fn from(e: sqlx::Error) -> Self {
        StaffError::Db(DbError::from(e))
    }
}

/// A member of staff as the owner's list shows them (never the PIN's hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Member {
    pub id: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    #[sqlx(try_from = "crate::db::Flag")]
    pub enabled: bool,
    /// Locked after wrong PINs until then (RFC 3339 UTC), if in the future.
    pub locked_until: Option<String>,
    pub created_at: String,
}

impl TryFrom<String> for Role {
    type Error = StaffError;
    fn try_from(s: String) -> Result<Role, StaffError> {
        s.parse()
    }
}

const MEMBER: &str = "SELECT id, name, role, enabled, locked_until, created_at FROM staff";

/// A name as typed: trimmed, not empty, printable, not too long.
pub fn check_name(name: &str) -> Result<&str, StaffError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StaffError::bad_input("name", "empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(StaffError::bad_input(
            "name",
            format!("longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(StaffError::bad_input("name", "control characters"));
    }
    Ok(name)
}

/// Everyone on the staff, in the order they were added.
pub async fn list(db: &Db) -> Result<Vec<Member>, StaffError> {
    Ok(sqlx::query_as(&format!("{MEMBER} ORDER BY id"))
        .fetch_all(db.pool())
        .await?)
}

/// The member called `name` (any case).
pub async fn find(db: &Db, name: &str) -> Result<Member, StaffError> {
    sqlx::query_as(&format!("{MEMBER} WHERE name = $1"))
        .bind(name.trim())
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| StaffError::NotFound(name.trim().to_string()))
}

/// The member with this id.
pub async fn get(db: &Db, id: i64) -> Result<Option<Member>, StaffError> {
    Ok(sqlx::query_as(&format!("{MEMBER} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

/// Does the shop still need its first owner (no staff at all)?
pub async fn needs_owner(db: &Db) -> Result<bool, StaffError> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM staff")
        .fetch_one(db.pool())
        .await?;
    Ok(n == 0)
}

/// A new member of staff as asked for.
#[derive(Debug, Clone)]
pub struct NewMember<'a> {
    pub name: &'a str,
    pub role: Role,
    pub pin: &'a str,
}

/// Adds a member (the caller has checked that `actor` may); audited in the same
/// transaction. The PIN must be unused among enabled staff: at the PIN pad a PIN
/// alone names its owner.
pub async fn add(db: &Db, new: &NewMember<'_>, actor: &str) -> Result<Member, StaffError> {
    insert(db, new, actor, false).await
}

/// The first run's owner: only while the staff is empty.
pub async fn add_first_owner(db: &Db, name: &str, pin: &str) -> Result<Member, StaffError> {
    let new = NewMember {
        name,
        role: Role::Owner,
        pin,
    };
    insert(db, &new, "first run", true).await
}

async fn insert(
    db: &Db,
    new: &NewMember<'_>,
    actor: &str,
    first: bool,
) -> Result<Member, StaffError> {
    let name = check_name(new.name)?;
    let pin = pin::check(new.pin)?;
    let hash = pin::hash_blocking(pin).await?;
    let taken = pin_taken(db, pin).await?;
    let now = now_text();
    let mut tx = db.begin_write().await?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM staff")
        .fetch_one(&mut *tx)
        .await?;
    if first && count > 0 {
        return Err(StaffError::HasOwner);
    }
    if count == 0 && new.role != Role::Owner {
        return Err(StaffError::bad_input(
            "role",
            "the first member of staff is the shop's owner",
        ));
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM staff WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_some() {
        return Err(StaffError::Exists(name.to_string()));
    }
    if taken {
        return Err(StaffError::bad_input(
            "pin",
            "another member of staff has this PIN; choose another",
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO staff (name, role, pin_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(name)
    .bind(new.role.as_str())
    .bind(&hash)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    let detail = format!("added {name} as {}", new.role);
    audit::record(
        &mut tx,
        &audit::Entry {
            actor,
            action: "staff",
            detail: Some(&detail),
            at: Some(&now),
            ..audit::Entry::default()
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!(staff = %name, role = %new.role, "member of staff added");
    get(db, id)
        .await?
        .ok_or_else(|| StaffError::NotFound(name.to_string()))
}

/// Is `pin` already some enabled member's PIN?
async fn pin_taken(db: &Db, pin: &str) -> Result<bool, StaffError> {
    let hashes: Vec<String> = sqlx::query_scalar("SELECT pin_hash FROM staff WHERE enabled = 1")
        .fetch_all(db.pool())
        .await?;
    Ok(!pin::matching(pin, hashes).await?.is_empty())
}

/// Disables `name` (the caller has checked that `actor` may); audited. The last
/// enabled owner is never disabled: the shop would have nobody to manage it.
pub async fn disable(db: &Db, name: &str, actor: &str) -> Result<Member, StaffError> {
    let member = find(db, name).await?;
    let now = now_text();
    let mut tx = db.begin_write().await?;
    if member.role == Role::Owner {
        let owners: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM staff WHERE role = 'owner' AND enabled = 1 AND id != $1",
        )
        .bind(member.id)
        .fetch_one(&mut *tx)
        .await?;
        if owners == 0 {
            return Err(StaffError::LastOwner(member.name));
        }
    }
    set_enabled(db, tx, &member, false, actor, &now).await
}

/// Enables `name` again (the caller has checked that `actor` may); audited. Their
/// PIN is kept: if someone since took the same PIN, a PIN alone names nobody and the
/// pad asks for the name (see [`login`]), so nobody signs in as someone else.
pub async fn enable(db: &Db, name: &str, actor: &str) -> Result<Member, StaffError> {
    let member = find(db, name).await?;
    if member.enabled {
        return Ok(member);
    }
    let tx = db.begin_write().await?;
    set_enabled(db, tx, &member, true, actor, &now_text()).await
}

/// Enables or disables `member` in `tx` with its audit row, commits, and reads the
/// member back.
async fn set_enabled(
    db: &Db,
    mut tx: crate::db::WriteTx,
    member: &Member,
    enabled: bool,
    actor: &str,
    now: &str,
) -> Result<Member, StaffError> {
    sqlx::query("UPDATE staff SET enabled = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(enabled))
        .bind(now)
        .bind(member.id)
        .execute(&mut *tx)
        .await?;
    let done = if enabled { "enabled" } else { "disabled" };
    let detail = format!("{done} {}", member.name);
    audit::record(
        &mut tx,
        &audit::Entry {
            actor,
            action: "staff",
            detail: Some(&detail),
            at: Some(now),
            ..audit::Entry::default()
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!(staff = %member.name, "member of staff {done}");
    get(db, member.id)
        .await?
        .ok_or_else(|| StaffError::NotFound(member.name.clone()))
}

/// Signs in with `pin`, as `name` when given, else as whoever the PIN belongs to.
pub async fn login(db: &Db, name: Option<&str>, pin: &str) -> Result<Member, StaffError> {
    login_at(db, name, pin, Utc::now()).await
}

/// [`login`] at the instant `now` (tests move time past a lock).
pub async fn login_at(
    db: &Db,
    name: Option<&str>,
    pin: &str,
    now: DateTime<Utc>,
) -> Result<Member, StaffError> {
    let pin = pin::check(pin)?;
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => login_named(db, name, pin, now).await,
        None => login_pin_only(db, pin, now).await,
    }
}

/// (id, name, enabled, locked_until, pin_hash)
type Candidate = (i64, String, Flag, Option<String>, String);

/// Seconds left of a lock that runs until `until`, if it has not run out.
fn locked_for(until: Option<&str>, now: DateTime<Utc>) -> Option<u64> {
    let until = DateTime::parse_from_rfc3339(until?)
        .ok()?
        .with_timezone(&Utc);
    let left = (until - now).num_milliseconds();
    (left > 0).then(|| (left as u64).div_ceil(1000))
}

async fn login_named(
    db: &Db,
    name: &str,
    pin: &str,
    now: DateTime<Utc>,
) -> Result<Member, StaffError> {
    let found: Option<Candidate> = sqlx::query_as(
        "SELECT id, name, enabled, locked_until, pin_hash FROM staff WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(db.pool())
    .await?;
    let Some((id, name, enabled, locked_until, hash)) = found else {
        return Err(StaffError::NotFound(name.to_string()));
    };
    if !enabled.0 {
        return Err(StaffError::Disabled(name));
    }
    if let Some(seconds) = locked_for(locked_until.as_deref(), now) {
        return Err(StaffError::Locked { who: name, seconds });
    }
    if pin::matching(pin, vec![hash]).await?.is_empty() {
        return wrong_pin(db, "staff", Some(id), &name, now).await;
    }
    signed_in(db, id).await
}

async fn login_pin_only(db: &Db, pin: &str, now: DateTime<Utc>) -> Result<Member, StaffError> {
    let pad: Option<String> = sqlx::query_scalar("SELECT locked_until FROM pin_pad WHERE id = 1")
        .fetch_optional(db.pool())
        .await?
        .flatten();
    if let Some(seconds) = locked_for(pad.as_deref(), now) {
        return Err(StaffError::Locked {
            who: "the PIN pad".into(),
            seconds,
        });
    }
    let candidates: Vec<Candidate> = sqlx::query_as(
        "SELECT id, name, enabled, locked_until, pin_hash FROM staff WHERE enabled = 1 ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    let hashes = candidates.iter().map(|c| c.4.clone()).collect();
    let matched = pin::matching(pin, hashes).await?;
    match matched.as_slice() {
        [] => wrong_pin(db, "pin_pad", None, "the PIN pad", now).await,
        [one] => {
            let (id, name, _, locked_until, _) = &candidates[*one];
            if let Some(seconds) = locked_for(locked_until.as_deref(), now) {
                return Err(StaffError::Locked {
                    who: name.clone(),
                    seconds,
                });
            }
            signed_in(db, *id).await
        }
        // PINs are unique when added; two that match were made some other way.
        _ => Err(StaffError::bad_input(
            "pin",
            "more than one member of staff has this PIN: sign in with your name",
        )),
    }
}

/// Counts a wrong PIN against a member (`id`) or the pad; the fifth in a row
/// locks for [`LOCK_FOR`] and starts the count again.
async fn wrong_pin(
    db: &Db,
    table: &'static str,
    id: Option<i64>,
    who: &str,
    now: DateTime<Utc>,
) -> Result<Member, StaffError> {
    let until = time_text(now + chrono::Duration::seconds(LOCK_FOR.as_secs() as i64));
    let mut tx = db.begin_write().await?;
    let failed: i64 = if table == "pin_pad" {
        // The pad's count runs over a window that only its own start opens.
        let window_start = time_text(now - chrono::Duration::seconds(PAD_WINDOW.as_secs() as i64));
        sqlx::query_scalar(
            "UPDATE pin_pad SET
                 failed_pins = CASE WHEN failed_since IS NULL OR failed_since < $1
                                    THEN 1 ELSE failed_pins + 1 END,
                 failed_since = CASE WHEN failed_since IS NULL OR failed_since < $1
                                     THEN $2 ELSE failed_since END
             WHERE id = 1 RETURNING failed_pins",
        )
        .bind(&window_start)
        .bind(time_text(now))
        .fetch_one(&mut *tx)
        .await?
    } else {
        // `table` is one of two names fixed above, never input.
        sqlx::query_scalar(&format!(
            "UPDATE {table} SET failed_pins = failed_pins + 1 WHERE id = $1 RETURNING failed_pins"
        ))
        .bind(id.unwrap_or(1))
        .fetch_one(&mut *tx)
        .await?
    };
    let locked = failed >= MAX_WRONG_PINS;
    if locked {
        let since = if table == "pin_pad" {
            ", failed_since = NULL"
        } else {
            ""
        };
        sqlx::query(&format!(
            "UPDATE {table} SET failed_pins = 0, locked_until = $1{since} WHERE id = $2"
        ))
        .bind(&until)
        .bind(id.unwrap_or(1))
        .execute(&mut *tx)
        .await?;
        let detail = format!("{who} locked for {} s", LOCK_FOR.as_secs());
        audit::record(
            &mut tx,
            &audit::Entry {
                actor: who,
                action: "locked",
                detail: Some(&detail),
                ..audit::Entry::default()
            },
        )
        .await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    if locked {
        tracing::warn!(%who, "locked after {MAX_WRONG_PINS} wrong PINs");
        return Err(StaffError::Locked {
            who: who.to_string(),
            seconds: LOCK_FOR.as_secs(),
        });
    }
    Err(StaffError::WrongPin {
        left: MAX_WRONG_PINS - failed,
    })
}

/// A right PIN: the member's count starts again. The pad's does not (see
/// [`PAD_WINDOW`]).
async fn signed_in(db: &Db, id: i64) -> Result<Member, StaffError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE staff SET failed_pins = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await.map_err(DbError::from)?;
    let member = get(db, id)
        .await?
        .ok_or_else(|| StaffError::NotFound(id.to_string()))?;
    tracing::info!(staff = %member.name, role = %member.role, "signed in");
    Ok(member)
}

#[cfg(test)]
mod tests;
