//! Pages of a listing (repositories, tags): the `Link: <…>; rel="next"`
//! header that points to the next one, and paging done here for
//! registries that ignore `n` and `last`.

use reqwest::header;
use url::Url;

use super::Registry;
use super::error::RegistryError;
use super::exchange::Reply;
use super::names::NameError;

/// One page of a listing and the cursor to pass as `last` for the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `None` on the last page.
    pub next: Option<T>,
}

/// The largest page asked for; distribution refuses more than 1,000.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The target of the `rel="next"` link in a `Link` header value, as written
/// (usually a path and query relative to the registry).
pub(in crate::sources) fn next_link(header: &str) -> Option<&str> {
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let inside = rest.strip_prefix('<')?;
        let end = inside.find('>')?;
        let target = &inside[..end];
        let (params, after) = split_params(&inside[end + 1..]);
        rest = after;
        let is_next = params.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("rel")
                && value
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target);
        }
    }
}

/// The `; name=value` parameters of one link, up to the comma that starts
/// the next link (commas inside quoted values do not count), and the rest.
fn split_params(text: &str) -> (Vec<(&str, String)>, &str) {
    let mut params = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        let Some(after_semicolon) = rest.strip_prefix(';') else {
            return (params, rest);
        };
        let after_semicolon = after_semicolon.trim_start();
        let name_end = after_semicolon
            .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_whitespace())
            .unwrap_or(after_semicolon.len());
        let name = &after_semicolon[..name_end];
        rest = after_semicolon[name_end..].trim_start();
        let Some(after_equals) = rest.strip_prefix('=') else {
            params.push((name, String::new()));
            continue;
        };
        let after_equals = after_equals.trim_start();
        let (value, after) = match after_equals.strip_prefix('"') {
            Some(quoted) => read_quoted(quoted),
            None => {
                let end = after_equals
                    .find([';', ',', ' ', '\t'])
                    .unwrap_or(after_equals.len());
                (after_equals[..end].to_string(), &after_equals[end..])
            }
        };
        params.push((name, value));
        rest = after;
    }
}

/// A quoted string after its opening quote: the unescaped value and what
/// follows the closing quote (an unterminated one runs to the end).
pub(super) fn read_quoted(text: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (value, &text[i + 1..]),
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            _ => value.push(c),
        }
    }
    (value, "")
}

/// The `last` cursor of a next-page link, resolved against the URL it came
/// from. `Err` for a link to another origin: following it could hand the
/// credentials to a stranger, and a registry has no reason to send one.
pub(super) fn cursor_of(link: &str, from: &Url) -> Result<Option<String>, String> {
    let target = from
        .join(link)
        .map_err(|_| format!("the next-page link {link:?} is not a URL"))?;
    if target.origin() != from.origin() {
        return Err(format!(
            "the next-page link points to another server ({})",
            target.origin().ascii_serialization()
        ));
    }
    Ok(target
        .query_pairs()
        .find(|(name, _)| name == "last")
        .map(|(_, value)| value.into_owned()))
}

/// Pages `all`, a whole listing returned by a registry that ignored `n`
/// and `last` (distribution 2.8 does so for tags), the way a registry
/// that honours them would: sorted, after `last`, at most `size`.
pub(super) fn page_locally<T: Ord + Clone>(
    mut all: Vec<T>,
    size: usize,
    last: Option<&T>,
) -> Page<T> {
    all.sort();
    all.dedup();
    let start = match last {
        Some(last) => all.partition_point(|item| item <= last),
        None => 0,
    };
    let items: Vec<T> = all[start..].iter().take(size).cloned().collect();
    let next = if start + items.len() < all.len() {
        items.last().cloned()
    } else {
        None
    };
    Page { items, next }
}

/// Whether a reply to a paged request shows that the registry ignored the
/// paging: more items than asked for, or the cursor itself again.
pub(super) fn ignored_paging<T: PartialEq>(items: &[T], size: usize, last: Option<&T>) -> bool {
    items.len() > size || last.is_some_and(|last| items.contains(last))
}

impl Registry {
    /// A listed name, or `None` (logged) for one that breaks the grammar:
    /// one odd entry should not hide the rest of a listing.
    pub(super) fn listed<T>(&self, parsed: Result<T, NameError>) -> Option<T> {
        parsed
            .inspect_err(|error| {
                tracing::warn!(registry.server = %self.server, %error, "registry listed an invalid name");
            })
            .ok()
    }

    /// A page of `items` with the cursor of the next page, from the
    /// `Link` header, or paged here when the registry ignored the request.
    pub(super) fn page<T: Ord + Clone>(
        &self,
        reply: &Reply,
        items: Vec<T>,
        page_size: u32,
        last: Option<&T>,
        parse: impl Fn(&str) -> Result<T, NameError>,
    ) -> Result<Page<T>, RegistryError> {
        let size = page_size.clamp(1, MAX_PAGE_SIZE) as usize;
        if ignored_paging(&items, size, last) {
            return Ok(page_locally(items, size, last));
        }
        let link = reply
            .headers
            .get_all(header::LINK)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(next_link);
        let next = match link {
            None => None,
            // A link after an empty page would lead round in a circle.
            Some(_) if items.is_empty() => None,
            Some(link) => match cursor_of(link, &reply.url)
                .map_err(|why| RegistryError::Protocol(format!("{}: {why}.", self.server)))?
            {
                Some(cursor) => Some(parse(&cursor).map_err(|_| {
                    RegistryError::Protocol(format!(
                        "{}'s next-page link names an invalid position {cursor:?}.",
                        self.server
                    ))
                })?),
                // A link without `last`: the page's own last item is where
                // the next one starts.
                None => items.last().cloned(),
            },
        };
        Ok(Page { items, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        assert_eq!(
            next_link(r#"</v2/_catalog?last=team%2Fapp&n=2>; rel="next""#),
            Some("/v2/_catalog?last=team%2Fapp&n=2")
        );
        assert_eq!(
            next_link(
                r#"<https://r.example/v2/a/tags/list?n=1>; rel="first", </v2/a/tags/list?last=v1&n=1>; title="a, b"; rel=next"#
            ),
            Some("/v2/a/tags/list?last=v1&n=1")
        );
        assert_eq!(
            next_link(r#"</x>; rel="prev next""#),
            Some("/x"),
            "rel may hold several relations"
        );
    }

    #[test]
    fn a_link_header_without_a_next_relation_has_no_next_page() {
        assert_eq!(next_link(r#"</v2/_catalog?n=2>; rel="prev""#), None);
        assert_eq!(next_link(""), None);
        assert_eq!(next_link("garbage"), None);
        assert_eq!(next_link("<unterminated; rel=next"), None);
    }

    #[test]
    fn the_cursor_comes_from_the_links_last_parameter() {
        let from = Url::parse("http://127.0.0.1:5000/v2/_catalog?n=2").unwrap();
        assert_eq!(
            cursor_of("/v2/_catalog?last=team%2Fapp&n=2", &from),
            Ok(Some("team/app".into()))
        );
        assert_eq!(cursor_of("/v2/_catalog?n=2", &from), Ok(None));
    }

    #[test]
    fn a_next_link_to_another_server_is_refused() {
        let from = Url::parse("https://registry.example/v2/_catalog").unwrap();
        assert!(cursor_of("https://elsewhere.example/v2/_catalog?last=a", &from).is_err());
        assert!(cursor_of("http://registry.example/v2/_catalog?last=a", &from).is_err());
        assert!(cursor_of("//elsewhere.example/x", &from).is_err());
    }

    #[test]
    fn a_whole_listing_is_paged_in_sorted_order() {
        let all: Vec<&str> = vec!["v1", "v5", "v7", "v4", "v6", "v2", "v3"];
        let first = page_locally(all.clone(), 3, None);
        assert_eq!(first.items, ["v1", "v2", "v3"]);
        assert_eq!(first.next, Some("v3"));
        let second = page_locally(all.clone(), 3, first.next.as_ref());
        assert_eq!(second.items, ["v4", "v5", "v6"]);
        let third = page_locally(all.clone(), 3, second.next.as_ref());
        assert_eq!(
            third,
            Page {
                items: vec!["v7"],
                next: None
            }
        );
        let exact = page_locally(vec!["a", "b", "c"], 3, None);
        assert_eq!(exact.next, None, "a full last page has no next page");
    }

    #[test]
    fn ignored_paging_is_recognised() {
        assert!(ignored_paging(&["a", "b", "c"], 2, None));
        assert!(ignored_paging(&["a", "b"], 2, Some(&"a")));
        assert!(!ignored_paging(&["b", "c"], 2, Some(&"a")));
    }
}
