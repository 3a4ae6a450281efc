#!/bin/sh
# host-baseline: the security baseline of the Linux host it runs on (OS identity, sshd, firewall,
# automatic updates, disk encryption, listening ports, local accounts, time sync), written as raw
# evidence files into EVIDENCE_OUT_DIR, with findings and a summary as one JSON object on stdout.
#
# POSIX sh on purpose: it must run on any Linux host (dash, busybox ash and applets; no bash, no
# python). It needs no credentials; as root (or with CAP_NET_ADMIN) the firewall and port owners
# are complete, otherwise what could not be read is recorded as unknown, never as a finding.
#
# HOST_BASELINE_ROOT (optional): a folder prefixed to every file the script reads (/etc, /proc,
# /sys, /usr, /run), for tests and for inspecting a mounted image. With it set, the commands that
# read config files themselves (sshd -T, apt-config, hostname) are not run, and PATH is used as
# given (the sbin folders are not added): the live-state commands (nft, iptables-save, ufw,
# firewall-cmd, ss, lsblk, timedatectl, chronyc, ntpq) run only if PATH holds them, so a test
# decides which tools exist. To inspect an image, give a PATH without them.

set -u

VERSION=1.0.0

OUT=${EVIDENCE_OUT_DIR:-}
if [ -z "$OUT" ] || [ ! -d "$OUT" ]; then
    echo "host-baseline: EVIDENCE_OUT_DIR must name an existing folder (the agent sets it)" >&2
    exit 2
fi
ROOT=${HOST_BASELINE_ROOT:-}
ROOT=${ROOT%/}
if [ -n "$ROOT" ] && [ ! -d "$ROOT" ]; then
    echo "host-baseline: HOST_BASELINE_ROOT=$ROOT is not a folder" >&2
    exit 2
fi
LIVE=1
[ -n "$ROOT" ] && LIVE=0
if [ "$LIVE" = 1 ]; then
    # Firewall and sshd tools live in sbin, which a non-root PATH often lacks.
    PATH="${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/sbin:/sbin"
    export PATH
fi

TMP=$(mktemp -d 2>/dev/null || mktemp -d -t host-baseline.XXXXXX) || {
    echo "host-baseline: cannot create a temporary folder" >&2
    exit 1
}
trap 'rm -rf "$TMP"' EXIT
trap 'exit 143' TERM INT HUP

NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
RUN_AS=$(id -u 2>/dev/null || echo unknown)
FINDINGS=""
SUMMARY=""

have() { command -v "$1" >/dev/null 2>&1; }

# The JSON string body of $1: backslash, quote, tab, CR and newline escaped, other control
# characters dropped. One character at a time because awks disagree on backslashes in gsub.
json_str() {
    printf '%s' "$1" | tr -d '\001-\010\013\014\016-\037' | awk '
        { if (NR > 1) printf "%s", "\\n"
          n = length($0)
          for (i = 1; i <= n; i++) {
              c = substr($0, i, 1)
              if (c == "\\") printf "%s", "\\\\"
              else if (c == "\"") printf "%s", "\\\""
              else if (c == "\t") printf "%s", "\\t"
              else if (c == "\r") printf "%s", "\\r"
              else printf "%s", c
          } }'
}

# finding RULE SEVERITY SUBJECT MESSAGE [ARTIFACT]
finding() {
    f=$(printf '{"rule":"%s","severity":"%s","subject":"%s","message":"%s"' \
        "$1" "$2" "$(json_str "$3")" "$(json_str "$4")")
    if [ -n "${5:-}" ] && [ -f "$OUT/$5" ]; then
        f="$f,\"artifact\":\"$(json_str "$5")\""
    fi
    FINDINGS="${FINDINGS:+$FINDINGS,}$f}"
}

# summary KEY VALUE (a string) / summary_int KEY VALUE (an integer)
summary() { SUMMARY="${SUMMARY:+$SUMMARY,}\"$1\":\"$(json_str "$2")\""; }
summary_int() { SUMMARY="${SUMMARY:+$SUMMARY,}\"$1\":$2"; }

# The first line of an artifact: what it is, where and when it was collected.
header() {
    printf '# host-baseline %s: %s\n# host %s, collected %s, run as uid %s\n' \
        "$VERSION" "$1" "$HOST" "$NOW" "$RUN_AS"
    if [ "$LIVE" = 0 ]; then
        printf '# files read under HOST_BASELINE_ROOT=%s; commands from PATH as given\n' "$ROOT"
    fi
}

# run SECS CMD...: runs CMD with a time limit; stdout in $TMP/out, stderr in $TMP/err, status in RC.
run() {
    secs=$1
    shift
    LAST_CMD="$*"
    if have timeout; then
        timeout "$secs" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    else
        "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    fi
    RC=$?
}

# The last command as an artifact section: a title line, its stdout, its stderr.
section() {
    note=""
    case $RC in 124 | 143) note=", timed out" ;; esac
    printf '\n## `%s` (exit status %s%s)\n' "$LAST_CMD" "$RC" "$note"
    cat "$TMP/out"
    if [ -s "$TMP/err" ]; then
        printf '## stderr:\n'
        cat "$TMP/err"
    fi
}

# Whether the last command was refused for lack of privilege.
denied() {
    grep -Eqi 'permission denied|operation not permitted|must be root|need to be root|not root|access denied|not authorized' \
        "$TMP/err" "$TMP/out" 2>/dev/null
}

# keep PATH: an exact copy of the host file PATH (read under ROOT) as the artifact files/PATH.
keep() {
    [ -f "$ROOT$1" ] && [ -r "$ROOT$1" ] || return 1
    mkdir -p "$OUT/files$(dirname "$1")" && cat "$ROOT$1" >"$OUT/files$1"
}

# Whether the systemd unit NAME is enabled: a *.wants/ link to it exists.
unit_enabled() {
    for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
        for w in "$ROOT$d"/*.wants/"$1"; do
            if [ -e "$w" ] || [ -L "$w" ]; then return 0; fi
        done
    done
    return 1
}

lower() { printf '%s' "$1" | tr 'A-Z' 'a-z'; }

# ---------------------------------------------------------------------------------------------
# OS identity

if [ "$LIVE" = 1 ]; then
    if have hostname; then HOST=$(hostname 2>/dev/null); else HOST=""; fi
    [ -n "$HOST" ] || HOST=$(cat /proc/sys/kernel/hostname 2>/dev/null)
else
    HOST=$(head -n 1 "$ROOT/etc/hostname" 2>/dev/null)
fi
[ -n "$HOST" ] || HOST=unknown
summary host "$HOST"
if [ -n "$ROOT" ]; then summary inspected_root "$ROOT"; fi

{
    header "host name"
    printf '%s\n' "$HOST"
} >"$OUT/hostname.txt"

OS_RELEASE=""
for f in /etc/os-release /usr/lib/os-release; do
    if [ -r "$ROOT$f" ]; then OS_RELEASE=$f; break; fi
done
if [ -n "$OS_RELEASE" ]; then
    # An exact copy, so its SHA-256 matches the host's file.
    cat "$ROOT$OS_RELEASE" >"$OUT/os-release.txt"
    os=$(sed -n 's/^PRETTY_NAME=//p' "$ROOT$OS_RELEASE" | head -n 1 | tr -d "\"'")
    summary os "${os:-unknown: no PRETTY_NAME in $OS_RELEASE}"
else
    { header "OS identity"; echo "neither /etc/os-release nor /usr/lib/os-release exists"; } >"$OUT/os-release.txt"
    summary os "unknown: no os-release file"
fi

run 5 uname -a
{ header "kernel (uname -a of the running kernel)"; section; } >"$OUT/uname.txt"
summary kernel "$(uname -r 2>/dev/null || echo unknown)"

{
    header "uptime and boot time, from /proc/uptime and the btime line of /proc/stat"
    up=$(cut -d ' ' -f 1 "$ROOT/proc/uptime" 2>/dev/null)
    btime=$(awk '$1 == "btime" { print $2 }' "$ROOT/proc/stat" 2>/dev/null)
    printf 'uptime_seconds %s\n' "${up:-unknown}"
    if [ -n "$btime" ]; then
        boot=$(date -u -d "@$btime" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo "epoch $btime")
        printf 'boot_time_utc %s\n' "$boot"
    else
        boot=""
        printf 'boot_time_utc unknown\n'
    fi
    if have uptime; then
        run 5 uptime
        section
    fi
} >"$OUT/uptime.txt"
if [ -n "$boot" ]; then summary boot_time "$boot"; else summary boot_time "unknown: /proc/stat unreadable"; fi

# ---------------------------------------------------------------------------------------------
# sshd effective settings

# sshd_lines PATH DEPTH: the global lines (outside Match blocks) of the sshd config file PATH and
# of the files it includes, in the order sshd reads them, as "keyword value" with the keyword
# lowercased; each file read is listed in $TMP/sshd_files.
sshd_lines() (
    depth=$2
    [ "$depth" -gt 8 ] && exit 0
    [ -f "$ROOT$1" ] && [ -r "$ROOT$1" ] || exit 0
    printf '%s\n' "$1" >>"$TMP/sshd_files"
    awk '{ sub(/^[ \t]+/, ""); sub(/[ \t\r]+$/, "")
           if ($0 == "" || substr($0, 1, 1) == "#") next
           kw = $0; rest = ""
           if (match(kw, /[ \t=]/)) { rest = substr(kw, RSTART + 1); kw = substr(kw, 1, RSTART - 1) }
           sub(/^[ \t=]+/, "", rest)
           print tolower(kw) " " rest }' "$ROOT$1" | {
        in_match=0
        while read -r kw rest; do
            if [ "$kw" = match ]; then
                if [ "$(lower "$rest")" = all ]; then in_match=0; else in_match=1; fi
                continue
            fi
            [ "$in_match" = 1 ] && continue
            if [ "$kw" = include ]; then
                set -f
                # shellcheck disable=SC2086 # split into patterns, globbed below under ROOT
                set -- $rest
                set +f
                for pat in "$@"; do
                    case $pat in /*) ;; *) pat=/etc/ssh/$pat ;; esac
                    for inc in "$ROOT"$pat; do
                        [ -f "$inc" ] && sshd_lines "${inc#"$ROOT"}" $((depth + 1))
                    done
                done
            else
                printf '%s %s\n' "$kw" "$rest"
            fi
        done
    }
)

SSHD_ART=sshd.txt
SSHD_SOURCE=none
SSHD_WHY=""
: >"$TMP/sshd_effective"
if [ "$LIVE" = 1 ] && have sshd; then
    run 10 sshd -T
    if [ "$RC" = 0 ] && [ -s "$TMP/out" ]; then
        SSHD_SOURCE="sshd -T"
        { header "sshd effective settings, from \`sshd -T\`"; section; } >"$OUT/$SSHD_ART"
        cp "$TMP/out" "$TMP/sshd_effective"
    elif denied; then
        SSHD_WHY="sshd -T not permitted for uid $RUN_AS"
    else
        SSHD_WHY="sshd -T failed (exit status $RC): $(head -n 1 "$TMP/err")"
    fi
elif [ "$LIVE" = 1 ]; then
    SSHD_WHY="no sshd binary on PATH"
else
    SSHD_WHY="HOST_BASELINE_ROOT is set"
fi
if [ "$SSHD_SOURCE" = none ] && [ -f "$ROOT/etc/ssh/sshd_config" ]; then
    SSHD_SOURCE=files
    : >"$TMP/sshd_files"
    sshd_lines /etc/ssh/sshd_config 0 >"$TMP/sshd_lines"
    # First value wins, as in sshd, except for keywords that may repeat.
    awk 'BEGIN { split("port listenaddress hostkey hostcertificate acceptenv setenv subsystem allowusers allowgroups denyusers denygroups", m, " ")
                 for (i in m) multi[m[i]] = 1 }
         ($1 in multi) || !seen[$1]++' "$TMP/sshd_lines" >"$TMP/sshd_effective"
    while read -r f; do keep "$f"; done <"$TMP/sshd_files"
    {
        header "sshd effective settings, computed from the config files (source: files)"
        printf '# not from `sshd -T`: %s\n' "$SSHD_WHY"
        printf '# First value wins, as in sshd; Match blocks are left out; a keyword not set here takes\n'
        printf '# the OpenSSH default (PasswordAuthentication yes, PermitRootLogin prohibit-password).\n'
        printf '# Files read, in order (exact copies under files/):\n'
        sed 's/^/#   /' "$TMP/sshd_files"
        cat "$TMP/sshd_effective"
    } >"$OUT/$SSHD_ART"
fi
if [ "$SSHD_SOURCE" = none ]; then
    { header "sshd effective settings"; printf 'sshd not found: %s, and no /etc/ssh/sshd_config\n' "$SSHD_WHY"; } >"$OUT/$SSHD_ART"
    summary sshd_source "none: sshd not installed or not configured"
    summary sshd_password_authentication "unknown: sshd not installed or not configured"
    summary sshd_permit_root_login "unknown: sshd not installed or not configured"
else
    summary sshd_source "$SSHD_SOURCE"
    # sshd_value KEYWORD DEFAULT: the effective value, lowercased; "(default)" when not set.
    sshd_value() {
        v=$(awk -v k="$1" '$1 == k { print $2; exit }' "$TMP/sshd_effective" | tr -d '"')
        if [ -n "$v" ]; then lower "$v"; else printf '%s (default)' "$2"; fi
    }
    pa=$(sshd_value passwordauthentication yes)
    prl=$(sshd_value permitrootlogin prohibit-password)
    summary sshd_password_authentication "$pa"
    summary sshd_permit_root_login "$prl"
    case $pa in
        yes*)
            finding sshd-password-authentication high "$HOST: sshd PasswordAuthentication" \
                "sshd accepts password logins (PasswordAuthentication $pa, source: $SSHD_SOURCE). Set PasswordAuthentication no and log in with keys or certificates." \
                "$SSHD_ART"
            ;;
    esac
    case $prl in
        yes*)
            finding sshd-permit-root-login high "$HOST: sshd PermitRootLogin" \
                "sshd lets root log in with a password (PermitRootLogin $prl, source: $SSHD_SOURCE). Set PermitRootLogin no (or prohibit-password) and use personal accounts with sudo." \
                "$SSHD_ART"
            ;;
    esac
fi

# ---------------------------------------------------------------------------------------------
# Firewall state

FW_ART=firewall.txt
FW_ACTIVE=""
FW_EMPTY=""
FW_DENIED=""
FW_ERROR=""
FW_SEEN=""
add() { eval "$1=\"\${$1:+\$$1, }\$2\""; }
{
    header "firewall state: nftables, iptables, ufw, firewalld (whichever exist)"
    if have nft; then
        FW_SEEN=1
        run 5 nft list ruleset
        section
        if [ "$RC" = 0 ]; then
            n=$(awk '!/^[ \t]*type / && /(^|[ \t])(accept|drop|reject|jump|goto|queue|masquerade|snat|dnat|redirect)([ \t;]|$)/ { n++ }
                     /policy (drop|reject)/ { n++ } END { print n + 0 }' "$TMP/out")
            if [ "$n" -gt 0 ]; then add FW_ACTIVE "nftables: $n rules or drop policies"; else add FW_EMPTY "nftables: empty ruleset"; fi
        elif denied; then add FW_DENIED nftables; else add FW_ERROR "nftables: exit status $RC"; fi
    else
        printf '\n## nftables: not installed (no nft)\n'
    fi
    for tool in iptables-save ip6tables-save; do
        if have "$tool"; then
            FW_SEEN=1
            run 5 "$tool"
            section
            if [ "$RC" = 0 ]; then
                n=$(awk '/^-A / || /^:[A-Z_-]+ DROP/ { n++ } END { print n + 0 }' "$TMP/out")
                if [ "$n" -gt 0 ]; then add FW_ACTIVE "$tool: $n rules or drop policies"; else add FW_EMPTY "$tool: no rules"; fi
            elif denied; then add FW_DENIED "$tool"; else add FW_ERROR "$tool: exit status $RC"; fi
        else
            printf '\n## %s: not installed\n' "$tool"
        fi
    done
    if have ufw; then
        FW_SEEN=1
        run 5 ufw status verbose
        section
        if [ "$RC" = 0 ] && grep -q '^Status: active' "$TMP/out"; then
            add FW_ACTIVE "ufw: active"
        elif [ "$RC" = 0 ]; then
            add FW_EMPTY "ufw: inactive"
        elif grep -Eq '^[ \t]*ENABLED[ \t]*=[ \t]*"?yes' "$ROOT/etc/ufw/ufw.conf" 2>/dev/null; then
            printf '## /etc/ufw/ufw.conf: ENABLED=yes\n'
            add FW_ACTIVE "ufw: enabled in /etc/ufw/ufw.conf"
        elif denied; then add FW_DENIED ufw; else add FW_ERROR "ufw: exit status $RC"; fi
    else
        printf '\n## ufw: not installed\n'
    fi
    if have firewall-cmd; then
        FW_SEEN=1
        run 5 firewall-cmd --state
        section
        if [ "$RC" = 0 ] && grep -q running "$TMP/out"; then
            add FW_ACTIVE "firewalld: running"
            run 5 firewall-cmd --list-all
            section
        elif denied; then add FW_DENIED firewalld; else add FW_EMPTY "firewalld: not running"; fi
    else
        printf '\n## firewalld: not installed (no firewall-cmd)\n'
    fi
} >"$OUT/$FW_ART"
if [ -n "$FW_ACTIVE" ]; then
    summary firewall "active: $FW_ACTIVE"
elif [ -n "$FW_DENIED" ]; then
    summary firewall "unknown: not permitted ($FW_DENIED; run as root or with CAP_NET_ADMIN)"
elif [ -n "$FW_ERROR" ]; then
    summary firewall "unknown: error ($FW_ERROR)"
elif [ -n "$FW_EMPTY" ]; then
    summary firewall "no rules ($FW_EMPTY)"
    finding firewall-no-rules medium "$HOST: host firewall" \
        "No packet filter rules are loaded ($FW_EMPTY). Load a default-deny inbound policy, or keep evidence of the network firewall or security group that protects this host." \
        "$FW_ART"
elif [ -z "$FW_SEEN" ]; then
    summary firewall "unavailable: none of nft, iptables-save, ip6tables-save, ufw, firewall-cmd is installed"
fi

# ---------------------------------------------------------------------------------------------
# Automatic security updates

# apt_value KEY FILE...: the last value APT gives KEY (case-insensitive) in these config lines.
apt_value() {
    k=$(lower "$1")
    shift
    awk -v k="$k" '{ sub(/\/\/.*/, "") } tolower($1) == k { v = $2 } END { gsub(/[";]/, "", v); print v }' "$@" 2>/dev/null
}

UP_ART=automatic-updates.txt
UP_STATE=""
{
    header "automatic security updates: unattended-upgrades (apt), dnf-automatic, yum-cron"
    if [ -d "$ROOT/etc/apt" ]; then
        for f in "$ROOT"/etc/apt/apt.conf.d/*; do
            case $f in *auto-upgrades* | *unattended-upgrades* | *periodic*) keep "${f#"$ROOT"}" ;; esac
        done
        if [ "$LIVE" = 1 ] && have apt-config; then
            run 5 apt-config dump
            src="apt-config dump"
            grep -Ei '^(APT::Periodic|Unattended-Upgrade::(Origins-Pattern|Allowed-Origins))' "$TMP/out" >"$TMP/apt"
            printf '\n## `apt-config dump` (exit status %s), APT::Periodic and Unattended-Upgrade origins:\n' "$RC"
            if [ -s "$TMP/apt" ]; then cat "$TMP/apt"; else echo "(none set)"; fi
        else
            src="files /etc/apt/apt.conf.d/* and /etc/apt/apt.conf"
            cat "$ROOT"/etc/apt/apt.conf.d/* "$ROOT/etc/apt/apt.conf" 2>/dev/null >"$TMP/apt"
            printf '\n## APT::Periodic settings from %s:\n' "$src"
            grep -i 'APT::Periodic' "$TMP/apt" || echo "(none set)"
        fi
        uu=$(apt_value APT::Periodic::Unattended-Upgrade "$TMP/apt")
        en=$(apt_value APT::Periodic::Enable "$TMP/apt")
        printf 'APT::Periodic::Unattended-Upgrade = %s\nAPT::Periodic::Enable = %s\n' "${uu:-not set}" "${en:-not set (1)}"
        if [ -e "$ROOT/usr/bin/unattended-upgrade" ]; then installed=yes; else installed=no; fi
        printf 'unattended-upgrades installed (/usr/bin/unattended-upgrade): %s\n' "$installed"
        if unit_enabled apt-daily-upgrade.timer; then t=enabled; else t="not enabled"; fi
        printf 'apt-daily-upgrade.timer: %s\n' "$t"
        if [ "$installed" = no ]; then
            UP_STATE="not configured: unattended-upgrades is not installed"
        elif [ "$en" = 0 ]; then
            UP_STATE="not configured: APT::Periodic::Enable is 0"
        elif [ -z "$uu" ] || [ "$uu" = 0 ]; then
            UP_STATE="not configured: APT::Periodic::Unattended-Upgrade is ${uu:-not set}"
        else
            UP_STATE="configured: unattended-upgrades (APT::Periodic::Unattended-Upgrade $uu, from $src)"
        fi
    fi
    if [ -d "$ROOT/etc/dnf" ]; then
        keep /etc/dnf/automatic.conf
        keep /etc/dnf/dnf5-plugins/automatic.conf
        apply=$(cat "$ROOT/etc/dnf/automatic.conf" "$ROOT/etc/dnf/dnf5-plugins/automatic.conf" 2>/dev/null |
            awk -F= '{ k = $1; gsub(/[ \t]/, "", k) } k == "apply_updates" { v = $2; gsub(/[ \t]/, "", v) } END { print tolower(v) }')
        printf '\n## dnf-automatic\napply_updates = %s\n' "${apply:-not set (no)}"
        dnf_state="not configured: no dnf-automatic timer enabled"
        for t in dnf-automatic-install.timer dnf-automatic.timer dnf5-automatic.timer; do
            if unit_enabled "$t"; then
                printf '%s: enabled\n' "$t"
                case $t:$apply in
                    dnf-automatic-install.timer:* | *:yes | *:true | *:1) dnf_state="configured: $t enabled" ;;
                    *) [ "${dnf_state#configured}" = "$dnf_state" ] &&
                        dnf_state="not configured: $t enabled but apply_updates is ${apply:-not set}, so updates are only downloaded" ;;
                esac
            else
                printf '%s: not enabled\n' "$t"
            fi
        done
        case $UP_STATE in configured*) ;; *) UP_STATE=$dnf_state ;; esac
    elif [ -f "$ROOT/etc/yum/yum-cron.conf" ] || [ -f "$ROOT/etc/yum.conf" ]; then
        keep /etc/yum/yum-cron.conf
        apply=$(awk -F= '{ k = $1; gsub(/[ \t]/, "", k) } k == "apply_updates" { v = $2; gsub(/[ \t]/, "", v) } END { print tolower(v) }' \
            "$ROOT/etc/yum/yum-cron.conf" 2>/dev/null)
        if unit_enabled yum-cron.service; then t=enabled; else t="not enabled"; fi
        printf '\n## yum-cron\nyum-cron.service: %s\napply_updates = %s\n' "$t" "${apply:-not set}"
        if [ "$t" = enabled ] && [ "$apply" = yes ]; then
            y_state="configured: yum-cron with apply_updates = yes"
        else
            y_state="not configured: yum-cron is $t and apply_updates is ${apply:-not set}"
        fi
        case $UP_STATE in configured*) ;; *) UP_STATE=$y_state ;; esac
    fi
    [ -n "$UP_STATE" ] || printf '\nno supported package manager (apt, dnf, yum) found\n'
} >"$OUT/$UP_ART"
case $UP_STATE in
    "")
        summary automatic_updates "unknown: no apt, dnf or yum configuration found"
        ;;
    configured*)
        summary automatic_updates "$UP_STATE"
        ;;
    *)
        summary automatic_updates "$UP_STATE"
        finding automatic-updates-not-configured medium "$HOST: automatic security updates" \
            "Automatic security updates are ${UP_STATE}. Install and enable unattended-upgrades (apt) or dnf-automatic with apply_updates = yes, or keep evidence of the patching process that replaces them." \
            "$UP_ART"
        ;;
esac

# ---------------------------------------------------------------------------------------------
# Disk encryption

DE_ART=disk-encryption.txt
DE_CRYPT=""
DE_DEVICES=0
{
    header "disk encryption: block devices (TYPE crypt, FSTYPE crypto_*) and /etc/crypttab"
    if have lsblk; then
        run 5 lsblk -o NAME,TYPE,FSTYPE,SIZE,MOUNTPOINT
        section
    else
        RC=1
    fi
    if [ "$RC" = 0 ]; then
        DE_DEVICES=$(awk 'NR > 1 { n++ } END { print n + 0 }' "$TMP/out")
        if grep -Eq '(^|[[:space:]])(crypt|crypto_[A-Za-z0-9]+)([[:space:]]|$)' "$TMP/out"; then
            add DE_CRYPT "dm-crypt device in lsblk"
        fi
    elif [ -d "$ROOT/sys/block" ]; then
        printf '\n## /sys/block (device, device-mapper uuid)\n'
        for d in "$ROOT"/sys/block/*; do
            [ -e "$d" ] || continue
            DE_DEVICES=$((DE_DEVICES + 1))
            uuid=$(cat "$d/dm/uuid" 2>/dev/null)
            printf '%s %s\n' "${d##*/}" "${uuid:--}"
            case $uuid in CRYPT-*) add DE_CRYPT "dm-crypt device ${d##*/}" ;; esac
        done
    fi
    printf '\n## /etc/crypttab\n'
    if keep /etc/crypttab; then
        ct=$(awk '!/^[ \t]*(#|$)/ { n++ } END { print n + 0 }' "$ROOT/etc/crypttab")
        printf '%s entries (copy under files/etc/crypttab)\n' "$ct"
        [ "$ct" -gt 0 ] && add DE_CRYPT "$ct /etc/crypttab entries"
    else
        printf 'no /etc/crypttab\n'
    fi
} >"$OUT/$DE_ART"
if [ -n "$DE_CRYPT" ]; then
    summary disk_encryption "encrypted: $DE_CRYPT"
elif [ "$DE_DEVICES" -gt 0 ]; then
    summary disk_encryption "none found"
    finding disk-encryption-not-found medium "$HOST: disk encryption" \
        "No encrypted block device (dm-crypt/LUKS) and no /etc/crypttab entry found. Cloud volumes may be encrypted at the provider (for example EBS, Persistent Disk or Azure managed disks), which the host cannot see: confirm that and keep the provider's evidence, or encrypt the volumes." \
        "$DE_ART"
else
    summary disk_encryption "unknown: no block devices visible and no /etc/crypttab"
fi

# ---------------------------------------------------------------------------------------------
# Listening TCP/UDP ports

PORTS_ART=listening-ports.txt
PORTS=""
if have ss; then
    run 5 ss -tulpn
    if [ "$RC" = 0 ]; then
        { header "listening TCP and UDP sockets (process names need root or CAP_NET_ADMIN)"; section; } >"$OUT/$PORTS_ART"
        PORTS=$(awk 'NR > 1 { n++ } END { print n + 0 }' "$TMP/out")
    fi
fi
if [ -z "$PORTS" ]; then
    {
        header "listening TCP and UDP sockets, parsed from /proc/net/tcp, tcp6, udp, udp6"
        printf 'proto local_address port uid user inode\n'
        for p in tcp tcp6 udp udp6; do
            [ -r "$ROOT/proc/net/$p" ] || continue
            awk -v proto="$p" '
                function hex(s,   i, n, c) {
                    n = 0; s = toupper(s)
                    for (i = 1; i <= length(s); i++) {
                        c = index("0123456789ABCDEF", substr(s, i, 1)) - 1
                        if (c < 0) return 0
                        n = n * 16 + c
                    }
                    return n
                }
                function ip4(h) { return hex(substr(h, 7, 2)) "." hex(substr(h, 5, 2)) "." hex(substr(h, 3, 2)) "." hex(substr(h, 1, 2)) }
                function ip6(h,   out, w, word, b) {
                    out = ""
                    for (w = 0; w < 4; w++) {
                        # each 32-bit word is in host (little-endian) order
                        word = substr(h, w * 8 + 1, 8)
                        b = substr(word, 7, 2) substr(word, 5, 2) substr(word, 3, 2) substr(word, 1, 2)
                        out = out (w ? ":" : "") sprintf("%x:%x", hex(substr(b, 1, 4)), hex(substr(b, 5, 4)))
                    }
                    if (out == "0:0:0:0:0:0:0:0") return "::"
                    if (out == "0:0:0:0:0:0:0:1") return "::1"
                    if (out ~ /^0:0:0:0:0:ffff:/)
                        return "::ffff:" hex(substr(b, 1, 2)) "." hex(substr(b, 3, 2)) "." hex(substr(b, 5, 2)) "." hex(substr(b, 7, 2))
                    return out
                }
                FNR == NR { split($0, a, ":"); user[a[3]] = a[1]; next }
                FNR == 1 { next }
                (proto ~ /^tcp/ && $4 == "0A") || (proto ~ /^udp/ && $4 == "07") {
                    split($2, la, ":")
                    addr = (proto ~ /6$/) ? ip6(la[1]) : ip4(la[1])
                    u = ($8 in user) ? user[$8] : "-"
                    print proto, addr, hex(la[2]), $8, u, $10
                }' "$ROOT/etc/passwd" "$ROOT/proc/net/$p" 2>/dev/null
        done
    } >"$OUT/$PORTS_ART"
    if [ -r "$ROOT/proc/net/tcp" ]; then
        PORTS=$(awk '$1 ~ /^(tcp|udp)/ { n++ } END { print n + 0 }' "$OUT/$PORTS_ART")
    fi
fi
if [ -n "$PORTS" ]; then summary_int listening_sockets "$PORTS"; else summary listening_sockets "unknown: neither ss nor /proc/net/tcp available"; fi

# ---------------------------------------------------------------------------------------------
# Local accounts and UID 0 (from /etc/passwd only; /etc/shadow is never read)

ACC_ART=accounts.txt
UID0_ART=uid0-accounts.txt
if [ -r "$ROOT/etc/passwd" ]; then
    {
        header "local accounts from /etc/passwd, without the password field (/etc/shadow is never read)"
        printf '# name:uid:gid:gecos:home:shell:login_shell\n'
        awk -F: '!/^[+-]/ && NF >= 7 {
            sh = $7; login = "yes"
            if (sh ~ /(nologin|false|sync|shutdown|halt)$/ || sh == "/dev/null") login = "no"
            print $1 ":" $3 ":" $4 ":" $5 ":" $6 ":" $7 ":" login }' "$ROOT/etc/passwd"
    } >"$OUT/$ACC_ART"
    logins=$(awk -F: '!/^#/ && $7 == "yes" { n++ } END { print n + 0 }' "$OUT/$ACC_ART")
    summary_int accounts_with_login_shell "$logins"
    awk -F: '!/^[+-]/ && NF >= 7 && $3 ~ /^[0-9]+$/ && $3 + 0 == 0 { print $1 }' "$ROOT/etc/passwd" >"$TMP/uid0"
    { header "accounts with UID 0, from /etc/passwd"; cat "$TMP/uid0"; } >"$OUT/$UID0_ART"
    summary uid0_accounts "$(paste -s -d ',' "$TMP/uid0" 2>/dev/null || tr '\n' ',' <"$TMP/uid0")"
    while IFS= read -r name; do
        [ "$name" = root ] && continue
        finding extra-uid0-account high "$HOST: account $name" \
            "Account $name has UID 0, so it holds full root privileges besides root. Remove it, or give it its own UID and grant what it needs through sudo." \
            "$UID0_ART"
    done <"$TMP/uid0"
else
    { header "local accounts"; echo "/etc/passwd is not readable"; } >"$OUT/$ACC_ART"
    { header "accounts with UID 0"; echo "/etc/passwd is not readable"; } >"$OUT/$UID0_ART"
    summary accounts_with_login_shell "unknown: /etc/passwd not readable"
    summary uid0_accounts "unknown: /etc/passwd not readable"
fi

# ---------------------------------------------------------------------------------------------
# Time synchronisation

TS_ART=time-sync.txt
TS_ACTIVE=""
TS_KNOWN=""
{
    header "time synchronisation: timedatectl, chrony, ntpd, running daemons"
    if have timedatectl; then
        run 3 timedatectl status
        section
        if [ "$RC" = 0 ]; then
            TS_KNOWN="timedatectl"
            if grep -Eqi '(system clock|ntp) synchronized: yes' "$TMP/out"; then add TS_ACTIVE "clock synchronized (timedatectl)"; fi
            if grep -Eqi 'ntp service: active|network time on: yes|ntp enabled: yes|timesyncd.service active: yes' "$TMP/out"; then
                add TS_ACTIVE "NTP service active (timedatectl)"
            fi
        fi
    fi
    if have chronyc; then
        run 3 chronyc -n tracking
        section
        if [ "$RC" = 0 ] && grep -q '^Leap status' "$TMP/out"; then
            if grep -Eq '^Leap status[ \t]*: Normal' "$TMP/out"; then add TS_ACTIVE "chrony synchronised"; else add TS_ACTIVE "chrony running, not yet synchronised"; fi
        fi
    fi
    if have ntpq; then
        run 3 ntpq -pn
        section
        if [ "$RC" = 0 ] && [ "$(wc -l <"$TMP/out")" -gt 2 ]; then add TS_ACTIVE "ntpd answering (ntpq)"; fi
    fi
    printf '\n## time sync daemons running (from /proc/*/comm)\n'
    if [ -r "$ROOT/proc/1/comm" ]; then
        for c in "$ROOT"/proc/[0-9]*/comm; do
            name=$(cat "$c" 2>/dev/null) || continue
            case $name in
                chronyd | ntpd | ntpsec | openntpd | systemd-timesyn)
                    p=${c%/comm}
                    printf '%s pid %s\n' "$name" "${p##*/}"
                    add TS_ACTIVE "$name running"
                    ;;
            esac
        done
        case $TS_ACTIVE in *running*) ;; *) printf 'none of chronyd, ntpd, openntpd, systemd-timesyncd\n' ;; esac
        TS_KNOWN="${TS_KNOWN:-processes}"
    else
        printf 'not visible (/proc/1/comm unreadable)\n'
    fi
} >"$OUT/$TS_ART"
CONTAINER=no
if [ -e "$ROOT/.dockerenv" ] || [ -e "$ROOT/run/.containerenv" ] || [ -s "$ROOT/run/systemd/container" ]; then CONTAINER=yes; fi
summary container "$CONTAINER"
if [ -n "$TS_ACTIVE" ]; then
    summary time_sync "active: $TS_ACTIVE"
elif [ "$TS_KNOWN" != timedatectl ] && [ "$CONTAINER" = yes ]; then
    summary time_sync "unknown: in a container the clock is the host's; check the host"
elif [ -n "$TS_KNOWN" ]; then
    summary time_sync "not active"
    finding time-sync-inactive low "$HOST: time synchronisation" \
        "No time synchronisation is active (no synchronised clock in timedatectl, no chronyd, ntpd or systemd-timesyncd running), so log timestamps may drift. Enable systemd-timesyncd, chrony or ntpd." \
        "$TS_ART"
else
    summary time_sync "unknown: neither timedatectl nor the process list is readable"
fi

printf '{"findings":[%s],"summary":{%s}}\n' "$FINDINGS" "$SUMMARY"
