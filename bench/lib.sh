# Sourced by the bench scripts: what every one of them needs.

# bench_config DIR: a fresh run folder DIR (with an empty collectors/) whose config.toml starts
# with the agent's paths and a `bench` window covering every date a bench runs on; the script
# appends its collector's section.
bench_config() {
    rm -rf "$1" && mkdir -p "$1/collectors"
    cat >"$1/config.toml" <<'TOML'
[agent]
vault_dir = "vault"
collectors_dir = "collectors"

[[windows]]
name = "bench"
start = "2000-01-01"
end = "2099-12-31"

TOML
}

# bench_build [CARGO ARGS...]: builds the agent in $PROFILE (release, or debug to measure what
# `cargo build` made) with any extra targets, and sets BIN to it.
bench_build() {
    echo "== building ($PROFILE)" >&2
    if [ "$PROFILE" = release ]; then
        cargo build --release --quiet --bin evidence-agent "$@"
    else
        cargo build --quiet --bin evidence-agent "$@"
    fi
    BIN=$PWD/target/$PROFILE/evidence-agent
}
