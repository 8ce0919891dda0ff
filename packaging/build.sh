#!/usr/bin/env bash
# Release build: one asrscope binary for every x86_64 Linux with glibc 2.17
# or later (and aarch64 when Rust's aarch64 target is installed), libpcap
# linked in statically, and from it a tarball, a .deb and an .rpm in
# target/dist/. Then the checks a release must pass, one PASS or FAIL line
# each; the script exits non-zero when any fails.
#
#   bash packaging/build.sh            everything (docs/RELEASING.md)
#   bash packaging/build.sh --quick    the portable x86_64 binary and the
#                                      checks that need no chroot (CI)
#   bash packaging/build.sh --no-aarch64   skip the Arm64 build
#
# It installs what it needs (apt packages; ziglang and cargo-zigbuild from
# PyPI), as root or as a user with sudo, and keeps the libpcap source, its
# builds and a Debian 11 chroot under target/pkg-cache so that a rerun only
# rebuilds asrscope.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

QUICK=0
AARCH64=auto
for a in "$@"; do
    case "$a" in
        --quick | --checks-only) QUICK=1 ;;
        --no-aarch64) AARCH64=no ;;
        -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown option: $a" >&2; exit 2 ;;
    esac
done

# libpcap from Debian's archive of upstream tarballs (the same file as
# tcpdump.org's), checked against a pinned digest.
PCAP_VER=1.10.3
PCAP_URL="http://deb.debian.org/debian/pool/main/libp/libpcap/libpcap_${PCAP_VER}.orig.tar.gz"
PCAP_SHA256=2a8885c403516cf7b0933ed4b14d6caa30e02052489ebd414dc75ac52e7559e6
# The oldest glibc the binary may need: RHEL/CentOS 7's.
GLIBC=2.17
# The older distribution the binary and the .deb are tried on.
SUITE=bullseye
MIRRORS="http://deb.debian.org/debian http://archive.debian.org/debian"

CACHE=$ROOT/target/pkg-cache
DIST=$ROOT/target/dist
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
FAILED=0

log() { echo "== $*"; }
check() { # check NAME COMMAND...: one PASS/FAIL line
    local name=$1
    shift
    if "$@"; then echo "PASS $name"; else echo "FAIL $name"; FAILED=1; fi
}

# --- what the build needs ------------------------------------------------

install_deps() { # install_deps ARCHES
    local pkgs="curl make flex bison binutils file libcap2-bin util-linux"
    case "$1" in *aarch64*) pkgs="$pkgs binutils-aarch64-linux-gnu" ;; esac
    [ "$QUICK" = 1 ] || pkgs="$pkgs debootstrap rpm libpcap-dev"
    # pip, for ziglang and cargo-zigbuild, where python3 comes without it.
    python3 -m pip --version >/dev/null 2>&1 || pkgs="$pkgs python3-pip"
    local missing=""
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        log "installing$missing"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        # shellcheck disable=SC2086
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    fi
    if ! python3 -c 'import ziglang' 2>/dev/null || ! command -v cargo-zigbuild >/dev/null; then
        log "installing ziglang and cargo-zigbuild from PyPI"
        python3 -m pip install -q ziglang cargo-zigbuild ||
            python3 -m pip install -q --user --break-system-packages ziglang cargo-zigbuild
    fi
    # pip puts cargo-zigbuild in the interpreter's scripts folder (or the
    # user's, with --user), which need not be on PATH: pyenv, for one, makes
    # its shims only on a rehash.
    PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$(python3 -m site --user-base)/bin:$PATH"
    export PATH
    command -v cargo-zigbuild >/dev/null || { echo "cargo-zigbuild is not on PATH after pip installed it" >&2; exit 1; }
}

# --- libpcap, static, without D-Bus, RDMA, USB, Bluetooth, netmap, libnl --

fetch_pcap() {
    mkdir -p "$CACHE"
    local tgz=$CACHE/libpcap_${PCAP_VER}.orig.tar.gz
    if [ ! -f "$tgz" ]; then
        curl -sSfL -o "$tgz.part" "$PCAP_URL"
        mv "$tgz.part" "$tgz"
    fi
    echo "$PCAP_SHA256  $tgz" | sha256sum -c --quiet || { echo "libpcap tarball digest mismatch" >&2; exit 1; }
}

# zig cc for one target, as a compiler command configure can call.
zig_wrappers() {
    local arch=$1
    mkdir -p "$CACHE/bin"
    printf '#!/bin/sh\nexec python3 -m ziglang cc -target %s-linux-gnu.%s "$@"\n' "$arch" "$GLIBC" >"$CACHE/bin/zcc-$arch"
    printf '#!/bin/sh\nexec python3 -m ziglang ar "$@"\n' >"$CACHE/bin/zar"
    chmod +x "$CACHE/bin/zcc-$arch" "$CACHE/bin/zar"
}

build_pcap() { # build_pcap ARCH: prints the folder holding libpcap.a
    local arch=$1
    local out=$CACHE/pcap-$PCAP_VER-$arch
    if [ ! -f "$out/lib/libpcap.a" ]; then
        fetch_pcap
        zig_wrappers "$arch"
        local src=$CACHE/src-$arch
        rm -rf "$src" && mkdir -p "$src"
        tar -xzf "$CACHE/libpcap_${PCAP_VER}.orig.tar.gz" -C "$src" --strip-components=1
        log "building libpcap $PCAP_VER for $arch (glibc $GLIBC)" >&2
        (cd "$src" &&
            CC="$CACHE/bin/zcc-$arch" AR="$CACHE/bin/zar" RANLIB=true \
                ./configure --host="$arch-linux-gnu" --disable-shared --with-pcap=linux \
                --disable-dbus --disable-rdma --disable-usb --disable-bluetooth \
                --disable-netmap --without-libnl --disable-remote >configure.log 2>&1 &&
            make -j"$(nproc)" libpcap.a >make.log 2>&1) || {
            echo "libpcap build failed: see $src/configure.log and $src/make.log" >&2
            exit 1
        }
        mkdir -p "$out/lib" && cp "$src/libpcap.a" "$out/lib/"
        # The pcap crate asks for -lpcap after -Bdynamic, and zig's linker
        # does not fall back to libpcap.a there: a libpcap.so that is a
        # linker script naming the archive links it in all the same.
        echo "INPUT($out/lib/libpcap.a)" >"$out/lib/libpcap.so"
    fi
    echo "$out/lib"
}

# --- asrscope ---------------------------------------------------------------

build_asrscope() { # build_asrscope ARCH: prints the binary's path
    local arch=$1 libdir
    libdir=$(build_pcap "$arch")
    log "building asrscope for $arch-unknown-linux-gnu.$GLIBC" >&2
    # -lpcap finds the archive in LIBPCAP_LIBDIR (build_pcap);
    # SOURCE_DATE_EPOCH makes --version's build date the commit's.
    SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)} \
        LIBPCAP_LIBDIR="$libdir" LIBPCAP_VER=$PCAP_VER \
        cargo zigbuild --release --locked --target "$arch-unknown-linux-gnu.$GLIBC" >&2
    # What is shipped keeps its symbols (function names in a backtrace)
    # but not the line tables: 10 MB instead of 50.
    local oc=objcopy out=$CACHE/stage/bin-$arch/asrscope
    [ "$arch" = x86_64 ] || oc=$arch-linux-gnu-objcopy
    mkdir -p "$(dirname "$out")"
    $oc --strip-debug "$ROOT/target/$arch-unknown-linux-gnu/release/asrscope" "$out"
    echo "$out"
}

# --- the checks -------------------------------------------------------------

glibc_max() { # the highest GLIBC_x.y the binary's version needs name
    readelf --version-info --wide "$1" | grep -o 'Name: GLIBC_[0-9.]*' |
        sed 's/Name: GLIBC_//' | sort -V | tail -1
}

check_glibc() {
    local max
    max=$(glibc_max "$1")
    echo "   highest glibc symbol version: GLIBC_$max"
    [ "$(printf '%s\n%s\n' "$max" "$GLIBC" | sort -V | tail -1)" = "$GLIBC" ]
}

check_needed() {
    local needed
    needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    echo "   libraries needed: $needed"
    ! echo "$needed" | grep -Eq 'libpcap|libdbus'
}

check_runs_here() {
    "$1" --version | sed 's/^/   /'
    "$1" analyze --filter 'tcp port 443' captures/healthy-tls12-dns.pcap >/dev/null
}

# A fresh copy of a minimal Debian chroot, made once by debootstrap.
chroot_fresh() {
    local base=$CACHE/chroot-$SUITE dir=$CACHE/chroot-test
    if [ ! -x "$base/bin/sh" ]; then
        log "making a minimal Debian $SUITE chroot (debootstrap --variant=minbase)"
        local ok=0
        for m in $MIRRORS; do
            $SUDO rm -rf "$base.tmp"
            if $SUDO debootstrap --variant=minbase "$SUITE" "$base.tmp" "$m" >"$CACHE/debootstrap.log" 2>&1; then
                ok=1 && break
            fi
        done
        [ "$ok" = 1 ] || { echo "debootstrap failed: $CACHE/debootstrap.log" >&2; return 1; }
        $SUDO mv "$base.tmp" "$base"
    fi
    chroot_umount
    $SUDO rm -rf "$dir"
    $SUDO cp -a "$base" "$dir"
    $SUDO mount -t proc proc "$dir/proc"
    echo "$dir"
}

chroot_umount() {
    local dir=$CACHE/chroot-test
    if mountpoint -q "$dir/proc" 2>/dev/null; then $SUDO umount "$dir/proc"; fi
}

# The portable binary in the chroot gives the native build's report, byte
# for byte, and the same exit status.
check_chroot_analyze() {
    local bin=$1 native=$2 dir=$3 cap=captures/healthy-tls12-dns.pcap
    $SUDO mkdir -p "$dir/opt/t/captures"
    $SUDO cp "$bin" "$dir/opt/t/asrscope"
    $SUDO cp "$cap" "$dir/opt/t/captures/"
    local want got rw=0 rg=0
    want=$("$native" analyze "$cap") || rw=$?
    got=$($SUDO chroot "$dir" sh -c "cd /opt/t && ./asrscope analyze $cap") || rg=$?
    echo "   $(echo "$got" | wc -l) lines, exit $rg (native: exit $rw)"
    [ "$want" = "$got" ] && [ "$rw" = "$rg" ]
}

# live -i lo as an unprivileged user whose only privilege is the file
# capability cap_net_raw: it must see the TCP connections made on lo.
check_chroot_live() {
    local dir=$1 out=$CACHE/live.jsonl
    $SUDO setcap cap_net_raw=eip "$dir/opt/t/asrscope"
    $SUDO chroot "$dir" setpriv --reuid=65534 --regid=65534 --clear-groups \
        /opt/t/asrscope live -i lo --no-tui --format json --duration 4 >"$out" 2>"$out.err" &
    local pid=$!
    sleep 1.5
    for _ in 1 2 3; do curl -s -m 1 https://127.0.0.1:9/ >/dev/null 2>&1 || true; done
    local rc=0
    wait "$pid" || rc=$?
    echo "   exit $rc, $(wc -l <"$out") JSON lines, $(grep -c '127.0.0.1' "$out" || true) naming 127.0.0.1"
    [ -s "$out.err" ] && sed 's/^/   stderr: /' "$out.err" | head -3
    [ "$rc" -le 1 ] && grep -q '127.0.0.1' "$out"
}

# The .deb installs with apt (which brings libcap2-bin for setcap), sets
# the capability and the group, and a member of the group captures.
check_chroot_deb() {
    local dir=$1 deb=$2
    $SUDO cp "$deb" "$dir/tmp/"
    $SUDO chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    $SUDO chroot "$dir" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq "/tmp/$(basename "$deb")" >"$CACHE/deb-install.log" 2>&1 || {
        tail -5 "$CACHE/deb-install.log" | sed 's/^/   /'
        return 1
    }
    grep -i 'asrscope' "$CACHE/deb-install.log" | grep -v '^Selecting\|^Preparing\|^Unpacking' | sed 's/^/   /'
    local caps
    caps=$($SUDO getcap "$dir/usr/bin/asrscope")
    echo "   getcap: ${caps#"$dir"}"
    echo "   /usr/bin/asrscope: $(chroot_stat "$dir")"
    echo "$caps" | grep -q 'cap_net_raw[=+]eip' || return 1
    [ -f "$dir/usr/share/man/man1/asrscope.1.gz" ] &&
        [ -f "$dir/usr/share/bash-completion/completions/asrscope" ] || return 1
    $SUDO chroot "$dir" sh -c 'useradd -m -G asrscope alice && useradd -m bob' &&
        $SUDO chroot "$dir" su alice -c 'asrscope live -i lo --no-tui --duration 1' >/dev/null 2>&1 &&
        ! $SUDO chroot "$dir" su bob -c 'asrscope --version' >/dev/null 2>&1 &&
        echo "   alice (group asrscope) captures on lo; bob (not in it) cannot run it"
}

chroot_stat() { $SUDO chroot "$1" stat -c '%A %U:%G' /usr/bin/asrscope; }

# --- the packages -----------------------------------------------------------

# Man page and completions, from the binary itself.
generated() { # generated BIN DIR
    local bin=$1 d=$2
    mkdir -p "$d/complete"
    "$bin" man >"$d/asrscope.1"
    "$bin" completions bash >"$d/complete/asrscope.bash"
    "$bin" completions zsh >"$d/complete/_asrscope"
    "$bin" completions fish >"$d/complete/asrscope.fish"
    "$bin" completions powershell >"$d/complete/_asrscope.ps1"
}

# The README's "Install on a VM", for the tarball.
readme_excerpt() {
    awk '/^## Install on a VM/{on=1} on&&/^## /&&!/Install on a VM/{exit} on' README.md
}

make_tarball() { # make_tarball ARCH BIN GEN
    local arch=$1 bin=$2 gen=$3
    local name=asrscope-$VERSION-$arch-linux
    local s=$CACHE/stage/$name
    rm -rf "$s" && mkdir -p "$s"
    install -m 0755 "$bin" "$s/asrscope"
    cp -r "$gen/asrscope.1" "$gen/complete" "$s/"
    cp LICENSE "$s/"
    readme_excerpt >"$s/README.md"
    tar -C "$CACHE/stage" --owner=0 --group=0 --sort=name -czf "$DIST/$name.tar.gz" "$name"
    echo "$DIST/$name.tar.gz"
}

# Files as the packages install them, under a root folder.
stage_root() { # stage_root BIN GEN DIR ZSH-FOLDER
    local bin=$1 gen=$2 r=$3 zsh=$4
    rm -rf "$r"
    install -D -m 0755 "$bin" "$r/usr/bin/asrscope"
    install -d "$r/usr/share/man/man1"
    gzip -9n <"$gen/asrscope.1" >"$r/usr/share/man/man1/asrscope.1.gz"
    install -D -m 0644 "$gen/complete/asrscope.bash" "$r/usr/share/bash-completion/completions/asrscope"
    install -D -m 0644 "$gen/complete/_asrscope" "$r$zsh/_asrscope"
    install -D -m 0644 "$gen/complete/asrscope.fish" "$r/usr/share/fish/vendor_completions.d/asrscope.fish"
    install -D -m 0644 LICENSE "$r/usr/share/doc/asrscope/copyright"
}

make_deb() { # make_deb ARCH BIN GEN
    local arch=$1 r=$CACHE/stage/deb-$1 debarch
    case "$arch" in x86_64) debarch=amd64 ;; aarch64) debarch=arm64 ;; esac
    stage_root "$2" "$3" "$r" /usr/share/zsh/vendor-completions
    mkdir -p "$r/DEBIAN"
    sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$debarch/" \
        -e "s/@SIZE@/$(du -sk --exclude=DEBIAN "$r" | cut -f1)/" packaging/deb/control >"$r/DEBIAN/control"
    install -m 0755 packaging/deb/postinst packaging/deb/postrm "$r/DEBIAN/"
    local out=$DIST/asrscope_${VERSION}_$debarch.deb
    dpkg-deb --root-owner-group -Zxz --build "$r" "$out" >/dev/null
    echo "$out"
}

make_rpm() { # make_rpm ARCH BIN GEN
    local arch=$1 r=$CACHE/stage/rpm-$1 top=$CACHE/rpmbuild
    stage_root "$2" "$3" "$r" /usr/share/zsh/site-functions
    rm -rf "$top" && mkdir -p "$top"/{BUILD,RPMS,SPECS,SRPMS,SOURCES}
    rpmbuild -bb --quiet --target "$arch-linux" \
        --define "_topdir $top" --define "_stage $r" --define "version $VERSION" \
        --define "_build_id_links none" --define "__strip /bin/true" \
        packaging/rpm/asrscope.spec >"$CACHE/rpmbuild.log" 2>&1 || {
        tail -20 "$CACHE/rpmbuild.log" >&2
        return 1
    }
    local rpm
    rpm=$(find "$top/RPMS" -name '*.rpm' | head -1)
    cp "$rpm" "$DIST/"
    echo "$DIST/$(basename "$rpm")"
}

check_rpm() { # the capability and the group are in the package
    rpm -qp --qf '[%{FILECAPS} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' "$1" 2>/dev/null |
        grep '/usr/bin/asrscope' | sed 's/^/   /' | tee "$CACHE/rpm-files"
    grep -q 'cap_net_raw[=+]eip .*root:asrscope /usr/bin/asrscope' "$CACHE/rpm-files"
}

# --- main ---------------------------------------------------------------------

main() {
    local start=$SECONDS arches=x86_64 arch
    if [ "$QUICK" = 0 ] && [ "$AARCH64" = auto ] &&
        rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-gnu$'; then
        arches="x86_64 aarch64"
    fi
    install_deps "$arches"
    rm -rf "$DIST" && mkdir -p "$DIST"
    declare -A bins
    for arch in $arches; do bins[$arch]=$(build_asrscope "$arch"); done
    local bin=${bins[x86_64]}

    log "checks"
    for arch in $arches; do
        echo "-- $arch: $(file -b "${bins[$arch]}" | cut -d, -f1-2), $(du -h "${bins[$arch]}" | cut -f1)"
        check "$arch: glibc symbol versions <= $GLIBC" check_glibc "${bins[$arch]}"
        check "$arch: no libpcap or libdbus among the libraries needed" check_needed "${bins[$arch]}"
    done
    check "x86_64: --version and analyze --filter run here" check_runs_here "$bin"
    if [ "$QUICK" = 1 ]; then
        finish "$start"
        return
    fi

    local gen=$CACHE/generated
    generated "$bin" "$gen"
    for arch in $arches; do
        log "packages for $arch"
        make_tarball "$arch" "${bins[$arch]}" "$gen"
        make_deb "$arch" "${bins[$arch]}" "$gen"
        make_rpm "$arch" "${bins[$arch]}" "$gen"
    done

    log "native build, to compare with"
    cargo build --release --locked >&2
    local dir
    dir=$(chroot_fresh)
    trap chroot_umount EXIT
    # shellcheck disable=SC2016 # expanded in the chroot
    echo "-- minimal Debian $SUITE chroot, no package added: $($SUDO chroot "$dir" sh -c '. /etc/os-release; echo $PRETTY_NAME'), $($SUDO chroot "$dir" ldd --version | head -1)"
    check "x86_64: analyze in the chroot gives the native build's report" \
        check_chroot_analyze "$bin" "$ROOT/target/release/asrscope" "$dir"
    check "x86_64: live -i lo in the chroot, as nobody with only cap_net_raw" check_chroot_live "$dir"
    echo "-- packages"
    check "rpm: /usr/bin/asrscope carries cap_net_raw=eip, root:asrscope 0750" \
        check_rpm "$(ls "$DIST"/asrscope-"$VERSION"-*.x86_64.rpm)"
    check "deb: apt installs it in the chroot, sets cap_net_raw and the group" \
        check_chroot_deb "$dir" "$DIST/asrscope_${VERSION}_amd64.deb"
    chroot_umount
    finish "$start"
}

finish() {
    if [ "$QUICK" = 0 ]; then (cd "$DIST" && sha256sum -- * >SHA256SUMS); fi
    echo "-- target/dist:"
    find "$DIST" -maxdepth 1 -type f -printf '   %s\t%f\n' | sort -k2
    echo "== $((SECONDS - $1)) s"
    if [ "$FAILED" = 1 ]; then
        echo "FAILED"
        exit 1
    fi
    echo "all checks passed"
}

main
