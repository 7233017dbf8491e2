//! Accounts and roles: registration modes, invitations, admin user management ending sessions
//! and API tokens at once on every instance, and the API tokens themselves.

use serde_json::json;

use crate::access::token;
use crate::helpers::{PASSWORD, PNG, Sessions, rand_digits, spawn_app, spawn_app_with, spawn_twin};

/// A sign-in page asks who may sign up before it offers a form; anyone may ask.
#[tokio::test]
async fn the_registration_mode_is_public() {
    for (mode, layer) in [
        ("open", ""),
        ("invite", "[auth]\nregistration = \"invite\"\n"),
        ("closed", "[auth]\nregistration = \"closed\"\n"),
    ] {
        let app = spawn_app_with(Sessions::Embedded, layer).await;
        let answer = app.get("/api/v1/auth/registration").await;
        answer.assert_ok(200);
        assert_eq!(answer.data(), &json!({"mode": mode}), "{layer}");
        // What it says is what sign-up does.
        let n = rand_digits();
        let signed_up = app
            .register(&format!("135{n}"), &format!("m{n}@example.com"), PASSWORD)
            .await;
        match mode {
            "open" => signed_up.assert_ok(201),
            "invite" => signed_up.assert_error(403, "invitation_required"),
            _ => signed_up.assert_error(403, "registration_closed"),
        }
    }
}

/// The administrators' user list keeps role and state on a phone, whose own pages get a slim
/// user.
#[tokio::test]
async fn the_admin_user_list_and_changes_are_whole_on_a_phone() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let res = app
        .client
        .get(app.url("/api/v1/admin/users"))
        .bearer_auth(&admin.access)
        .header("x-client", "h5")
        .send()
        .await
        .unwrap();
    let listed = crate::helpers::Answer::from(res).await;
    listed.assert_ok(200);
    let row = listed.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == user.email.as_str())
        .cloned()
        .expect("the user is listed with their email");
    assert_eq!(row["role"], "user");
    assert_eq!(row["disabled"], false);
    assert!(
        row["phone"]
            .as_str()
            .is_some_and(|p| p.ends_with(user.phone.as_str())),
        "{row}"
    );
    // A change answers the user as the listing does.
    let res = app
        .client
        .patch(app.url(&format!(
            "/api/v1/admin/users/{}",
            row["id"].as_str().unwrap()
        )))
        .bearer_auth(&admin.access)
        .header("x-client", "h5")
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    let changed = crate::helpers::Answer::from(res).await;
    changed.assert_ok(200);
    assert_eq!(changed.data()["disabled"], true, "{}", changed.body);
    assert_eq!(changed.data()["email"], user.email.as_str());
    let id = row["id"].as_str().unwrap();
    app.patch_auth(
        &format!("/api/v1/admin/users/{id}"),
        &json!({"disabled": false}),
        &admin.access,
    )
    .await
    .assert_ok(200);
    // The user's own /me on a phone stays slim, with the role a page needs to offer admin
    // screens (disabling ended the old session).
    let login = app.login(&user.email, PASSWORD).await;
    login.assert_ok(200);
    let access = login.data()["accessToken"].as_str().unwrap().to_owned();
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&access)
        .header("x-client", "h5")
        .send()
        .await
        .unwrap();
    let me = crate::helpers::Answer::from(res).await;
    let keys: Vec<&String> = me.data().as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "name", "role"]);
}

#[tokio::test]
async fn invite_mode_takes_a_single_use_code_from_an_admin() {
    let app = spawn_app_with(Sessions::Redis, "[auth]\nregistration = \"invite\"\n").await;
    let admin = app.admin().await;
    let user = {
        let n = rand_digits();
        (format!("135{n}"), format!("i{n}@example.com"))
    };
    app.register(&user.0, &user.1, PASSWORD)
        .await
        .assert_error(403, "invitation_required");

    let created = app
        .post_json("/api/v1/admin/invitations", &json!({}), Some(&admin.access))
        .await;
    created.assert_ok(201);
    let code = created.data()["code"].as_str().unwrap().to_owned();
    let listed = app
        .get_auth("/api/v1/admin/invitations", &admin.access)
        .await;
    assert!(
        listed.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == code.as_str())
    );

    let body = json!({"phone": user.0, "email": user.1, "password": PASSWORD, "invitation": code});
    app.post_json("/api/v1/auth/register", &body, None)
        .await
        .assert_ok(201);
    let n = rand_digits();
    let again = json!({"phone": format!("135{n}"), "email": format!("j{n}@example.com"),
                       "password": PASSWORD, "invitation": code});
    app.post_json("/api/v1/auth/register", &again, None)
        .await
        .assert_error(403, "invalid_invitation");
    app.login(&user.1, PASSWORD).await.assert_ok(200);
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_tokens_on_every_instance() {
    let app = spawn_app().await;
    let twin = spawn_twin(&app).await;
    let admin = app.admin().await;
    let alice = app.user().await;
    let upload = token(&app, &alice.access, &["upload", "read"]).await;
    twin.get_auth("/api/v1/me", &alice.access)
        .await
        .assert_ok(200);
    twin.get_auth("/api/v1/me", &upload).await.assert_ok(200);
    let id = app.user_id(&alice.access).await;

    let res = app
        .patch_auth(
            &format!("/api/v1/admin/users/{id}"),
            &json!({"disabled": true}),
            &admin.access,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);

    twin.get_auth("/api/v1/me", &alice.access)
        .await
        .assert_error(401, "session_revoked");
    let refused = twin.get_auth("/api/v1/me", &upload).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    app.login(&alice.email, PASSWORD)
        .await
        .assert_error(403, "account_disabled");

    let res = app
        .patch_auth(
            &format!("/api/v1/admin/users/{id}"),
            &json!({"disabled": false}),
            &admin.access,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    app.login(&alice.email, PASSWORD).await.assert_ok(200);
    assert_eq!(twin.get_auth("/api/v1/me", &upload).await.status, 401);
}

#[tokio::test]
async fn a_deleted_user_is_logged_out_everywhere_and_their_email_is_free() {
    let app = spawn_app().await;
    let twin = spawn_twin(&app).await;
    let admin = app.admin().await;
    let alice = app.user().await;
    let id = app.user_id(&alice.access).await;
    let users = app.get_auth("/api/v1/admin/users", &admin.access).await;
    assert!(
        users.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == id.as_str())
    );

    let res = app
        .delete_auth(&format!("/api/v1/admin/users/{id}"), &admin.access)
        .await;
    assert_eq!(res.status, 200, "{}", res.body);

    assert_eq!(twin.get_auth("/api/v1/me", &alice.access).await.status, 401);
    app.login(&alice.email, PASSWORD)
        .await
        .assert_error(401, "invalid_credentials");
    app.register(&alice.phone, &alice.email, PASSWORD)
        .await
        .assert_ok(201);
}

#[tokio::test]
async fn a_role_change_applies_to_a_live_session_and_admins_cannot_demote_themselves() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let alice = app.user().await;
    let id = app.user_id(&alice.access).await;
    app.get_auth("/api/v1/admin/users", &alice.access)
        .await
        .assert_error(403, "admin_required");
    let res = app
        .patch_auth(
            &format!("/api/v1/admin/users/{id}"),
            &json!({"role": "admin"}),
            &admin.access,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    app.get_auth("/api/v1/admin/users", &alice.access)
        .await
        .assert_ok(200);

    let own = app.user_id(&admin.access).await;
    let res = app
        .patch_auth(
            &format!("/api/v1/admin/users/{own}"),
            &json!({"role": "user"}),
            &admin.access,
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
}

#[tokio::test]
async fn api_tokens_are_shown_once_listed_without_secret_and_revoked_at_once_everywhere() {
    let app = spawn_app().await;
    let twin = spawn_twin(&app).await;
    let alice = app.user().await;
    let created = app
        .post_json(
            "/api/v1/auth/tokens",
            &json!({"name": "PicGo", "scopes": ["upload"], "expiresIn": 3600}),
            Some(&alice.access),
        )
        .await;
    created.assert_ok(201);
    let secret = created.data()["token"].as_str().unwrap().to_owned();
    let id = created.data()["id"].as_str().unwrap().to_owned();

    // Bare, as upload tools send it, and as a bearer token.
    let bare = app
        .client
        .post(app.url("/api/v1/buckets/images/objects"))
        .header("authorization", &secret)
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("tool.png"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 201);
    twin.upload(&secret, "images", "tool2.png", PNG.to_vec())
        .await
        .assert_ok(201);

    let listed = app.get_auth("/api/v1/auth/tokens", &alice.access).await;
    let item = listed.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(item["name"], "PicGo");
    assert_eq!(item["scopes"], json!(["upload"]));
    assert!(item["lastUsed"].as_str().is_some(), "{item}");
    assert!(item["expiresAt"].as_str().is_some(), "{item}");
    assert!(item.get("token").is_none(), "{item}");
    assert!(!listed.body.to_string().contains(&secret));

    app.delete_auth(&format!("/api/v1/auth/tokens/{id}"), &alice.access)
        .await
        .assert_ok(200);
    let refused = twin
        .upload(&secret, "images", "tool3.png", PNG.to_vec())
        .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
}

#[tokio::test]
async fn only_admins_mint_admin_tokens_and_scopes_are_checked() {
    let app = spawn_app().await;
    let alice = app.user().await;
    app.post_json(
        "/api/v1/auth/tokens",
        &json!({"name": "x", "scopes": ["admin"]}),
        Some(&alice.access),
    )
    .await
    .assert_error(403, "admin_required");
    app.post_json(
        "/api/v1/auth/tokens",
        &json!({"name": "x", "scopes": ["write"]}),
        Some(&alice.access),
    )
    .await
    .assert_error(422, "validation_failed");
    let read = token(&app, &alice.access, &["read"]).await;
    let refused = app.upload(&read, "images", "r.png", PNG.to_vec()).await;
    refused.assert_error(403, "insufficient_scope");
    assert_eq!(refused.data()["scope"], "upload");
    app.post_json(
        "/api/v1/auth/tokens",
        &json!({"name": "y", "scopes": ["read"]}),
        Some(&read),
    )
    .await
    .assert_error(403, "session_required");
}
