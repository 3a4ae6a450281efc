//! The organisation the fake GitHub serves: plain data, built by hand for a scenario or generated
//! for the benchmark. Everything the GraphQL and REST layers answer comes from here.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

/// One organisation with its repositories.
#[derive(Clone, Debug)]
pub struct Org {
    /// The organisation's login, as in `org:LOGIN`.
    pub login: String,
    /// REST `id`, also used in `/organizations/{id}/repos` Link headers.
    pub database_id: u64,
    /// Repositories, served in this order by REST and by name by GraphQL.
    pub repos: Vec<Repo>,
}

/// A repository.
#[derive(Clone, Debug)]
pub struct Repo {
    /// Name without the owner.
    pub name: String,
    /// REST `id`; set by `Org::repo`.
    pub database_id: u64,
    /// The default branch's name.
    pub default_branch: String,
    /// `isArchived` / `archived`.
    pub archived: bool,
    /// `isFork` / `fork`.
    pub fork: bool,
    /// Classic branch protection of the default branch; `None` answers 404 "Branch not protected".
    pub protection: Option<Protection>,
    /// Repository rulesets (`rulesets` connection).
    pub rulesets: Vec<Ruleset>,
    /// Pull requests, merged or not.
    pub pulls: Vec<Pull>,
}

/// Classic branch protection, as the REST endpoint reports it.
#[derive(Clone, Debug, Default)]
pub struct Protection {
    /// `required_pull_request_reviews.required_approving_review_count`; `None` drops the block.
    pub required_approving_review_count: Option<u32>,
    /// `required_pull_request_reviews.dismiss_stale_reviews`.
    pub dismiss_stale_reviews: bool,
    /// `required_pull_request_reviews.require_code_owner_reviews`.
    pub require_code_owner_reviews: bool,
    /// `required_pull_request_reviews.require_last_push_approval`.
    pub require_last_push_approval: bool,
    /// `required_status_checks.contexts`; `None` drops the block.
    pub required_status_checks: Option<Vec<String>>,
    /// `required_status_checks.strict`.
    pub strict: bool,
    /// `enforce_admins.enabled`.
    pub enforce_admins: bool,
}

impl Protection {
    /// One approval, stale reviews dismissed, the given checks required, admins included.
    pub fn strong(checks: &[&str]) -> Protection {
        Protection {
            required_approving_review_count: Some(1),
            dismiss_stale_reviews: true,
            require_code_owner_reviews: false,
            require_last_push_approval: false,
            required_status_checks: Some(checks.iter().map(|c| c.to_string()).collect()),
            strict: true,
            enforce_admins: true,
        }
    }

    /// Protected, but nothing required (the fixture's first PUT).
    pub fn empty() -> Protection {
        Protection::default()
    }
}

/// A repository ruleset.
#[derive(Clone, Debug)]
pub struct Ruleset {
    /// `name`.
    pub name: String,
    /// `enforcement`: ACTIVE, EVALUATE or DISABLED.
    pub enforcement: String,
    /// `target`: BRANCH or TAG.
    pub target: String,
    /// `conditions.refName.include`, e.g. `~DEFAULT_BRANCH`.
    pub include: Vec<String>,
    /// `conditions.refName.exclude`.
    pub exclude: Vec<String>,
    /// `rules`.
    pub rules: Vec<Rule>,
}

impl Ruleset {
    /// An active ruleset on the default branch requiring `approvals` reviews and `checks`.
    pub fn default_branch(name: &str, approvals: u32, checks: &[&str]) -> Ruleset {
        let mut rules = vec![Rule::PullRequest {
            required_approving_review_count: approvals,
            dismiss_stale_reviews_on_push: true,
            require_code_owner_review: false,
            require_last_push_approval: false,
        }];
        if !checks.is_empty() {
            rules.push(Rule::RequiredStatusChecks {
                checks: checks.iter().map(|c| (c.to_string(), None)).collect(),
            });
        }
        rules.push(Rule::Other("DELETION".into()));
        Ruleset {
            name: name.into(),
            enforcement: "ACTIVE".into(),
            target: "BRANCH".into(),
            include: vec!["~DEFAULT_BRANCH".into()],
            exclude: vec![],
            rules,
        }
    }
}

/// One rule of a ruleset.
#[derive(Clone, Debug)]
pub enum Rule {
    /// `PULL_REQUEST` with `PullRequestParameters`.
    PullRequest {
        /// `requiredApprovingReviewCount`.
        required_approving_review_count: u32,
        /// `dismissStaleReviewsOnPush`.
        dismiss_stale_reviews_on_push: bool,
        /// `requireCodeOwnerReview`.
        require_code_owner_review: bool,
        /// `requireLastPushApproval`.
        require_last_push_approval: bool,
    },
    /// `REQUIRED_STATUS_CHECKS` with (context, integrationId) pairs.
    RequiredStatusChecks {
        /// `requiredStatusChecks { context integrationId }`.
        checks: Vec<(String, Option<i64>)>,
    },
    /// Any parameterless rule type, e.g. `DELETION`, `NON_FAST_FORWARD`.
    Other(String),
}

/// A pull request.
#[derive(Clone, Debug)]
pub struct Pull {
    /// `number`, unique in the repository.
    pub number: u64,
    /// `title`.
    pub title: String,
    /// `author.login`.
    pub author: String,
    /// `mergedBy.login`; `None` while open.
    pub merged_by: Option<String>,
    /// `mergedAt`; `None` for an open pull request.
    pub merged_at: Option<DateTime<Utc>>,
    /// `baseRefName`; empty means the repository's default branch (filled by `Repo::pull`).
    pub base: String,
    /// `headRefName`.
    pub head_ref: String,
    /// `headRefOid`: the commit that was merged.
    pub head_oid: String,
    /// `mergeCommit.oid`.
    pub merge_oid: String,
    /// Reviews in submission order.
    pub reviews: Vec<Review>,
    /// Status checks on the head commit; empty means `statusCheckRollup: null`.
    pub checks: Vec<Check>,
}

/// A review.
#[derive(Clone, Debug)]
pub struct Review {
    /// `author.login`.
    pub author: String,
    /// APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED.
    pub state: String,
    /// `submittedAt`.
    pub submitted_at: DateTime<Utc>,
    /// `commit.oid`: the commit the reviewer saw.
    pub commit_oid: String,
    /// `authorAssociation`, e.g. MEMBER.
    pub association: String,
}

/// A status check on the head commit.
#[derive(Clone, Debug)]
pub enum Check {
    /// A check run (GitHub Actions and apps).
    Run {
        /// `name`.
        name: String,
        /// `status`, e.g. COMPLETED.
        status: String,
        /// `conclusion`, e.g. SUCCESS or FAILURE; `None` while running.
        conclusion: Option<String>,
        /// `isRequired`.
        required: bool,
    },
    /// A commit status (the older statuses API).
    Status {
        /// `context`.
        context: String,
        /// `state`: SUCCESS, FAILURE, ERROR, PENDING or EXPECTED.
        state: String,
        /// `isRequired`.
        required: bool,
    },
}

impl Check {
    /// A completed check run.
    pub fn run(name: &str, conclusion: &str) -> Check {
        Check::Run {
            name: name.into(),
            status: "COMPLETED".into(),
            conclusion: Some(conclusion.into()),
            required: false,
        }
    }

    /// A commit status.
    pub fn status(context: &str, state: &str) -> Check {
        Check::Status {
            context: context.into(),
            state: state.into(),
            required: false,
        }
    }

    /// Marks the check as required by protection.
    pub fn required(mut self) -> Check {
        match &mut self {
            Check::Run { required, .. } | Check::Status { required, .. } => *required = true,
        }
        self
    }

    /// The rollup contribution: SUCCESS, FAILURE or PENDING.
    pub fn outcome(&self) -> &'static str {
        let value = match self {
            Check::Run { conclusion, .. } => conclusion.as_deref().unwrap_or("PENDING"),
            Check::Status { state, .. } => state,
        };
        match value {
            "SUCCESS" | "NEUTRAL" | "SKIPPED" => "SUCCESS",
            "PENDING" | "EXPECTED" | "QUEUED" | "IN_PROGRESS" => "PENDING",
            _ => "FAILURE",
        }
    }
}

/// A deterministic 40-hex-digit object id for `seed`.
pub fn oid(seed: &str) -> String {
    hex::encode(&Sha256::digest(seed.as_bytes())[..20])
}

impl Org {
    /// An empty organisation.
    pub fn new(login: &str) -> Org {
        Org {
            login: login.into(),
            database_id: 9000,
            repos: vec![],
        }
    }

    /// Adds a repository (builder style), giving it a REST id.
    pub fn repo(mut self, mut repo: Repo) -> Org {
        repo.database_id = 100_000 + self.repos.len() as u64;
        self.repos.push(repo);
        self
    }

    /// Merged pull requests in `[start, end]` across all repositories.
    pub fn merged_in(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> usize {
        self.repos
            .iter()
            .flat_map(|r| &r.pulls)
            .filter(|p| p.merged_at.is_some_and(|m| m >= start && m <= end))
            .count()
    }

    /// A deterministic organisation `acme` of `repos` repositories with `prs_per_repo` pull requests
    /// each, all merged into the default branch inside `window`. The mix: most approved by another
    /// user on the merged commit, some self-approved only, stale, unreviewed, approved after
    /// changes were requested, or with a failing check. Protection rotates: classic, classic,
    /// ruleset only, none.
    pub fn generate(
        seed: u64,
        repos: usize,
        prs_per_repo: usize,
        window: (DateTime<Utc>, DateTime<Utc>),
    ) -> Org {
        let mut rng = Rng(seed);
        let users = [
            "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
        ];
        let span = (window.1 - window.0).num_seconds().max(1);
        let mut org = Org::new("acme");
        for r in 0..repos {
            let mut repo = Repo::new(&format!("service-{r:02}"));
            match r % 4 {
                0 | 1 => repo.protection = Some(Protection::strong(&["ci/build"])),
                2 => repo = repo.ruleset(Ruleset::default_branch("main-rules", 1, &["build"])),
                _ => {}
            }
            for n in 1..=prs_per_repo {
                // Spread evenly over the window, strictly inside it.
                let offset = span * (2 * n as i64 - 1) / (2 * prs_per_repo.max(1) as i64);
                let merged_at = window.0 + Duration::seconds(offset);
                let author = users[rng.below(users.len())];
                let other = users[(users.iter().position(|u| *u == author).unwrap_or(0)
                    + 1
                    + rng.below(users.len() - 1))
                    % users.len()];
                let mut pull = Pull::merged(n as u64, author, merged_at)
                    .check(Check::run("build", "SUCCESS").required())
                    .check(Check::status("ci/build", "SUCCESS"));
                pull = match rng.below(100) {
                    0..70 => pull.approved_by(other),
                    70..78 => pull.self_approved(),
                    78..85 => pull.stale_approval(other),
                    85..90 => pull,
                    90..95 => pull.changes_then_approved(other),
                    _ => {
                        pull.checks[0] = Check::run("build", "FAILURE").required();
                        pull.approved_by(other)
                    }
                };
                repo = repo.pull(pull);
            }
            org = org.repo(repo);
        }
        org
    }
}

impl Repo {
    /// A repository with default branch `main`, unprotected, without pull requests.
    pub fn new(name: &str) -> Repo {
        Repo {
            name: name.into(),
            database_id: 0,
            default_branch: "main".into(),
            archived: false,
            fork: false,
            protection: None,
            rulesets: vec![],
            pulls: vec![],
        }
    }

    /// Sets classic protection of the default branch.
    pub fn protected(mut self, protection: Protection) -> Repo {
        self.protection = Some(protection);
        self
    }

    /// Adds a ruleset.
    pub fn ruleset(mut self, ruleset: Ruleset) -> Repo {
        self.rulesets.push(ruleset);
        self
    }

    /// Adds a pull request; an empty base becomes the default branch.
    pub fn pull(mut self, mut pull: Pull) -> Repo {
        if pull.base.is_empty() {
            pull.base = self.default_branch.clone();
        }
        self.pulls.push(pull);
        self
    }
}

impl Pull {
    /// A pull request by `author` merged (by `author`) at `merged_at`, with no reviews or checks.
    pub fn merged(number: u64, author: &str, merged_at: DateTime<Utc>) -> Pull {
        let seed = format!("{author}#{number}@{}", merged_at.timestamp());
        Pull {
            number,
            title: format!("Change {number}"),
            author: author.into(),
            merged_by: Some(author.into()),
            merged_at: Some(merged_at),
            base: String::new(),
            head_ref: format!("feature/{number}"),
            head_oid: oid(&format!("{seed}:head")),
            merge_oid: oid(&format!("{seed}:merge")),
            reviews: vec![],
            checks: vec![],
        }
    }

    /// An open (unmerged) pull request.
    pub fn open(number: u64, author: &str, created: DateTime<Utc>) -> Pull {
        let mut pull = Pull::merged(number, author, created);
        pull.merged_at = None;
        pull.merged_by = None;
        pull
    }

    /// Targets a branch other than the default one.
    pub fn into_branch(mut self, base: &str) -> Pull {
        self.base = base.into();
        self
    }

    /// Sets who pressed merge.
    pub fn merged_by(mut self, login: &str) -> Pull {
        self.merged_by = Some(login.into());
        self
    }

    /// Adds a review of `state` by `login` on commit `commit_oid`, a minute later than the last.
    pub fn review(mut self, login: &str, state: &str, commit_oid: &str) -> Pull {
        let base = self.merged_at.unwrap_or_else(Utc::now) - Duration::hours(2);
        let at = base + Duration::minutes(self.reviews.len() as i64 % 100);
        self.reviews.push(Review {
            author: login.into(),
            state: state.into(),
            submitted_at: at,
            commit_oid: commit_oid.into(),
            association: "MEMBER".into(),
        });
        self
    }

    /// Approved by `login` on the merged commit.
    pub fn approved_by(self, login: &str) -> Pull {
        let head = self.head_oid.clone();
        self.review(login, "APPROVED", &head)
    }

    /// Approved only by its own author.
    pub fn self_approved(self) -> Pull {
        let (author, head) = (self.author.clone(), self.head_oid.clone());
        self.review(&author, "APPROVED", &head)
    }

    /// Approved by `login` on an earlier commit than the one merged.
    pub fn stale_approval(self, login: &str) -> Pull {
        let old = oid(&format!("{}:old", self.head_oid));
        self.review(login, "APPROVED", &old)
    }

    /// `login` requested changes, then approved the merged commit.
    pub fn changes_then_approved(self, login: &str) -> Pull {
        let (old, head) = (
            oid(&format!("{}:old", self.head_oid)),
            self.head_oid.clone(),
        );
        self.review(login, "CHANGES_REQUESTED", &old)
            .review(login, "APPROVED", &head)
    }

    /// Adds `n` COMMENTED reviews by `login` (to pass a page of reviews).
    pub fn comments(mut self, login: &str, n: usize) -> Pull {
        let head = self.head_oid.clone();
        for _ in 0..n {
            self = self.review(login, "COMMENTED", &head);
        }
        self
    }

    /// Adds a status check.
    pub fn check(mut self, check: Check) -> Pull {
        self.checks.push(check);
        self
    }

    /// The rollup state: FAILURE if any check failed, else PENDING if any is pending, else SUCCESS.
    pub fn rollup_state(&self) -> &'static str {
        let outcomes: Vec<_> = self.checks.iter().map(Check::outcome).collect();
        if outcomes.contains(&"FAILURE") {
            "FAILURE"
        } else if outcomes.contains(&"PENDING") {
            "PENDING"
        } else {
            "SUCCESS"
        }
    }
}

/// splitmix64: deterministic and good enough to pick scenarios.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
