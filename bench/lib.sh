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
