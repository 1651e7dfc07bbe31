//! Fakes of the vendor APIs that list the repositories of registries
//! without a catalogue (`../shared/specs/registries.md`, `oauth.md`), with
//! the quirks a client has to get right:
//!
//! - Docker Hub: the account is exchanged at `POST /v2/auth/token` for a
//!   token that expires; `page_size` above 100 is refused; `next` is a
//!   whole URL or null; a namespace's private repositories show only to
//!   its owner.
//! - GitHub: no `User-Agent` is refused with a plain-text 403; an unknown
//!   `X-GitHub-Api-Version` is refused; `package_type` is required; the
//!   token needs `read:packages` (granted scopes in `X-OAuth-Scopes`);
//!   `per_page` is capped silently at 100; pages in `Link`; an exhausted
//!   rate limit is a 403 with `x-ratelimit-remaining: 0`.
//! - GitLab: the token in `PRIVATE-TOKEN` or as a bearer; `read_api` needed
//!   (else `insufficient_scope`); without `membership=true` every public
//!   project is listed too; `x-next-page` is empty on the last page; a
//!   project with its registry turned off answers 403.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::{Fake, serve};

type Params = Query<HashMap<String, String>>;

/// A number from the query, `default` when absent; `None` when malformed.
fn number(query: &HashMap<String, String>, name: &str, default: usize) -> Option<usize> {
    match query.get(name) {
        None => Some(default),
        Some(value) => value.parse().ok().filter(|n| *n >= 1),
    }
}

fn json_reply(
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: serde_json::Value,
) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    for (name, value) in headers {
        response.headers_mut().insert(
            header::HeaderName::try_from(name).unwrap(),
            header::HeaderValue::try_from(value).unwrap(),
        );
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::to_string)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

// ---------------------------------------------------------------- Docker Hub

/// A repository on the fake Docker Hub.
#[derive(Debug, Clone)]
pub struct HubRepository {
    pub namespace: String,
    pub name: String,
    pub is_private: bool,
}

impl HubRepository {
    pub fn new(namespace: &str, name: &str, is_private: bool) -> HubRepository {
        HubRepository {
            namespace: namespace.into(),
            name: name.into(),
            is_private,
        }
    }
}

struct Hub {
    username: String,
    password: String,
    repositories: Vec<HubRepository>,
    /// Token -> (user, expiry in Unix seconds).
    tokens: Mutex<HashMap<String, (String, u64)>>,
    sign_ins: Mutex<usize>,
}

/// A fake Docker Hub API with one account and `repositories`.
pub struct DockerHub {
    pub fake: Fake,
    hub: Arc<Hub>,
}

impl DockerHub {
    pub async fn start(
        username: &str,
        password: &str,
        repositories: Vec<HubRepository>,
    ) -> DockerHub {
        let hub = Arc::new(Hub {
            username: username.into(),
            password: password.into(),
            repositories,
            tokens: Mutex::new(HashMap::new()),
            sign_ins: Mutex::new(0),
        });
        let router = Router::new()
            .route("/v2/auth/token", post(hub_sign_in))
            .route(
                "/v2/namespaces/{namespace}/repositories",
                get(hub_repositories),
            )
            .with_state(hub.clone());
        DockerHub {
            fake: serve(router, "").await,
            hub,
        }
    }

    pub fn sign_ins(&self) -> usize {
        *self.hub.sign_ins.lock().unwrap()
    }
}

async fn hub_sign_in(State(hub): State<Arc<Hub>>, body: String) -> Response {
    #[derive(serde::Deserialize)]
    struct SignIn {
        identifier: Option<String>,
        secret: Option<String>,
    }
    let Ok(SignIn {
        identifier: Some(identifier),
        secret: Some(secret),
    }) = serde_json::from_str::<SignIn>(&body)
    else {
        return json_reply(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({ "message": "identifier and secret are required", "errinfo": {} }),
        );
    };
    *hub.sign_ins.lock().unwrap() += 1;
    if identifier != hub.username || secret != hub.password {
        return json_reply(
            StatusCode::UNAUTHORIZED,
            vec![],
            json!({ "detail": "Incorrect authentication credentials", "message": "Incorrect authentication credentials" }),
        );
    }
    let mut tokens = hub.tokens.lock().unwrap();
    let token = format!("hub-token-{}", tokens.len() + 1);
    tokens.insert(token.clone(), (identifier, now() + 600));
    json_reply(StatusCode::OK, vec![], json!({ "access_token": token }))
}

async fn hub_repositories(
    State(hub): State<Arc<Hub>>,
    Path(namespace): Path<String>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    // Anonymous callers see public repositories; a token must be live.
    let user = match bearer(&headers) {
        None => None,
        Some(token) => match hub.tokens.lock().unwrap().get(&token) {
            Some((user, expiry)) if *expiry > now() => Some(user.clone()),
            _ => {
                return json_reply(
                    StatusCode::UNAUTHORIZED,
                    vec![],
                    json!({ "detail": "Token is invalid or expired" }),
                );
            }
        },
    };
    let (Some(page), Some(size)) = (number(&query, "page", 1), number(&query, "page_size", 10))
    else {
        return json_reply(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({ "message": "invalid page or page_size" }),
        );
    };
    if size > 100 {
        return json_reply(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({ "message": "page_size must be between 1 and 100", "errinfo": { "page_size": size } }),
        );
    }
    let visible: Vec<&HubRepository> = hub
        .repositories
        .iter()
        .filter(|repository| repository.namespace == namespace)
        .filter(|repository| !repository.is_private || user.as_deref() == Some(namespace.as_str()))
        .collect();
    let start = (page - 1) * size;
    if start > 0 && start >= visible.len() {
        return json_reply(
            StatusCode::NOT_FOUND,
            vec![],
            json!({ "message": "object not found", "errinfo": {} }),
        );
    }
    let link = |page: usize| {
        json!(format!(
            "https://hub.docker.com/v2/namespaces/{namespace}/repositories?page={page}&page_size={size}"
        ))
    };
    let results: Vec<_> = visible
        .iter()
        .skip(start)
        .take(size)
        .map(|repository| {
            json!({
                "name": repository.name,
                "namespace": repository.namespace,
                "repository_type": "image",
                "is_private": repository.is_private,
                "star_count": 0,
                "pull_count": 12,
                "last_updated": "2026-11-30T10:00:00.000000Z",
            })
        })
        .collect();
    let more = start + size < visible.len();
    json_reply(
        StatusCode::OK,
        vec![],
        json!({
            "count": visible.len(),
            "next": if more { link(page + 1) } else { serde_json::Value::Null },
            "previous": if page > 1 { link(page - 1) } else { serde_json::Value::Null },
            "results": results,
        }),
    )
}

// -------------------------------------------------------------------- GitHub

struct Github {
    token: String,
    scopes: String,
    /// (owner login as GitHub spells it, package name).
    packages: Vec<(String, String)>,
    rate_limit_exhausted: Mutex<bool>,
    /// The headers of the last request, for tests of what is sent.
    last_headers: Mutex<HeaderMap>,
}

/// A fake GitHub REST API with one token, its scopes and its user's
/// container packages.
pub struct GitHub {
    pub fake: Fake,
    github: Arc<Github>,
}

impl GitHub {
    pub async fn start(token: &str, scopes: &str, packages: Vec<(&str, &str)>) -> GitHub {
        let github = Arc::new(Github {
            token: token.into(),
            scopes: scopes.into(),
            packages: packages
                .into_iter()
                .map(|(owner, name)| (owner.into(), name.into()))
                .collect(),
            rate_limit_exhausted: Mutex::new(false),
            last_headers: Mutex::new(HeaderMap::new()),
        });
        let router = Router::new()
            .route("/user/packages", get(github_packages))
            .with_state(github.clone());
        GitHub {
            fake: serve(router, "").await,
            github,
        }
    }

    /// The value of header `name` in the last request.
    pub fn last_header(&self, name: &str) -> Option<String> {
        let headers = self.github.last_headers.lock().unwrap();
        Some(headers.get(name)?.to_str().ok()?.to_string())
    }

    /// From now on every request is over the rate limit.
    pub fn exhaust_rate_limit(&self) {
        *self.github.rate_limit_exhausted.lock().unwrap() = true;
    }
}

async fn github_packages(
    State(github): State<Arc<Github>>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    *github.last_headers.lock().unwrap() = headers.clone();
    if !headers.contains_key(header::USER_AGENT) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain")],
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.",
        )
            .into_response();
    }
    if let Some(version) = headers.get("x-github-api-version")
        && version != "2022-11-28"
        && version != "2026-03-10"
    {
        return json_reply(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({ "message": format!("Invalid API version {:?}", version), "documentation_url": "https://docs.github.com/rest/about-the-rest-api/api-versions" }),
        );
    }
    let reset = (now() + 1800).to_string();
    let limited = *github.rate_limit_exhausted.lock().unwrap();
    let rate = |remaining: &str| {
        vec![
            ("x-ratelimit-limit".to_string(), "5000".to_string()),
            ("x-ratelimit-remaining".to_string(), remaining.to_string()),
            ("x-ratelimit-reset".to_string(), reset.clone()),
            ("x-ratelimit-resource".to_string(), "core".to_string()),
        ]
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("token "))
        });
    if token != Some(github.token.as_str()) {
        return json_reply(
            StatusCode::UNAUTHORIZED,
            rate("59"),
            json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401" }),
        );
    }
    if limited {
        return json_reply(
            StatusCode::FORBIDDEN,
            rate("0"),
            json!({ "message": "API rate limit exceeded for user ID 1.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" }),
        );
    }
    let mut headers = rate("4999");
    headers.push(("x-oauth-scopes".into(), github.scopes.clone()));
    if !github
        .scopes
        .split(',')
        .any(|scope| scope.trim() == "read:packages")
    {
        return json_reply(
            StatusCode::FORBIDDEN,
            headers,
            json!({ "message": "You need at least read:packages scope to list packages.", "documentation_url": "https://docs.github.com/rest/packages/packages#list-packages-for-the-authenticated-users-namespace" }),
        );
    }
    if !query.contains_key("package_type") {
        return json_reply(
            StatusCode::BAD_REQUEST,
            headers,
            json!({ "message": "Invalid request.\n\n\"package_type\" wasn't supplied.", "documentation_url": "https://docs.github.com/rest" }),
        );
    }
    let (Some(page), Some(size)) = (number(&query, "page", 1), number(&query, "per_page", 30))
    else {
        return json_reply(
            StatusCode::BAD_REQUEST,
            headers,
            json!({ "message": "Invalid request." }),
        );
    };
    let size = size.min(100);
    let wanted = query.get("package_type").map(String::as_str);
    let packages: Vec<_> = github
        .packages
        .iter()
        .filter(|_| wanted == Some("container"))
        .collect();
    let pages = packages.len().div_ceil(size).max(1);
    let link = |page: usize, rel: &str| {
        format!(
            "<https://api.github.com/user/packages?package_type=container&per_page={size}&page={page}>; rel=\"{rel}\""
        )
    };
    let mut links = Vec::new();
    if page < pages {
        links.push(link(page + 1, "next"));
        links.push(link(pages, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
        links.push(link(page - 1, "prev"));
    }
    if !links.is_empty() {
        headers.push(("link".into(), links.join(", ")));
    }
    let body: Vec<_> = packages
        .iter()
        .enumerate()
        .skip((page - 1) * size)
        .take(size)
        .map(|(n, (owner, name))| {
            json!({
                "id": 1000 + n,
                "name": name,
                "package_type": "container",
                "owner": { "login": owner, "id": 1, "type": "User" },
                "version_count": 1,
                "visibility": "private",
                "url": format!("https://api.github.com/users/{owner}/packages/container/{name}"),
                "html_url": format!("https://github.com/users/{owner}/packages/container/package/{name}"),
                "created_at": "2026-11-01T10:00:00Z",
                "updated_at": "2026-11-30T10:00:00Z",
            })
        })
        .collect();
    json_reply(StatusCode::OK, headers, json!(body))
}

// -------------------------------------------------------------------- GitLab

/// A project on the fake GitLab.
#[derive(Debug, Clone)]
pub struct GitlabProject {
    pub id: u64,
    pub path_with_namespace: String,
    /// Whether the token's user is a member; the others are public.
    pub member: bool,
    /// `None` when the project's container registry is turned off.
    pub images: Option<Vec<String>>,
}

struct Gitlab {
    token: String,
    scopes: Vec<String>,
    projects: Vec<GitlabProject>,
    /// Each request for projects: its page and how the token came.
    requests: Mutex<Vec<(String, &'static str)>>,
}

/// A fake GitLab API with one token, its scopes and projects.
pub struct GitLab {
    pub fake: Fake,
    gitlab: Arc<Gitlab>,
}

impl GitLab {
    pub async fn start(token: &str, scopes: &[&str], projects: Vec<GitlabProject>) -> GitLab {
        let gitlab = Arc::new(Gitlab {
            token: token.into(),
            scopes: scopes.iter().map(|scope| scope.to_string()).collect(),
            projects,
            requests: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/api/v4/projects", get(gitlab_projects))
            .route(
                "/api/v4/projects/{id}/registry/repositories",
                get(gitlab_repositories),
            )
            .with_state(gitlab.clone());
        GitLab {
            fake: serve(router, "").await,
            gitlab,
        }
    }

    /// The pages of projects asked for so far.
    pub fn project_pages_asked(&self) -> Vec<String> {
        let requests = self.gitlab.requests.lock().unwrap();
        requests.iter().map(|(page, _)| page.clone()).collect()
    }

    /// How each request for projects carried the token.
    pub fn token_headers(&self) -> Vec<&'static str> {
        let requests = self.gitlab.requests.lock().unwrap();
        requests.iter().map(|(_, via)| *via).collect()
    }
}

/// The refusal of a request whose token is unknown or lacks `read_api`.
fn gitlab_refusal(gitlab: &Gitlab, headers: &HeaderMap) -> Option<Response> {
    let token = headers
        .get("private-token")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
        .or_else(|| bearer(headers));
    if token.as_deref() != Some(gitlab.token.as_str()) {
        return Some(json_reply(
            StatusCode::UNAUTHORIZED,
            vec![],
            json!({ "message": "401 Unauthorized" }),
        ));
    }
    let may_read = gitlab
        .scopes
        .iter()
        .any(|scope| scope == "api" || scope == "read_api");
    (!may_read).then(|| {
        json_reply(
            StatusCode::FORBIDDEN,
            vec![(
                "www-authenticate".into(),
                "Bearer realm=\"\", error=\"insufficient_scope\", error_description=\"The request requires higher privileges than provided by the access token.\", scope=\"api read_api\"".into(),
            )],
            json!({
                "error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by the access token.",
                "scope": "api read_api",
            }),
        )
    })
}

async fn gitlab_projects(
    State(gitlab): State<Arc<Gitlab>>,
    headers: HeaderMap,
    Query(query): Params,
) -> Response {
    if let Some(refused) = gitlab_refusal(&gitlab, &headers) {
        return refused;
    }
    let (Some(page), Some(size)) = (number(&query, "page", 1), number(&query, "per_page", 20))
    else {
        return json_reply(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({ "error": "page is invalid" }),
        );
    };
    if size > 100 {
        return json_reply(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({ "error": "per_page does not have a valid value" }),
        );
    }
    let via = if headers.contains_key("private-token") {
        "private-token"
    } else {
        "authorization"
    };
    gitlab
        .requests
        .lock()
        .unwrap()
        .push((page.to_string(), via));
    let membership = query.get("membership").map(String::as_str) == Some("true");
    // Without membership=true GitLab lists every project the user can
    // see, which includes every public one.
    let mut projects: Vec<&GitlabProject> = gitlab
        .projects
        .iter()
        .filter(|project| project.member || !membership)
        .collect();
    projects.sort_by_key(|project| project.id);
    let total = projects.len();
    let pages = total.div_ceil(size).max(1);
    let next = if page < pages {
        (page + 1).to_string()
    } else {
        String::new()
    };
    let body: Vec<_> = projects
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|project| {
            let path = &project.path_with_namespace;
            let name = path.rsplit('/').next().unwrap_or(path);
            json!({
                "id": project.id,
                "name": name,
                "path": name,
                "path_with_namespace": path,
                "name_with_namespace": path.replace('/', " / "),
                "created_at": "2026-10-01T10:00:00.000Z",
                "default_branch": "main",
                "web_url": format!("https://gitlab.example/{path}"),
            })
        })
        .collect();
    json_reply(
        StatusCode::OK,
        vec![
            ("x-page".into(), page.to_string()),
            ("x-per-page".into(), size.to_string()),
            ("x-total".into(), total.to_string()),
            ("x-total-pages".into(), pages.to_string()),
            ("x-next-page".into(), next),
            (
                "x-prev-page".into(),
                if page > 1 {
                    (page - 1).to_string()
                } else {
                    String::new()
                },
            ),
        ],
        json!(body),
    )
}

async fn gitlab_repositories(
    State(gitlab): State<Arc<Gitlab>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = gitlab_refusal(&gitlab, &headers) {
        return refused;
    }
    // A public project's images show to anyone signed in.
    let project = gitlab
        .projects
        .iter()
        .find(|project| project.id.to_string() == id);
    let Some(project) = project else {
        return json_reply(
            StatusCode::NOT_FOUND,
            vec![],
            json!({ "message": "404 Project Not Found" }),
        );
    };
    let Some(images) = &project.images else {
        return json_reply(
            StatusCode::FORBIDDEN,
            vec![],
            json!({ "message": "403 Forbidden" }),
        );
    };
    let body: Vec<_> = images
        .iter()
        .enumerate()
        .map(|(n, image)| {
            let path = if image.is_empty() {
                project.path_with_namespace.clone()
            } else {
                format!("{}/{image}", project.path_with_namespace)
            };
            json!({
                "id": project.id * 100 + n as u64,
                "name": image,
                "path": path,
                "project_id": project.id,
                "location": format!("registry.gitlab.example/{path}"),
                "created_at": "2026-10-02T10:00:00.000Z",
                "cleanup_policy_started_at": null,
                "status": null,
            })
        })
        .collect();
    json_reply(StatusCode::OK, vec![], json!(body))
}
