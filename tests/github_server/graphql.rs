//! A generic GraphQL executor over the organisation: every query is validated against GitHub's
//! public schema, then apollo-compiler's spec executor walks it (aliases, variables, fragments,
//! type conditions, `__typename`) over an object graph built once from the model. The only
//! special fields are the roots (`organization`, `repository`, `search`, `node`, `nodes`,
//! `rateLimit`); any list with `first`/`last` is a connection.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use apollo_compiler::executable::{Selection, SelectionSet};
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::model::{Check, Org, Rule};

/// GitHub's public schema, parsed once per process (it is 1.2 MB).
pub fn schema() -> &'static Valid<Schema> {
    static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/github/schema.graphql"
        );
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("fake GitHub: cannot read {path}: {e}"));
        match Schema::parse_and_validate(text, path) {
            Ok(schema) => schema,
            // GitHub's published schema repeats two fields of `EnterpriseOwnerInfo`; the first
            // definition is kept, and nothing else may be wrong.
            Err(e)
                if e.errors
                    .iter()
                    .all(|d| d.error.to_string().contains("duplicate definitions")) =>
            {
                Valid::assume_valid(e.partial)
            }
            Err(e) => panic!("fake GitHub: schema {path} is invalid: {}", e.errors),
        }
    })
}

/// Most results `search` pages through, like GitHub.
pub const SEARCH_CAP: usize = 1000;
/// Largest `first`/`last` GitHub accepts.
const MAX_PAGE: i64 = 100;

/// A field's value in the object graph.
pub enum Val {
    /// JSON null.
    Null,
    /// A scalar or enum.
    Leaf(JsonValue),
    /// Another object, by index.
    Ref(usize),
    /// A plain list.
    List(Vec<Val>),
    /// A connection: paged with first/after/last/before.
    Conn(Vec<Val>),
}

/// An object: its concrete type name and fields.
pub struct GNode {
    /// Concrete GraphQL object type, for `__typename` and type conditions.
    typename: &'static str,
    /// Field name to value; a missing field resolves to null if nullable, else a data gap.
    fields: HashMap<&'static str, Val>,
}

/// A merged pull request as `search` sees it.
struct Searchable {
    /// The PullRequest (a `Val::Ref`).
    val: Val,
    /// Graph index of the PullRequest, for a stable order.
    idx: usize,
    /// Owner login, lower case.
    org: String,
    /// `owner/name`, lower case.
    repo: String,
    /// Base branch.
    base: String,
    /// Merge time; `None` when open.
    merged_at: Option<DateTime<Utc>>,
}

/// The organisation as an object graph.
pub struct Graph {
    /// All objects.
    nodes: Vec<GNode>,
    /// Global node id to index, for `node`/`nodes`.
    by_id: HashMap<String, usize>,
    /// Organisation login (lower case) to index.
    orgs: HashMap<String, usize>,
    /// `owner/name` (lower case) to index.
    repos: HashMap<String, usize>,
    /// Pull requests, newest merge first: the order `search` answers in.
    pulls: Vec<Searchable>,
}

fn s(v: impl Into<String>) -> Val {
    Val::Leaf(JsonValue::from(v.into()))
}
fn b(v: bool) -> Val {
    Val::Leaf(JsonValue::from(v))
}
fn i(v: i64) -> Val {
    Val::Leaf(JsonValue::from(v))
}
fn time(t: DateTime<Utc>) -> Val {
    s(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}
fn opt_s(v: Option<&str>) -> Val {
    v.map_or(Val::Null, s)
}

impl Graph {
    fn add(&mut self, typename: &'static str, fields: Vec<(&'static str, Val)>) -> usize {
        let idx = self.nodes.len();
        let fields: HashMap<_, _> = fields.into_iter().collect();
        if let Some(Val::Leaf(JsonValue::String(id))) = fields.get("id") {
            self.by_id.insert(id.as_str().to_string(), idx);
        }
        self.nodes.push(GNode { typename, fields });
        idx
    }

    fn set(&mut self, idx: usize, field: &'static str, val: Val) {
        self.nodes[idx].fields.insert(field, val);
    }

    /// One object per key (a user login, a commit oid), made on first use.
    fn interned(
        &mut self,
        seen: &mut HashMap<String, usize>,
        key: &str,
        typename: &'static str,
        fields: impl FnOnce() -> Vec<(&'static str, Val)>,
    ) -> usize {
        if let Some(idx) = seen.get(key) {
            return *idx;
        }
        let idx = self.add(typename, fields());
        seen.insert(key.to_string(), idx);
        idx
    }

    fn user(&mut self, users: &mut HashMap<String, usize>, login: &str) -> usize {
        self.interned(users, login, "User", || {
            vec![
                ("id", s(format!("U_{login}"))),
                ("login", s(login)),
                ("url", s(format!("https://github.com/{login}"))),
            ]
        })
    }

    fn commit(&mut self, commits: &mut HashMap<String, usize>, oid: &str, url: &str) -> usize {
        self.interned(commits, oid, "Commit", || {
            vec![
                ("id", s(format!("C_{oid}"))),
                ("oid", s(oid)),
                ("abbreviatedOid", s(&oid[..7.min(oid.len())])),
                ("url", s(format!("{url}/commit/{oid}"))),
                ("statusCheckRollup", Val::Null),
            ]
        })
    }

    /// Builds the graph of `org`.
    pub fn build(org: &Org) -> Graph {
        let mut g = Graph {
            nodes: vec![],
            by_id: HashMap::new(),
            orgs: HashMap::new(),
            repos: HashMap::new(),
            pulls: vec![],
        };
        let (mut users, mut commits) = (HashMap::new(), HashMap::new());
        let org_url = format!("https://github.com/{}", org.login);
        let org_idx = g.add(
            "Organization",
            vec![
                ("id", s(format!("O_{}", org.database_id))),
                ("databaseId", i(org.database_id as i64)),
                ("login", s(&org.login)),
                ("name", s(&org.login)),
                ("url", s(&org_url)),
            ],
        );
        g.orgs.insert(org.login.to_lowercase(), org_idx);
        let mut repo_refs = vec![];
        for repo in &org.repos {
            let full = format!("{}/{}", org.login, repo.name);
            let url = format!("https://github.com/{full}");
            let branch = g.add(
                "Ref",
                vec![
                    (
                        "id",
                        s(format!("REF_{}_{}", repo.database_id, repo.default_branch)),
                    ),
                    ("name", s(&repo.default_branch)),
                    ("prefix", s("refs/heads/")),
                ],
            );
            let r = g.add(
                "Repository",
                vec![
                    ("id", s(format!("R_{}", repo.database_id))),
                    ("databaseId", i(repo.database_id as i64)),
                    ("name", s(&repo.name)),
                    ("nameWithOwner", s(&full)),
                    ("url", s(&url)),
                    ("isArchived", b(repo.archived)),
                    ("isFork", b(repo.fork)),
                    ("isPrivate", b(true)),
                    ("defaultBranchRef", Val::Ref(branch)),
                    ("owner", Val::Ref(org_idx)),
                ],
            );
            g.repos.insert(full.to_lowercase(), r);
            repo_refs.push((repo.name.clone(), r));

            let mut rulesets = vec![];
            for (k, rs) in repo.rulesets.iter().enumerate() {
                let id = repo.database_id * 100 + k as u64;
                let cond = g.add(
                    "RefNameConditionTarget",
                    vec![
                        ("include", Val::List(rs.include.iter().map(s).collect())),
                        ("exclude", Val::List(rs.exclude.iter().map(s).collect())),
                    ],
                );
                let conditions = g.add(
                    "RepositoryRuleConditions",
                    vec![("refName", Val::Ref(cond))],
                );
                let mut rules = vec![];
                for (n, rule) in rs.rules.iter().enumerate() {
                    let (kind, params) = match rule {
                        Rule::PullRequest {
                            required_approving_review_count,
                            dismiss_stale_reviews_on_push,
                            require_code_owner_review,
                            require_last_push_approval,
                        } => (
                            "PULL_REQUEST".to_string(),
                            Val::Ref(g.add(
                                "PullRequestParameters",
                                vec![
                                    (
                                        "requiredApprovingReviewCount",
                                        i(*required_approving_review_count as i64),
                                    ),
                                    (
                                        "dismissStaleReviewsOnPush",
                                        b(*dismiss_stale_reviews_on_push),
                                    ),
                                    ("requireCodeOwnerReview", b(*require_code_owner_review)),
                                    ("requireLastPushApproval", b(*require_last_push_approval)),
                                    ("requiredReviewThreadResolution", b(false)),
                                    (
                                        "allowedMergeMethods",
                                        Val::List(vec![s("MERGE"), s("SQUASH"), s("REBASE")]),
                                    ),
                                ],
                            )),
                        ),
                        Rule::RequiredStatusChecks { checks } => {
                            let configs = checks
                                .iter()
                                .map(|(context, app)| {
                                    Val::Ref(g.add(
                                        "StatusCheckConfiguration",
                                        vec![
                                            ("context", s(context)),
                                            ("integrationId", app.map_or(Val::Null, i)),
                                        ],
                                    ))
                                })
                                .collect();
                            (
                                "REQUIRED_STATUS_CHECKS".to_string(),
                                Val::Ref(g.add(
                                    "RequiredStatusChecksParameters",
                                    vec![
                                        ("requiredStatusChecks", Val::List(configs)),
                                        ("strictRequiredStatusChecksPolicy", b(true)),
                                        ("doNotEnforceOnCreate", b(false)),
                                    ],
                                )),
                            )
                        }
                        Rule::Other(kind) => (kind.clone(), Val::Null),
                    };
                    rules.push(Val::Ref(g.add(
                        "RepositoryRule",
                        vec![
                            ("id", s(format!("RRU_{id}_{n}"))),
                            ("type", s(kind)),
                            ("parameters", params),
                        ],
                    )));
                }
                rulesets.push(Val::Ref(g.add(
                    "RepositoryRuleset",
                    vec![
                        ("id", s(format!("RRS_{id}"))),
                        ("databaseId", i(id as i64)),
                        ("name", s(&rs.name)),
                        ("enforcement", s(&rs.enforcement)),
                        ("target", s(&rs.target)),
                        ("conditions", Val::Ref(conditions)),
                        ("rules", Val::Conn(rules)),
                        ("bypassActors", Val::Conn(vec![])),
                        ("source", Val::Ref(r)),
                    ],
                )));
            }
            g.set(r, "rulesets", Val::Conn(rulesets));

            let mut prs = vec![];
            for pull in &repo.pulls {
                let pr_url = format!("{url}/pull/{}", pull.number);
                let author = g.user(&mut users, &pull.author);
                let merged_by = pull.merged_by.as_deref().map(|l| g.user(&mut users, l));
                let head = g.commit(&mut commits, &pull.head_oid, &url);
                if !pull.checks.is_empty() {
                    let contexts = pull.checks.iter().enumerate().map(|(n, c)| {
                        let id = s(format!("CR_{}_{n}", pull.head_oid));
                        match c {
                            Check::Run {
                                name,
                                status,
                                conclusion,
                                required,
                            } => g.add(
                                "CheckRun",
                                vec![
                                    ("id", id),
                                    ("name", s(name)),
                                    ("status", s(status)),
                                    ("conclusion", opt_s(conclusion.as_deref())),
                                    ("isRequired", b(*required)),
                                ],
                            ),
                            Check::Status {
                                context,
                                state,
                                required,
                            } => g.add(
                                "StatusContext",
                                vec![
                                    ("id", id),
                                    ("context", s(context)),
                                    ("state", s(state)),
                                    ("isRequired", b(*required)),
                                ],
                            ),
                        }
                    });
                    let contexts: Vec<_> = contexts
                        .collect::<Vec<_>>()
                        .into_iter()
                        .map(Val::Ref)
                        .collect();
                    let rollup = g.add(
                        "StatusCheckRollup",
                        vec![
                            ("id", s(format!("SCR_{}", pull.head_oid))),
                            ("state", s(pull.rollup_state())),
                            ("contexts", Val::Conn(contexts)),
                            ("commit", Val::Ref(head)),
                        ],
                    );
                    g.set(head, "statusCheckRollup", Val::Ref(rollup));
                }
                let merge = g.commit(&mut commits, &pull.merge_oid, &url);
                let pr_id = format!("PR_{}_{}", repo.database_id, pull.number);
                let head_pr_commit = g.add(
                    "PullRequestCommit",
                    vec![
                        ("id", s(format!("PURC_{}_{}", pr_id, pull.head_oid))),
                        ("commit", Val::Ref(head)),
                        ("url", s(format!("{pr_url}/commits/{}", pull.head_oid))),
                    ],
                );
                let mut reviews = vec![];
                for (n, review) in pull.reviews.iter().enumerate() {
                    let reviewer = g.user(&mut users, &review.author);
                    let commit = g.commit(&mut commits, &review.commit_oid, &url);
                    reviews.push(Val::Ref(g.add(
                        "PullRequestReview",
                        vec![
                            (
                                "id",
                                s(format!("PRR_{}_{}_{n}", repo.database_id, pull.number)),
                            ),
                            ("author", Val::Ref(reviewer)),
                            ("state", s(&review.state)),
                            ("submittedAt", time(review.submitted_at)),
                            ("authorAssociation", s(&review.association)),
                            ("commit", Val::Ref(commit)),
                            ("body", s("")),
                            ("url", s(format!("{pr_url}#pullrequestreview-{n}"))),
                        ],
                    )));
                }
                let merged = pull.merged_at.is_some();
                let created = pull.merged_at.unwrap_or_else(Utc::now) - chrono::Duration::days(1);
                let pr = g.add(
                    "PullRequest",
                    vec![
                        ("id", s(&pr_id)),
                        // GraphQL Int is 32 bits: a running number stays in range.
                        ("databaseId", i(1_000_000 + g.pulls.len() as i64)),
                        ("number", i(pull.number as i64)),
                        ("url", s(&pr_url)),
                        ("permalink", s(&pr_url)),
                        ("title", s(&pull.title)),
                        ("author", Val::Ref(author)),
                        ("authorAssociation", s("MEMBER")),
                        ("mergedBy", merged_by.map_or(Val::Null, Val::Ref)),
                        ("mergedAt", pull.merged_at.map_or(Val::Null, time)),
                        ("merged", b(merged)),
                        ("closed", b(merged)),
                        ("isDraft", b(false)),
                        ("state", s(if merged { "MERGED" } else { "OPEN" })),
                        ("createdAt", time(created)),
                        ("updatedAt", time(pull.merged_at.unwrap_or(created))),
                        ("closedAt", pull.merged_at.map_or(Val::Null, time)),
                        ("baseRefName", s(&pull.base)),
                        ("headRefName", s(&pull.head_ref)),
                        ("headRefOid", s(&pull.head_oid)),
                        (
                            "mergeCommit",
                            if merged { Val::Ref(merge) } else { Val::Null },
                        ),
                        ("repository", Val::Ref(r)),
                        ("reviews", Val::Conn(reviews)),
                        ("commits", Val::Conn(vec![Val::Ref(head_pr_commit)])),
                    ],
                );
                g.set(head_pr_commit, "pullRequest", Val::Ref(pr));
                prs.push(Val::Ref(pr));
                g.pulls.push(Searchable {
                    val: Val::Ref(pr),
                    idx: pr,
                    org: org.login.to_lowercase(),
                    repo: full.to_lowercase(),
                    base: pull.base.clone(),
                    merged_at: pull.merged_at,
                });
            }
            g.set(r, "pullRequests", Val::Conn(prs));
        }
        repo_refs.sort();
        let repos = repo_refs.into_iter().map(|(_, r)| Val::Ref(r)).collect();
        g.set(org_idx, "repositories", Val::Conn(repos));
        g.pulls
            .sort_by(|a, b| (b.merged_at, &a.repo, a.idx).cmp(&(a.merged_at, &b.repo, b.idx)));
        g
    }
}

/// Per-request state the resolvers report into.
pub struct Ctx {
    /// Problems that are the caller's fault or the server's gaps (recorded by the server).
    pub problems: RefCell<Vec<String>>,
    /// The `rateLimit` object's values.
    pub rate: [(&'static str, JsonValue); 6],
}

/// A GitHub-style error type travels in the message as `[TYPE] text`, split off in `respond`.
fn typed(kind: &str, message: String) -> FieldError {
    FieldError {
        message: format!("[{kind}] {message}"),
    }
}

/// An object of the graph.
struct Obj<'a> {
    g: &'a Graph,
    ctx: &'a Ctx,
    idx: usize,
}

/// A small object made of leaves (PageInfo, RateLimit).
struct Leaves {
    typename: String,
    fields: Vec<(&'static str, JsonValue)>,
}

/// One page of a connection.
struct Page<'a> {
    g: &'a Graph,
    ctx: &'a Ctx,
    typename: String,
    edge_type: String,
    items: Vec<(usize, &'a Val)>,
    total: usize,
    extra: Vec<(&'static str, JsonValue)>,
    has_next: bool,
    has_prev: bool,
}

/// An edge: a node and its cursor.
struct Edge<'a> {
    g: &'a Graph,
    ctx: &'a Ctx,
    typename: String,
    pos: usize,
    val: &'a Val,
}

/// The `Query` root.
pub struct Root<'a> {
    /// The graph.
    pub g: &'a Graph,
    /// Per-request state.
    pub ctx: &'a Ctx,
}

fn cursor(pos: usize) -> String {
    hex::encode(format!("cursor:v2:{pos}"))
}

fn decode_cursor(arg: &str, value: &str) -> Result<usize, FieldError> {
    hex::decode(value)
        .ok()
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.strip_prefix("cursor:v2:")?.parse().ok())
        .ok_or_else(|| {
            typed(
                "INVALID_CURSOR_ARGUMENTS",
                format!("`{arg}` does not appear to be a valid cursor."),
            )
        })
}

fn arg_str<'a>(info: &'a ResolveInfo<'a>, name: &str) -> Option<&'a str> {
    info.arguments().get(name).and_then(|v| v.as_str())
}

fn arg_int(info: &ResolveInfo<'_>, name: &str) -> Option<i64> {
    info.arguments().get(name).and_then(|v| v.as_i64())
}

fn resolve<'a>(
    g: &'a Graph,
    ctx: &'a Ctx,
    val: &'a Val,
    info: &'a ResolveInfo<'a>,
) -> Result<ResolvedValue<'a>, FieldError> {
    Ok(match val {
        Val::Null => ResolvedValue::null(),
        Val::Leaf(v) => ResolvedValue::leaf(v.clone()),
        Val::Ref(idx) => ResolvedValue::object(Obj { g, ctx, idx: *idx }),
        Val::List(items) => ResolvedValue::List(Box::new(
            items.iter().map(move |v| resolve(g, ctx, v, info)),
        )),
        Val::Conn(items) => {
            let all: Vec<&Val> = items.iter().collect();
            ResolvedValue::object(page(g, ctx, info, &all, items.len(), vec![])?)
        }
    })
}

/// Slices `items` by first/after/last/before, with GitHub's limits.
fn page<'a>(
    g: &'a Graph,
    ctx: &'a Ctx,
    info: &'a ResolveInfo<'a>,
    items: &[&'a Val],
    total: usize,
    extra: Vec<(&'static str, JsonValue)>,
) -> Result<Page<'a>, FieldError> {
    let field = info.field_name();
    let (first, last) = (arg_int(info, "first"), arg_int(info, "last"));
    if first.is_none() && last.is_none() {
        let message = format!(
            "You must provide a `first` or `last` value to properly paginate the `{field}` connection."
        );
        ctx.problems.borrow_mut().push(message.clone());
        return Err(typed("MISSING_PAGINATION_BOUNDARIES", message));
    }
    for (name, n) in [("first", first), ("last", last)] {
        if let Some(n) = n.filter(|n| !(0..=MAX_PAGE).contains(n)) {
            let message = format!(
                "Requesting {n} records on the `{field}` connection exceeds the `{name}` limit of {MAX_PAGE} records."
            );
            ctx.problems.borrow_mut().push(message.clone());
            return Err(typed("EXCESSIVE_PAGINATION", message));
        }
    }
    let mut start = match arg_str(info, "after") {
        Some(c) => decode_cursor("after", c)? + 1,
        None => 0,
    };
    let mut end = match arg_str(info, "before") {
        Some(c) => decode_cursor("before", c)?,
        None => items.len(),
    };
    end = end.min(items.len());
    start = start.min(end);
    if let Some(n) = first {
        end = end.min(start + n as usize);
    }
    if let Some(n) = last {
        start = start.max(end.saturating_sub(n as usize));
    }
    let typename = info.field_definition().ty.inner_named_type().to_string();
    let edge_type = info
        .schema()
        .get_object(&typename)
        .and_then(|t| t.fields.get("edges"))
        .map(|f| f.ty.inner_named_type().to_string())
        .unwrap_or_default();
    Ok(Page {
        g,
        ctx,
        typename,
        edge_type,
        items: (start..end).map(|p| (p, items[p])).collect(),
        total,
        extra,
        has_next: end < items.len(),
        has_prev: start > 0,
    })
}

/// A field the model holds no data for: null when the schema allows, else a visible gap.
fn missing<'a>(
    ctx: &Ctx,
    typename: &str,
    info: &'a ResolveInfo<'a>,
) -> Result<ResolvedValue<'a>, FieldError> {
    if info.field_definition().ty.is_non_null() {
        let message = format!(
            "fake GitHub holds no data for non-null field `{typename}.{}`; add it to tests/github_server",
            info.field_name()
        );
        ctx.problems.borrow_mut().push(message.clone());
        Err(FieldError { message })
    } else {
        Ok(ResolvedValue::null())
    }
}

impl ObjectValue for Obj<'_> {
    fn type_name(&self) -> &str {
        self.g.nodes[self.idx].typename
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let node = &self.g.nodes[self.idx];
        match node.fields.get(info.field_name()) {
            Some(val) => resolve(self.g, self.ctx, val, info),
            None => missing(self.ctx, node.typename, info),
        }
    }
}

impl ObjectValue for Leaves {
    fn type_name(&self) -> &str {
        &self.typename
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        match self.fields.iter().find(|(k, _)| *k == info.field_name()) {
            Some((_, v)) => Ok(ResolvedValue::leaf(v.clone())),
            None => Err(self.unknown_field_error(info)),
        }
    }
}

impl ObjectValue for Page<'_> {
    fn type_name(&self) -> &str {
        &self.typename
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let (g, ctx) = (self.g, self.ctx);
        Ok(match info.field_name() {
            "totalCount" => ResolvedValue::leaf(self.total as i64),
            "nodes" => ResolvedValue::List(Box::new(
                self.items
                    .iter()
                    .map(move |(_, v)| resolve(g, ctx, v, info)),
            )),
            "edges" => ResolvedValue::List(Box::new(self.items.iter().map(move |(pos, val)| {
                Ok(ResolvedValue::object(Edge {
                    g,
                    ctx,
                    typename: self.edge_type.clone(),
                    pos: *pos,
                    val,
                }))
            }))),
            "pageInfo" => {
                let end = |pos: Option<&(usize, &Val)>| {
                    pos.map_or(JsonValue::Null, |(p, _)| cursor(*p).into())
                };
                ResolvedValue::object(Leaves {
                    typename: "PageInfo".into(),
                    fields: vec![
                        ("hasNextPage", self.has_next.into()),
                        ("hasPreviousPage", self.has_prev.into()),
                        ("startCursor", end(self.items.first())),
                        ("endCursor", end(self.items.last())),
                    ],
                })
            }
            name => match self.extra.iter().find(|(k, _)| *k == name) {
                Some((_, v)) => ResolvedValue::leaf(v.clone()),
                None => return missing(ctx, &self.typename, info),
            },
        })
    }
}

impl ObjectValue for Edge<'_> {
    fn type_name(&self) -> &str {
        &self.typename
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        match info.field_name() {
            "cursor" => Ok(ResolvedValue::leaf(cursor(self.pos))),
            "node" => resolve(self.g, self.ctx, self.val, info),
            _ => missing(self.ctx, &self.typename, info),
        }
    }
}

impl ObjectValue for Root<'_> {
    fn type_name(&self) -> &str {
        "Query"
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let (g, ctx) = (self.g, self.ctx);
        let obj = |idx: usize| ResolvedValue::object(Obj { g, ctx, idx });
        match info.field_name() {
            "organization" => {
                let login = arg_str(info, "login").unwrap_or_default();
                match g.orgs.get(&login.to_lowercase()) {
                    Some(idx) => Ok(obj(*idx)),
                    None => Err(typed(
                        "NOT_FOUND",
                        format!(
                            "Could not resolve to an Organization with the login of '{login}'."
                        ),
                    )),
                }
            }
            "repository" => {
                let owner = arg_str(info, "owner").unwrap_or_default();
                let name = arg_str(info, "name").unwrap_or_default();
                match g.repos.get(&format!("{owner}/{name}").to_lowercase()) {
                    Some(idx) => Ok(obj(*idx)),
                    None => Err(typed(
                        "NOT_FOUND",
                        format!(
                            "Could not resolve to a Repository with the name '{owner}/{name}'."
                        ),
                    )),
                }
            }
            "node" => {
                let id = arg_str(info, "id").unwrap_or_default();
                match g.by_id.get(id) {
                    Some(idx) => Ok(obj(*idx)),
                    None => Err(typed(
                        "NOT_FOUND",
                        format!("Could not resolve to a node with the global id of '{id}'"),
                    )),
                }
            }
            "nodes" => {
                let ids = info.arguments().get("ids").and_then(|v| v.as_array());
                let ids: Vec<_> = ids
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str())
                    .collect();
                Ok(ResolvedValue::List(Box::new(ids.into_iter().map(
                    move |id| match g.by_id.get(id) {
                        Some(idx) => Ok(obj(*idx)),
                        None => Err(typed(
                            "NOT_FOUND",
                            format!("Could not resolve to a node with the global id of '{id}'"),
                        )),
                    },
                ))))
            }
            "rateLimit" => Ok(ResolvedValue::object(Leaves {
                typename: "RateLimit".into(),
                fields: ctx.rate.to_vec(),
            })),
            "search" => self.search(info),
            _ => missing(ctx, "Query", info),
        }
    }
}

/// A parsed `search` query over pull requests.
#[derive(Default)]
struct Filter {
    orgs: Vec<String>,
    repos: Vec<String>,
    bases: Vec<String>,
    merged_only: bool,
    open_only: bool,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

/// `2026-07-01T00:00:00Z` or `2026-07-01` (start or end of that day).
fn parse_time(text: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let t = if end_of_day {
        NaiveTime::from_hms_opt(23, 59, 59)?
    } else {
        NaiveTime::MIN
    };
    Some(day.and_time(t).and_utc())
}

impl Filter {
    fn parse(query: &str) -> Result<Filter, String> {
        let mut f = Filter::default();
        for term in query.split_whitespace() {
            let (key, value) = term.split_once(':').unwrap_or((term, ""));
            let bad = || format!("unsupported search term `{term}`");
            match (key, value) {
                ("is" | "type", "pr") | ("is", "closed") => {}
                ("is", "merged") => f.merged_only = true,
                ("is", "open") => f.open_only = true,
                ("org" | "user", v) => f.orgs.push(v.to_lowercase()),
                ("repo", v) => f.repos.push(v.to_lowercase()),
                ("base", v) => f.bases.push(v.to_string()),
                ("merged", v) => {
                    f.merged_only = true;
                    let parse = |t: &str, end| match t {
                        "*" => Ok(None),
                        t => parse_time(t, end).map(Some).ok_or_else(bad),
                    };
                    if let Some((a, z)) = v.split_once("..") {
                        (f.from, f.to) = (parse(a, false)?, parse(z, true)?);
                    } else if let Some(t) = v.strip_prefix(">=") {
                        f.from = parse(t, false)?;
                    } else if let Some(t) = v.strip_prefix("<=") {
                        f.to = parse(t, true)?;
                    } else if let Some(t) = v.strip_prefix('>') {
                        f.from = parse(t, true)?.map(|t| t + chrono::Duration::seconds(1));
                    } else if let Some(t) = v.strip_prefix('<') {
                        f.to = parse(t, false)?.map(|t| t - chrono::Duration::seconds(1));
                    } else {
                        (f.from, f.to) = (parse(v, false)?, parse(v, true)?);
                    }
                }
                _ => return Err(bad()),
            }
        }
        Ok(f)
    }

    fn matches(&self, p: &Searchable) -> bool {
        (self.orgs.is_empty() || self.orgs.contains(&p.org))
            && (self.repos.is_empty() || self.repos.contains(&p.repo))
            && (self.bases.is_empty() || self.bases.contains(&p.base))
            && (!self.merged_only || p.merged_at.is_some())
            && (!self.open_only || p.merged_at.is_none())
            && self
                .from
                .is_none_or(|f| p.merged_at.is_some_and(|m| m >= f))
            && self.to.is_none_or(|t| p.merged_at.is_some_and(|m| m <= t))
    }
}

impl Root<'_> {
    /// `search(type: ISSUE, query:)` over pull requests, newest merge first, capped like GitHub.
    fn search<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Result<ResolvedValue<'a>, FieldError> {
        let query = arg_str(info, "query").unwrap_or_default();
        let kind = arg_str(info, "type").unwrap_or_default();
        let filter = match Filter::parse(query) {
            Ok(f) if kind == "ISSUE" => f,
            result => {
                let why = result
                    .err()
                    .unwrap_or_else(|| format!("type {kind} is not served"));
                let message = format!("fake GitHub: search {query:?}: {why}");
                self.ctx.problems.borrow_mut().push(message.clone());
                return Err(FieldError { message });
            }
        };
        let hits: Vec<&Val> = self
            .g
            .pulls
            .iter()
            .filter(|p| filter.matches(p))
            .map(|p| &p.val)
            .collect();
        let total = hits.len();
        let capped = &hits[..total.min(SEARCH_CAP)];
        let mut extra = vec![("issueCount", JsonValue::from(total as i64))];
        for other in [
            "codeCount",
            "discussionCount",
            "repositoryCount",
            "userCount",
            "wikiCount",
        ] {
            extra.push((other, JsonValue::from(0)));
        }
        Ok(ResolvedValue::object(page(
            self.g, self.ctx, info, capped, total, extra,
        )?))
    }
}

/// A query that passed validation.
pub struct Prepared {
    /// The validated document.
    doc: Valid<ExecutableDocument>,
    /// What the request log calls it: the operation name, or its root fields.
    pub label: String,
    /// GitHub's cost in points: requests it implies / 100, at least 1.
    pub cost: i64,
    /// Nodes the query may return at most (GitHub's `nodeCount`).
    pub node_count: i64,
    /// Whether every root field is nullable (partial data can null one of them).
    root_keys: Vec<(String, bool)>,
}

/// Validates `query` against the schema; `Err` holds GitHub-style `errors` entries.
pub fn prepare(
    query: &str,
    operation: Option<&str>,
    variables: &serde_json::Value,
) -> Result<Prepared, Vec<serde_json::Value>> {
    let doc =
        ExecutableDocument::parse_and_validate(schema(), query, "query.graphql").map_err(|e| {
            e.errors
                .iter()
                .map(|d| serde_json::to_value(d.unstable_to_json_compat()).unwrap_or_default())
                .collect::<Vec<_>>()
        })?;
    let op = doc
        .operations
        .get(operation)
        .map_err(|e| vec![serde_json::json!({ "message": e.message().to_string() })])?;
    let (mut requests, mut nodes) = (0.0, 0.0);
    walk(
        &doc,
        &op.selection_set,
        variables,
        1.0,
        &mut requests,
        &mut nodes,
    );
    let root_keys = op
        .selection_set
        .fields()
        .map(|f| (f.response_key().to_string(), !f.ty().is_non_null()))
        .collect::<Vec<_>>();
    let label = match &op.name {
        Some(name) => name.to_string(),
        None => root_keys
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(","),
    };
    Ok(Prepared {
        label,
        cost: ((requests / 100.0_f64).round() as i64).max(1),
        node_count: nodes as i64,
        root_keys,
        doc,
    })
}

/// Adds up GitHub's cost model: each connection costs one request per parent it can appear in.
fn walk(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    vars: &serde_json::Value,
    parents: f64,
    requests: &mut f64,
    nodes: &mut f64,
) {
    for selection in &set.selections {
        match selection {
            Selection::Field(f) => {
                let size = f
                    .arguments
                    .iter()
                    .filter(|a| a.name == "first" || a.name == "last")
                    .find_map(|a| match a.value.as_ref() {
                        apollo_compiler::ast::Value::Int(n) => n.try_to_i32().ok().map(f64::from),
                        apollo_compiler::ast::Value::Variable(v) => {
                            vars.get(v.as_str()).and_then(|n| n.as_f64())
                        }
                        _ => None,
                    });
                let inner = match size {
                    Some(n) => {
                        *requests += parents;
                        *nodes += parents * n;
                        parents * n
                    }
                    None => parents,
                };
                walk(doc, &f.selection_set, vars, inner, requests, nodes);
            }
            Selection::FragmentSpread(s) => {
                if let Some(fragment) = doc.fragments.get(&s.fragment_name) {
                    walk(doc, &fragment.selection_set, vars, parents, requests, nodes);
                }
            }
            Selection::InlineFragment(i) => {
                walk(doc, &i.selection_set, vars, parents, requests, nodes)
            }
        }
    }
}

/// What GraphQL-level error to inject into an otherwise good answer.
pub struct Injected {
    /// GitHub's error `type`: NOT_FOUND, FORBIDDEN, RATE_LIMITED.
    pub kind: String,
    /// The message.
    pub message: String,
    /// Null one root field (partial data) instead of all of `data`.
    pub partial: bool,
}

/// Runs a prepared query; returns the response body and the problems met.
pub fn execute(
    g: &Graph,
    prepared: &Prepared,
    operation: Option<&str>,
    variables: &serde_json::Value,
    rate: [(&'static str, JsonValue); 6],
    inject: Option<Injected>,
) -> (serde_json::Value, Vec<String>) {
    let ctx = Ctx {
        problems: RefCell::new(vec![]),
        rate,
    };
    let vars: JsonMap = match variables {
        serde_json::Value::Null => JsonMap::new(),
        v => serde_json::from_value(v.clone()).unwrap_or_default(),
    };
    let result = Execution::new(schema(), &prepared.doc)
        .operation_name(operation)
        .and_then(|e| {
            e.raw_variable_values(&vars)
                .execute_sync(&Root { g, ctx: &ctx })
        });
    let mut body = match result {
        Ok(response) => serde_json::to_value(response).unwrap_or_default(),
        Err(e) => serde_json::json!({ "errors": [{ "message": e.message().to_string() }] }),
    };
    if let Some(errors) = body.get_mut("errors").and_then(|e| e.as_array_mut()) {
        for error in errors {
            let message = error["message"].as_str().unwrap_or_default().to_string();
            let message = message.strip_prefix("resolver error: ").unwrap_or(&message);
            if let Some((kind, text)) = message.strip_prefix('[').and_then(|m| m.split_once("] ")) {
                error["type"] = kind.into();
                error["message"] = text.into();
            }
        }
    }
    if let Some(inject) = inject {
        let key = prepared.root_keys.last().filter(|(_, nullable)| *nullable);
        let error = serde_json::json!({ "type": inject.kind, "message": inject.message });
        match key {
            Some((key, _)) if inject.partial && body["data"].is_object() => {
                body["data"][key.as_str()] = serde_json::Value::Null;
                let mut error = error;
                error["path"] = serde_json::json!([key]);
                push_error(&mut body, error);
            }
            _ => {
                body = serde_json::json!({ "data": null });
                push_error(&mut body, error);
            }
        }
    }
    (body, ctx.problems.into_inner())
}

fn push_error(body: &mut serde_json::Value, error: serde_json::Value) {
    match body.get_mut("errors").and_then(|e| e.as_array_mut()) {
        Some(errors) => errors.push(error),
        None => body["errors"] = serde_json::json!([error]),
    }
}
