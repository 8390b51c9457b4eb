//! Accounts and roles: every staff server function and download × every role (and nobody, and a
//! disabled account) → allowed or refused; a refusal changes nothing. Accounts made by an admin
//! with a temporary password, changed at the first sign-in; disabling one ends its sessions.

use crate::common::{client, spawn_app, TestApp, TestRedis, ADMIN_PASSWORD};
use serde_json::Value;

/// Signs `client` in as `login` with `password`: the status and body.
async fn sign_in_as(
    app: &TestApp,
    client: &reqwest::Client,
    login: &str,
    password: &str,
) -> (u16, Value) {
    app.post_form(
        client,
        "/api/admin/login",
        &[("login", login), ("password", password)],
    )
    .await
}

/// An account made by the owner, signed in on a client of its own with its chosen password.
async fn account(
    app: &TestApp,
    owner: &reqwest::Client,
    login: &str,
    role: &str,
) -> (String, reqwest::Client) {
    let (status, made) = app
        .post_form(
            owner,
            "/api/admin/create_account",
            &[("login", login), ("name", login), ("role", role)],
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let temporary = made["password"].as_str().unwrap().to_owned();
    let person = client();
    let (status, _) = sign_in_as(app, &person, login, &temporary).await;
    assert!(status < 400, "{status}");
    // a temporary password opens nothing but the change of password
    let (status, body) = app
        .post_form(&person, "/api/admin/console", &[("queue", "default")])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("password_change_required"))
    );
    let chosen = format!("{login}-chosen-password");
    let (status, body) = app
        .post_form(
            &person,
            "/api/admin/change_password",
            &[
                ("current", &temporary),
                ("new", &chosen),
                ("again", &chosen),
            ],
        )
        .await;
    assert!(status < 400, "{status} {body}");
    let (status, _) = app
        .post_form(&person, "/api/admin/console", &[("queue", "default")])
        .await;
    assert_eq!(status, 200, "the session goes on after the change");
    // the temporary password is gone
    let (status, _) = sign_in_as(app, &client(), login, &temporary).await;
    assert_eq!(status, 401);
    (chosen, person)
}

/// What a refused request must leave as it was: the queue, its settings, the kiosks, the
/// accounts (read by the owner).
async fn everything(app: &TestApp, owner: &reqwest::Client) -> Vec<Value> {
    let mut seen = vec![app.get_json("/api/v1/queues/default").await];
    for path in [
        "/api/admin/console",
        "/api/admin/kiosks",
        "/api/admin/accounts",
    ] {
        let form: &[(&str, &str)] = if path.ends_with("console") {
            &[("queue", "default")]
        } else {
            &[]
        };
        let (status, mut body) = app.post_form(owner, path, form).await;
        assert_eq!(status, 200, "{path}: {body}");
        body.as_object_mut().map(|o| o.remove("now_ms"));
        if let Some(accounts) = body["accounts"].as_array_mut() {
            for a in accounts {
                a.as_object_mut().map(|o| o.remove("last_sign_in_at"));
            }
        }
        seen.push(body);
    }
    seen
}

/// A staff request: the least role it needs (`staff`, `manager`, `admin`), its path, its form.
type Request = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

fn requests() -> Vec<Request> {
    let q = ("queue", "default");
    vec![
        ("staff", "/api/admin/console", vec![q]),
        ("staff", "/api/admin/call_next", vec![q, ("counter", "1")]),
        (
            "staff",
            "/api/admin/act",
            vec![q, ("number", "999"), ("rev", "0"), ("action", "done")],
        ),
        (
            "staff",
            "/api/admin/ticket_phone",
            vec![q, ("number", "999")],
        ),
        (
            "staff",
            "/api/admin/call_phone",
            vec![q, ("number", "999"), ("counter", "1")],
        ),
        ("manager", "/api/admin/intake", vec![q, ("intake", "open")]),
        ("manager", "/api/admin/autodial", vec![q, ("places", "0")]),
        (
            "manager",
            "/api/admin/late",
            vec![q, ("places", "3"), ("no_show_after", "0")],
        ),
        (
            "manager",
            "/api/admin/hours",
            vec![q, ("opens", ""), ("closes", ""), ("limit", "0")],
        ),
        (
            "manager",
            "/api/admin/reset",
            vec![q, ("confirm", "not yet")],
        ),
        ("manager", "/api/admin/kiosks", vec![]),
        (
            "manager",
            "/api/admin/revoke_kiosk",
            vec![("id", "00000000000000000000000000000000")],
        ),
        ("manager", "/api/admin/history", vec![q]),
        ("manager", "/api/admin/dev_outbox", vec![]),
        ("manager", "/api/admin/contact_log", vec![]),
        ("admin", "/api/admin/accounts", vec![]),
        ("admin", "/api/admin/audit", vec![]),
        ("admin", "/api/admin/api_tokens", vec![]),
        (
            "admin",
            "/api/admin/revoke_api_token",
            vec![("id", "nobody")],
        ),
        (
            "admin",
            "/api/admin/account_role",
            vec![("id", "nobody"), ("role", "staff")],
        ),
        (
            "admin",
            "/api/admin/account_disabled",
            vec![("id", "nobody"), ("disabled", "true")],
        ),
        ("admin", "/api/admin/reset_password", vec![("id", "nobody")]),
    ]
}

fn rank(role: &str) -> u8 {
    match role {
        "staff" => 1,
        "manager" => 2,
        "admin" => 3,
        "owner" => 4,
        _ => 0,
    }
}

#[tokio::test]
async fn each_role_may_what_it_may_and_a_refusal_changes_nothing() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    app.issue("default").await;
    let owner = client();
    // the owner signs in as before: no login, the staff password
    assert!(app.sign_in(&owner, ADMIN_PASSWORD).await.is_success());
    let (_, staff) = account(&app, &owner, "staff.one", "staff").await;
    let (_, manager) = account(&app, &owner, "manager.one", "manager").await;
    let (_, admin) = account(&app, &owner, "admin.one", "admin").await;
    let (_, disabled) = account(&app, &owner, "gone", "staff").await;
    let accounts: Value = app.post_form(&owner, "/api/admin/accounts", &[]).await.1;
    let gone = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["login"] == "gone")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app
        .post_form(
            &owner,
            "/api/admin/account_disabled",
            &[("id", &gone), ("disabled", "true")],
        )
        .await;
    assert_eq!(status, 200);

    let people = [
        ("nobody", client()),
        ("disabled", disabled),
        ("staff", staff),
        ("manager", manager),
        ("admin", admin),
        ("owner", owner.clone()),
    ];
    for (needs, path, form) in requests() {
        for (who, person) in &people {
            let before = everything(&app, &owner).await;
            let (status, body) = app.post_form(person, path, &form).await;
            let code = body["error"].as_str().unwrap_or("");
            match *who {
                "nobody" | "disabled" => {
                    assert_eq!((status, code), (401, "not_signed_in"), "{who} {path}");
                }
                _ if rank(who) < rank(needs) => {
                    assert_eq!((status, code), (403, "not_allowed"), "{who} {path}: {body}");
                    assert_eq!(
                        body["needs"], needs,
                        "{who} {path}: the reason names the role"
                    );
                }
                _ => {
                    assert!(
                        !["not_signed_in", "not_allowed", "password_change_required"]
                            .contains(&code),
                        "{who} {path}: {status} {body}"
                    );
                    continue;
                }
            }
            assert_eq!(
                everything(&app, &owner).await,
                before,
                "{who} {path} changed something"
            );
        }
    }

    // the downloads of the history: a manager's session may, a staff's may not
    for path in [
        "/api/v1/queues/default/history",
        "/api/v1/queues/default/history.csv",
        "/api/v1/queues/default/tickets.csv",
    ] {
        for (who, person) in &people {
            let status = person
                .get(app.url(&format!("{path}?from=2026-11-01&to=2026-11-30")))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            let expected = match rank(who) {
                0 => 401,
                1 => 403,
                _ => 200,
            };
            assert_eq!(status, expected, "{who} {path}");
        }
    }
}

#[tokio::test]
async fn accounts_are_kept_by_admins_and_the_owner_is_kept() {
    let redis = TestRedis::start();
    let app = spawn_app(&redis).await;
    let owner = client();
    assert!(app.sign_in(&owner, ADMIN_PASSWORD).await.is_success());
    let (password, admin) = account(&app, &owner, "admin.two", "admin").await;

    // one login once; bad input refused
    for (login, name, role, error) in [
        ("admin.two", "x", "staff", "login_taken"),
        ("Bad Login!", "x", "staff", "bad_login"),
        ("ok", "", "staff", "bad_account_name"),
        ("ok", "x", "owner", "owner_is_kept"),
    ] {
        let (status, body) = app
            .post_form(
                &admin,
                "/api/admin/create_account",
                &[("login", login), ("name", name), ("role", role)],
            )
            .await;
        assert_eq!(body["error"], error, "{login} {status}");
    }
    let list = app.post_form(&admin, "/api/admin/accounts", &[]).await.1;
    let ids: Vec<(String, String)> = list["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["login"].as_str().unwrap().to_owned(),
                a["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        ids.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(),
        ["owner", "admin.two"],
        "the owner first; nothing refused was made"
    );
    let owner_id = &ids[0].1;
    let own_id = &ids[1].1;
    // the owner cannot be disabled, demoted or reset; nobody disables themselves
    for (path, form) in [
        (
            "/api/admin/account_disabled",
            vec![("id", owner_id.as_str()), ("disabled", "true")],
        ),
        (
            "/api/admin/account_role",
            vec![("id", owner_id.as_str()), ("role", "staff")],
        ),
        ("/api/admin/reset_password", vec![("id", owner_id.as_str())]),
        (
            "/api/admin/account_disabled",
            vec![("id", own_id.as_str()), ("disabled", "true")],
        ),
    ] {
        let (status, body) = app.post_form(&admin, path, &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (409, Some("owner_is_kept")),
            "{path}"
        );
    }
    assert!(
        app.sign_in(&client(), ADMIN_PASSWORD).await.is_success(),
        "the owner still signs in"
    );

    // a new password too short is refused and the old one stays
    let (status, body) = app
        .post_form(
            &admin,
            "/api/admin/change_password",
            &[("current", &password), ("new", "short"), ("again", "short")],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("weak_password"))
    );
    let (status, _) = sign_in_as(&app, &client(), "admin.two", &password).await;
    assert!(status < 400);

    // the owner resets the admin's password: every session of the admin ends
    let (status, reset) = app
        .post_form(&owner, "/api/admin/reset_password", &[("id", own_id)])
        .await;
    assert_eq!(status, 200);
    let (status, body) = app.post_form(&admin, "/api/admin/accounts", &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("not_signed_in"))
    );
    let (status, _) = sign_in_as(&app, &client(), "admin.two", &password).await;
    assert_eq!(status, 401, "the old password is gone");
    let again = client();
    let temporary = reset["password"].as_str().unwrap();
    let (status, _) = sign_in_as(&app, &again, "ADMIN.TWO", temporary).await;
    assert!(status < 400, "a login is typed in any case");
    let (status, body) = app.post_form(&again, "/api/admin/accounts", &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("password_change_required"))
    );

    // an unknown login and a wrong password are refused alike
    let (status, body) = sign_in_as(&app, &client(), "nobody", &password).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("wrong_password"))
    );
}
