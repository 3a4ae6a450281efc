//! The GraphQL documents the collector sends, kept as `.graphql` files so they read (and
//! validate against GitHub's schema) as GraphQL.

use serde_json::{Map, Value, json};

const PULL_REQUEST: &str = include_str!("queries/pull_request.graphql");
const REPOSITORY: &str = include_str!("queries/repository.graphql");
const RULESETS: &str = include_str!("queries/rulesets.graphql");

/// Merged PRs by search, with reviews and checks.
pub fn search() -> String {
    format!("{}\n{PULL_REQUEST}", include_str!("queries/search.graphql"))
}

/// An organisation's repositories, a page at a time.
pub fn repositories() -> String {
    format!(
        "{}\n{REPOSITORY}",
        include_str!("queries/repositories.graphql")
    )
}

/// Further pages of one PR's reviews.
pub fn more_reviews() -> String {
    let reviews = fragment(PULL_REQUEST, "ReviewEvidence");
    format!(
        "{}\n{reviews}",
        include_str!("queries/more_reviews.graphql")
    )
}

/// Further pages of one PR's head-commit checks.
pub fn more_checks() -> String {
    let checks = fragment(PULL_REQUEST, "CheckEvidence");
    format!("{}\n{checks}", include_str!("queries/more_checks.graphql"))
}

/// Details and rulesets of several repositories in one request, aliased `r0`, `r1`, …
pub fn repositories_by_name(repos: &[(&str, &str)]) -> (String, Value) {
    let mut params = Vec::new();
    let mut fields = String::new();
    let mut vars = Map::new();
    for (i, (owner, name)) in repos.iter().enumerate() {
        params.push(format!("$o{i}: String!, $n{i}: String!"));
        fields.push_str(&format!(
            "  r{i}: repository(owner: $o{i}, name: $n{i}) {{ ...RepositoryEvidence ...RulesetEvidence }}\n"
        ));
        vars.insert(format!("o{i}"), json!(owner));
        vars.insert(format!("n{i}"), json!(name));
    }
    let query = format!(
        "query RepositoryRulesets({}) {{\n  rateLimit {{ cost limit remaining used resetAt }}\n{fields}}}\n{REPOSITORY}\n{RULESETS}",
        params.join(", ")
    );
    (query, Value::Object(vars))
}

/// One `fragment NAME … }` block out of a document (fragments end at a line that is `}`).
fn fragment(doc: &str, name: &str) -> String {
    let start = doc.find(&format!("fragment {name} ")).unwrap_or(0);
    let rest = &doc[start..];
    let end = rest.find("\n}").map_or(rest.len(), |i| i + 2);
    rest[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use apollo_compiler::{ExecutableDocument, Schema};

    fn schema() -> apollo_compiler::validation::Valid<Schema> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/github/schema.graphql"
        );
        let text = std::fs::read_to_string(path).expect("GitHub's schema in ../shared/fixtures");
        // GitHub's published schema repeats a few field definitions, which a strict validation
        // refuses; the parsed schema is complete, so documents are checked against it as is.
        let schema = Schema::parse(text, path).unwrap_or_else(|e| e.partial);
        apollo_compiler::validation::Valid::assume_valid(schema)
    }

    /// Every document the collector can send is valid against GitHub's real public schema.
    #[test]
    fn every_query_is_valid_against_githubs_schema() {
        let schema = schema();
        let (batch, vars) = repositories_by_name(&[("acme", "api"), ("acme", "web")]);
        assert_eq!(vars["n1"], "web");
        for (name, doc) in [
            ("search", search()),
            ("repositories", repositories()),
            ("more_reviews", more_reviews()),
            ("more_checks", more_checks()),
            ("repositories_by_name", batch),
        ] {
            if let Err(e) = ExecutableDocument::parse_and_validate(&schema, &doc, name) {
                panic!("{name} is not valid against GitHub's schema:\n{e}\n{doc}");
            }
        }
    }

    #[test]
    fn a_wrong_field_is_caught() {
        let bad = search().replace("headRefOid", "headSha");
        assert!(ExecutableDocument::parse_and_validate(&schema(), &bad, "bad").is_err());
    }
}
