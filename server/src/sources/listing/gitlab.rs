//! GitLab's API (gitlab.com or self-managed): a page of the projects the
//! user is a member of (`GET /api/v4/projects?membership=true`), then each
//! project's image repositories (`GET /projects/:id/registry/repositories`).
//! The token needs `read_api` for this, besides `read_registry` for the
//! registry itself; GitLab takes a personal access token in `PRIVATE-TOKEN`.

use serde::Deserialize;

use super::{Api, Listing, MAX_PAGE, valid_names};
use crate::sources::registry::{Credentials, RegistryError, RepositoryName, sensitive};

/// Projects asked for per page; each costs one more request.
const PROJECTS_PER_PAGE: u32 = 20;
/// Project pages read at most for one page shown, skipping pages whose
/// projects have no images, so that a page is rarely empty.
const MAX_PROJECT_PAGES: u32 = 4;
/// Image repositories read per project.
const REPOSITORIES_PER_PROJECT: &str = "100";
/// Projects asked about at once.
const CONCURRENCY: usize = 4;

pub(super) async fn page(
    api: &Api,
    credentials: &Credentials,
    page: u32,
) -> Result<Listing, RegistryError> {
    let mut page = page;
    for _ in 0..MAX_PROJECT_PAGES {
        let (projects, next) = projects(api, credentials, page).await?;
        let names = repositories_of(api, credentials, &projects).await?;
        match next {
            Some(next) if names.is_empty() => page = next,
            next => return Ok(Listing { names, next }),
        }
    }
    // Only projects without images so far; the page after is offered.
    Ok(Listing {
        names: Vec::new(),
        next: Some(page),
    })
}

fn authorised(
    api: &Api,
    credentials: &Credentials,
    url: url::Url,
) -> Result<reqwest::RequestBuilder, RegistryError> {
    let token = sensitive(credentials.password.expose()).ok_or_else(|| {
        RegistryError::Invalid("The stored token cannot be sent in an HTTP header.".into())
    })?;
    Ok(api.http.get(url).header("PRIVATE-TOKEN", token))
}

/// One page of the user's projects (their ids), and the next page's
/// number from `x-next-page`, which is empty on the last page.
async fn projects(
    api: &Api,
    credentials: &Credentials,
    page: u32,
) -> Result<(Vec<u64>, Option<u32>), RegistryError> {
    let (page_text, size_text) = (page.to_string(), PROJECTS_PER_PAGE.to_string());
    let url = api.url(
        &["api", "v4", "projects"],
        &[
            ("membership", "true"),
            ("simple", "true"),
            ("order_by", "id"),
            ("sort", "asc"),
            ("per_page", &size_text),
            ("page", &page_text),
        ],
    );
    let reply = api.send(authorised(api, credentials, url)?).await?;
    let what = "your projects";
    if !reply.status.is_success() {
        return Err(match api.failure(&reply, what) {
            RegistryError::Denied(message)
                if String::from_utf8_lossy(&reply.body).contains("insufficient_scope") =>
            {
                RegistryError::Denied(format!(
                    "{message} (the token needs the read_api scope to list repositories)"
                ))
            }
            other => other,
        });
    }
    #[derive(Deserialize)]
    struct Project {
        id: u64,
    }
    let projects: Vec<Project> = api.json(&reply, what)?;
    // A next page that is not ahead would loop the pager.
    let next = reply
        .header("x-next-page")
        .and_then(|value| value.trim().parse().ok())
        .filter(|next| *next > page && *next <= MAX_PAGE);
    Ok((
        projects.into_iter().map(|project| project.id).collect(),
        next,
    ))
}

/// The image repositories of `projects`, in their order. A project whose
/// registry is turned off, or hidden from this user, answers 403 or 404
/// and has none.
async fn repositories_of(
    api: &Api,
    credentials: &Credentials,
    projects: &[u64],
) -> Result<Vec<RepositoryName>, RegistryError> {
    let mut names = Vec::new();
    for chunk in projects.chunks(CONCURRENCY) {
        let mut asking = tokio::task::JoinSet::new();
        for (index, project) in chunk.iter().enumerate() {
            let (api, credentials, project) = (api.clone(), credentials.clone(), *project);
            asking.spawn(async move {
                (
                    index,
                    repositories_of_project(&api, &credentials, project).await,
                )
            });
        }
        let mut answers: Vec<(usize, Vec<RepositoryName>)> = Vec::with_capacity(chunk.len());
        while let Some(joined) = asking.join_next().await {
            let (index, answer) = joined.map_err(|error| {
                RegistryError::Protocol(format!("Listing a project's images failed: {error}"))
            })?;
            answers.push((index, answer?));
        }
        answers.sort_by_key(|(index, _)| *index);
        names.extend(answers.into_iter().flat_map(|(_, found)| found));
    }
    Ok(names)
}

async fn repositories_of_project(
    api: &Api,
    credentials: &Credentials,
    project: u64,
) -> Result<Vec<RepositoryName>, RegistryError> {
    let id = project.to_string();
    let url = api.url(
        &["api", "v4", "projects", &id, "registry", "repositories"],
        &[("per_page", REPOSITORIES_PER_PROJECT)],
    );
    let reply = api.send(authorised(api, credentials, url)?).await?;
    let what = format!("the images of project {project}");
    if !reply.status.is_success() {
        return match api.failure(&reply, &what) {
            RegistryError::Denied(_) | RegistryError::NotFound(_) => Ok(Vec::new()),
            other => Err(other),
        };
    }
    #[derive(Deserialize)]
    struct Repository {
        path: String,
    }
    let repositories: Vec<Repository> = api.json(&reply, &what)?;
    Ok(valid_names(
        repositories.into_iter().map(|repository| repository.path),
    ))
}
