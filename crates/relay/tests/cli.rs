//! The admin CLI: `--json` output, the secret from stdin, the master key from
//! the environment or a 0600 file, and nothing secret stored in the clear.
#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;

use codetill_relay::MasterKey;
use common::{admin_command, admin_json};

#[test]
fn shop_endpoint_and_token_commands_print_one_json_object() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("relay.db").display());
    let key = MasterKey::generate().to_hex();

    let shop = admin_json(
        &db,
        None,
        &["shop", "add", "--name", "Main St", "--json"],
        "",
    );
    let shop_id = shop["shop_id"].as_str().unwrap();
    let token = shop["token"].as_str().unwrap();
    assert!(token.starts_with("crt_") && token.len() == 4 + 64);

    let secret = "whsec_do_not_store_me_in_the_clear";
    let endpoint = admin_json(
        &db,
        Some(&key),
        &[
            "endpoint",
            "add",
            "--shop",
            shop_id,
            "--provider",
            "stripe",
            "--json",
        ],
        &format!("{secret}\n"),
    );
    assert_eq!(endpoint["shop_id"], shop_id);
    assert_eq!(endpoint["provider"], "stripe");
    let endpoint_id = endpoint["endpoint_id"].as_str().unwrap();
    let random = endpoint_id.strip_prefix("ep_").unwrap();
    assert!(random.len() * 4 >= 128 && random.chars().all(|c| c.is_ascii_hexdigit()));

    let rotated = admin_json(
        &db,
        None,
        &["token", "rotate", "--shop", shop_id, "--json"],
        "",
    );
    assert_eq!(rotated["shop_id"], shop_id);
    assert_ne!(rotated["token"], token);

    // Neither the webhook secret nor a client token is in the database files.
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    for needle in [secret, token, rotated["token"].as_str().unwrap()] {
        assert!(
            !stored.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} is stored in the clear"
        );
    }
}

#[test]
fn plain_output_is_for_people() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("relay.db").display());
    let output = admin_command(&db, None, &["shop", "add", "--name", "Plain"], "");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("shop_id") && text.contains("token") && text.contains("shown once"));
}

#[test]
fn endpoint_add_refuses_without_a_key_a_secret_or_a_known_shop_and_provider() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("relay.db").display());
    let key = MasterKey::generate().to_hex();
    let shop = admin_json(&db, None, &["shop", "add", "--name", "S", "--json"], "");
    let shop_id = shop["shop_id"].as_str().unwrap();
    let add = |key: Option<&str>, shop: &str, provider: &str, stdin: &str| {
        let out = admin_command(
            &db,
            key,
            &["endpoint", "add", "--shop", shop, "--provider", provider],
            stdin,
        );
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, err) = add(None, shop_id, "stripe", "s\n");
    assert!(!ok && err.contains("CODETILL_RELAY_MASTER_KEY"), "{err}");
    let (ok, err) = add(Some(&key), shop_id, "stripe", "\n\n");
    assert!(!ok && err.contains("no webhook secret"), "{err}");
    let (ok, err) = add(Some(&key), shop_id, "paypal", "s\n");
    assert!(!ok && err.contains("unknown provider"), "{err}");
    let (ok, err) = add(Some(&key), "shop_nope", "stripe", "s\n");
    assert!(!ok && err.contains("unknown shop"), "{err}");
    let (ok, err) = add(Some("abc"), shop_id, "stripe", "s\n");
    assert!(!ok && err.contains("64 hex digits"), "{err}");
    let out = admin_command(&db, None, &["token", "rotate", "--shop", "shop_nope"], "");
    assert!(!out.status.success());
}

#[test]
fn the_master_key_file_must_be_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let key = MasterKey::generate();
    std::fs::write(&path, format!("{}\n", key.to_hex())).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = MasterKey::from_file(&path).unwrap_err().to_string();
    assert!(refused.contains("chmod 600"), "{refused}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let loaded = MasterKey::from_file(&path).unwrap();
    assert_eq!(loaded.to_hex(), key.to_hex());
}
