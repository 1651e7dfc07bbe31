//! Registries without a catalogue, listed through their vendors' APIs (the
//! fakes of `fakes::listing`) with the registry's own account: Docker
//! Hub's namespaces, GitHub's packages for GHCR, GitLab's projects. The
//! Docker Hub source's registry is the real one of `registry.rs`, so the
//! names the API lists open to the tags and digests Docker pushed.

use crate::fakes::listing::{DockerHub, GitHub, GitLab, GitlabProject, HubRepository};
use crate::on_both_engines;
use crate::registry::{ADMIN, ADMIN_PASSWORD, SignIn, TestRegistry};
use crate::support::{Browser, Engine, Reply, TestApp};

const GITHUB_TOKEN: &str = "ghp_FakeToken0123456789abcdefghijklmnopqr";
const GITLAB_TOKEN: &str = "glpat-FakeToken0123456789ab";

async fn add(browser: &Browser, args: &[(&str, &str)]) -> String {
    let reply = browser.call_here("add_registry", args).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json().as_i64().unwrap().to_string()
}

async fn repositories(browser: &Browser, id: &str, last: Option<&str>) -> Reply {
    let mut args = vec![("id", id)];
    if let Some(last) = last {
        args.push(("last", last));
    }
    browser.call_here("registry_repositories", &args).await
}

fn names(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["kind"], "listed", "{json}");
    json["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap().to_string())
        .collect()
}

fn next(reply: &Reply) -> Option<String> {
    reply.json()["next"].as_str().map(str::to_string)
}

async fn docker_hub_lists_the_accounts_repositories_whose_tags_resolve_on_the_registry(
    engine: Engine,
) {
    let mut registry = TestRegistry::start(SignIn::Htpasswd).await;
    let pushed = registry
        .push("hub app", &[&format!("{ADMIN}/app:v1")])
        .await;
    let hub = DockerHub::start(
        ADMIN,
        ADMIN_PASSWORD,
        vec![
            HubRepository::new(ADMIN, "app", true),
            HubRepository::new(ADMIN, "site", false),
            HubRepository::new("someone-else", "theirs", false),
        ],
    )
    .await;
    let app = TestApp::spawn(engine).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let id = add(
        &owner,
        &[
            ("provider", "docker_hub"),
            ("name", "Hub"),
            ("url", registry.url.as_str()),
            ("api_url", &hub.fake.base_url),
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await;
    let detail = owner.call("source", &[("id", &id)]).await.json();
    assert_eq!(detail["api_url"], hub.fake.base_url.as_str(), "{detail}");

    let listed = repositories(&owner, &id, None).await;
    // The account's own namespace, its private repository included.
    assert_eq!(
        names(&listed),
        [format!("{ADMIN}/app"), format!("{ADMIN}/site")]
    );
    assert_eq!(next(&listed), None);
    assert_eq!(hub.sign_ins(), 1);

    let tags = owner
        .call_here(
            "registry_tags",
            &[("id", &id), ("repository", &format!("{ADMIN}/app"))],
        )
        .await;
    assert_eq!(tags.status, 200, "{}", tags.body);
    let tags = tags.json();
    assert_eq!(tags["tags"][0]["tag"], "v1");
    assert_eq!(
        tags["tags"][0]["digest"],
        pushed[&format!("{ADMIN}/app:v1")].as_str(),
        "{tags}"
    );
}
on_both_engines!(docker_hub_lists_the_accounts_repositories_whose_tags_resolve_on_the_registry);

#[tokio::test]
async fn docker_hub_pages_through_a_namespace_and_names_a_refused_password() {
    let many: Vec<_> = (0..30)
        .map(|n| HubRepository::new("olga", &format!("app-{n:02}"), false))
        .collect();
    let hub = DockerHub::start("olga", "dckr_pat_right", many).await;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let id = add(
        &owner,
        &[
            ("provider", "docker_hub"),
            ("name", "Hub"),
            ("api_url", &hub.fake.base_url),
            ("username", "olga"),
            ("password", "dckr_pat_right"),
        ],
    )
    .await;
    let first = repositories(&owner, &id, None).await;
    let first_names = names(&first);
    assert_eq!(first_names.len(), 25);
    assert_eq!(first_names[0], "olga/app-00");
    assert_eq!(next(&first).as_deref(), Some("2"));
    let second = repositories(&owner, &id, Some("2")).await;
    let second_names = names(&second);
    assert_eq!(
        second_names,
        (25..30)
            .map(|n| format!("olga/app-{n:02}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(next(&second), None);
    for bad in ["0", "1", "two", "-3"] {
        let refused = repositories(&owner, &id, Some(bad)).await;
        assert_eq!(refused.status, 422, "{bad}: {}", refused.body);
    }

    let wrong = add(
        &owner,
        &[
            ("provider", "docker_hub"),
            ("name", "Wrong"),
            ("api_url", &hub.fake.base_url),
            ("username", "olga"),
            ("password", "dckr_pat_wrong"),
        ],
    )
    .await;
    let refused = repositories(&owner, &wrong, None).await;
    assert_eq!(refused.status, 502, "{}", refused.body);
    assert!(
        refused.body.contains("Bad credentials")
            && refused
                .body
                .contains("Incorrect authentication credentials"),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("dckr_pat_wrong"), "{}", refused.body);
}

#[tokio::test]
async fn ghcr_lists_the_users_packages_with_the_headers_github_requires() {
    // GitHub spells the owner as registered; GHCR's names are lower case.
    // One package name has a slash, as nested GHCR images do.
    let mut packages = vec![("Olga-Dev", "web"), ("Olga-Dev", "tools/ci")];
    let more: Vec<String> = (0..25).map(|n| format!("svc-{n:02}")).collect();
    packages.extend(more.iter().map(|name| ("Olga-Dev", name.as_str())));
    let github = GitHub::start(GITHUB_TOKEN, "read:packages, repo", packages).await;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let id = add(
        &owner,
        &[
            ("provider", "ghcr"),
            ("name", "GHCR"),
            ("api_url", &github.fake.base_url),
            ("username", "Olga-Dev"),
            ("password", GITHUB_TOKEN),
        ],
    )
    .await;
    let first = repositories(&owner, &id, None).await;
    let first_names = names(&first);
    assert_eq!(first_names.len(), 25, "{first_names:?}");
    assert_eq!(
        &first_names[..3],
        ["olga-dev/web", "olga-dev/tools/ci", "olga-dev/svc-00"]
    );
    assert_eq!(next(&first).as_deref(), Some("2"));
    let second = repositories(&owner, &id, Some("2")).await;
    assert_eq!(names(&second), ["olga-dev/svc-23", "olga-dev/svc-24"]);
    assert_eq!(next(&second), None);
    assert_eq!(
        github.last_header("accept").as_deref(),
        Some("application/vnd.github+json")
    );
    assert_eq!(
        github.last_header("x-github-api-version").as_deref(),
        Some("2022-11-28")
    );

    github.exhaust_rate_limit();
    let limited = repositories(&owner, &id, None).await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    // The wait comes from x-ratelimit-reset, half an hour ahead.
    let wait = limited.json()["retry_after_secs"].as_u64().unwrap();
    assert!((1700..=1800).contains(&wait), "{}", limited.body);
}

#[tokio::test]
async fn a_github_token_without_read_packages_is_denied_in_githubs_words() {
    let github = GitHub::start(GITHUB_TOKEN, "repo", vec![("olga", "web")]).await;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let id = add(
        &owner,
        &[
            ("provider", "ghcr"),
            ("name", "GHCR"),
            ("api_url", &github.fake.base_url),
            ("username", "olga"),
            ("password", GITHUB_TOKEN),
        ],
    )
    .await;
    let denied = repositories(&owner, &id, None).await;
    assert_eq!(denied.status, 502, "{}", denied.body);
    assert!(
        denied.body.contains("Denied") && denied.body.contains("read:packages"),
        "{}",
        denied.body
    );
    assert!(!denied.body.contains(GITHUB_TOKEN));
}

fn project(id: u64, path: &str, member: bool, images: Option<&[&str]>) -> GitlabProject {
    GitlabProject {
        id,
        path_with_namespace: path.into(),
        member,
        images: images.map(|images| images.iter().map(|image| image.to_string()).collect()),
    }
}

#[tokio::test]
async fn gitlab_lists_the_images_of_the_users_projects_page_by_page() {
    // 45 member projects, 20 to a page: images in projects 3 and 5 on the
    // first page, none on the second, one on the third. Project 4 has its
    // registry turned off; project 99 is public, not the user's.
    let mut projects: Vec<_> = (1..=45)
        .map(|id| project(id, &format!("team/p{id}"), true, Some(&[])))
        .collect();
    projects[2] = project(3, "team/p3", true, Some(&[""]));
    projects[3] = project(4, "team/p4", true, None);
    projects[4] = project(5, "team/p5", true, Some(&["api", "worker"]));
    projects[44] = project(45, "team/p45", true, Some(&["last"]));
    projects.push(project(99, "public/other", false, Some(&[""])));
    let gitlab = GitLab::start(GITLAB_TOKEN, &["read_api", "read_registry"], projects).await;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let id = add(
        &owner,
        &[
            ("provider", "gitlab"),
            ("name", "GitLab"),
            ("url", "https://registry.gitlab.example"),
            // Typed with the API prefix, as copied from GitLab's docs.
            ("api_url", &format!("{}/api/v4/", gitlab.fake.base_url)),
            ("username", "olga"),
            ("password", GITLAB_TOKEN),
        ],
    )
    .await;
    let detail = owner.call("source", &[("id", &id)]).await.json();
    assert_eq!(detail["api_url"], gitlab.fake.base_url.as_str());

    let first = repositories(&owner, &id, None).await;
    assert_eq!(names(&first), ["team/p3", "team/p5/api", "team/p5/worker"]);
    assert_eq!(next(&first).as_deref(), Some("2"));
    // Page 2 of the projects has no images, so page 3 is read with it.
    let second = repositories(&owner, &id, Some("2")).await;
    assert_eq!(names(&second), ["team/p45/last"]);
    assert_eq!(next(&second), None);
    assert_eq!(gitlab.project_pages_asked(), ["1", "2", "3"]);
    assert_eq!(gitlab.token_headers(), ["private-token"; 3]);
}

#[tokio::test]
async fn a_gitlab_token_without_read_api_is_told_which_scope_it_needs() {
    let projects = vec![project(1, "team/app", true, Some(&[""]))];
    let gitlab = GitLab::start(GITLAB_TOKEN, &["read_registry"], projects).await;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let id = add(
        &owner,
        &[
            ("provider", "gitlab"),
            ("name", "GitLab"),
            ("api_url", &gitlab.fake.base_url),
            ("username", "olga"),
            ("password", GITLAB_TOKEN),
        ],
    )
    .await;
    let denied = repositories(&owner, &id, None).await;
    assert_eq!(denied.status, 502, "{}", denied.body);
    assert!(
        denied.body.contains("read_api") && denied.body.contains("higher privileges"),
        "{}",
        denied.body
    );
    let wrong = add(
        &owner,
        &[
            ("provider", "gitlab"),
            ("name", "Wrong"),
            ("api_url", &gitlab.fake.base_url),
            ("username", "olga"),
            ("password", "glpat-not-the-token"),
        ],
    )
    .await;
    let refused = repositories(&owner, &wrong, None).await;
    assert_eq!(refused.status, 502, "{}", refused.body);
    assert!(refused.body.contains("Bad credentials"), "{}", refused.body);
}

#[tokio::test]
async fn registries_that_cannot_be_listed_say_why_and_generic_ones_take_no_api() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let anonymous = add(
        &owner,
        &[("provider", "docker_hub"), ("name", "Public hub")],
    )
    .await;
    let reply = repositories(&owner, &anonymous, None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["kind"], "no_catalogue");
    assert!(reply.body.contains("anonymously"), "{}", reply.body);

    let self_managed = add(
        &owner,
        &[
            ("provider", "gitlab"),
            ("name", "Corp"),
            ("url", "https://registry.corp.example"),
            ("username", "olga"),
            ("password", GITLAB_TOKEN),
        ],
    )
    .await;
    let detail = owner.call("source", &[("id", &self_managed)]).await.json();
    assert!(detail["api_url"].is_null(), "{detail}");
    let reply = repositories(&owner, &self_managed, None).await;
    assert_eq!(reply.json()["kind"], "no_catalogue");
    assert!(reply.body.contains("without the address"), "{}", reply.body);

    let generic = owner
        .call_here(
            "add_registry",
            &[
                ("provider", "generic"),
                ("name", "Mine"),
                ("url", "https://registry.example"),
                ("api_url", "https://api.example"),
            ],
        )
        .await;
    assert_eq!(generic.status, 422, "{}", generic.body);
    assert_eq!(generic.json()["field"], "api_url");
}
