//! People, stakeholders and milestone templates.

use crate::fixtures;
use releasedesk_tests::{on_both_databases, TestApp};
use serde_json::json;

async fn people_are_searchable_by_name_or_email(app: &TestApp) {
    fixtures::person(app, "Ada Lovelace").await;
    fixtures::person(app, "Grace Hopper").await;
    let found = app
        .ok("{ people(search: \"HOPP\") { name email } }", json!({}))
        .await;
    assert_eq!(found["people"].as_array().unwrap().len(), 1);
    assert_eq!(found["people"][0]["email"], "grace.hopper@example.com");
    let all = app.ok("{ people { name } }", json!({})).await;
    assert_eq!(all["people"][0]["name"], "Ada Lovelace");
    app.expect_code("{ people(first: 500) { name } }", json!({}), "VALIDATION")
        .await;
}

async fn stakeholders_are_added_once_and_removed_with_history(app: &TestApp) {
    let owner = fixtures::person(app, "Owner").await;
    let tester = fixtures::person(app, "Tess Tester").await;
    let release = fixtures::release(app, &owner, json!({ "title": "R", "type": "MINOR" })).await;
    let add = "mutation($r: ID!, $p: ID!, $role: StakeholderRole!) {
        addStakeholder(input: { releaseId: $r, personId: $p, role: $role, notify: false }) { id role notify person { name } } }";
    let added = app
        .ok(
            add,
            json!({ "r": release["id"], "p": tester, "role": "TESTER" }),
        )
        .await["addStakeholder"]
        .clone();
    assert_eq!(added["person"]["name"], "Tess Tester");
    assert_eq!(added["notify"], false);
    app.expect_code(
        add,
        json!({ "r": release["id"], "p": tester, "role": "TESTER" }),
        "CONFLICT",
    )
    .await;
    let owner_role = app
        .error(
            add,
            json!({ "r": release["id"], "p": tester, "role": "OWNER" }),
        )
        .await;
    assert_eq!(owner_role["extensions"]["field"], "role");

    app.ok(
        "mutation($id: ID!) { removeStakeholder(id: $id) { id } }",
        json!({ "id": added["id"] }),
    )
    .await;
    let after = app
        .ok(
            "query($id: ID!) { release(id: $id) { stakeholders { id role } history { kind from to } } }",
            json!({ "id": release["id"] }),
        )
        .await;
    let roles: Vec<_> = after["release"]["stakeholders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["role"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(roles, ["OWNER"]);
    let owner_entry = after["release"]["stakeholders"][0]["id"].clone();
    let kinds: Vec<_> = after["release"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "RELEASE_CREATED",
            "STAKEHOLDER_ADDED",
            "STAKEHOLDER_REMOVED"
        ]
    );
    app.expect_code(
        "mutation($id: ID!) { removeStakeholder(id: $id) { id } }",
        json!({ "id": owner_entry }),
        "VALIDATION",
    )
    .await;
}

async fn templates_are_listed_and_a_new_default_drives_major_releases(app: &TestApp) {
    let listed = app
        .ok("{ milestoneTemplates { name releaseType isDefault items { sequence title requiresApproval } } }", json!({}))
        .await;
    let shipped = &listed["milestoneTemplates"][0];
    assert_eq!(shipped["releaseType"], "MAJOR");
    assert_eq!(shipped["isDefault"], true);
    assert_eq!(shipped["items"].as_array().unwrap().len(), 6);

    let created = app
        .ok(
            "mutation { createMilestoneTemplate(input: { name: \"Lean major\", releaseType: MAJOR, isDefault: true,
                items: [{ title: \"Prepare\" }, { title: \"Go live\", requiresApproval: true }] }) { id isDefault items { title } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        created["createMilestoneTemplate"]["items"][1]["title"],
        "Go live"
    );
    let defaults = app
        .ok("{ milestoneTemplates { name isDefault } }", json!({}))
        .await;
    let default_names: Vec<_> = defaults["milestoneTemplates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["isDefault"] == true)
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(default_names, ["Lean major"]);

    let owner = fixtures::person(app, "Owner").await;
    let release = fixtures::release(app, &owner, json!({ "title": "M", "type": "MAJOR" })).await;
    let titles: Vec<_> = release["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["Prepare", "Go live"]);
    assert_eq!(release["milestones"][1]["requiresApproval"], true);

    let minor = fixtures::release(
        app,
        &owner,
        json!({ "title": "m", "type": "MINOR", "templateId": created["createMilestoneTemplate"]["id"] }),
    )
    .await;
    assert_eq!(
        minor["milestones"].as_array().unwrap().len(),
        2,
        "minor releases get milestones when asked"
    );

    let empty = app
        .error("mutation { createMilestoneTemplate(input: { name: \"Empty\", releaseType: MINOR, items: [] }) { id } }", json!({}))
        .await;
    assert_eq!(empty["extensions"]["field"], "items");
    app
        .expect_code("mutation { createMilestoneTemplate(input: { name: \"Lean major\", releaseType: MINOR, items: [{ title: \"a\" }] }) { id } }", json!({}), "CONFLICT")
        .await;
}

/// Administration cannot lock itself out: the last administrator keeps the role
/// until someone else holds it.
async fn the_last_administrator_cannot_drop_the_role(app: &TestApp) {
    let me = app.ok("{ me { id } }", json!({})).await["me"]["id"].clone();
    let set = "mutation($p: ID!, $r: [Role!]!) { setPersonRoles(personId: $p, roles: $r) }";
    let refused = app
        .expect_code(
            set,
            json!({ "p": me, "r": ["RELEASE_MANAGER"] }),
            "CONFLICT",
        )
        .await;
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("last administrator"),
        "{refused}"
    );
    let still = app.ok("{ me { roles } }", json!({})).await;
    assert_eq!(still["me"]["roles"], json!(["ADMINISTRATOR"]));
    let other = fixtures::person(app, "Second Admin").await;
    app.ok(set, json!({ "p": other, "r": ["ADMINISTRATOR"] }))
        .await;
    let dropped = app
        .ok(set, json!({ "p": me, "r": ["RELEASE_MANAGER"] }))
        .await;
    assert_eq!(dropped["setPersonRoles"], json!(["RELEASE_MANAGER"]));
}

on_both_databases!(
    the_last_administrator_cannot_drop_the_role,
    people_are_searchable_by_name_or_email,
    stakeholders_are_added_once_and_removed_with_history,
    templates_are_listed_and_a_new_default_drives_major_releases,
);
