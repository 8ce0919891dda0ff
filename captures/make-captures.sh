#!/usr/bin/env bash
# make-captures.sh - regenerate asrscope's sample captures from real traffic.
#
# Builds a small lab out of three network namespaces on this machine:
#
#   asrs-vm  (the Azure VM being protected by Site Recovery: 10.1.0.4)
#      | vm0 <-> nva-in
#   asrs-nva (a router / network virtual appliance: 10.1.0.1, 10.0.0.1;
#      |      the firewall faults of the scenarios live here, a squid
#      |      proxy on 10.1.0.100:3128, and the FQDN filters of scenarios
#      |      40-44: haproxy, squid with ssl-bump, azfw-deny.py)
#      | nva-out <-> az0
#   asrs-az  ("Azure": dnsmasq on 10.2.0.53 as the VNet's DNS, HTTPS
#             endpoints of storage, AAD, ASR, Service Bus, Key Vault,
#             Automation on 10.2.x.10 and fd00:2::1:10, the vault's public
#             front end on 10.2.3.11; www.contoso.example, a web server
#             outside Azure, on 10.2.8.10)
#
#   asrs-gwlb (used by the gwlb-vxlan scenario only: the tunnel end points
#             of an Azure Gateway Load Balancer, bridged between the VM,
#             Azure and two VXLAN tunnels to the NVA)
#
# Each scenario captures real traffic of real programs (curl, openssl,
# dnsmasq, squid, haproxy, the Linux stack, Java's TLS stack through the
# small client Tls13Client.java and Python's http.server through
# azfw-deny.py, both beside this script) with tcpdump/dumpcap.  Two captures
# record what capture tools Linux does not have would record (Windows
# pktmon's per-component copies; tcpdump -i any on a VM with Accelerated
# Networking, which sees the synthetic NIC and its VF): they are derived from
# a real capture by rewrite.py, which changes only how the packets were
# recorded, never the packets.  Afterwards
# rewrite.py moves the private "Azure" addresses into real Azure
# service-tag ranges (also inside DNS answers and ICMP quotes) so that
# asrscope's service-tag classifier sees realistic addresses.  tshark then
# writes an independent per-frame ground truth next to each capture.
#
# No packet leaves the namespaces: they have no link to the host or any
# other network, and everything is removed on exit (also on failure).
# Run as root on Debian/Ubuntu; takes about 4 minutes.
#
# Output (in the folder of this script): *.pcap, *.pcapng, truth/*.tsv,
# manifest.tsv.  With file names as arguments (make-captures.sh
# bundle-vni.pcap ...), every scenario still runs, but only those captures,
# their truth and their manifest rows are replaced: the others stay as
# they were.

set -euo pipefail
cd "$(dirname "$0")"
HERE=$(pwd)
PY=/usr/bin/python3

NS_VM=asrs-vm
NS_NVA=asrs-nva
NS_AZ=asrs-az
NS_GW=asrs-gwlb
NS_UL=asrs-ul; NS_T1=asrs-t1; NS_T1AZ=asrs-t1az; NS_T2=asrs-t2; NS_T2AZ=asrs-t2az   # bundle-vni only
NS_VM2=asrs-vm2; NS_VM3=asrs-vm3                                             # nva-three-vms only
ALL_NS="$NS_VM $NS_NVA $NS_AZ $NS_GW $NS_UL $NS_T1 $NS_T1AZ $NS_T2 $NS_T2AZ $NS_VM2 $NS_VM3"

log() { printf '%s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (network namespaces, iptables, tcpdump)"
ONLY=("$@")                    # captures to replace; none: all of them

# ---------------------------------------------------------------- packages
# Debian package per needed command; installed only when missing.
need_pkgs=()
for pair in tcpdump:tcpdump tshark:tshark dumpcap:wireshark-common reordercap:wireshark-common \
            dnsmasq:dnsmasq-base iptables:iptables ip:iproute2 tc:iproute2 \
            ss:iproute2 haproxy:haproxy openssl:openssl curl:curl ethtool:ethtool \
            sysctl:procps timeout:coreutils java:openjdk-17-jre-headless; do
    cmd=${pair%%:*}
    command -v "$cmd" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$cmd" >/dev/null 2>&1 \
        || need_pkgs+=("${pair#*:}")
done
[ -x "$PY" ] || need_pkgs+=(python3)
# squid's OpenSSL build (ssl-bump, for the FQDN-filter scenarios; Debian's
# "squid" is the GnuTLS build, without it), with its helpers (basic_ncsa_auth).
{ PATH=$PATH:/usr/sbin squid -v 2>/dev/null | grep -q -- '--with-openssl' && [ -x /usr/lib/squid/basic_ncsa_auth ]; } \
    || need_pkgs+=(squid-openssl)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    timeout 300 apt-get update -q
    timeout 600 apt-get install -y -q --no-install-recommends "${need_pkgs[@]}"
fi
export PATH=$PATH:/usr/sbin:/sbin

# ---------------------------------------------------------------- cleanup
PIDS=()
ETC_NETNS_CREATED=0

kill_ns_procs() {   # processes still running inside one of our namespaces
    local ns=$1 p
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && return 0
        sleep 0.2
    done
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
}

teardown() {
    local ns pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for ns in $ALL_NS; do
        if [ -e "/var/run/netns/$ns" ]; then
            kill_ns_procs "$ns"
            ip netns del "$ns" 2>/dev/null || true
        fi
        rm -rf "/etc/netns/$ns"
    done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}

cleanup() {
    local rc=$?
    set +e
    teardown
    [ "$ETC_NETNS_CREATED" = 1 ] && rmdir /etc/netns 2>/dev/null
    if [ -n "${TMP:-}" ]; then
        if [ "${ASRS_KEEP_TMP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
    fi
    [ $rc -ne 0 ] && log "FAILED (exit $rc) after ${SECONDS}s; lab removed"
    exit $rc
}

teardown                       # leftovers of an aborted earlier run
rm -rf /tmp/asrscope-captures.??????
TMP=$(mktemp -d /tmp/asrscope-captures.XXXXXX)
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$TMP"               # squid drops to user proxy and must read its files
mkdir -p "$TMP/raw" "$TMP/out/truth" "$TMP/pki" "$TMP/www/common" "$TMP/squid"

# ---------------------------------------------------------------- address plan
# Private address inside the lab -> address in the published capture.
# Azure ranges come from Microsoft's ServiceTags_Public.json, changeNumber 375.
DNS_P=10.2.0.53;      DNS_A=168.63.129.16   # Azure-provided DNS (the platform's virtual IP)
BLOB_P=10.2.1.10;     BLOB_A=13.68.163.36   # Storage.EastUS 13.68.163.32/28 (cache account asrcache1)
BLOB6_P=fd00:2::1:10; BLOB6_A=2603:1030:213::1:10  # Storage.EastUS 2603:1030:213::/49
CUS_P=10.2.1.20;      CUS_A=20.33.144.20    # Storage.CentralUS 20.33.144.0/24 (account asrcachecus)
AAD_P=10.2.2.10;      AAD_A=4.149.98.200    # AzureActiveDirectory 4.149.98.192/27
ASR_P=10.2.3.10;      ASR_A=4.149.21.202    # AzureSiteRecovery 4.149.21.200/29
VAULTPUB_P=10.2.3.11; VAULTPUB_A=4.149.21.203  # AzureSiteRecovery 4.149.21.200/29 (the vault's public front end)
SB_P=10.2.4.10;       SB_A=13.89.170.130    # EventHub.CentralUS 13.89.170.128/26 (Service Bus, target region)
KV_P=10.2.5.10;       KV_A=4.190.147.141    # AzureKeyVault 4.190.147.140/30
AUTO_P=10.2.6.10;     AUTO_A=4.174.145.40   # GuestAndHybridManagement 4.174.145.32/27
OUT_P=10.2.9.10;      OUT_A=203.0.113.25    # not Azure: TEST-NET-3 203.0.113.0/24
WEB_P=10.2.8.10;      WEB_A=198.51.100.80   # not Azure: TEST-NET-2 198.51.100.0/24 (www.contoso.example, bundle-privacy)
CRL_P=10.2.7.10;      CRL_A=192.0.2.80      # not Azure: TEST-NET-1 192.0.2.0/24 (a CA's CRL and AIA host, crl-blocked)
# Kept private on purpose (not rewritten):
VM_IP=10.1.0.4; VM_IP6=fd00:1::4            # the VM (IPv6: ULA, as in a dual-stack VNet)
NVA_IP=10.1.0.1; NVA_IP6=fd00:1::1          # the NVA, also source of its ICMP errors
PROXY_IP=10.1.0.100                         # squid on the NVA
IMDS_IP=169.254.169.254                     # the Instance Metadata Service: the same address in the lab and in Azure
PE_IP=10.1.1.5                              # private endpoint of the cache storage account
PE_ASR_IP=10.1.1.6                          # private endpoint of the Recovery Services vault
CUSTOM_DNS=10.10.0.4                        # a custom DNS server the NVA blocks
DNS2_P=10.10.0.5                            # a custom DNS server that adds records for other names (bundle-leaks)
DEAD_FWD=10.77.0.1                          # unreachable conditional forwarder for vault.azure.net
NVA_OUT=10.0.0.1                            # the NVA's outside address; rewritten only in nva-snat:
NVA_OUT_A=198.51.100.7                      #   TEST-NET-2, the appliance's public address (its SNAT source)

MAP_ARGS=()
for v in DNS BLOB BLOB6 CUS AAD ASR VAULTPUB SB KV AUTO OUT WEB CRL; do
    p=${v}_P; a=${v}_A
    MAP_ARGS+=(--map "${!p}=${!a}")
done
FORBID_ARGS=()
for v in DNS BLOB BLOB6 CUS AAD ASR VAULTPUB SB KV AUTO OUT WEB CRL; do p=${v}_P; FORBID_ARGS+=(--forbid "${!p}"); done

BLOB_NAME=asrcache1.blob.core.windows.net
CUS_NAME=asrcachecus.blob.core.windows.net
AAD_NAME=login.microsoftonline.com
ASR_NAME=pod01-srs1.eus.hypervrecoverymanager.windowsazure.com
VAULT_NAME=3216540987123456789-asr-pod01-rcm1.eus.siterecovery.windowsazure.com   # behind the vault's private endpoint
VAULT_PL_NAME=3216540987123456789-asr-pod01-rcm1.eus.privatelink.siterecovery.windowsazure.com
VAULT_PUB_NAME=eus-pod01-rcm1.cloudapp.net  # the vault's public front end (privatelink-unlinked)
SB_NAME=asrmon-eus.servicebus.windows.net
GOV_BLOB_NAME=asrcachegov.blob.core.usgovcloudapi.net
GOV_AAD_NAME=login.microsoftonline.us
KV_NAME=myvault.vault.azure.net
AUTO_NAME=eus-agentsvc.automation.ext.azure.com
WEB_NAME=www.contoso.example                # a web server outside Azure (bundle-privacy)
MK_SNI_NAME=mksni7b2e0.blob.core.windows.net   # a cache account whose name is a marker (bundle-leaks)
CRL_NAME=crl3.digicert.com                  # a CRL host of the CA page's list (crl-blocked)
AIA_NAME=cacerts.digicert.com               # an AIA host of the same list (crl-blocked)

# ---------------------------------------------------------------- test PKI
# A root and an issuing CA like Azure's (servers send leaf + issuing CA, so the
# chain is visible in TLS 1.2), and a separate "Contoso Firewall Inspection CA"
# for the TLS-interception scenario. The issuing CA carries the name of the CA
# that issues Azure's storage certificates, so that the captures show what a
# capture of the real service shows; the root is the lab's own.
pki() { timeout 30 openssl "$@" 2>/dev/null; }
P=$TMP/pki
pki req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$P/root.key" -out "$P/root.pem" \
    -subj "/C=US/O=asrscope lab/CN=asrscope Lab Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
pki req -new -newkey rsa:2048 -nodes -sha256 -keyout "$P/issuing.key" -out "$P/issuing.csr" \
    -subj "/C=US/O=Microsoft Corporation/CN=Microsoft Azure RSA TLS Issuing CA 03"
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$P/ca.ext"
pki x509 -req -sha256 -days 3650 -in "$P/issuing.csr" -CA "$P/root.pem" -CAkey "$P/root.key" \
    -set_serial "0x$(openssl rand -hex 8)" -extfile "$P/ca.ext" -out "$P/issuing.pem"
pki req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$P/contoso-ca.key" -out "$P/contoso-ca.pem" \
    -subj "/C=US/O=Contoso Ltd/OU=Network Security/CN=Contoso Firewall Inspection CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

leaf() {  # name CN issuer SAN...
    local name=$1 cn=$2 ca=$3; shift 3
    local san; san=$(printf 'DNS:%s,' "$@"); san=${san%,}
    pki req -new -newkey rsa:2048 -nodes -sha256 -keyout "$P/$name.key" -out "$P/$name.csr" \
        -subj "/C=US/ST=WA/L=Redmond/O=asrscope test/CN=$cn"
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
        "$san" > "$P/$name.ext"
    pki x509 -req -sha256 -days 825 -in "$P/$name.csr" -CA "$P/$ca.pem" -CAkey "$P/$ca.key" \
        -set_serial "0x$(openssl rand -hex 8)" -extfile "$P/$name.ext" -out "$P/$name.pem"
    if [ "$ca" = issuing ]; then cat "$P/$name.pem" "$P/issuing.pem" > "$P/$name.chain.pem"
    else cp "$P/$name.pem" "$P/$name.chain.pem"; fi
}
leaf storage '*.blob.core.windows.net' issuing '*.blob.core.windows.net' '*.blob.storage.azure.net' \
    '*.blob.core.usgovcloudapi.net' \
    '*.privatelink.blob.core.windows.net'
leaf aad 'stamp2.login.microsoftonline.com' issuing login.microsoftonline.com login.microsoft.com \
    login.windows.net stamp2.login.microsoftonline.com login.microsoftonline.us
leaf asr '*.eus.hypervrecoverymanager.windowsazure.com' issuing '*.eus.hypervrecoverymanager.windowsazure.com'
leaf asr-pe '*.eus.siterecovery.windowsazure.com' issuing '*.eus.siterecovery.windowsazure.com' \
    '*.eus.privatelink.siterecovery.windowsazure.com'
leaf sb '*.servicebus.windows.net' issuing '*.servicebus.windows.net'
leaf kv '*.vault.azure.net' issuing '*.vault.azure.net' '*.vaultcore.azure.net'
leaf auto '*.azure-automation.net' issuing '*.azure-automation.net' '*.automation.ext.azure.com'
leaf contoso-login 'login.microsoftonline.com' contoso-ca login.microsoftonline.com
leaf web 'www.contoso.example' contoso-ca www.contoso.example   # Contoso's own web server (not Azure)
CA=$P/root.pem

# ---------------------------------------------------------------- topology
mkdir_etc_netns() {
    [ -d /etc/netns ] || { mkdir -p /etc/netns; ETC_NETNS_CREATED=1; }
}
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

for ns in $ALL_NS; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    in_ns "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
        net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
        net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
        net.ipv6.conf.default.router_solicitations=0
done
in_ns $NS_NVA sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
# The Gateway Load Balancer's namespace carries only bridged IPv4 (no IPv6 noise).
in_ns $NS_GW sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for ns in $NS_UL $NS_T1 $NS_T1AZ $NS_T2 $NS_T2AZ $NS_VM2 $NS_VM3; do
    in_ns $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
# Classic exponential SYN backoff (1, 2, 4 s) in the VM; newer kernels retry
# the first SYNs linearly every second.
in_ns $NS_VM sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0 2>/dev/null || true
# The "Azure" servers start with a 1 MB receive buffer, as a storage front end
# effectively has: a healthy upload must not see a zero window just because
# a Python server read the first 160 KB more slowly than veth delivered them.
in_ns $NS_AZ sysctl -qw net.ipv4.tcp_rmem="4096 1048576 6291456"
ip link add vm0 netns $NS_VM type veth peer name nva-in netns $NS_NVA
ip link add nva-out netns $NS_NVA type veth peer name az0 netns $NS_AZ
# Azure-like MACs: 00:0d:3a is Microsoft's OUI for VM NICs, 12:34:56:78:9a:bc
# is what a VM sees as its gateway's MAC in Azure.
ip -n $NS_VM link set vm0 address 00:0d:3a:10:00:04
ip -n $NS_NVA link set nva-in address 12:34:56:78:9a:bc
ip -n $NS_NVA link set nva-out address 00:0d:3a:20:00:01
ip -n $NS_AZ link set az0 address 12:34:56:78:9a:bd
# Checksums and segmentation in software, so captured frames carry final
# checksums and wire-sized segments (also when cut by a snap length).
for pair in $NS_VM:vm0 $NS_NVA:nva-in $NS_NVA:nva-out $NS_AZ:az0 $NS_VM:lo; do
    in_ns "${pair%%:*}" ethtool -K "${pair#*:}" tx off tso off gso off gro off >/dev/null 2>&1 || true
done
ip -n $NS_VM addr add $VM_IP/24 dev vm0
ip -n $NS_VM addr add $VM_IP6/64 dev vm0 nodad
ip -n $NS_NVA addr add $NVA_IP/24 dev nva-in
ip -n $NS_NVA addr add $PROXY_IP/24 dev nva-in
ip -n $NS_NVA addr add $NVA_IP6/64 dev nva-in nodad
ip -n $NS_NVA addr add $NVA_OUT/24 dev nva-out
ip -n $NS_NVA addr add fd00:ff::1/64 dev nva-out nodad
ip -n $NS_AZ addr add 10.0.0.2/24 dev az0
ip -n $NS_AZ addr add fd00:ff::2/64 dev az0 nodad
for a in $DNS_P $BLOB_P $CUS_P $AAD_P $ASR_P $VAULTPUB_P $SB_P $KV_P $AUTO_P $OUT_P $WEB_P $CRL_P $IMDS_IP $PE_IP $PE_ASR_IP $DNS2_P; do
    ip -n $NS_AZ addr add $a/32 dev lo
done
ip -n $NS_AZ addr add $BLOB6_P/128 dev lo nodad
for pair in $NS_VM:vm0 $NS_NVA:nva-in $NS_NVA:nva-out $NS_AZ:az0; do
    ip -n "${pair%%:*}" link set "${pair#*:}" up
done
ip -n $NS_VM route add default via $NVA_IP
ip -n $NS_VM -6 route add default via $NVA_IP6
ip -n $NS_NVA route add default via 10.0.0.2
ip -n $NS_NVA -6 route add default via fd00:ff::2
ip -n $NS_AZ route add 10.1.0.0/16 via $NVA_OUT
ip -n $NS_AZ -6 route add fd00:1::/64 via fd00:ff::1

mkdir_etc_netns
mkdir -p /etc/netns/$NS_VM
printf '127.0.0.1 localhost\n::1 localhost\n' > /etc/netns/$NS_VM/hosts
set_vm_dns() {  # the VM's resolver: glibc, 2 s timeout, 2 tries
    printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$1" > /etc/netns/$NS_VM/resolv.conf
}
set_vm_dns $DNS_P

# ---------------------------------------------------------------- services
wait_listen() {  # ns proto(t|u) addr:port  -- bounded wait for a listening socket
    local i
    for i in $(seq 1 50); do
        in_ns "$1" ss -Hln"$2" 2>/dev/null | grep -qF " $3 " && return 0
        sleep 0.2
    done
    die "nothing listens on $3 in $1"
}

# dnsmasq as the VNet's DNS.  Names carry CNAME chains like Azure's.
DNS_PID=
dns_start() {  # variant: normal | outside | privlink | plpublic | failures
    local conf=$TMP/dnsmasq-$1.conf
    {
        echo "no-resolv"; echo "no-hosts"; echo "bind-interfaces"
        echo "listen-address=$DNS_P"; echo "user=root"; echo "local-ttl=60"
        echo "log-queries"; echo "log-facility=$TMP/dnsmasq.log"
        echo "local=/#/"                       # unknown names: NXDOMAIN
        case $1 in
            outside)  echo "host-record=blob.bl2prdstr01a.store.core.windows.net,$OUT_P" ;;
            privlink) echo "host-record=asrcache1.privatelink.blob.core.windows.net,$PE_IP" ;;
            *)        echo "host-record=blob.bl2prdstr01a.store.core.windows.net,$BLOB_P,$BLOB6_P" ;;
        esac
        if [ "$1" = privlink ]; then
            echo "cname=$BLOB_NAME,asrcache1.privatelink.blob.core.windows.net"
            # The vault's private endpoint: the name the VM asks is a CNAME
            # into the private DNS zone privatelink.siterecovery.windowsazure.com.
            echo "host-record=$VAULT_PL_NAME,$PE_ASR_IP"
            echo "cname=$VAULT_NAME,$VAULT_PL_NAME"
        elif [ "$1" = plpublic ]; then
            # Private endpoints exist, but their private DNS zones are not
            # linked to the VNet: the names resolve as from the internet,
            # through the privatelink names to the public front ends.
            echo "cname=$BLOB_NAME,asrcache1.privatelink.blob.core.windows.net"
            echo "cname=asrcache1.privatelink.blob.core.windows.net,blob.bl2prdstr01a.store.core.windows.net"
            echo "host-record=$VAULT_PUB_NAME,$VAULTPUB_P"
            echo "cname=$VAULT_PL_NAME,$VAULT_PUB_NAME"
            echo "cname=$VAULT_NAME,$VAULT_PL_NAME"
        else
            echo "cname=$BLOB_NAME,blob.bl2prdstr01a.store.core.windows.net"
        fi
        echo "host-record=blob.dm5prdstr12a.store.core.windows.net,$CUS_P"
        echo "cname=$CUS_NAME,blob.dm5prdstr12a.store.core.windows.net"
        echo "host-record=www.tm.ak.prd.aadg.trafficmanager.net,$AAD_P"
        echo "cname=login.mso.msidentity.com,www.tm.ak.prd.aadg.trafficmanager.net"
        echo "cname=$AAD_NAME,login.mso.msidentity.com"
        echo "host-record=eus-pod01-srs1.cloudapp.net,$ASR_P"
        echo "cname=$ASR_NAME,eus-pod01-srs1.cloudapp.net"
        echo "host-record=$AUTO_NAME,$AUTO_P"
        # Azure Government's names for the same services (gov-names scenario).
        echo "host-record=blob.usgovvirginia.store.core.usgovcloudapi.net,$BLOB_P"
        echo "cname=$GOV_BLOB_NAME,blob.usgovvirginia.store.core.usgovcloudapi.net"
        echo "host-record=$GOV_AAD_NAME,$AAD_P"
        # A web server outside Azure (bundle-privacy scenario).
        echo "host-record=$WEB_NAME,$WEB_P"
        echo "host-record=$MK_SNI_NAME,$BLOB_P"
        # A CA's CRL and AIA host (crl-blocked scenario).
        echo "host-record=$CRL_NAME,$CRL_P"
        echo "host-record=$AIA_NAME,$CRL_P"
        if [ "$1" = failures ]; then
            # Service Bus name missing -> NXDOMAIN; vault.azure.net forwarded to
            # a conditional forwarder that cannot be reached -> REFUSED.
            echo "server=/vault.azure.net/$DEAD_FWD"
        else
            echo "host-record=ns-sb2-prod-bl3-005.cloudapp.net,$SB_P"
            echo "cname=$SB_NAME,ns-sb2-prod-bl3-005.cloudapp.net"
            echo "host-record=data-prod-eus-region.vaultcore.azure.net,$KV_P"
            echo "cname=data-prod-eus.vaultcore.azure.net,data-prod-eus-region.vaultcore.azure.net"
            echo "cname=$KV_NAME,data-prod-eus.vaultcore.azure.net"
        fi
    } > "$conf"
    dns_stop
    timeout 240 ip netns exec $NS_AZ dnsmasq -k -C "$conf" --pid-file="$TMP/dnsmasq.pid" &
    DNS_PID=$!; PIDS+=("$DNS_PID")
    wait_listen $NS_AZ u "$DNS_P:53"
}
dns_stop() {
    if [ -n "$DNS_PID" ]; then
        kill "$DNS_PID" 2>/dev/null || true
        wait "$DNS_PID" 2>/dev/null || true
        DNS_PID=
    fi
}

# HTTPS endpoints of the Azure services (storage: TLS 1.2 max, others 1.3),
# with a bounded life longer than the whole run.
timeout 620 ip netns exec $NS_AZ $PY "$HERE/azsrv.py" --certdir "$P" --lifetime 600 \
    --listen "$BLOB_P,443,storage,1.2" --listen "$BLOB6_P,443,storage,1.2" \
    --listen "$CUS_P,443,storage,1.2" --listen "$OUT_P,443,storage,1.2" \
    --listen "$PE_IP,443,storage,1.2" --listen "$PE_ASR_IP,443,asr-pe,1.3" --listen "$AAD_P,443,aad,1.3" \
    --listen "$ASR_P,443,asr,1.3" --listen "$VAULTPUB_P,443,asr-pe,1.3" --listen "$SB_P,443,sb,1.3" \
    --listen "$KV_P,443,kv,1.3" --listen "$AUTO_P,443,auto,1.3" >/dev/null &
PIDS+=($!)
wait_listen $NS_AZ t "$KV_P:443"
dns_start normal

# ---------------------------------------------------------------- capture helpers
# ARP and IPv6 neighbour discovery / MLD are left out so that the captures
# hold the same frames every run whatever the neighbour caches contain.
CAPFILTER='not arp and not (ip6 and (ip6[6] == 0 or (ip6[6] == 58 and ip6[40] >= 133 and ip6[40] <= 137)))'
CAP_PID=
cap_wait_ready() {
    local i
    for i in $(seq 1 50); do
        grep -qE 'listening on|Capturing on' "$1" 2>/dev/null && { sleep 0.3; return 0; }
        sleep 0.1
    done
    die "capture did not start: $(cat "$1")"
}
tcpdump_start() {  # ns iface rawname [tcpdump options...] -- uses CAPFILTER (+ FILTER_EXTRA)
    local ns=$1 ifc=$2 raw=$TMP/raw/$3; shift 3
    local filter=$CAPFILTER
    [ -n "${FILTER_EXTRA:-}" ] && filter="($CAPFILTER) and ($FILTER_EXTRA)"
    timeout 120 ip netns exec "$ns" tcpdump -i "$ifc" -n -U --immediate-mode -Z root "$@" -w "$raw" "$filter" 2>"$raw.log" &
    CAP_PID=$!; PIDS+=("$CAP_PID"); CAP_TOOL=tcpdump
    cap_wait_ready "$raw.log"
}
dumpcap_start() {  # ns rawname dumpcap-interface-options...
    local ns=$1 raw=$TMP/raw/$2; shift 2
    timeout 120 ip netns exec "$ns" dumpcap -q "$@" -w "$raw" 2>"$raw.log" &
    CAP_PID=$!; PIDS+=("$CAP_PID"); CAP_TOOL=dumpcap
    cap_wait_ready "$raw.log"
}
cap_stop() {
    local i
    # let the last FIN/ACKs land; dumpcap has no immediate mode and hands
    # packets over at its 250 ms read timeout
    if [ "$CAP_TOOL" = dumpcap ]; then sleep 1.2; else sleep 0.5; fi
    kill -TERM "$CAP_PID" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.1; done
    wait "$CAP_PID" 2>/dev/null || true
    CAP_PID=
}
publish() {  # rawname outname [rewrite options]
    local raw=$1 out=$2; shift 2
    timeout 60 $PY "$HERE/rewrite.py" rewrite "$TMP/raw/$raw" "$TMP/out/$out" "${MAP_ARGS[@]}" "$@" >&2
}

# ---------------------------------------------------------------- client helpers
# Every client runs inside the VM namespace under a timeout.  ok/fail check
# that the scenario really behaved as intended, so a broken lab cannot
# silently produce wrong samples.
vm_curl() { timeout 60 ip netns exec $NS_VM curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' "$@"; }
ok() {
    local out
    out=$("$@" 2>&1) || die "expected success: ${*: -1} -> $out"
    log "    ok   ${*: -1} -> $out"
}
fail() {  # pattern command...
    local pat=$1 out; shift
    if out=$("$@" 2>&1); then die "expected failure: ${*: -1} -> $out"; fi
    printf '%s' "$out" | grep -qE "$pat" || die "unexpected failure: ${*: -1} -> $out"
    log "    fail ${*: -1} -> $(printf '%s' "$out" | tr '\n' ' ')"
}
nva_fw() { ip netns exec $NS_NVA iptables "$@"; }
nva_fw6() { ip netns exec $NS_NVA ip6tables "$@"; }
nva_fw_flush() { nva_fw -F FORWARD; nva_fw -t nat -F PREROUTING; nva_fw -t nat -F POSTROUTING; nva_fw6 -F FORWARD; }
# tshark's count of the frames of a capture that match a display filter
tcount() {  # file filter [tshark options...]
    local f=$1 flt=$2; shift 2
    timeout 60 tshark -n -r "$f" "$@" -Y "$flt" -T fields -e frame.number 2>/dev/null | wc -l
}
expect() {  # description file filter op number [tshark options...] -- die unless count op number
    local what=$1 f=$2 flt=$3 op=$4 n=$5 c; shift 5
    c=$(tcount "$f" "$flt" "$@")
    [ "$c" "$op" "$n" ] || die "$(basename "$f"): $what: $c frames match '$flt' (want $op $n)"
    log "    check $what: $c"
}
# tshark's fields of the frames that match a display filter, one frame a line
tfields() {  # file filter field... -- fields tab-separated
    local f=$1 flt=$2 a=(); shift 2
    for x in "$@"; do a+=(-e "$x"); done
    timeout 60 tshark -n -r "$f" -Y "$flt" -T fields "${a[@]}" 2>/dev/null
}
# seconds from the first to the last frame that match a display filter
tspan() {  # file filter
    tfields "$1" "$2" frame.time_epoch | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.3f\n", NR ? b - a : 0 }'
}
# Every TLS record of one TCP stream in tshark's order, one a line:
# "frame source type length" (type: the record's content type, for TLS 1.3
# encrypted records the outer "opaque" type 23).  From tshark's PDML, since
# -T fields cannot pair a frame's content and opaque types with the lengths.
tls_records() {  # file tcp.stream
    timeout 60 tshark -n -r "$1" -Y "tcp.stream==$2 && tls.record" -T pdml 2>/dev/null | $PY -c '
import sys, xml.etree.ElementTree as ET
for pkt in ET.parse(sys.stdin).getroot().iter("packet"):
    f = {x.get("name"): x.get("show") for x in pkt.iter("field") if x.get("name") in ("num", "ip.src")}
    for rec in pkt.iter("field"):
        if rec.get("name") != "tls.record":
            continue
        r = {x.get("name"): x.get("show") for x in rec.iter("field")}
        t = r.get("tls.record.content_type") or r.get("tls.record.opaque_type")
        print(f["num"], f["ip.src"], t, r.get("tls.record.length"))
'
}
# tcpdump's own count of the packets the kernel dropped (printed on exit)
cap_no_drops() {  # rawname
    local n
    n=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$TMP/raw/$1.log")
    [ "${n:-x}" = 0 ] || die "$1: tcpdump: ${n:-unknown number of} packets dropped by kernel"
    log "    check packets dropped by kernel: 0"
}
# Tls13Client.java (Java 17's own TLS stack, JSSE) in the VM, IPv4 only like
# the curl -4 clients; run from source, no build step.
vm_java() {
    timeout 40 ip netns exec $NS_VM java -XX:-UsePerfData -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true \
        "$HERE/Tls13Client.java" "$@"
}

head -c 160000 /dev/urandom > "$TMP/blob-160k.bin"
head -c 100000 /dev/urandom > "$TMP/blob-100k.bin"
head -c 20000 /dev/urandom > "$TMP/blob-20k.bin"
head -c 1048576 /dev/urandom > "$TMP/blob-1m.bin"
head -c 262144 /dev/urandom > "$TMP/blob-256k.bin"
head -c 4194304 /dev/urandom > "$TMP/blob-4m.bin"
head -c 2097152 /dev/urandom > "$TMP/blob-2m.bin"
head -c 3145728 /dev/urandom > "$TMP/blob-3m.bin"
PAGE="https://$BLOB_NAME/asr-cache/vm01-disk0/00000001.log"
TOKEN_BODY='grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555&scope=https%3A%2F%2Fmanagement.azure.com%2F.default'

MANIFEST=()
declare -A TSHARK_EXTRA=()     # capture -> extra tshark options (decode-as) for its truth and checks
manifest() {  # file | scenario | client | servers | tags | fault | expected
    local IFS=$'\t'
    MANIFEST+=("$*")
}
T_BLOB="Storage.EastUS 13.68.163.32/28"
T_BLOB6="Storage.EastUS 2603:1030:213::/49"
T_CUS="Storage.CentralUS 20.33.144.0/24"
T_AAD="AzureActiveDirectory 4.149.98.192/27"
T_ASR="AzureSiteRecovery 4.149.21.200/29"
T_SB="EventHub.CentralUS 13.89.170.128/26"
T_KV="AzureKeyVault 4.190.147.140/30"
T_AUTO="GuestAndHybridManagement 4.174.145.32/27"
T_DNS="Azure DNS 168.63.129.16"
CLIENT="VM $VM_IP (curl 7.88/OpenSSL 3, glibc resolver)"

# ================================================================ scenarios

# 1. A healthy protected VM: every ASR dependency resolves through a CNAME
# chain and answers over TLS; a 160 KB cache write over TLS 1.2 (certificate
# chain readable) and TLS 1.3 to AAD, ASR, Service Bus and Automation.
log "[1] healthy-tls12-dns"
tcpdump_start $NS_VM vm0 healthy.pcap
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-160k.bin" "$PAGE"
ok vm_curl -4 --tlsv1.3 --data-binary "$TOKEN_BODY" "https://$AAD_NAME/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
ok vm_curl -4 --tlsv1.3 "https://$ASR_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
ok vm_curl -4 --tlsv1.3 --data-binary '{"vm":"vm01","rpo_seconds":30}' "https://$SB_NAME/asrmonitoring/messages"
ok vm_curl -4 --tlsv1.3 "https://$AUTO_NAME/automationAccounts/asr-mobility-update/jobs"
cap_stop
publish healthy.pcap healthy-tls12-dns.pcap
expect "no zero window in the healthy capture" "$TMP/out/healthy-tls12-dns.pcap" "tcp.analysis.zero_window" -eq 0
manifest healthy-tls12-dns.pcap "healthy VM: DNS (CNAME chains) then HTTPS to every ASR dependency; 160 KB PUT to the cache account over TLS 1.2" \
    "$CLIENT" "$BLOB_NAME=$BLOB_A; $AAD_NAME=$AAD_A; $ASR_NAME=$ASR_A; $SB_NAME=$SB_A; $AUTO_NAME=$AUTO_A; DNS $DNS_A" \
    "$T_BLOB; $T_AAD; $T_ASR; $T_SB; $T_AUTO; $T_DNS" "none" \
    "5 A queries answered (CNAME chains); storage TLS 1.2 with leaf+issuing CA certs in clear, ~160 KB up, 201; TLS 1.3 to the other 4; all closed with FIN"

# 2. The NVA silently drops SYNs to Service Bus (a missing allow rule):
# the VM retransmits its SYN and gives up.
log "[2] syn-dropped"
nva_fw -A FORWARD -d $SB_P -p tcp --syn -j DROP
tcpdump_start $NS_VM vm0 syn-dropped.pcap
fail 'timed out|[Tt]imeout' vm_curl -4 --connect-timeout 6.5 "https://$SB_NAME/asrmonitoring/messages"
cap_stop; nva_fw_flush
publish syn-dropped.pcap syn-dropped.pcap
manifest syn-dropped.pcap "NVA drops the SYNs to Service Bus" "$CLIENT" "$SB_NAME=$SB_A; DNS $DNS_A" "$T_SB; $T_DNS" \
    "iptables FORWARD -d <servicebus> --syn -j DROP on the NVA" "DNS ok, then 3 SYNs (t=0, ~1 s, ~3 s) with no answer; curl gives up at 6.5 s"

# 3. The NVA refuses the connection to AAD with a TCP reset "from" AAD.
log "[3] syn-rst"
nva_fw -A FORWARD -d $AAD_P -p tcp --dport 443 --syn -j REJECT --reject-with tcp-reset
tcpdump_start $NS_VM vm0 syn-rst.pcap
fail 'refused|Couldn' vm_curl -4 "https://$AAD_NAME/common/discovery/instance"
cap_stop; nva_fw_flush
publish syn-rst.pcap syn-rst.pcap
manifest syn-rst.pcap "NVA answers the SYN to AAD with a RST" "$CLIENT" "$AAD_NAME=$AAD_A; DNS $DNS_A" "$T_AAD; $T_DNS" \
    "iptables REJECT --reject-with tcp-reset on the NVA" "DNS ok, SYN answered by RST/ACK from the AAD address; connection refused"

# 4. The NVA answers with ICMP "communication administratively prohibited";
# the ICMP comes from the NVA and quotes the VM's SYN to the ASR service.
log "[4] icmp-admin-prohibited"
nva_fw -A FORWARD -d $ASR_P -p tcp --dport 443 -j REJECT --reject-with icmp-admin-prohibited
tcpdump_start $NS_VM vm0 icmp.pcap
fail 'route|Couldn|unreachable' vm_curl -4 "https://$ASR_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
cap_stop; nva_fw_flush
publish icmp.pcap icmp-admin-prohibited.pcap
manifest icmp-admin-prohibited.pcap "NVA rejects the connection to ASR with ICMP 3/13" "$CLIENT" "$ASR_NAME=$ASR_A; DNS $DNS_A; NVA $NVA_IP (private)" \
    "$T_ASR; $T_DNS" "iptables REJECT --reject-with icmp-admin-prohibited on the NVA" \
    "DNS ok, SYN answered by ICMP type 3 code 13 from $NVA_IP quoting $VM_IP -> $ASR_A:443; no route to host"

# 5. A URL-filtering firewall: the TCP handshake passes, the segment carrying
# the ClientHello with the blocked SNI is answered by a RST "from" storage.
log "[5] rst-after-clienthello"
nva_fw -A FORWARD -p tcp --dport 443 -m string --algo bm --string "$BLOB_NAME" -j REJECT --reject-with tcp-reset
tcpdump_start $NS_VM vm0 rst-ch.pcap
fail 'reset|SSL|35' vm_curl -4 "$PAGE"
sleep 4      # the server side never saw the ClientHello: its 3 s handshake timeout ends it
cap_stop; nva_fw_flush
publish rst-ch.pcap rst-after-clienthello.pcap
manifest rst-after-clienthello.pcap "URL-filtering NVA resets the connection when it sees the storage SNI" "$CLIENT" "$BLOB_NAME=$BLOB_A; DNS $DNS_A" \
    "$T_BLOB; $T_DNS" "iptables -m string --string $BLOB_NAME -j REJECT --reject-with tcp-reset on the NVA" \
    "DNS ok, 3-way handshake ok, ClientHello (SNI $BLOB_NAME) answered at once by RST from the storage address, no ServerHello; ~3 s later the server's half-open side times out: FIN from server, RST from VM"

# 6. An authenticating proxy: CONNECT without credentials gets 407, with
# credentials 200 and TLS to storage runs inside the tunnel.  The VM asks the
# proxy, not DNS, so there is no DNS in this capture.
log "[6] proxy-407"
openssl passwd -apr1 -salt asrscope 'Passw0rd!' | sed 's/^/asrproxy:/' > "$TMP/squid/passwd"
cat > "$TMP/squid/squid.conf" <<EOF
http_port $PROXY_IP:3128
visible_hostname proxy.contoso.example
auth_param basic program /usr/lib/squid/basic_ncsa_auth $TMP/squid/passwd
auth_param basic children 2 startup=1
auth_param basic realm Contoso outbound proxy
acl SSL_ports port 443
acl CONNECT method CONNECT
acl authed proxy_auth REQUIRED
http_access deny CONNECT !SSL_ports
http_access allow authed
http_access deny all
dns_nameservers $DNS_P
hosts_file none
cache deny all
cache_mem 4 MB
pid_filename $TMP/squid/squid.pid
access_log stdio:$TMP/squid/access.log
cache_log $TMP/squid/cache.log
cache_store_log none
netdb_filename none
coredump_dir $TMP/squid
pinger_enable off
shutdown_lifetime 1 seconds
cache_effective_user proxy
EOF
chown -R proxy "$TMP/squid"
timeout 120 ip netns exec $NS_NVA squid -N -f "$TMP/squid/squid.conf" >"$TMP/squid/stdout.log" 2>&1 &
SQUID_PID=$!; PIDS+=("$SQUID_PID")
wait_listen $NS_NVA t "$PROXY_IP:3128"
tcpdump_start $NS_VM vm0 proxy.pcap
fail '407' vm_curl -4 -x "http://$PROXY_IP:3128" "$PAGE"
ok vm_curl -4 -x "http://$PROXY_IP:3128" --proxy-user 'asrproxy:Passw0rd!' -T "$TMP/blob-20k.bin" "$PAGE"
cap_stop
kill "$SQUID_PID" 2>/dev/null || true; wait "$SQUID_PID" 2>/dev/null || true
publish proxy.pcap proxy-407.pcap
manifest proxy-407.pcap "explicit proxy on the NVA: CONNECT without credentials -> 407, with Basic credentials -> 200 and TLS inside the tunnel" \
    "$CLIENT via proxy $PROXY_IP:3128" "$BLOB_NAME (resolved by the proxy, not in the capture); proxy $PROXY_IP (private)" "$T_BLOB (only as TLS SNI; no server address in capture)" \
    "squid with basic auth (user asrproxy)" \
    "CONNECT $BLOB_NAME:443 -> 407 Proxy Authentication Required; second connection CONNECT with Proxy-Authorization -> 200, then TLS 1.2 (SNI $BLOB_NAME) and a 20 KB PUT -> 201"

# 7. A congested, lossy path: 3% random loss on the NVA and a 3 Mbit/s token
# bucket toward Azure while a 1 MiB cache write runs: retransmissions,
# duplicate ACKs, low throughput.  Snap length 256 keeps the file small but
# the whole ClientHello up to and including the SNI.
log "[7] loss-ratelimit"
nva_fw -A FORWARD -p tcp ! --syn -d $BLOB_P -m statistic --mode random --probability 0.03 -j DROP
nva_fw -A FORWARD -p tcp ! --syn -s $BLOB_P -m statistic --mode random --probability 0.03 -j DROP
ip netns exec $NS_NVA tc qdisc add dev nva-out root tbf rate 3mbit burst 10kb latency 400ms
tcpdump_start $NS_VM vm0 loss.pcap -s 256
ok vm_curl -4 --max-time 90 -T "$TMP/blob-1m.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000002.log"
cap_stop; nva_fw_flush
ip netns exec $NS_NVA tc qdisc del dev nva-out root
publish loss.pcap loss-ratelimit.pcap
manifest loss-ratelimit.pcap "1 MiB cache write over a lossy, rate-limited path" "$CLIENT" "$BLOB_NAME=$BLOB_A; DNS $DNS_A" "$T_BLOB; $T_DNS" \
    "NVA: iptables statistic 3% random drop (both directions, not SYNs) + tc tbf 3 Mbit/s (400 ms queue) toward Azure" \
    "retransmissions, fast retransmissions and duplicate ACKs; goodput <= ~3 Mbit/s; upload completes (201). Snap length 256: payloads cut; the ClientHello's bytes are captured up to and including the SNI, but tshark does not decode a cut ClientHello, so truth has no SNI for it"

# 8. A ClientHello that does not fit in one segment: the server side clamps
# the MSS to 200, so the TLS 1.3 ClientHello to Key Vault spans 3 segments.
log "[8] split-clienthello"
ip netns exec $NS_AZ iptables -t mangle -A OUTPUT -s $KV_P -p tcp --tcp-flags SYN,ACK SYN,ACK -j TCPMSS --set-mss 200
tcpdump_start $NS_VM vm0 split.pcap
ok vm_curl -4 --tlsv1.3 "https://$KV_NAME/secrets/asr-mobility-passphrase?api-version=7.4"
cap_stop
ip netns exec $NS_AZ iptables -t mangle -F OUTPUT
publish split.pcap split-clienthello.pcap
manifest split-clienthello.pcap "TLS 1.3 ClientHello split over several TCP segments (server MSS 200)" "$CLIENT" "$KV_NAME=$KV_A; DNS $DNS_A" "$T_KV; $T_DNS" \
    "server SYN/ACK MSS clamped to 200 (iptables TCPMSS in the Azure namespace)" \
    "ClientHello with SNI $KV_NAME in 2-3 segments of <= 200 bytes; handshake completes; 200"

# 9. The same over IPv6: AAAA answer (over IPv4 DNS, as with Azure DNS), TLS
# 1.2 to the storage account's IPv6 front end.
log "[9] ipv6-tls"
tcpdump_start $NS_VM vm0 ipv6.pcap
ok vm_curl -6 --tlsv1.2 -T "$TMP/blob-20k.bin" "$PAGE"
cap_stop
publish ipv6.pcap ipv6-tls.pcap
manifest ipv6-tls.pcap "IPv6: AAAA lookup then TLS 1.2 to storage over IPv6" "VM $VM_IP6 (ULA, not rewritten) / $VM_IP for DNS" \
    "$BLOB_NAME=$BLOB6_A; DNS $DNS_A" "$T_BLOB6; $T_DNS" "none" "glibc asks A and AAAA (both answered, CNAME chain); the VM connects to the AAAA address; 20 KB PUT -> 201"

# 10. 802.1Q: this kernel has no VLAN device support, so the frames of a real
# healthy exchange are tagged afterwards (VLAN 100; and a QinQ copy with an
# 802.1ad outer tag 200) - the parser must skip tags to find IP.
log "[10] vlan-tls / qinq-tls"
tcpdump_start $NS_VM vm0 vlan.pcap
ok vm_curl -4 "$PAGE"
cap_stop
publish vlan.pcap vlan-tls.pcap --vlan 100
tcpdump_start $NS_VM vm0 qinq.pcap
ok vm_curl -4 --data-binary '{"vm":"vm01","rpo_seconds":30}' "https://$SB_NAME/asrmonitoring/messages"
cap_stop
publish qinq.pcap qinq-tls.pcap --qinq 200:100
manifest vlan-tls.pcap "healthy DNS + TLS 1.2 GET to storage, every frame 802.1Q-tagged" "$CLIENT" "$BLOB_NAME=$BLOB_A; DNS $DNS_A" "$T_BLOB; $T_DNS" \
    "802.1Q tag VID 100 inserted after capture (no 8021q in the capture kernel)" "every frame: VLAN 100 then IPv4; SNI and DNS as healthy"
manifest qinq-tls.pcap "healthy DNS + TLS 1.3 POST to Service Bus, QinQ-tagged" "$CLIENT" "$SB_NAME=$SB_A; DNS $DNS_A" "$T_SB; $T_DNS" \
    "802.1ad outer VID 200 + 802.1Q inner VID 100 inserted after capture" "every frame: 0x88a8 VID 200, 0x8100 VID 100, then IPv4"

# 11. tcpdump -i any in the VM: LINUX_SLL2 link layer.
log "[11] any-sll2"
tcpdump_start $NS_VM any sll2.pcap -y LINUX_SLL2
ok vm_curl -4 "$PAGE"
ok vm_curl -4 --data-binary "$TOKEN_BODY" "https://$AAD_NAME/common/oauth2/v2.0/token"
cap_stop
publish sll2.pcap any-sll2.pcap
manifest any-sll2.pcap "tcpdump -i any (cooked v2) in the VM: DNS + TLS 1.2 to storage + TLS 1.3 to AAD" "$CLIENT" \
    "$BLOB_NAME=$BLOB_A; $AAD_NAME=$AAD_A; DNS $DNS_A" "$T_BLOB; $T_AAD; $T_DNS" "none" "link type LINUX_SLL2; 2 DNS lookups, 2 healthy TLS sessions"

# 12. pcapng with two interfaces of different link types: the VM runs a local
# stub resolver (127.0.0.53, like systemd-resolved) forwarding to Azure DNS;
# dumpcap records DNS on "any" (loopback + vm0 legs, LINUX_SLL2) and TLS on
# vm0 (Ethernet).
log "[12] multi-if"
timeout 120 ip netns exec $NS_VM dnsmasq -k --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.53 \
    --server=$DNS_P --user=root --pid-file="$TMP/stub.pid" 2>/dev/null &
STUB_PID=$!; PIDS+=("$STUB_PID")
wait_listen $NS_VM u "127.0.0.53:53"
set_vm_dns 127.0.0.53
dumpcap_start $NS_VM multi.pcapng -i vm0 -f "tcp port 443" -i any -y LINUX_SLL2 -f "udp port 53"
ok vm_curl -4 "https://$ASR_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
cap_stop
set_vm_dns $DNS_P
kill "$STUB_PID" 2>/dev/null || true; wait "$STUB_PID" 2>/dev/null || true
publish multi.pcapng multi-if.pcapng
manifest multi-if.pcapng "pcapng, 2 interfaces: vm0 (Ethernet, TLS) and any (LINUX_SLL2, DNS via a local stub resolver)" "$CLIENT; stub resolver 127.0.0.53" \
    "$ASR_NAME=$ASR_A; DNS $DNS_A" "$T_ASR; $T_DNS" "none" \
    "interface 0 EN10MB: TLS 1.3 to ASR; interface 1 LINUX_SLL2: DNS on lo (127.0.0.1->127.0.0.53) and on vm0 (VM->Azure DNS). Records are in dumpcap's write order, NOT time order (the DNS records come after the TLS ones): sort by timestamp"

# 13. An NVA behind a Gateway Load Balancer sees the VM's traffic in VXLAN
# (VNI 800, UDP 4789): the VM's routes to DNS and storage go through a VXLAN
# link whose underlay (172.16.0.0/24) is captured on the NVA. The same is
# made once more with VXLAN on UDP 10900, a port asrscope decodes only when
# told (--vxlan-port 10900): its capture-quality note must name the port.
vxlan_scenario() {  # port rawname
    local port=$1 raw=$2
    ip -n $NS_VM addr add 172.16.0.4/24 dev vm0
    ip -n $NS_NVA addr add 172.16.0.1/24 dev nva-in
    ip -n $NS_VM link add vxlan800 type vxlan id 800 local 172.16.0.4 remote 172.16.0.1 dstport "$port" dev vm0
    ip -n $NS_NVA link add vxlan800 type vxlan id 800 local 172.16.0.1 remote 172.16.0.4 dstport "$port" dev nva-in
    ip -n $NS_VM link set vxlan800 address 00:0d:3a:10:08:04
    ip -n $NS_NVA link set vxlan800 address 00:0d:3a:20:08:01
    in_ns $NS_VM sysctl -qw net.ipv6.conf.vxlan800.disable_ipv6=1     # no MLD inside the tunnel
    in_ns $NS_NVA sysctl -qw net.ipv6.conf.vxlan800.disable_ipv6=1
    ip -n $NS_VM addr add 169.254.80.2/30 dev vxlan800
    ip -n $NS_NVA addr add 169.254.80.1/30 dev vxlan800
    ip -n $NS_VM link set vxlan800 up
    ip -n $NS_NVA link set vxlan800 up
    in_ns $NS_VM ethtool -K vxlan800 tx off tso off gso off >/dev/null 2>&1 || true
    in_ns $NS_NVA ethtool -K vxlan800 tx off tso off gso off >/dev/null 2>&1 || true
    ip -n $NS_VM route add $DNS_P/32 via 169.254.80.1 dev vxlan800 src $VM_IP
    ip -n $NS_VM route add $BLOB_P/32 via 169.254.80.1 dev vxlan800 src $VM_IP
    ip -n $NS_NVA route add $VM_IP/32 via 169.254.80.2 dev vxlan800
    FILTER_EXTRA="udp port $port" tcpdump_start $NS_NVA nva-in "$raw"
    ok vm_curl -4 -T "$TMP/blob-20k.bin" "$PAGE"
    cap_stop
    ip -n $NS_NVA route del $VM_IP/32
    ip -n $NS_VM route del $DNS_P/32; ip -n $NS_VM route del $BLOB_P/32
    ip -n $NS_VM link del vxlan800; ip -n $NS_NVA link del vxlan800
    ip -n $NS_VM addr del 172.16.0.4/24 dev vm0; ip -n $NS_NVA addr del 172.16.0.1/24 dev nva-in
}
log "[13] nva-vxlan"
vxlan_scenario 4789 vxlan.pcap
publish vxlan.pcap nva-vxlan.pcap
manifest nva-vxlan.pcap "NVA underlay: VM traffic tunnelled in VXLAN VNI 800 (as behind a Gateway Load Balancer)" "$CLIENT (inner); VTEPs 172.16.0.4 <-> 172.16.0.1 (outer, private)" \
    "$BLOB_NAME=$BLOB_A; DNS $DNS_A (inner addresses)" "$T_BLOB; $T_DNS" "none" \
    "every frame Ethernet/IPv4/UDP 4789/VXLAN/Ethernet/...; inner: ARP for the tunnel's link addresses 169.254.80.1/.2, DNS, TLS 1.2 with SNI, 20 KB PUT -> 201"
log "[13b] vxlan-port-10900"
vxlan_scenario 10900 vxlan10900.pcap
publish vxlan10900.pcap vxlan-port-10900.pcap
TSHARK_EXTRA[vxlan-port-10900.pcap]="-d udp.port==10900,vxlan"
manifest vxlan-port-10900.pcap "the nva-vxlan scenario with the tunnel on UDP 10900, a port VXLAN is not decoded on by default" "$CLIENT (inner); VTEPs 172.16.0.4 <-> 172.16.0.1 (outer, private)" \
    "$BLOB_NAME=$BLOB_A; DNS $DNS_A (inner addresses)" "$T_BLOB; $T_DNS" "VXLAN on UDP 10900" \
    "every frame Ethernet/IPv4/UDP 10900/VXLAN/Ethernet/... (truth written with tshark -d udp.port==10900,vxlan); inner as nva-vxlan"

# 14. DNS failures: Service Bus name missing (NXDOMAIN), vault.azure.net sent
# to an unreachable conditional forwarder (REFUSED), and a custom DNS server
# the NVA blocks (queries never answered) - each followed by no connection.
log "[14] dns-failures"
dns_start failures
nva_fw -A FORWARD -d $CUSTOM_DNS -j DROP
tcpdump_start $NS_VM vm0 dnsfail.pcap
fail 'resolve' vm_curl -4 "https://$SB_NAME/asrmonitoring/messages"
fail 'resolve' vm_curl -4 "https://$KV_NAME/secrets/asr-mobility-passphrase?api-version=7.4"
set_vm_dns $CUSTOM_DNS
fail 'resolve' vm_curl -4 "https://$ASR_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
set_vm_dns $DNS_P
cap_stop; nva_fw_flush
dns_start normal
publish dnsfail.pcap dns-failures.pcap
manifest dns-failures.pcap "DNS failures: NXDOMAIN, REFUSED, and a DNS server that never answers" "$CLIENT" \
    "$SB_NAME (NXDOMAIN), $KV_NAME (REFUSED) via DNS $DNS_A; $ASR_NAME via custom DNS $CUSTOM_DNS (private, blocked)" "$T_DNS" \
    "dnsmasq without the Service Bus record; vault.azure.net forwarded to unreachable $DEAD_FWD; NVA drops all to $CUSTOM_DNS" \
    "A $SB_NAME -> rcode 3; A $KV_NAME -> rcode 5 (glibc asks twice); A $ASR_NAME to $CUSTOM_DNS twice, 2 s apart, no answer; no TCP at all"

# 15. TLS inspection: the NVA transparently redirects AAD traffic to its own
# TLS server, which presents a certificate from "Contoso Firewall Inspection
# CA" (trusted by the VM, as enterprises deploy it).  TLS 1.2 so the forged
# chain is readable.
log "[15] tls-intercepted"
nva_fw -t nat -A PREROUTING -i nva-in -p tcp -d $AAD_P --dport 443 -j REDIRECT --to-ports 8443
printf '{"tenant_discovery_endpoint":"https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"}\n' \
    > "$TMP/www/common/discovery.json"
(cd "$TMP/www" && exec timeout 60 ip netns exec $NS_NVA openssl s_server -accept 8443 -naccept 1 -quiet -WWW -tls1_2 \
    -cert "$P/contoso-login.pem" -key "$P/contoso-login.key" >/dev/null 2>&1) &
SSRV_PID=$!; PIDS+=("$SSRV_PID")
wait_listen $NS_NVA t "*:8443"
tcpdump_start $NS_VM vm0 intercept.pcap
ok vm_curl -4 --cacert "$P/contoso-ca.pem" "https://$AAD_NAME/common/discovery.json"
cap_stop; nva_fw_flush
wait "$SSRV_PID" 2>/dev/null || true
publish intercept.pcap tls-intercepted.pcap
manifest tls-intercepted.pcap "TLS inspection on the NVA: AAD answered with a certificate issued by Contoso Firewall Inspection CA" "$CLIENT (trusts the Contoso CA)" \
    "$AAD_NAME=$AAD_A; DNS $DNS_A" "$T_AAD; $T_DNS" "NVA REDIRECTs AAD:443 to openssl s_server with a forged cert (TLS 1.2)" \
    "ServerHello TLS 1.2; Certificate subject CN login.microsoftonline.com, issuer CN Contoso Firewall Inspection CA (O Contoso Ltd); HTTP/1.0 200"

# 16. Forced tunnelling / DNS pointing elsewhere: the cache storage name
# resolves to an address outside Azure; TLS is otherwise healthy.
log "[16] outside-azure"
dns_start outside
tcpdump_start $NS_VM vm0 outside.pcap
ok vm_curl -4 -T "$TMP/blob-20k.bin" "$PAGE"
cap_stop
dns_start normal
publish outside.pcap outside-azure.pcap
manifest outside-azure.pcap "cache storage name resolves outside Azure (forced tunnelling / on-prem path)" "$CLIENT" \
    "$BLOB_NAME=$OUT_A; DNS $DNS_A" "not Azure: TEST-NET-3 203.0.113.0/24; $T_DNS" "DNS answer outside Azure ranges" \
    "CNAME chain ending in A $OUT_A; TLS 1.2 (SNI $BLOB_NAME) to it; 20 KB PUT -> 201"

# 17. Private endpoint: privatelink CNAME and a private VNet address, which
# stays private in the capture.
log "[17] private-endpoint"
dns_start privlink
tcpdump_start $NS_VM vm0 pe.pcap
ok vm_curl -4 -T "$TMP/blob-20k.bin" "$PAGE"
cap_stop
dns_start normal
publish pe.pcap private-endpoint.pcap
manifest private-endpoint.pcap "cache storage account behind a private endpoint" "$CLIENT" \
    "$BLOB_NAME -> asrcache1.privatelink.blob.core.windows.net=$PE_IP (private, not rewritten); DNS $DNS_A" "private (no service tag); $T_DNS" "none" \
    "CNAME to privatelink name, A $PE_IP; TLS 1.2 (SNI $BLOB_NAME) to $PE_IP; 20 KB PUT -> 201"

# 18. A capture with a 96-byte snap length: hellos and DNS answers are cut.
log "[18] snaplen-96"
tcpdump_start $NS_VM vm0 snap96.pcap -s 96
ok vm_curl -4 "$PAGE"
ok vm_curl -4 --data-binary "$TOKEN_BODY" "https://$AAD_NAME/common/oauth2/v2.0/token"
cap_stop
publish snap96.pcap snaplen-96.pcap
manifest snaplen-96.pcap "healthy DNS + TLS captured with tcpdump -s 96" "$CLIENT" "$BLOB_NAME=$BLOB_A; $AAD_NAME=$AAD_A; DNS $DNS_A" \
    "$T_BLOB; $T_AAD; $T_DNS" "snap length 96" \
    "every frame <= 96 bytes captured; DNS answers and TLS hellos cut (no SNI, no A rdata); TCP handshakes and FINs complete"

# 19. Replication traffic as the NVA sees it: dumpcap on both NVA interfaces,
# each packet appears twice (inside and outside, TTL one lower, other MACs).
log "[19] nva-forwarded"
dumpcap_start $NS_NVA nvafwd.pcapng -i nva-in -f "$CAPFILTER" -i nva-out -f "$CAPFILTER"
ok vm_curl -4 -T "$TMP/blob-100k.bin" "https://$CUS_NAME/asr-cache/vm01-disk1/00000001.log"
cap_stop
# dumpcap writes per-interface batches; put the records in time order.
timeout 60 reordercap "$TMP/raw/nvafwd.pcapng" "$TMP/raw/nvafwd-sorted.pcapng" >/dev/null
publish nvafwd-sorted.pcapng nva-forwarded.pcapng
manifest nva-forwarded.pcapng "NVA's view of a 100 KB cache write: dumpcap on nva-in and nva-out" "$CLIENT (routed by NVA $NVA_IP / 10.0.0.1)" \
    "$CUS_NAME=$CUS_A; DNS $DNS_A" "$T_CUS; $T_DNS" "none" \
    "pcapng, 2 Ethernet interfaces, records time-ordered (reordercap); every packet twice: VM->Azure on interface 0 then 1, Azure->VM on 1 then 0, TTL one lower and other MACs after forwarding; TLS 1.2, 201"

# 20. A damaged file: a copy of the private-endpoint capture cut in the middle
# of a packet record.
log "[20] truncated"
CUT=$(timeout 30 $PY "$HERE/rewrite.py" cut "$TMP/out/private-endpoint.pcap" "$TMP/out/truncated.pcap")
IFS=$'\t' read -r CUT_OK CUT_REC CUT_HAVE CUT_LEN <<<"$CUT"
manifest truncated.pcap "damaged file: private-endpoint.pcap cut inside a packet record" "$CLIENT" \
    "$BLOB_NAME -> $PE_IP (private); DNS $DNS_A" "private; $T_DNS" "file cut with head -c style truncation" \
    "$CUT_OK complete records, then record $CUT_REC ends after $CUT_HAVE of its $CUT_LEN bytes (readers must report a short record, keep the first $CUT_OK)"

# 21. A VM that lacks the trusted root: its CA bundle holds only the Contoso
# inspection CA, not the root that issued Azure's (here: the lab's) issuing
# CA.  The servers send leaf + issuing CA; curl/OpenSSL cannot build a chain
# to a trusted root, answers with a fatal alert and closes.  TLS 1.2 to the
# cache storage account and TLS 1.3 to AAD.  In TLS 1.3 too the alert is in
# clear: OpenSSL rejects the certificate before it has switched its own
# sending side to the handshake keys.  The server's unread records are still
# in the client's socket buffer when curl closes, so Linux sends a RST; the
# server's FIN (sent on reading the alert) comes just before or after it.
log "[21] cert-rejected"
tcpdump_start $NS_VM vm0 certrej.pcap
# (the later --cacert wins over vm_curl's own)
fail 'certificate|SSL' vm_curl -4 --tlsv1.2 --tls-max 1.2 --cacert "$P/contoso-ca.pem" -T "$TMP/blob-20k.bin" "$PAGE"
fail 'certificate|SSL' vm_curl -4 --tlsv1.3 --cacert "$P/contoso-ca.pem" --data-binary "$TOKEN_BODY" \
    "https://$AAD_NAME/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
cap_stop
publish certrej.pcap cert-rejected.pcap
f=$TMP/out/cert-rejected.pcap
expect "TLS 1.2 certificates sent by storage" "$f" "ip.src==$BLOB_A && tls.handshake.type==11" -eq 1
expect "TLS 1.2 client alert unknown_ca (48) to storage" "$f" "ip.dst==$BLOB_A && tls.alert_message.desc==48" -eq 1
expect "client RST to storage" "$f" "ip.dst==$BLOB_A && tcp.flags.reset==1" -ge 1
expect "TLS 1.3 ServerHello from AAD" "$f" "ip.src==$AAD_A && tls.handshake.type==2 && tls.handshake.extensions.supported_version==0x0304" -eq 1
expect "TLS 1.3 client alert unknown_ca (48) to AAD, in clear" "$f" "ip.dst==$AAD_A && tls.alert_message.desc==48" -eq 1
expect "client RST to AAD" "$f" "ip.dst==$AAD_A && tcp.flags.reset==1" -ge 1
expect "client records other than hello and alert" "$f" "ip.src==$VM_IP && tls.record.content_type!=22 && tls.record.content_type!=21" -eq 0
manifest cert-rejected.pcap "VM without the trusted root: curl rejects the servers' chains (TLS 1.2 to storage, TLS 1.3 to AAD)" \
    "$CLIENT, CA bundle = Contoso Firewall Inspection CA only" "$BLOB_NAME=$BLOB_A; $AAD_NAME=$AAD_A; DNS $DNS_A" \
    "$T_BLOB; $T_AAD; $T_DNS" "client's trust store lacks the root of the servers' chain (leaf + Microsoft Azure RSA TLS Issuing CA 03, issued by the lab root)" \
    "storage: TLS 1.2, Certificate (leaf + issuing CA) in clear, the client answers with a fatal alert unknown_ca (48) (7-byte record: type 21, version 0x0303, length 2: level 2 fatal, description 48); AAD: TLS 1.3, after the server's ServerHello+CCS and encrypted flight the client sends the same 7-byte alert 48 UNENCRYPTED (OpenSSL has not switched its write keys yet; no ChangeCipherSpec, no application_data record); on both the client then closes with RST/ACK (unread server records), and the server's FIN/ACK (sent on reading the alert) comes just before or after it (if after, the client answers it with a bare RST); no request on either; curl: (60) SSL certificate problem: unable to get local issuer certificate"

# 22. A capture started while a replication upload already runs, on a lossy,
# rate-limited path (as loss-ratelimit, 1 Mbit/s): 4 MiB PUT over TLS 1.2;
# tcpdump starts once >= 256 KiB are acknowledged and >= 1.5 s have passed,
# records ~3.5 s, stops; then the upload is stopped.  No handshake, no DNS, no TLS
# hellos in the capture: flows start in the middle.  Full snap length.
log "[22] midflow-throttled"
nva_fw -A FORWARD -p tcp ! --syn -d $BLOB_P -m statistic --mode random --probability 0.03 -j DROP
nva_fw -A FORWARD -p tcp ! --syn -s $BLOB_P -m statistic --mode random --probability 0.03 -j DROP
ip netns exec $NS_NVA tc qdisc add dev nva-out root tbf rate 1mbit burst 10kb latency 400ms
timeout 40 ip netns exec $NS_VM curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' -4 --tlsv1.2 --tls-max 1.2 \
    -T "$TMP/blob-4m.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000003.log" >"$TMP/midflow.out" 2>&1 &
UP_PID=$!; PIDS+=("$UP_PID")
up_start=$(date +%s%N); acked=0
for i in $(seq 1 150); do
    sleep 0.1
    acked=$(in_ns $NS_VM ss -Hti state established dst $BLOB_P 2>/dev/null | grep -o 'bytes_acked:[0-9]*' \
        | cut -d: -f2 | sort -n | tail -1 || true)
    if [ "${acked:-0}" -ge 262144 ] && [ $(( $(date +%s%N) - up_start )) -ge 1500000000 ]; then break; fi
done
[ "${acked:-0}" -ge 262144 ] || die "upload not under way: $(cat "$TMP/midflow.out")"
log "    upload under way: $acked bytes acknowledged after $(( ($(date +%s%N) - up_start) / 1000000 )) ms"
tcpdump_start $NS_VM vm0 midflow.pcap
sleep 3
cap_stop
kill -0 "$UP_PID" 2>/dev/null || die "upload ended during the capture: $(cat "$TMP/midflow.out")"
kill "$UP_PID" 2>/dev/null || true; wait "$UP_PID" 2>/dev/null || true
nva_fw_flush
ip netns exec $NS_NVA tc qdisc del dev nva-out root
# curl is gone, but its socket still sends what is in its send buffer, then
# FIN: wait for that (bounded) so it does not run into the next capture.
for i in $(seq 1 100); do
    in_ns $NS_VM ss -Htn dst $BLOB_P | grep -qv TIME-WAIT || break
    sleep 0.1
done
log "    stopped the upload after the capture ($(( i / 10 )).$(( i % 10 )) s to drain the socket)"
publish midflow.pcap midflow-throttled.pcap
f=$TMP/out/midflow-throttled.pcap
expect "no SYN" "$f" "tcp.flags.syn==1" -eq 0
expect "no DNS" "$f" "dns || udp" -eq 0
expect "no TLS handshake" "$f" "tls.handshake" -eq 0
expect "retransmissions" "$f" "tcp.analysis.retransmission" -gt 0
expect "data segments to storage" "$f" "ip.dst==$BLOB_A && tcp.len>0" -gt 100
manifest midflow-throttled.pcap "capture started in the middle of a 4 MiB cache write over a lossy, rate-limited path" "$CLIENT" \
    "$BLOB_NAME=$BLOB_A (no DNS in the capture)" "$T_BLOB" \
    "NVA: iptables statistic 3% random drop (both directions, not SYNs) + tc tbf 1 Mbit/s (400 ms queue) toward Azure; tcpdump started >= 1.5 s after curl (>= 256 KiB acknowledged) and stopped after ~3.5 s, upload then aborted" \
    "one TCP flow VM -> storage:443 without SYN, DNS or TLS hellos: the first frames are mid-stream data/ACKs (the first frame may be the server's ACK, so tshark may take the server for the client), TLS application data only; many retransmissions (SACK recovery after tbf tail drops and random loss; the server's ACKs carry SACK blocks); no FIN/RST (capture ends with data in flight); full snap length"

# 23. IPv6 upload over a lossy path (ip6tables statistic drop on the NVA):
# IPv6 retransmissions (no IP ID to tell a retransmission from a copy).
log "[23] ipv6-retrans"
nva_fw6 -A FORWARD -p tcp ! --syn -d $BLOB6_P -m statistic --mode random --probability 0.04 -j DROP
nva_fw6 -A FORWARD -p tcp ! --syn -s $BLOB6_P -m statistic --mode random --probability 0.04 -j DROP
tcpdump_start $NS_VM vm0 ipv6r.pcap
ok vm_curl -6 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-256k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000005.log"
cap_stop; nva_fw_flush
publish ipv6r.pcap ipv6-retrans.pcap
f=$TMP/out/ipv6-retrans.pcap
expect "IPv6 retransmissions" "$f" "ipv6 && tcp.analysis.retransmission" -gt 0
manifest ipv6-retrans.pcap "IPv6: 256 KiB cache write over a lossy path" "VM $VM_IP6 (ULA, not rewritten) / $VM_IP for DNS" \
    "$BLOB_NAME=$BLOB6_A; DNS $DNS_A" "$T_BLOB6; $T_DNS" \
    "NVA: ip6tables statistic 4% random drop (both directions, not SYNs)" \
    "A+AAAA lookup over IPv4; TLS 1.2 to the AAAA address; IPv6 retransmissions (and dup ACKs); upload completes (201), FIN; full snap length"

# 24. pktmon-style copies: a healthy 100 KB cache write captured on vm0,
# then every packet logged 3 times (+0, +3, +7 us) on one pcapng interface
# by rewrite.py copies -- what "pktmon start --capture" (all components)
# and "pktmon etl2pcap" give.  Only the recording is derived; the packets
# are the captured ones, byte for byte.
log "[24] pktmon-copies"
tcpdump_start $NS_VM vm0 pktsrc.pcap
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-100k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000004.log"
cap_stop
timeout 60 $PY "$HERE/rewrite.py" copies "$TMP/raw/pktsrc.pcap" "$TMP/raw/pktmon.pcapng" --offsets-us 0,3,7 >&2
publish pktmon.pcapng pktmon-copies.pcapng
manifest pktmon-copies.pcapng "Windows pktmon's view: every packet logged 3 times (one copy per component), identical bytes" "$CLIENT" \
    "$BLOB_NAME=$BLOB_A; DNS $DNS_A" "$T_BLOB; $T_DNS" \
    "derived: a real tcpdump capture of a healthy 100 KB PUT, each record written 3 times (+0, +3, +7 us) on ONE pcapng interface (rewrite.py copies)" \
    "pcapng, 1 Ethernet interface; each packet 3 times with identical bytes (same IP ID, TTL, seq), at +0, +3 and +7 us; records in time order, so the copies of back-to-back segments (1 us apart) interleave; tshark flags copies as retransmissions/out-of-order/dup ACKs; underneath: DNS, TLS 1.2 (SNI $BLOB_NAME), 100 KB PUT -> 201"

# 25. tcpdump -i any on a VM with Accelerated Networking: every packet twice,
# on the synthetic NIC (eth0, ifindex 2) and on the Mellanox VF (ifindex 3).
# Derived from a real "tcpdump -i any" (LINUX_SLL2) capture in the VM by
# rewrite.py vfcopies: only the SLL2 interface index and the timestamp of
# the second copy differ.
log "[25] an-any-copies"
tcpdump_start $NS_VM any ansrc.pcap -y LINUX_SLL2
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-20k.bin" "$PAGE"
cap_stop
timeout 60 $PY "$HERE/rewrite.py" vfcopies "$TMP/raw/ansrc.pcap" "$TMP/raw/an.pcap" --ifindex-a 2 --ifindex-b 3 --gap-us 5 >&2
publish an.pcap an-any-copies.pcap
manifest an-any-copies.pcap "tcpdump -i any on an Accelerated Networking VM: each packet on eth0 (synthetic) and on the VF" "$CLIENT" \
    "$BLOB_NAME=$BLOB_A; DNS $DNS_A" "$T_BLOB; $T_DNS" \
    "derived: a real tcpdump -i any (LINUX_SLL2) capture, each record written twice with SLL2 ifindex 2 (eth0, hv_netvsc) and 3 (VF, mlx5), 5 us apart (rewrite.py vfcopies)" \
    "LINUX_SLL2; every packet twice, identical IP packet (same TTL, IP ID); outgoing: ifindex 2 then 3, incoming: ifindex 3 then 2; DNS, TLS 1.2 (SNI $BLOB_NAME), 20 KB PUT -> 201"

# 26. An NVA behind an Azure Gateway Load Balancer.  The GWLB (namespace
# asrs-gwlb, frontend 172.16.0.100) carries the VM's traffic to the NVA in
# VXLAN on its internal tunnel (UDP 10800, VNI 800) and takes it back on the
# external tunnel (UDP 10801, VNI 801); return traffic the other way round.
# The NVA is configured as in Microsoft's Linux sample for Gateway Load
# Balancer: vxlan800 and vxlan801 to the frontend, joined by a bridge.
# Inside asrs-gwlb, the VM's side is bridged to the internal tunnel and
# Azure's side to the external one, so the tunnels are a bump in the wire
# between the VM (second NIC vm-gw) and Azure (az-gw).  The underlay MTU is
# 1550 (as GWLB asks of NVAs), so the inner packets keep 1500 bytes.
# Neighbours are static: a GWLB tunnel carries IP packets only, no ARP.
# Captured on the NVA's underlay NIC: every inner packet twice.
log "[26] gwlb-vxlan"
GW_FE=172.16.0.100; NVA_UL=172.16.0.1
ip link add nva-ul netns $NS_NVA type veth peer name gwlb0 netns $NS_GW
ip link add vm-gw netns $NS_VM type veth peer name gw-int netns $NS_GW
ip link add az-gw netns $NS_AZ type veth peer name gw-ext netns $NS_GW
in_ns $NS_NVA sysctl -qw net.ipv6.conf.nva-ul.disable_ipv6=1
in_ns $NS_VM sysctl -qw net.ipv6.conf.vm-gw.disable_ipv6=1
in_ns $NS_AZ sysctl -qw net.ipv6.conf.az-gw.disable_ipv6=1
ip -n $NS_NVA link set nva-ul address 00:0d:3a:20:0c:01 mtu 1550
ip -n $NS_GW link set gwlb0 address 12:34:56:78:9a:bc mtu 1550
ip -n $NS_VM link set vm-gw address 00:0d:3a:10:00:04        # the VM's NIC MAC
ip -n $NS_AZ link set az-gw address 12:34:56:78:9a:bc        # Azure's gateway MAC
ip -n $NS_NVA addr add $NVA_UL/24 dev nva-ul
ip -n $NS_GW addr add $GW_FE/24 dev gwlb0
for side in "$NS_NVA $NVA_UL $GW_FE nva-ul 00:0d:3a:20:0c" "$NS_GW $GW_FE $NVA_UL gwlb0 12:34:56:78:9b"; do
    read -r ns loc rem dev mac <<<"$side"
    ip -n "$ns" link add vxlan800 type vxlan id 800 dev "$dev" local "$loc" remote "$rem" dstport 10800   # internal
    ip -n "$ns" link add vxlan801 type vxlan id 801 dev "$dev" local "$loc" remote "$rem" dstport 10801   # external
    ip -n "$ns" link set vxlan800 address "$mac:08"
    ip -n "$ns" link set vxlan801 address "$mac:09"
done
in_ns $NS_NVA sysctl -qw net.ipv6.conf.vxlan800.disable_ipv6=1 net.ipv6.conf.vxlan801.disable_ipv6=1
# NVA: one bridge joins both tunnels (traffic in on one leaves on the other)
ip -n $NS_NVA link add br-gwlb type bridge mcast_snooping 0      # no IGMP of its own in the tunnels
in_ns $NS_NVA sysctl -qw net.ipv6.conf.br-gwlb.disable_ipv6=1
ip -n $NS_NVA link set br-gwlb address 00:0d:3a:20:0c:0b
ip -n $NS_NVA link set vxlan800 master br-gwlb
ip -n $NS_NVA link set vxlan801 master br-gwlb
# GWLB: the VM's side <-> internal tunnel, Azure's side <-> external tunnel
ip -n $NS_GW link add br-int type bridge mcast_snooping 0
ip -n $NS_GW link add br-ext type bridge mcast_snooping 0
ip -n $NS_GW link set br-int address 12:34:56:78:9b:0a
ip -n $NS_GW link set br-ext address 12:34:56:78:9b:0b
ip -n $NS_GW link set gw-int master br-int; ip -n $NS_GW link set vxlan800 master br-int
ip -n $NS_GW link set gw-ext master br-ext; ip -n $NS_GW link set vxlan801 master br-ext
for pair in $NS_NVA:nva-ul $NS_NVA:vxlan800 $NS_NVA:vxlan801 $NS_NVA:br-gwlb $NS_GW:gwlb0 $NS_GW:vxlan800 \
            $NS_GW:vxlan801 $NS_GW:gw-int $NS_GW:gw-ext $NS_GW:br-int $NS_GW:br-ext $NS_VM:vm-gw $NS_AZ:az-gw; do
    in_ns "${pair%%:*}" ethtool -K "${pair#*:}" tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "${pair%%:*}" link set "${pair#*:}" up
done
ip -n $NS_VM addr add 169.254.81.2/30 dev vm-gw
ip -n $NS_AZ addr add 169.254.81.1/30 dev az-gw
ip -n $NS_VM neigh replace 169.254.81.1 lladdr 12:34:56:78:9a:bc dev vm-gw nud permanent
ip -n $NS_AZ neigh replace 169.254.81.2 lladdr 00:0d:3a:10:00:04 dev az-gw nud permanent
ip -n $NS_VM route add $DNS_P/32 via 169.254.81.1 dev vm-gw src $VM_IP
ip -n $NS_VM route add $BLOB_P/32 via 169.254.81.1 dev vm-gw src $VM_IP
ip -n $NS_AZ route add $VM_IP/32 via 169.254.81.2 dev az-gw
FILTER_EXTRA='udp port 10800 or udp port 10801' tcpdump_start $NS_NVA nva-ul gwlb.pcap
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-20k.bin" "$PAGE"
cap_stop
ip -n $NS_AZ route del $VM_IP/32
ip -n $NS_NVA link del br-gwlb; ip -n $NS_NVA link del vxlan800; ip -n $NS_NVA link del vxlan801
ip -n $NS_VM link del vm-gw; ip -n $NS_AZ link del az-gw; ip -n $NS_NVA link del nva-ul
ip netns del $NS_GW
publish gwlb.pcap gwlb-vxlan.pcap
GWLB_DECODE="-d udp.port==10800,vxlan -d udp.port==10801,vxlan"
TSHARK_EXTRA[gwlb-vxlan.pcap]=$GWLB_DECODE
f=$TMP/out/gwlb-vxlan.pcap
# shellcheck disable=SC2086  # GWLB_DECODE is a list of tshark options
expect "internal tunnel frames (10800/VNI 800)" "$f" "udp.dstport==10800 && vxlan.vni==800 && ip.src==$GW_FE" -gt 10 $GWLB_DECODE
expect "internal tunnel frames NVA -> GWLB" "$f" "udp.dstport==10800 && vxlan.vni==800 && ip.src==$NVA_UL" -gt 10 $GWLB_DECODE
expect "VNI/port mismatches" "$f" "(udp.dstport==10800 && vxlan.vni!=800) || (udp.dstport==10801 && vxlan.vni!=801) || !vxlan" -eq 0 $GWLB_DECODE
expect "inner ARP" "$f" "arp" -eq 0 $GWLB_DECODE
expect "frames on the external tunnel" "$f" "udp.dstport==10801" -eq "$(tcount "$f" "udp.dstport==10800")"
manifest gwlb-vxlan.pcap "NVA behind an Azure Gateway Load Balancer: VM traffic in VXLAN, internal tunnel UDP 10800/VNI 800 and external tunnel UDP 10801/VNI 801" \
    "$CLIENT (inner); GWLB frontend $GW_FE <-> NVA $NVA_UL (outer, private)" \
    "$BLOB_NAME=$BLOB_A; DNS $DNS_A (inner addresses)" "$T_BLOB; $T_DNS" "none (tshark needs $GWLB_DECODE)" \
    "every frame Ethernet/IPv4/UDP/VXLAN/Ethernet/IPv4; each inner packet twice: VM->Azure arrives from $GW_FE on 10800 VNI 800 and leaves to $GW_FE on 10801 VNI 801, Azure->VM arrives on 10801 VNI 801 and leaves on 10800 VNI 800; outer UDP source port hashed per inner flow, outer UDP checksum 0, outer frames up to 1564 bytes (underlay MTU 1550, inner MTU 1500); no inner ARP; DNS, TLS 1.2 (SNI $BLOB_NAME), 20 KB PUT -> 201"

# 27. Hostile names: what a broken client or someone on the path can put in
# the names asrscope shows. A CONNECT whose host holds terminal escape
# sequences (bash's /dev/tcp to an open squid, which refuses it), a
# ClientHello whose server name holds them (openssl s_client), and a DNS
# query for such a name (a few lines of Python's standard library; dnsmasq
# answers it). Every view must show these bytes escaped, never raw.
log "[27] hostile-names"
EVIL=$'evil\x1b[2J\x1b]0;pwned\x07.blob.core.windows.net'
sed -e '/^auth_param/d' -e 's/^acl authed .*//' -e 's/^http_access allow authed/http_access allow all/' \
    -e "s#squid.pid#squid-open.pid#" "$TMP/squid/squid.conf" > "$TMP/squid/squid-open.conf"
timeout 60 ip netns exec $NS_NVA squid -N -f "$TMP/squid/squid-open.conf" >"$TMP/squid/stdout-open.log" 2>&1 &
SQUID_PID=$!; PIDS+=("$SQUID_PID")
wait_listen $NS_NVA t "$PROXY_IP:3128"
tcpdump_start $NS_VM vm0 hostile.pcap
EVIL="$EVIL" PROXY="$PROXY_IP" timeout 20 ip netns exec $NS_VM bash -c \
    'exec 3<>"/dev/tcp/$PROXY/3128"; printf "CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n" "$EVIL" "$EVIL" >&3; timeout 5 head -c 200 <&3 >/dev/null' || true
timeout 10 ip netns exec $NS_VM openssl s_client -connect "$BLOB_P:443" -servername "$EVIL" </dev/null >/dev/null 2>&1 || true
EVIL="$EVIL" DNS="$DNS_P" timeout 10 ip netns exec $NS_VM $PY - <<'PY' || true
import os, socket, struct
name = os.environ["EVIL"].encode("latin-1")
q = struct.pack("!HHHHHH", 0x4a5b, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l for l in name.split(b".")) + b"\0" + struct.pack("!HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, (os.environ["DNS"], 53))
try:
    s.recv(512)
except OSError:
    pass
PY
cap_stop
kill "$SQUID_PID" 2>/dev/null || true; wait "$SQUID_PID" 2>/dev/null || true
publish hostile.pcap hostile-names.pcap
f=$TMP/out/hostile-names.pcap
expect "CONNECT with ESC in its host" "$f" 'http.request.method == "CONNECT"' -ge 1
manifest hostile-names.pcap "names holding terminal escape sequences (ESC [2J, an OSC title, BEL) in a CONNECT host, a TLS server name and a DNS question" "$CLIENT; proxy $PROXY_IP:3128 (open squid)" \
    "proxy $PROXY_IP (private); $BLOB_NAME's address for the TLS flow; DNS $DNS_A" "$T_BLOB; $T_DNS" \
    "bash /dev/tcp CONNECT, openssl s_client -servername, a Python DNS query, each with the name evil<ESC>[2J<ESC>]0;pwned<BEL>.blob.core.windows.net" \
    "CONNECT refused by squid (non-2xx); a ClientHello with the escape bytes in its SNI; a DNS query with them in the question"

# 28. A Recovery Services vault behind a private endpoint: the VM talks to Site
# Recovery at {vault-id}-asr-pod01-{type}.{geo}.siterecovery.windowsazure.com,
# a CNAME into privatelink.siterecovery.windowsazure.com that resolves to the
# private endpoint's address in the VM's network (private, not rewritten).
log "[28] vault-private-endpoint"
dns_start privlink
tcpdump_start $NS_VM vm0 vaultpe.pcap
ok vm_curl -4 --tlsv1.3 "https://$VAULT_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
cap_stop
dns_start normal
publish vaultpe.pcap vault-private-endpoint.pcap
manifest vault-private-endpoint.pcap "Recovery Services vault behind a private endpoint: Site Recovery's name resolves through privatelink.siterecovery.windowsazure.com" "$CLIENT" \
    "$VAULT_NAME -> $VAULT_PL_NAME=$PE_ASR_IP (private, not rewritten); DNS $DNS_A" "private (no service tag); $T_DNS" "none" \
    "CNAME to the privatelink name, A $PE_ASR_IP; TLS 1.3 (SNI $VAULT_NAME) to $PE_ASR_IP; 200"

# 29. The same replication traffic with Azure Government's names: the cache
# account in *.blob.core.usgovcloudapi.net and Entra ID at
# login.microsoftonline.us (the addresses are the lab's, moved like every
# other capture's; a test pairs them with a Government-format tag file).
log "[29] gov-names"
tcpdump_start $NS_VM vm0 gov.pcap
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-20k.bin" "https://$GOV_BLOB_NAME/asr-cache/vm01-disk0/00000001.log"
ok vm_curl -4 --tlsv1.3 --data-binary "$TOKEN_BODY" "https://$GOV_AAD_NAME/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
cap_stop
publish gov.pcap gov-names.pcap
manifest gov-names.pcap "replication with Azure Government's names: cache account and Entra ID" "$CLIENT" \
    "$GOV_BLOB_NAME=$BLOB_A; $GOV_AAD_NAME=$AAD_A; DNS $DNS_A" "addresses as in the public captures ($T_BLOB; $T_AAD)" "none" \
    "DNS (CNAME for the storage name), TLS 1.2 with a 20 KB PUT to $GOV_BLOB_NAME, TLS 1.3 POST to $GOV_AAD_NAME"

# 30. An NVA that forwards and source-NATs: MASQUERADE on its outside NIC, so
# Azure sees the NVA's address, not the VM's.  "tcpdump -i any" on the NVA
# (LINUX_SLL2) records every packet twice: VM <-> server on nva-in, and
# NVA <-> server on nva-out, with the same ports and TCP sequence numbers and
# the TTL one lower (only the VM's address is replaced).  The NVA's outside
# address is published as 198.51.100.7 (TEST-NET-2): the appliance's public
# address, as a storage account's firewall would see it.
log "[30] nva-snat"
# Snap length 1600 (more than any frame here: SLL2 header + 1500) and a 64 MiB
# buffer: on "any" in immediate mode libpcap makes every ring slot as large as
# the snap length, and with the default 256 KiB slots tcpdump loses most of a
# fast upload ("packets dropped by kernel").
nva_fw -t nat -A POSTROUTING -o nva-out -j MASQUERADE
tcpdump_start $NS_NVA any nvasnat.pcap -y LINUX_SLL2 -s 1600 -B 65536
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-2m.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000006.log"
ok vm_curl -4 --tlsv1.3 --data-binary "$TOKEN_BODY" "https://$AAD_NAME/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
ok vm_curl -4 --tlsv1.3 "https://$ASR_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
ok vm_curl -4 --tlsv1.3 --data-binary '{"vm":"vm01","rpo_seconds":30}' "https://$SB_NAME/asrmonitoring/messages"
cap_stop; nva_fw_flush
cap_no_drops nvasnat.pcap
publish nvasnat.pcap nva-snat.pcap --map "$NVA_OUT=$NVA_OUT_A"
f=$TMP/out/nva-snat.pcap
SYN="tcp.flags.syn==1 && tcp.flags.ack==0"
expect "SYNs from the VM (nva-in)" "$f" "$SYN && ip.src==$VM_IP" -eq 4
expect "SYNs from the NVA's public address (nva-out)" "$f" "$SYN && ip.src==$NVA_OUT_A" -eq 4
expect "SYNs of the VM with TTL 64" "$f" "$SYN && ip.src==$VM_IP && ip.ttl==64" -eq 4
expect "SYNs after SNAT with TTL 63" "$f" "$SYN && ip.src==$NVA_OUT_A && ip.ttl==63" -eq 4
expect "DNS queries after SNAT" "$f" "dns.flags.response==0 && ip.src==$NVA_OUT_A" -eq "$(tcount "$f" "dns.flags.response==0 && ip.src==$VM_IP")"
expect "data segments after SNAT" "$f" "ip.src==$NVA_OUT_A && tcp.len>0" -eq "$(tcount "$f" "ip.src==$VM_IP && tcp.len>0")"
expect "the NVA's lab address" "$f" "ip.addr==$NVA_OUT" -eq 0
# Both legs of each connection: same source port, server port and initial
# sequence number (MASQUERADE keeps the port when it is free).
leg_in=$(tfields "$f" "$SYN && ip.src==$VM_IP" tcp.srcport ip.dst tcp.dstport tcp.seq_raw | sort)
leg_out=$(tfields "$f" "$SYN && ip.src==$NVA_OUT_A" tcp.srcport ip.dst tcp.dstport tcp.seq_raw | sort)
[ -n "$leg_in" ] && [ "$leg_in" = "$leg_out" ] || die "nva-snat.pcap: SYNs differ between the legs: [$leg_in] [$leg_out]"
log "    check SYN port/server/tcp.seq_raw identical on both legs: $(printf '%s' "$leg_in" | tr '\t\n' ' ;')"
manifest nva-snat.pcap "NVA that routes and source-NATs (MASQUERADE on its outside NIC), tcpdump -i any on the NVA: every connection twice, from the VM inside and from the NVA's public address outside" \
    "$CLIENT, routed by NVA $NVA_IP and SNATed to its outside address $NVA_OUT (published as $NVA_OUT_A)" \
    "$BLOB_NAME=$BLOB_A; $AAD_NAME=$AAD_A; $ASR_NAME=$ASR_A; $SB_NAME=$SB_A; DNS $DNS_A" \
    "$T_BLOB; $T_AAD; $T_ASR; $T_SB; $T_DNS; $NVA_OUT_A is TEST-NET-2 (not Azure)" \
    "iptables -t nat -A POSTROUTING -o nva-out -j MASQUERADE on the NVA; capture tcpdump -i any -y LINUX_SLL2 -s 1600 in the NVA" \
    "LINUX_SLL2, SLL2 ifindex 2 = nva-in, 3 = nva-out; snap length 1600, no frame cut; 4 A lookups and 4 TCP connections (TLS 1.2 2 MiB PUT to storage -> 201; TLS 1.3 POST to AAD, GET to ASR, POST to Service Bus), every packet twice: VM->Azure arrives on nva-in from $VM_IP (TTL 64) and leaves nva-out from $NVA_OUT_A (TTL 63), same source port, server port and TCP sequence numbers (4 SYNs per leg, identical tcp.seq_raw); Azure->VM arrives on nva-out to $NVA_OUT_A and leaves nva-in to $VM_IP; DNS the same way (UDP from $NVA_OUT_A outside); the two legs are separate TCP streams for tshark"

# 31. Java's TLS stack (JSSE, through Tls13Client.java) rejects the server's
# certificate in TLS 1.3.  Unlike OpenSSL (cert-rejected), JSSE has switched
# its sending side to the handshake keys by the time it checks the server's
# Certificate, so its fatal alert leaves ENCRYPTED: after its
# ChangeCipherSpec (middlebox compatibility), one record of outer type 23
# (application data).  Its length is 35, not the 19 of a bare alert under
# AES-GCM (2-byte alert + inner content type + 16-byte tag): JSSE adds 16
# zero bytes of padding to every TLS 1.3 record it encrypts (so its Finished
# is 4 + 48 + 1 + 16 + 16 = 85 bytes with TLS_AES_256_GCM_SHA384).  Twice
# with a trust store holding only the Contoso inspection CA: first the client
# closes at once (JSSE shuts the socket right after the alert; Nagle still
# holds the alert behind the ChangeCipherSpec that the server's delayed ACK
# has not acknowledged yet, so the FIN leaves in the alert's segment -
# Tls13Client.java warms up its certificate code first, as a long-running
# service has it, so that its check ends well within those 40 ms even on a
# busy machine; otherwise the server's FIN could come first); then it keeps
# the TCP connection open for
# 2 s, so the server (which closes on reading the alert) closes first.  Then
# once healthy (trust store: the lab root): Finished, GET, response, and
# JSSE's TLS 1.3 close: user_canceled + close_notify.
log "[31] tls13-encrypted-alert"
AAD_PATH=/common/v2.0/.well-known/openid-configuration
JSSE_TAIL=33                   # inner content type + 16 bytes padding + 16-byte AEAD tag
tcpdump_start $NS_VM vm0 tls13alert.pcap
fail 'handshake failed' vm_java --trust "$P/contoso-ca.pem" --path "$AAD_PATH" --host "$AAD_NAME"
fail 'handshake failed' vm_java --trust "$P/contoso-ca.pem" --path "$AAD_PATH" --hold-ms 2000 --host "$AAD_NAME"
ok vm_java --trust "$CA" --path "$AAD_PATH" --host "$AAD_NAME"
cap_stop
publish tls13alert.pcap tls13-encrypted-alert.pcap
f=$TMP/out/tls13-encrypted-alert.pcap
expect "TCP connections" "$f" "$SYN" -eq 3
expect "TLS 1.3 ServerHellos" "$f" "tls.handshake.type==2 && tls.handshake.extensions.supported_version==0x0304" -eq 3
expect "alerts in clear" "$f" "tls.alert_message" -eq 0
read -r -a STREAMS <<<"$(tfields "$f" "$SYN" tcp.stream | tr '\n' ' ')"
for i in 0 1; do
    s=${STREAMS[$i]}
    recs=$(tls_records "$f" "$s")
    # the client's records: ClientHello, ChangeCipherSpec, one encrypted record
    ctypes=$(printf '%s\n' "$recs" | awk -v c=$VM_IP '$2 == c { print $3 "/" $4 }' | paste -sd ' ')
    case $ctypes in "22/"*" 20/1 23/$((2 + JSSE_TAIL))") ;;
        *) die "tls13-encrypted-alert.pcap: stream $s: client's records (type/length) $ctypes, want ClientHello, CCS, one $((2 + JSSE_TAIL))-byte encrypted record" ;; esac
    efr=$(printf '%s\n' "$recs" | awk -v c=$VM_IP '$2 == c && $3 == 23 { print $1 }')
    sfr=$(printf '%s\n' "$recs" | awk -v c=$VM_IP '$2 != c && $3 == 23 { print $1; exit }')
    [ -n "$sfr" ] && [ "$sfr" -lt "$efr" ] || die "tls13-encrypted-alert.pcap: stream $s: client record in frame $efr not after the server's encrypted flight ($sfr)"
    closes=$(tfields "$f" "tcp.stream==$s && (tcp.flags.fin==1 || tcp.flags.reset==1)" frame.number ip.src tcp.flags.fin tcp.flags.reset frame.time_epoch)
    first=$(printf '%s\n' "$closes" | head -1 | cut -f2)
    read -r cfr _ cfin crst ctime <<<"$(printf '%s\n' "$closes" | awk -v c=$VM_IP '$2 == c { print; exit }')"
    [ "${cfin:-}" = 1 ] && [ "${crst:-}" = 0 ] || die "tls13-encrypted-alert.pcap: stream $s: the client does not close with a FIN: [$closes]"
    held=$(awk -v a="$(tfields "$f" "frame.number==$efr" frame.time_epoch)" -v b="$ctime" 'BEGIN { printf "%.3f", b - a }')
    if [ "$i" = 0 ]; then
        if [ "$cfr" = "$efr" ]; then close1="the client's FIN rides on the alert's segment"
        else close1="the client's FIN follows its alert after $held s"; fi
        [ "$first" = "$VM_IP" ] || die "tls13-encrypted-alert.pcap: stream $s: the first FIN/RST comes from $first, not the client: [$closes]"
        awk -v d="$held" 'BEGIN { exit !(d < 0.5) }' || die "tls13-encrypted-alert.pcap: stream $s: the client closed $held s after its alert"
    else
        [ "$first" = "$AAD_A" ] || die "tls13-encrypted-alert.pcap: stream $s: the first FIN/RST comes from $first, not the server: [$closes]"
        awk -v d="$held" 'BEGIN { exit !(d >= 1.5) }' || die "tls13-encrypted-alert.pcap: stream $s: the client closed $held s after its alert (want >= 1.5)"
    fi
    log "    check stream $s: client's records $ctypes (encrypted one in frame $efr, after the server's in frame $sfr); first FIN/RST from $first; client's FIN (frame $cfr) $held s after its alert"
done
s=${STREAMS[2]}
recs=$(tls_records "$f" "$s")
suite=$(tfields "$f" "tcp.stream==$s && tls.handshake.type==2" tls.handshake.ciphersuite)
case $suite in 0x1302) hash=48 ;; *) hash=32 ;; esac
cenc=$(printf '%s\n' "$recs" | awk -v c=$VM_IP '$2 == c && $3 == 23 { print $4 }' | paste -sd ' ')
read -r -a CENC <<<"$cenc"
[ "${CENC[0]:-}" = $((4 + hash + JSSE_TAIL)) ] && [ "${#CENC[@]}" -ge 2 ] && [ "${CENC[1]}" -gt $((2 + JSSE_TAIL)) ] \
    || die "tls13-encrypted-alert.pcap: healthy stream $s (suite $suite): client's encrypted records $cenc (want Finished $((4 + hash + JSSE_TAIL)), then the request)"
log "    check healthy stream $s: suite $suite, client's encrypted record lengths: $cenc"
manifest tls13-encrypted-alert.pcap "Java (JSSE) TLS 1.3 client rejects AAD's certificate chain: its fatal alert is encrypted (client closes first / server closes first), then one healthy TLS 1.3 GET" \
    "VM $VM_IP (Tls13Client.java on OpenJDK 17, JSSE, TLS 1.3 only; glibc resolver); trust store = Contoso Firewall Inspection CA only (connections 1 and 2), the lab root (connection 3)" \
    "$AAD_NAME=$AAD_A; DNS $DNS_A" "$T_AAD; $T_DNS" \
    "client's trust store lacks the root of the server's chain (connections 1, 2); connection 2: the client keeps TCP open 2 s after the failed handshake" \
    "3 A lookups, 3 connections to $AAD_A:443, each TLS 1.3 (ServerHello $suite, then ChangeCipherSpec and the encrypted flight: EncryptedExtensions, Certificate, CertificateVerify, Finished as opaque type-23 records). Connections 1 and 2: the client answers with a ChangeCipherSpec (1 byte) and ONE encrypted record, outer type 23, length $((2 + JSSE_TAIL)) (its fatal alert: 2 bytes + inner type + JSSE's 16 zero bytes padding + 16-byte tag), no Finished, no application data; no alert in clear. Connection 1: $close1 (JSSE closes at once), the server's FIN follows. Connection 2: the server's FIN comes first (right after the alert), the client's FIN ~2 s later. Connection 3: client Finished $((4 + hash + JSSE_TAIL)) bytes, then the GET (application data) and the 200 response; client's encrypted record lengths $cenc (the last two: user_canceled + close_notify, FIN on the last)"

# 32. Private endpoints whose private DNS zones are not linked to the VM's
# VNet: the names still resolve through their privatelink CNAMEs, but to the
# public front ends (what the internet sees), so the VM reaches the cache
# account and the vault over their public addresses - which works while
# public access is allowed.
log "[32] privatelink-unlinked"
dns_start plpublic
tcpdump_start $NS_VM vm0 plunlinked.pcap
ok vm_curl -4 -T "$TMP/blob-20k.bin" "$PAGE"
ok vm_curl -4 --tlsv1.3 "https://$VAULT_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
cap_stop
dns_start normal
publish plunlinked.pcap privatelink-unlinked.pcap
f=$TMP/out/privatelink-unlinked.pcap
expect "storage answer: privatelink CNAME and public address" "$f" \
    "dns.flags.response==1 && dns.cname==\"asrcache1.privatelink.blob.core.windows.net\" && dns.a==$BLOB_A" -eq 1
expect "vault answer: privatelink CNAME and public address" "$f" \
    "dns.flags.response==1 && dns.cname==\"$VAULT_PL_NAME\" && dns.cname==\"$VAULT_PUB_NAME\" && dns.a==$VAULTPUB_A" -eq 1
expect "SYN to the storage public address" "$f" "$SYN && ip.dst==$BLOB_A" -eq 1
expect "SYN to the vault public address" "$f" "$SYN && ip.dst==$VAULTPUB_A" -eq 1
expect "private endpoint addresses" "$f" "ip.addr==$PE_IP || ip.addr==$PE_ASR_IP" -eq 0
manifest privatelink-unlinked.pcap "private endpoints whose private DNS zones are not linked to the VNet: the names resolve through privatelink CNAMEs to the public front ends" "$CLIENT" \
    "$BLOB_NAME -> asrcache1.privatelink.blob.core.windows.net -> blob.bl2prdstr01a.store.core.windows.net=$BLOB_A; $VAULT_NAME -> $VAULT_PL_NAME -> $VAULT_PUB_NAME=$VAULTPUB_A; DNS $DNS_A" \
    "$T_BLOB; $T_ASR; $T_DNS" "privatelink.blob.core.windows.net / privatelink.siterecovery.windowsazure.com zones not linked to the VNet (DNS answers the public chain)" \
    "A $BLOB_NAME: CNAME asrcache1.privatelink.blob.core.windows.net, CNAME blob.bl2prdstr01a.store.core.windows.net, A $BLOB_A (public, not $PE_IP); TLS 1.2 (SNI $BLOB_NAME) to $BLOB_A, 20 KB PUT -> 201; A $VAULT_NAME: CNAME $VAULT_PL_NAME, CNAME $VAULT_PUB_NAME, A $VAULTPUB_A (public, not $PE_ASR_IP); TLS 1.3 (SNI $VAULT_NAME) GET -> 200"

# 33. Two captures of the same VM saved some time apart, as an engineer
# would: a healthy 3 MiB cache write, then 30 s later the same write while
# the NVA throttles toward Azure (tc tbf 4 Mbit/s, ~0.5 MB/s).
# (A 64 MiB capture buffer, so that tcpdump keeps up with the healthy upload.)
log "[33] upload-apart"
tcpdump_start $NS_VM vm0 apart1.pcap -B 65536
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-3m.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000007.log"
cap_stop
cap_no_drops apart1.pcap
sleep 30
ip netns exec $NS_NVA tc qdisc add dev nva-out root tbf rate 4mbit burst 10kb latency 400ms
tcpdump_start $NS_VM vm0 apart2.pcap -B 65536
ok vm_curl -4 --max-time 60 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-3m.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000007.log"
cap_stop
ip netns exec $NS_NVA tc qdisc del dev nva-out root
cap_no_drops apart2.pcap
publish apart1.pcap upload-apart-1.pcap
publish apart2.pcap upload-apart-2.pcap
UP="ip.dst==$BLOB_A && tcp.dstport==443 && tcp.len>0"
d1=$(tspan "$TMP/out/upload-apart-1.pcap" "$UP"); d2=$(tspan "$TMP/out/upload-apart-2.pcap" "$UP")
awk -v d="$d1" 'BEGIN { exit !(d < 2) }' || die "upload-apart-1.pcap: the upload took $d1 s (want < 2)"
awk -v d="$d2" 'BEGIN { exit !(d >= 4) }' || die "upload-apart-2.pcap: the upload took $d2 s (want >= 4)"
gap=$(awk -v a="$(tfields "$TMP/out/upload-apart-1.pcap" "frame" frame.time_epoch | tail -1)" \
          -v b="$(tfields "$TMP/out/upload-apart-2.pcap" "frame" frame.time_epoch | head -1)" 'BEGIN { printf "%.1f", b - a }')
log "    check upload span (first to last data segment to storage): capture 1 $d1 s, capture 2 $d2 s; capture 2 starts $gap s after capture 1 ends"
manifest upload-apart-1.pcap "the first of two captures of the same VM taken ~30 s apart: a healthy 3 MiB cache write" "$CLIENT" \
    "$BLOB_NAME=$BLOB_A; DNS $DNS_A" "$T_BLOB; $T_DNS" "none (compare with upload-apart-2.pcap)" \
    "DNS, TLS 1.2 (SNI $BLOB_NAME), 3 MiB PUT -> 201, FIN; data segments to storage span ${d1} s (< 2 s)"
manifest upload-apart-2.pcap "the second of two captures of the same VM, started ~30 s after the first ended: the same 3 MiB cache write, now throttled" "$CLIENT" \
    "$BLOB_NAME=$BLOB_A; DNS $DNS_A" "$T_BLOB; $T_DNS" \
    "NVA: tc tbf 4 Mbit/s (burst 10 KB, 400 ms queue) toward Azure, only during this capture" \
    "DNS, TLS 1.2 (SNI $BLOB_NAME), the same 3 MiB PUT -> 201, FIN; data segments span ${d2} s (>= 4 s, ~0.5 MB/s); the tbf queue's tail drops cause some retransmissions; first frame ${gap} s after upload-apart-1.pcap's last"

# 34. Material for a privacy test of asrscope's support bundle (a zip of only
# the packets of the Site Recovery flows, with their application data
# removed).  One capture in the VM holds traffic that must NOT reach a
# bundle next to Site Recovery traffic whose payload must not either, each
# with a marker string a test can search the bundle for:
# MARKER-OTHER-9c41e7 in plain HTTP to a web server outside Azure
# (www.contoso.example, published in TEST-NET-2): in the URL of a GET and of
# a POST, in the POST's body, and in both answers (the server's JSON echoes
# the path), so it crosses the wire in clear in both directions; then an
# HTTPS GET to the same server (TLS 1.3, certificate from the Contoso CA)
# with the marker in its (encrypted) URL.  MARKER-CACHE-5d2b88 in the
# replicated data: a 20 KB text block repeating it, PUT to the cache account
# over plain HTTP (port 80; a storage account that does not require secure
# transfer accepts it), so the replicated bytes are in clear inside a Site
# Recovery flow; then the usual 20 KB PUT over TLS 1.2.  The port-80
# listeners and the web server run in a second azsrv.py for this scenario
# only.
log "[34] bundle-privacy"
MARK_OTHER=MARKER-OTHER-9c41e7
MARK_CACHE=MARKER-CACHE-5d2b88
for i in $(seq 1 800); do printf '%s %04d\n' "$MARK_CACHE" "$i"; done > "$TMP/cache-marker-20k.txt"   # 800 x 25 bytes
timeout 60 ip netns exec $NS_AZ $PY "$HERE/azsrv.py" --certdir "$P" --lifetime 50 \
    --listen "$WEB_P,80,-,plain" --listen "$WEB_P,443,web,1.3" --listen "$BLOB_P,80,-,plain" >/dev/null &
WEB_PID=$!; PIDS+=("$WEB_PID")
wait_listen $NS_AZ t "$WEB_P:80"; wait_listen $NS_AZ t "$WEB_P:443"; wait_listen $NS_AZ t "$BLOB_P:80"
tcpdump_start $NS_VM vm0 privacy.pcap
ok vm_curl -4 "http://$WEB_NAME/search?q=$MARK_OTHER"
ok vm_curl -4 --data-binary "comment=$MARK_OTHER" "http://$WEB_NAME/feedback?ref=$MARK_OTHER"
ok vm_curl -4 --tlsv1.3 --cacert "$P/contoso-ca.pem" "https://$WEB_NAME/account?ref=$MARK_OTHER"
ok vm_curl -4 -T "$TMP/cache-marker-20k.txt" "http://$BLOB_NAME/asr-cache/vm01-disk0/00000008.log"
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000009.log"
cap_stop
kill "$WEB_PID" 2>/dev/null || true; wait "$WEB_PID" 2>/dev/null || true
publish privacy.pcap bundle-privacy.pcap
f=$TMP/out/bundle-privacy.pcap
HAS_OTHER="frame contains \"$MARK_OTHER\""
HAS_CACHE="frame contains \"$MARK_CACHE\""
expect "DNS answer for $WEB_NAME outside Azure" "$f" "dns.flags.response==1 && dns.qry.name==\"$WEB_NAME\" && dns.a==$WEB_A" -eq 3
expect "plain HTTP requests to the web server" "$f" "ip.dst==$WEB_A && tcp.dstport==80 && http.request" -eq 2
expect "$MARK_OTHER in clear, VM -> web server:80" "$f" "$HAS_OTHER && ip.src==$VM_IP && ip.dst==$WEB_A && tcp.dstport==80" -ge 2
expect "$MARK_OTHER in clear, web server:80 -> VM" "$f" "$HAS_OTHER && ip.src==$WEB_A && ip.dst==$VM_IP && tcp.srcport==80" -ge 2
expect "$MARK_OTHER in the POST body" "$f" "http.request.method==\"POST\" && http.file_data contains \"$MARK_OTHER\"" -eq 1
expect "$MARK_OTHER anywhere but web server:80" "$f" "$HAS_OTHER && !(ip.addr==$WEB_A && tcp.port==80)" -eq 0
expect "TLS 1.3 to the web server (SNI $WEB_NAME)" "$f" "ip.dst==$WEB_A && tcp.dstport==443 && tls.handshake.extensions_server_name==\"$WEB_NAME\"" -eq 1
expect "encrypted application data to/from the web server:443" "$f" "ip.addr==$WEB_A && tcp.port==443 && tls.record.opaque_type==23" -ge 4
expect "plain HTTP PUT to the cache account:80" "$f" "ip.dst==$BLOB_A && tcp.dstport==80 && http.request.method==\"PUT\"" -eq 1
expect "201 from the cache account:80" "$f" "ip.src==$BLOB_A && tcp.srcport==80 && http.response.code==201" -eq 1
expect "$MARK_CACHE in clear, VM -> cache account:80" "$f" "$HAS_CACHE && ip.src==$VM_IP && ip.dst==$BLOB_A && tcp.dstport==80" -ge 13
expect "$MARK_CACHE anywhere else" "$f" "$HAS_CACHE && !(ip.dst==$BLOB_A && tcp.dstport==80)" -eq 0
expect "TLS 1.2 ServerHello from the cache account:443" "$f" "ip.src==$BLOB_A && tcp.srcport==443 && tls.handshake.type==2 && tls.handshake.version==0x0303" -eq 1
expect "TCP connections" "$f" "$SYN" -eq 5
manifest bundle-privacy.pcap "support-bundle privacy: traffic outside Site Recovery (plain HTTP and HTTPS to www.contoso.example) and replicated data in clear (plain HTTP PUT to the cache account), each with a marker string, next to a normal TLS 1.2 cache write" \
    "$CLIENT" "$WEB_NAME=$WEB_A (not Azure); $BLOB_NAME=$BLOB_A (ports 80 and 443); DNS $DNS_A" \
    "$T_BLOB; $T_DNS; $WEB_A is TEST-NET-2 (not Azure)" \
    "none: the cache account accepts plain HTTP (secure transfer not required); web server and the port-80 listeners from a second azsrv.py for this scenario only" \
    "5 A lookups, 5 TCP connections: (1) HTTP GET http://$WEB_NAME/search?q=$MARK_OTHER -> 200, JSON body echoing the path; (2) HTTP POST http://$WEB_NAME/feedback?ref=$MARK_OTHER, body comment=$MARK_OTHER -> 200, JSON echoing the path: $MARK_OTHER in clear in both directions of the port-80 flows to $WEB_A only; (3) TLS 1.3 (SNI $WEB_NAME, certificate from the Contoso CA, encrypted) GET /account?ref=$MARK_OTHER -> 200: the marker only encrypted; (4) HTTP PUT http://$BLOB_NAME/asr-cache/vm01-disk0/00000008.log of 20000 bytes of text, 800 lines '$MARK_CACHE nnnn' -> 201 (curl sends Expect: 100-continue, so the request headers go alone and the server answers 100 Continue first): the replicated data in clear, $MARK_CACHE in every segment of the body to $BLOB_A:80 and nowhere else; (5) TLS 1.2 (SNI $BLOB_NAME) 20 KB PUT -> 201. A support bundle must hold flows (4) and (5) without their payload and nothing of (1)-(3): no '$MARK_OTHER', no '$MARK_CACHE', no $WEB_A"

# 35. Support-bundle leaks: a marker in every place of a VM's capture that a
# support bundle must not keep, next to Site Recovery traffic it keeps.
# squid (basic auth, password MK_CRED, visible_hostname and realm markers)
# answers a CONNECT that carries an X-Proxy-Token header (curl
# --proxy-header) with 407, whose Via and X-Cache name the proxy; a CONNECT
# whose Proxy-Authorization is folded onto a continuation line (craft.py,
# Python's socket and ssl) with 200 and TLS 1.2 to the cache account; curl
# with credentials and the token header uploads to a second cache account
# whose name (MK_SNI_NAME) is a marker that the bundle keeps and lists.  A
# DNS server that adds records for other names (craft.py) answers a query
# with two questions, an EDNS option and trailing bytes.  Frames with a
# marker in their Ethernet padding (a DNS query and a SYN from the VM, sent
# on an AF_PACKET socket) and an ICMP error from the NVA quoting a SYN with
# a marker past the ports and in its padding.
log "[35] bundle-leaks"
export MK_TOKEN=MK-PROXYTOKEN-2e8d41 MK_PROXYHOST=mk-proxyname-71c3a9 MK_REALM=MK-REALM-b84f02
export MK_CRED=MK-CRED-5a0f17 MK_DNSQ2=mk-dnsq2-8b61e0 MK_DNSOTHER=mk-dnsother-c4d2f5
export MK_DNSAUTH=mk-dnsauth-19e7b3 MK_DNSADD=mk-dnsadd-6f0a28 MK_DNSOPT=MK-DNSOPT-3c95d1
export MK_DNSTRAIL=MK-DNSTRAIL-e27b40 MK_PADSYN=MK-PADSYN-90c1fe MK_PADDNS=MK-PADDNS-4a7e62
export MK_ICMPTAIL=MK-ICMPTAIL-d3b805 MK_PADICMP=MK-PADICMP-5e2c97 ASR_ADDR=$ASR_P
openssl passwd -apr1 -salt asrscope "$MK_CRED" | sed 's/^/asrproxy:/' > "$TMP/squid/passwd-mk"
sed -e "s#^visible_hostname .*#visible_hostname $MK_PROXYHOST.contoso.example#" \
    -e "s#^auth_param basic realm .*#auth_param basic realm $MK_REALM#" \
    -e "s#squid/passwd\$#squid/passwd-mk#" -e "s#squid.pid#squid-mk.pid#" \
    "$TMP/squid/squid.conf" > "$TMP/squid/squid-mk.conf"
grep -q "passwd-mk" "$TMP/squid/squid-mk.conf" || die "squid-mk.conf: the password file was not replaced"
chown -R proxy "$TMP/squid"
timeout 90 ip netns exec $NS_NVA squid -N -f "$TMP/squid/squid-mk.conf" >"$TMP/squid/stdout-mk.log" 2>&1 &
SQUID_PID=$!; PIDS+=("$SQUID_PID")
wait_listen $NS_NVA t "$PROXY_IP:3128"
timeout 90 ip netns exec $NS_AZ $PY "$HERE/craft.py" dns-server $DNS2_P &
DNS2_PID=$!; PIDS+=("$DNS2_PID")
wait_listen $NS_AZ u "$DNS2_P:53"
tcpdump_start $NS_VM vm0 leaks.pcap
fail '407' vm_curl -4 -x "http://$PROXY_IP:3128" --proxy-header "X-Proxy-Token: $MK_TOKEN" "$PAGE"
ok timeout 30 ip netns exec $NS_VM $PY "$HERE/craft.py" folded-connect $PROXY_IP $BLOB_NAME "$CA" asrproxy "$MK_CRED"
ok vm_curl -4 -x "http://$PROXY_IP:3128" --proxy-user "asrproxy:$MK_CRED" --proxy-header "X-Proxy-Token: $MK_TOKEN" \
    -T "$TMP/blob-20k.bin" "https://$MK_SNI_NAME/asr-cache/vm01-disk0/00000010.log"
ok timeout 10 ip netns exec $NS_VM $PY "$HERE/craft.py" dns-query $DNS2_P $ASR_NAME
ok timeout 10 ip netns exec $NS_VM $PY "$HERE/craft.py" padded vm0 00:0d:3a:10:00:04 12:34:56:78:9a:bc \
    $VM_IP $DNS_P $BLOB_P 47001 $BLOB_NAME
ok timeout 10 ip netns exec $NS_NVA $PY "$HERE/craft.py" icmp-tail nva-in 12:34:56:78:9a:bc 00:0d:3a:10:00:04 \
    $NVA_IP $VM_IP $VM_IP $BLOB_P 47002
cap_stop
kill "$SQUID_PID" "$DNS2_PID" 2>/dev/null || true; wait "$SQUID_PID" "$DNS2_PID" 2>/dev/null || true
publish leaks.pcap bundle-leaks.pcap
f=$TMP/out/bundle-leaks.pcap
has() { echo "frame contains \"$1\""; }
expect "X-Proxy-Token in a CONNECT" "$f" "http.request.method==\"CONNECT\" && $(has "$MK_TOKEN")" -eq 2
expect "407 naming the proxy (Via, X-Cache)" "$f" "http.response.code==407 && http.response.line contains \"$MK_PROXYHOST\"" -ge 1
expect "407 with the realm" "$f" "http.proxy_authenticate contains \"$MK_REALM\"" -ge 1
expect "folded Proxy-Authorization" "$f" "http.request.method==\"CONNECT\" && frame contains \"Basic\\r\\n \"" -eq 1
expect "CONNECTs answered 200" "$f" "http.response.code==200" -eq 2
expect "TLS through the proxy to the marker account" "$f" "tls.handshake.extensions_server_name==\"$MK_SNI_NAME\"" -eq 1
expect "DNS query with two questions" "$f" "dns.flags.response==0 && dns.count.queries==2 && $(has "$MK_DNSTRAIL")" -eq 1
expect "DNS answer for another name" "$f" "dns.flags.response==1 && $(has "$MK_DNSOTHER") && $(has "$MK_DNSADD") && $(has "$MK_DNSAUTH")" -eq 1
expect "padding of the DNS query" "$f" "dns.flags.response==0 && eth.trailer && $(has "$MK_PADDNS")" -eq 1
expect "padding of the SYN" "$f" "tcp.flags.syn==1 && tcp.flags.ack==0 && eth.trailer && $(has "$MK_PADSYN")" -eq 1
expect "ICMP error with a tail and padding" "$f" "icmp.type==3 && icmp.code==13 && $(has "$MK_ICMPTAIL") && $(has "$MK_PADICMP")" -eq 1
manifest bundle-leaks.pcap "support-bundle privacy: a marker in every place a VM's capture holds one that a bundle must not keep, beside Site Recovery flows it keeps" \
    "$CLIENT; craft.py (Python sockets) for the folded header, the DNS query and the padded frames" \
    "proxy $PROXY_IP:3128 (squid, basic auth); $BLOB_NAME and $MK_SNI_NAME through the proxy; DNS $DNS_A and a custom DNS server $DNS2_P (craft.py); $BLOB_NAME=$BLOB_A for the SYN" \
    "$T_BLOB; $T_DNS" \
    "squid: visible_hostname $MK_PROXYHOST.contoso.example, realm $MK_REALM, password $MK_CRED; craft.py's DNS server adds records for other names" \
    "(1) CONNECT with X-Proxy-Token: $MK_TOKEN -> 407 (Via, X-Cache: $MK_PROXYHOST; realm $MK_REALM); (2) CONNECT with 'Proxy-Authorization: Basic' folded onto a continuation line holding base64(asrproxy:$MK_CRED) -> 200, TLS 1.2 to $BLOB_NAME, GET; (3) CONNECT with Basic credentials and X-Proxy-Token -> 200, TLS 1.2 (SNI $MK_SNI_NAME) and a 20 KB PUT -> 201; (4) a DNS query for $ASR_NAME with a second question $MK_DNSQ2.contoso.example, an EDNS option $MK_DNSOPT and trailing bytes $MK_DNSTRAIL, answered with both questions, the CNAME chain of the first, an A record for $MK_DNSOTHER.contoso.example, an NS record naming $MK_DNSAUTH.contoso.example, an additional A record for $MK_DNSADD.contoso.example, the EDNS option and the trailing bytes; (5) a DNS query for $BLOB_NAME (padding $MK_PADDNS) and a SYN to $BLOB_A:443 (padding $MK_PADSYN), the SYN/ACK answered by RST; (6) an ICMP administratively-prohibited error from the NVA quoting a SYN to $BLOB_A:443 with $MK_ICMPTAIL past the quoted TCP header, padding $MK_PADICMP"

# 36. Two virtual networks behind one appliance's VXLAN underlay: each has
# a VM at 10.1.0.4 and a server at the cache account's address, and both
# VMs connect from port 50000 at the same time (VNets reuse addresses).
# Network 100 uploads to the cache account; network 200 (another customer)
# fetches a page under a server name and path holding markers.  Captured on
# the underlay bridge, as an appliance's interface sees both tunnels.
log "[36] bundle-vni"
export MK_OTHERVNI=mk-othervni-f3a9c1 MK_OTHERPATH=MK-OTHERPATH-0b7d52
ip -n $NS_UL link add br-ul type bridge
ip -n $NS_UL link set br-ul up
i=0
for ns in $NS_T1 $NS_T1AZ $NS_T2 $NS_T2AZ; do
    i=$((i + 1))
    ip link add eth0 netns "$ns" type veth peer name p$i netns $NS_UL
    ip -n $NS_UL link set p$i master br-ul up
    ip -n "$ns" link set eth0 address 00:0d:3a:30:00:0$i
    in_ns "$ns" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "$ns" addr add 172.16.1.$i/24 dev eth0
    ip -n "$ns" link set eth0 up
done
vni_net() {  # vm-ns az-ns vni vm-underlay az-underlay
    local vm=$1 az=$2 vni=$3
    ip -n "$vm" link add vx type vxlan id "$vni" local "$4" remote "$5" dstport 4789 dev eth0
    ip -n "$az" link add vx type vxlan id "$vni" local "$5" remote "$4" dstport 4789 dev eth0
    ip -n "$vm" link set vx address 00:0d:3a:10:00:04
    ip -n "$az" link set vx address 12:34:56:78:9a:bc
    for n in "$vm" "$az"; do
        in_ns "$n" ethtool -K vx tx off tso off gso off gro off >/dev/null 2>&1 || true
        ip -n "$n" link set vx up
    done
    ip -n "$vm" addr add $VM_IP/24 dev vx
    ip -n "$az" addr add $NVA_IP/24 dev vx
    ip -n "$az" addr add $BLOB_P/32 dev lo
    ip -n "$vm" route add default via $NVA_IP
}
vni_net $NS_T1 $NS_T1AZ 100 172.16.1.1 172.16.1.2
vni_net $NS_T2 $NS_T2AZ 200 172.16.1.3 172.16.1.4
timeout 60 ip netns exec $NS_T1AZ $PY "$HERE/azsrv.py" --certdir "$P" --lifetime 40 --listen "$BLOB_P,443,storage,1.2" >/dev/null &
V1_PID=$!; PIDS+=("$V1_PID")
timeout 60 ip netns exec $NS_T2AZ $PY "$HERE/azsrv.py" --certdir "$P" --lifetime 40 --listen "$BLOB_P,443,web,1.3" >/dev/null &
V2_PID=$!; PIDS+=("$V2_PID")
wait_listen $NS_T1AZ t "$BLOB_P:443"; wait_listen $NS_T2AZ t "$BLOB_P:443"
FILTER_EXTRA="udp port 4789" tcpdump_start $NS_UL br-ul vni.pcap
timeout 30 ip netns exec $NS_T1 curl -sS --cacert "$CA" --local-port 50000 --resolve "$BLOB_NAME:443:$BLOB_P" \
    -o /dev/null -w '%{http_code}' -T "$TMP/blob-100k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000011.log" > "$TMP/vni1.out" 2>&1 &
C1=$!
timeout 30 ip netns exec $NS_T2 curl -sS -k --tlsv1.3 --local-port 50000 --resolve "$MK_OTHERVNI.contoso.example:443:$BLOB_P" \
    -o /dev/null -w '%{http_code}' "https://$MK_OTHERVNI.contoso.example/$MK_OTHERPATH" > "$TMP/vni2.out" 2>&1 &
C2=$!
wait $C1 || die "network 100: $(cat "$TMP/vni1.out")"
wait $C2 || die "network 200: $(cat "$TMP/vni2.out")"
[ "$(cat "$TMP/vni1.out")" = 201 ] && [ "$(cat "$TMP/vni2.out")" = 200 ] \
    || die "bundle-vni: answers $(cat "$TMP/vni1.out") and $(cat "$TMP/vni2.out")"
log "    ok   both networks -> 201, 200"
cap_stop
kill "$V1_PID" "$V2_PID" 2>/dev/null || true; wait "$V1_PID" "$V2_PID" 2>/dev/null || true
publish vni.pcap bundle-vni.pcap
f=$TMP/out/bundle-vni.pcap
expect "SYNs from 10.1.0.4:50000 in VNI 100" "$f" "vxlan.vni==100 && tcp.srcport==50000 && $SYN" -eq 1
expect "SYNs from 10.1.0.4:50000 in VNI 200" "$f" "vxlan.vni==200 && tcp.srcport==50000 && $SYN" -eq 1
# tshark follows one TCP conversation per address pair whatever the VNI,
# so its TLS dissection of two interleaved networks can fail: raw bytes.
expect "the other network's server name" "$f" "vxlan.vni==200 && tcp.dstport==443 && frame contains \"$MK_OTHERVNI.contoso.example\"" -eq 1
expect "the cache account in VNI 100" "$f" "vxlan.vni==100 && tcp.dstport==443 && frame contains \"$BLOB_NAME\"" -eq 1
manifest bundle-vni.pcap "two virtual networks (VXLAN VNI 100 and 200) behind one appliance, each with a VM 10.1.0.4 connecting from port 50000 to $BLOB_A:443 at the same time" \
    "curl 7.88 in two VMs, both $VM_IP:50000 (inner)" "$BLOB_NAME=$BLOB_A in VNI 100; $MK_OTHERVNI.contoso.example at the same address in VNI 200 (inner addresses)" \
    "$T_BLOB" "none: the underlay bridge (172.16.1.0/24) captured, VXLAN on UDP 4789" \
    "VNI 100: TLS 1.2 (SNI $BLOB_NAME) and a 100 KB PUT -> 201; VNI 200, overlapping in time: TLS 1.3 (SNI $MK_OTHERVNI.contoso.example) GET /$MK_OTHERPATH -> 200; the same inner addresses and ports in both"

# 37. An authenticating proxy that lets replication through: curl
# --proxy-anyauth asks without credentials, gets 407 and asks again on the
# same connection with them: 200, and the upload works.
log "[37] proxy-anyauth"
timeout 60 ip netns exec $NS_NVA squid -N -f "$TMP/squid/squid.conf" >"$TMP/squid/stdout-any.log" 2>&1 &
SQUID_PID=$!; PIDS+=("$SQUID_PID")
wait_listen $NS_NVA t "$PROXY_IP:3128"
tcpdump_start $NS_VM vm0 anyauth.pcap
ok vm_curl -4 -x "http://$PROXY_IP:3128" --proxy-anyauth --proxy-user 'asrproxy:Passw0rd!' -T "$TMP/blob-20k.bin" "$PAGE"
cap_stop
publish anyauth.pcap proxy-anyauth.pcap
f=$TMP/out/proxy-anyauth.pcap
expect "one TCP connection to the proxy" "$f" "$SYN" -eq 1
expect "two CONNECTs" "$f" "http.request.method==\"CONNECT\"" -eq 2
expect "407 then 200" "$f" "http.response.code==407 || http.response.code==200" -eq 2
manifest proxy-anyauth.pcap "an authenticating proxy that lets replication through: curl --proxy-anyauth, 407 then 200 on the same connection" \
    "$CLIENT via proxy $PROXY_IP:3128" "$BLOB_NAME (resolved by the proxy); proxy $PROXY_IP (private)" "$T_BLOB (only as TLS SNI)" \
    "squid with basic auth (user asrproxy)" \
    "one connection: CONNECT $BLOB_NAME:443 without credentials -> 407 (Basic), CONNECT again with Proxy-Authorization -> 200, TLS 1.2 and a 20 KB PUT -> 201"

# 38. The same proxy, and the upload throttled on its way to it: the VM's
# uplink runs at 3.7 Mbit/s (tbf) and the NVA drops 3% of what the VM sends
# to the proxy (iptables statistic, as an overloaded appliance does:
# retransmissions), while a 3 MiB cache write goes through the proxy with
# credentials.
log "[38] proxy-throttled"
in_ns $NS_VM tc qdisc add dev vm0 root tbf rate 3700kbit burst 10kb latency 400ms
nva_fw -A INPUT -p tcp ! --syn -d $PROXY_IP --dport 3128 -m statistic --mode random --probability 0.03 -j DROP
tcpdump_start $NS_VM vm0 proxythrottle.pcap
ok vm_curl -4 --max-time 60 -x "http://$PROXY_IP:3128" --proxy-user 'asrproxy:Passw0rd!' -T "$TMP/blob-3m.bin" \
    "https://$BLOB_NAME/asr-cache/vm01-disk0/00000012.log"
cap_stop
in_ns $NS_VM tc qdisc del dev vm0 root
nva_fw -F INPUT
kill "$SQUID_PID" 2>/dev/null || true; wait "$SQUID_PID" 2>/dev/null || true
cap_no_drops proxythrottle.pcap
publish proxythrottle.pcap proxy-throttled.pcap
f=$TMP/out/proxy-throttled.pcap
UP="ip.dst==$PROXY_IP && tcp.dstport==3128 && tcp.len>0"
d=$(tspan "$f" "$UP")
awk -v d="$d" 'BEGIN { exit !(d >= 5) }' || die "proxy-throttled.pcap: the upload took $d s (want >= 5)"
log "    check upload span: $d s"
expect "retransmitted segments to the proxy (2% of ~2,200)" "$f" "$UP && tcp.analysis.retransmission" -ge 45
expect "CONNECT answered 407" "$f" "http.response.code==407" -eq 0
manifest proxy-throttled.pcap "an authenticating proxy and a throttled upload: a 3 MiB cache write through squid with Basic credentials, at 3.7 Mbit/s with 3% of it dropped on its way to the proxy" \
    "$CLIENT via proxy $PROXY_IP:3128" "$BLOB_NAME (resolved by the proxy); proxy $PROXY_IP (private)" "$T_BLOB (only as TLS SNI)" \
    "squid with basic auth; tc tbf 3.7 Mbit/s (burst 10 KB, 400 ms queue) on vm0; iptables on the NVA drops 3% of non-SYN segments to the proxy" \
    "CONNECT with Proxy-Authorization -> 200, TLS 1.2 (SNI $BLOB_NAME) and a 3 MiB PUT -> 201; data segments to the proxy span ${d} s (~0.45 MB/s), the dropped ones retransmitted"

# 39. One appliance, three VMs: the NVA forwards for the VM and two more
# (10.1.2.4, 10.1.3.4) and drops the third VM's HTTPS. Captured on the NVA
# (tcpdump -i any, incoming packets only: each packet once).
log "[39] nva-three-vms"
n=1
for ns in $NS_VM2 $NS_VM3; do
    n=$((n + 1))
    ip link add vm0 netns "$ns" type veth peer name nva-in$n netns $NS_NVA
    ip -n "$ns" link set vm0 address 00:0d:3a:10:0$n:04
    for pair in "$ns:vm0" "$NS_NVA:nva-in$n"; do
        in_ns "${pair%%:*}" ethtool -K "${pair#*:}" tx off tso off gso off gro off >/dev/null 2>&1 || true
    done
    ip -n "$ns" addr add 10.1.$n.4/24 dev vm0
    ip -n $NS_NVA addr add 10.1.$n.1/24 dev nva-in$n
    ip -n "$ns" link set vm0 up
    ip -n $NS_NVA link set nva-in$n up
    ip -n "$ns" route add default via 10.1.$n.1
    mkdir -p "/etc/netns/$ns"
    printf '127.0.0.1 localhost\n' > "/etc/netns/$ns/hosts"
    printf 'nameserver %s\noptions timeout:2 attempts:2\n' $DNS_P > "/etc/netns/$ns/resolv.conf"
done
nva_fw_flush
nva_fw -A FORWARD -s 10.1.3.4 -p tcp --dport 443 -j DROP
tcpdump_start $NS_NVA any nva3.pcap -Q in
ok vm_curl -4 -T "$TMP/blob-20k.bin" "$PAGE"
ok timeout 60 ip netns exec $NS_VM2 curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' -4 -T "$TMP/blob-20k.bin" \
    "https://$BLOB_NAME/asr-cache/vm02-disk0/00000001.log"
fail 'timed out|Timeout' timeout 60 ip netns exec $NS_VM3 curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' -4 \
    --connect-timeout 4 -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm03-disk0/00000001.log"
cap_stop
nva_fw_flush
publish nva3.pcap nva-three-vms.pcap
f=$TMP/out/nva-three-vms.pcap
expect "SYNs of VM 10.1.3.4, unanswered" "$f" "ip.src==10.1.3.4 && $SYN" -ge 2
expect "SYN/ACKs to 10.1.3.4" "$f" "ip.dst==10.1.3.4 && tcp.flags.syn==1 && tcp.flags.ack==1" -eq 0
expect "uploads of the two other VMs" "$f" "(ip.src==$VM_IP || ip.src==10.1.2.4) && tls.handshake.extensions_server_name==\"$BLOB_NAME\"" -eq 2
manifest nva-three-vms.pcap "one NVA forwarding for three VMs ($VM_IP, 10.1.2.4, 10.1.3.4), captured on the NVA (tcpdump -i any -Q in); the NVA drops 10.1.3.4's HTTPS" \
    "curl 7.88 in three VMs" "$BLOB_NAME=$BLOB_A; DNS $DNS_A" "$T_BLOB; $T_DNS" "iptables on the NVA: FORWARD -s 10.1.3.4 -p tcp --dport 443 -j DROP" \
    "link type LINUX_SLL2; each VM resolves $BLOB_NAME; $VM_IP and 10.1.2.4 upload 20 KB (201); 10.1.3.4's SYNs reach the NVA and get no answer (curl gives up after 4 s)"

# 40-44. An FQDN filter in the path, as hub-and-spoke networks put Azure
# Firewall or another appliance between the VM and the internet.  Azure
# Firewall's transparent proxy answers the VM's SYN on ports 80 and 443
# itself, whatever its rules say; it reads the ClientHello's SNI (or the HTTP
# Host) and forwards what an application rule allows.  A denied HTTPS name is
# closed after the ClientHello without one byte from the "server" (EOF, no
# TLS alert), a denied HTTP request is answered 470.  Here the appliance's
# namespace plays the filter with real programs behind an iptables REDIRECT
# of the VM's ports 443 and 80 (transparent interception):
#   - haproxy in TCP mode as an SNI filter: `tcp-request inspect-delay`,
#     `tcp-request content accept` for the Site Recovery names it allows
#     (`req.ssl_sni`), `tcp-request content reject` for the cache account's
#     `*.blob.core.windows.net`; allowed names go on to the address the VM
#     asked for (`server 0.0.0.0:0`: the original destination of the
#     REDIRECT).  haproxy's reject closes with a FIN (after ACKing the hello);
#   - the RST form: the same haproxy with an iptables rule before it that
#     rejects the hello carrying the cache name with a TCP reset (as an
#     intrusion-prevention rule in front of the proxy does);
#   - squid (the OpenSSL build, for ssl-bump) in intercept mode: `ssl_bump
#     peek step1`, `splice` for the allowed names, `terminate` for the rest
#     (it closes with a FIN), and plain HTTP denied by `http_access` (its
#     403 page with `X-Squid-Error: ERR_ACCESS_DENIED`);
#   - Azure Firewall's HTTP deny: azfw-deny.py beside this script answers
#     every request 470 with Azure Firewall's body;
#   - the healthy case through the same haproxy, once the cache name is
#     allowed.
# The filter's SYN/ACKs come from the appliance (TTL 64, its own window and
# window scale); the servers' come one hop further (TTL 63, a 1 MB receive
# buffer's window scale).
haproxy_sni_conf() {  # file [extra haproxy lines...]
    local f=$1; shift
    {
        printf 'global\n    maxconn 200\n'
        printf 'defaults\n    mode tcp\n    timeout connect 3s\n    timeout client 30s\n    timeout server 30s\n'
        printf 'frontend sni_filter\n    bind %s:8444\n    tcp-request inspect-delay 5s\n' "$NVA_IP"
        printf '    tcp-request content accept if { req.ssl_sni -i %s }\n' "$AAD_NAME"
        printf '    tcp-request content accept if { req.ssl_sni -m end .hypervrecoverymanager.windowsazure.com }\n'
        printf '    tcp-request content accept if { req.ssl_sni -m end .servicebus.windows.net }\n'
        for line in "$@"; do printf '    %s\n' "$line"; done
        printf '    tcp-request content reject if { req.ssl_sni -m end .blob.core.windows.net }\n'
        printf '    tcp-request content reject\n'
        printf '    default_backend original_destination\n'
        printf 'backend original_destination\n    server origin 0.0.0.0:0\n'
    } > "$f"
}
HAPROXY_PID=
haproxy_start() {  # config
    timeout 60 ip netns exec $NS_NVA haproxy -f "$1" -db >"$1.log" 2>&1 &
    HAPROXY_PID=$!; PIDS+=("$HAPROXY_PID")
    wait_listen $NS_NVA t "$NVA_IP:8444"
}
haproxy_stop() {
    kill "$HAPROXY_PID" 2>/dev/null || true; wait "$HAPROXY_PID" 2>/dev/null || true
}
intercept() {  # port to-port: the VM's traffic to that port goes to the appliance's listener
    nva_fw -t nat -A PREROUTING -i nva-in -p tcp --dport "$1" -j REDIRECT --to-ports "$2"
}
DENIED_HELLO='SSL_ERROR_SYSCALL|unexpected eof|Connection reset|35'
SYNACK="tcp.flags.syn==1 && tcp.flags.ack==1"
T_FILTER="the appliance $NVA_IP (private) answers for every server address on ports 443/80"
dns_start normal              # a fresh dnsmasq: its bounded life starts again
nva_fw_flush

log "[40] fqdn-filter-fin"
haproxy_sni_conf "$TMP/haproxy-sni.cfg"
haproxy_start "$TMP/haproxy-sni.cfg"
tcpdump_start $NS_VM vm0 fqdnfin.pcap
# Replication works before the route to the filter is applied ...
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000020.log"
intercept 443 8444
# ... and after it, the names the filter allows still work, the cache
# account twice does not (the agent tries again).
ok vm_curl -4 --tlsv1.3 --data-binary "$TOKEN_BODY" "https://$AAD_NAME/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
ok vm_curl -4 --tlsv1.3 "https://$ASR_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
fail "$DENIED_HELLO" vm_curl -4 -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000021.log"
fail "$DENIED_HELLO" vm_curl -4 -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000021.log"
cap_stop; nva_fw_flush; haproxy_stop
publish fqdnfin.pcap fqdn-filter-fin.pcap
f=$TMP/out/fqdn-filter-fin.pcap
expect "SYN/ACKs of the storage server itself (TTL 63)" "$f" "$SYNACK && ip.src==$BLOB_A && ip.ttl==63" -eq 1
expect "SYN/ACKs of the filter for the storage address (TTL 64)" "$f" "$SYNACK && ip.src==$BLOB_A && ip.ttl==64" -eq 2
expect "ServerHellos from the storage address (the direct upload only)" "$f" "tls.handshake.type==2 && ip.src==$BLOB_A" -eq 1
expect "FINs from the storage address with no payload from it before (the filter's)" "$f" "tcp.flags.fin==1 && ip.src==$BLOB_A && ip.ttl==64" -eq 2
expect "ServerHellos through the filter (AAD, ASR)" "$f" "tls.handshake.type==2 && ip.ttl==64" -eq 2
manifest fqdn-filter-fin.pcap "an FQDN filter put in the path during replication: haproxy on the appliance, a transparent SNI filter, allows Entra ID and Site Recovery and closes the cache account's connections (FIN) after their ClientHello" \
    "$CLIENT" "$BLOB_NAME=$BLOB_A; $AAD_NAME=$AAD_A; $ASR_NAME=$ASR_A; DNS $DNS_A; $T_FILTER" "$T_BLOB; $T_AAD; $T_ASR; $T_DNS" \
    "iptables -t nat PREROUTING -i nva-in --dport 443 REDIRECT to haproxy 2.6 (mode tcp, tcp-request content accept/reject on req.ssl_sni) on the appliance, applied after the first upload" \
    "20 KB PUT to storage direct (SYN/ACK TTL 63, TLS 1.2, 201); then the REDIRECT: AAD and ASR through haproxy (SYN/ACK and data TTL 64, TLS 1.3, 200); twice the cache account: SYN/ACK from the appliance (TTL 64, window 65160), ClientHello (SNI $BLOB_NAME), the appliance ACKs it and closes with a FIN well under 1 ms later, not one byte from the server side; curl error 35"

log "[41] fqdn-filter-rst"
haproxy_start "$TMP/haproxy-sni.cfg"
intercept 443 8444
nva_fw -A INPUT -p tcp --dport 8444 -m string --algo bm --string ".blob.core.windows.net" -j REJECT --reject-with tcp-reset
tcpdump_start $NS_VM vm0 fqdnrst.pcap
ok vm_curl -4 --tlsv1.3 "https://$ASR_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
fail "$DENIED_HELLO" vm_curl -4 -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000022.log"
fail "$DENIED_HELLO" vm_curl -4 -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000022.log"
# haproxy never read those hellos: its 5 s inspect-delay ends them later
# with a FIN that the VM resets, after the capture (a flow table that has
# let a reset connection go sees those as connections of their own).
cap_stop; nva_fw_flush; nva_fw -F INPUT; haproxy_stop
publish fqdnrst.pcap fqdn-filter-rst.pcap
f=$TMP/out/fqdn-filter-rst.pcap
expect "resets from the storage address right after a ClientHello" "$f" "tcp.flags.reset==1 && ip.src==$BLOB_A" -eq 2
expect "ServerHellos from the storage address" "$f" "tls.handshake.type==2 && ip.src==$BLOB_A" -eq 0
expect "SYN/ACKs of the filter (TTL 64)" "$f" "$SYNACK && ip.ttl==64" -eq 3
manifest fqdn-filter-rst.pcap "the RST form of an FQDN filter: the same haproxy SNI filter, and an iptables rule before it on the appliance that rejects the hello naming the cache account with a TCP reset" \
    "$CLIENT" "$BLOB_NAME=$BLOB_A; $ASR_NAME=$ASR_A; DNS $DNS_A; $T_FILTER" "$T_BLOB; $T_ASR; $T_DNS" \
    "REDIRECT to haproxy as in fqdn-filter-fin, plus iptables INPUT --dport 8444 -m string --string .blob.core.windows.net -j REJECT --reject-with tcp-reset on the appliance" \
    "ASR through haproxy (TLS 1.3, 200); twice the cache account: SYN/ACK from the appliance (TTL 64), ClientHello (SNI $BLOB_NAME) answered at once by a RST from the storage address (haproxy's 5 s inspect-delay ends them later, after the capture)"

log "[42] squid-terminate"
cp "$P/contoso-ca.pem" "$P/contoso-ca.key" "$TMP/squid/"
# (squid wants a forward-proxy port beside the intercepting ones; nothing uses it)
cat > "$TMP/squid/filter.conf" <<EOF
http_port $NVA_IP:3128
http_port $NVA_IP:3129 intercept
https_port $NVA_IP:3130 intercept ssl-bump cert=$TMP/squid/contoso-ca.pem key=$TMP/squid/contoso-ca.key generate-host-certificates=off
visible_hostname fw.contoso.example
acl CONNECT method CONNECT
acl step1 at_step SslBump1
acl allowed_sni ssl::server_name $AAD_NAME .hypervrecoverymanager.windowsazure.com .servicebus.windows.net
acl allowed_host dstdomain -n $AAD_NAME .hypervrecoverymanager.windowsazure.com .servicebus.windows.net
ssl_bump peek step1
ssl_bump splice allowed_sni
ssl_bump terminate all
http_access allow CONNECT
http_access allow allowed_host
http_access deny all
dns_nameservers $DNS_P
hosts_file none
cache deny all
cache_mem 4 MB
pid_filename $TMP/squid/filter.pid
access_log stdio:$TMP/squid/filter-access.log
cache_log $TMP/squid/filter-cache.log
cache_store_log none
netdb_filename none
coredump_dir $TMP/squid
pinger_enable off
shutdown_lifetime 1 seconds
cache_effective_user proxy
EOF
chown -R proxy "$TMP/squid"
timeout 60 ip netns exec $NS_NVA squid -N -f "$TMP/squid/filter.conf" >"$TMP/squid/filter-stdout.log" 2>&1 &
SQUID_PID=$!; PIDS+=("$SQUID_PID")
wait_listen $NS_NVA t "$NVA_IP:3130"
intercept 443 3130
intercept 80 3129
tcpdump_start $NS_VM vm0 squidterm.pcap
ok vm_curl -4 --tlsv1.3 --data-binary "$TOKEN_BODY" "https://$AAD_NAME/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
fail "$DENIED_HELLO" vm_curl -4 -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000023.log"
out=$(vm_curl -4 "http://$BLOB_NAME/asr-cache/vm01-disk0/00000023.log") || true
[ "$out" = 403 ] || die "squid-terminate: plain HTTP to the cache account: $out (want squid's 403)"
log "    ok   http://$BLOB_NAME/... -> $out"
cap_stop; nva_fw_flush
kill "$SQUID_PID" 2>/dev/null || true; wait "$SQUID_PID" 2>/dev/null || true
publish squidterm.pcap squid-terminate.pcap
f=$TMP/out/squid-terminate.pcap
expect "ServerHellos from the storage address" "$f" "tls.handshake.type==2 && ip.src==$BLOB_A" -eq 0
expect "FINs from the storage address on 443" "$f" "tcp.flags.fin==1 && ip.src==$BLOB_A && tcp.srcport==443" -eq 1
expect "squid's 403 on port 80" "$f" "http.response.code==403 && ip.src==$BLOB_A" -eq 1
expect "AAD spliced: its ServerHello" "$f" "tls.handshake.type==2 && ip.src==$AAD_A" -eq 1
manifest squid-terminate.pcap "squid (OpenSSL build) intercepting on the appliance: ssl_bump peek step1, splice for Entra ID, terminate for the cache account; plain HTTP to the cache account denied by http_access" \
    "$CLIENT" "$BLOB_NAME=$BLOB_A; $AAD_NAME=$AAD_A; DNS $DNS_A; $T_FILTER" "$T_BLOB; $T_AAD; $T_DNS" \
    "iptables REDIRECT of the VM's 443 and 80 to squid 5.7 https_port intercept ssl-bump / http_port intercept on the appliance" \
    "AAD: SYN/ACK from the appliance, ClientHello peeked, spliced to the server, TLS 1.3, 200; cache account on 443: ClientHello (SNI $BLOB_NAME), squid terminates: FIN from the storage address, not one byte before it, curl error 35; cache account on 80: GET answered 403 Forbidden with X-Squid-Error: ERR_ACCESS_DENIED 0"

log "[43] azfw-470"
timeout 60 ip netns exec $NS_NVA $PY "$HERE/azfw-deny.py" --listen "$NVA_IP" --port 8080 --lifetime 40 &
AZFW_PID=$!; PIDS+=("$AZFW_PID")
wait_listen $NS_NVA t "$NVA_IP:8080"
intercept 80 8080
tcpdump_start $NS_VM vm0 azfw470.pcap
for n in 24 25; do
    out=$(vm_curl -4 "http://$BLOB_NAME/asr-cache/vm01-disk0/000000$n.log") || true
    [ "$out" = 470 ] || die "azfw-470: $out (want 470)"
    log "    ok   http://$BLOB_NAME/...$n.log -> $out"
done
cap_stop; nva_fw_flush
kill "$AZFW_PID" 2>/dev/null || true; wait "$AZFW_PID" 2>/dev/null || true
publish azfw470.pcap azfw-470.pcap
f=$TMP/out/azfw-470.pcap
expect "470 answers" "$f" "http.response.code==470 && ip.src==$BLOB_A" -eq 2
manifest azfw-470.pcap "Azure Firewall's deny of plain HTTP, as it answers it: status 470 and the default action's body, from a small HTTP server on the appliance in the server's name" \
    "$CLIENT" "$BLOB_NAME=$BLOB_A; DNS $DNS_A; $T_FILTER" "$T_BLOB; $T_DNS" \
    "iptables REDIRECT of the VM's port 80 to azfw-deny.py (Python http.server) on the appliance" \
    "two GETs to http://$BLOB_NAME/...: each answered HTTP/1.1 470 status code 470, Content-Type text/plain, body 'Action: Deny. Reason: No rule matched. Proceeding with default action.'"

log "[44] fqdn-filter-allowed"
haproxy_sni_conf "$TMP/haproxy-allow.cfg" "tcp-request content accept if { req.ssl_sni -i $BLOB_NAME }"
haproxy_start "$TMP/haproxy-allow.cfg"
intercept 443 8444
tcpdump_start $NS_VM vm0 fqdnok.pcap
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-100k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000026.log"
ok vm_curl -4 --tlsv1.3 --data-binary "$TOKEN_BODY" "https://$AAD_NAME/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
ok vm_curl -4 --tlsv1.3 "https://$ASR_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
ok vm_curl -4 --tlsv1.3 --data-binary '{"vm":"vm01","rpo_seconds":30}' "https://$SB_NAME/asrmonitoring/messages"
cap_stop; nva_fw_flush; haproxy_stop
publish fqdnok.pcap fqdn-filter-allowed.pcap
f=$TMP/out/fqdn-filter-allowed.pcap
expect "SYN/ACKs, all the appliance's (TTL 64)" "$f" "$SYNACK && ip.ttl!=64" -eq 0
expect "ServerHellos through the filter" "$f" "tls.handshake.type==2" -eq 4
manifest fqdn-filter-allowed.pcap "the same haproxy SNI filter once the cache account is allowed: every Site Recovery name goes through it" \
    "$CLIENT" "$BLOB_NAME=$BLOB_A; $AAD_NAME=$AAD_A; $ASR_NAME=$ASR_A; $SB_NAME=$SB_A; DNS $DNS_A; $T_FILTER" "$T_BLOB; $T_AAD; $T_ASR; $T_SB; $T_DNS" \
    "REDIRECT to haproxy as in fqdn-filter-fin, with tcp-request content accept for req.ssl_sni $BLOB_NAME" \
    "100 KB PUT to storage (TLS 1.2, 201), AAD, ASR, Service Bus (TLS 1.3, 200), all through haproxy: every SYN/ACK and server packet from the appliance (TTL 64)"

# 45-46. A VM that does not offer TLS 1.2 ("Transport Layer Security in
# Azure Site Recovery": Windows Server 2008 SP2 without KB4019276, 2008 R2,
# Windows 7 and 2012 without KB3140245 and its registry keys), against
# servers that require it.  The clients are told to offer at most TLS 1.1
# (OpenSSL 3 offers TLS 1.0 and 1.1 only at security level 0): their
# ClientHellos carry version 0x0302 (curl) or 0x0301 (openssl s_client
# -tls1) and no supported_versions extension.
#
# 45. The servers answer as OpenSSL-based TLS servers do: the lab's storage
# and Entra ID servers (Python's ssl, minimum TLS 1.2) each send a fatal
# protocol_version alert.  Site Recovery over TLS 1.2 from the same VM works.
OLD_TLS=(--tlsv1.0 --tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0')
OLD_HELLO="tls.handshake.type==1 && tls.handshake.version<=0x0302 && !tls.handshake.extensions.supported_version"
log "[45] tls-old-alert"
tcpdump_start $NS_VM vm0 tlsoldalert.pcap
fail "alert protocol version" vm_curl -4 "${OLD_TLS[@]}" -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000045.log"
fail "alert protocol version" timeout 30 ip netns exec $NS_VM openssl s_client -tls1 -cipher 'DEFAULT:@SECLEVEL=0' \
    -CAfile "$CA" -servername $AAD_NAME -connect $AAD_NAME:443 </dev/null
ok vm_curl -4 --tlsv1.2 "https://$ASR_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
cap_stop
publish tlsoldalert.pcap tls-old-alert.pcap
f=$TMP/out/tls-old-alert.pcap
expect "ClientHellos offering at most TLS 1.1" "$f" "$OLD_HELLO" -eq 2
expect "protocol_version alerts from storage and Entra ID" "$f" "tls.alert_message.desc==70 && (ip.src==$BLOB_A || ip.src==$AAD_A)" -eq 2
expect "ServerHellos from storage and Entra ID" "$f" "tls.handshake.type==2 && (ip.src==$BLOB_A || ip.src==$AAD_A)" -eq 0
expect "ServerHellos from Site Recovery (TLS 1.2)" "$f" "tls.handshake.type==2 && ip.src==$ASR_A" -eq 1
manifest tls-old-alert.pcap "a VM that does not offer TLS 1.2 against servers that require it and say so with a protocol_version alert; Site Recovery over TLS 1.2 works" \
    "VM $VM_IP (curl 7.88 and openssl s_client, OpenSSL 3 at security level 0, limited to TLS 1.1 and TLS 1.0)" "$BLOB_NAME=$BLOB_A; $AAD_NAME=$AAD_A; $ASR_NAME=$ASR_A; DNS $DNS_A" "$T_BLOB; $T_AAD; $T_ASR; $T_DNS" \
    "none in the path: the client offers at most TLS 1.1 (curl --tlsv1.0 --tls-max 1.1, openssl s_client -tls1), the servers (Python ssl) require TLS 1.2" \
    "storage: ClientHello version TLS 1.1, no supported_versions, answered by a fatal protocol_version (70) alert, curl error 35; Entra ID: ClientHello version TLS 1.0, the same alert; Site Recovery: TLS 1.2, 200"

# 46. A server that resets the connection at the hello, as Windows SChannel
# does when TLS older than 1.2 is disabled (the client sees error 10054,
# WSAECONNRESET, "An existing connection was forcibly closed by the remote
# host").  No Linux TLS server resets there, so iptables in the "Azure"
# namespace stands in for SChannel (a fault, applied on the server side):
# INPUT, TCP to the storage address's port 443, a u32 match of a handshake
# record (payload byte 0 = 22) holding a ClientHello (byte 5 = 1) whose own
# version (bytes 9-10) is 0x0300-0x0302, REJECT --reject-with tcp-reset.
# The RST leaves the server's own stack (TTL 63 at the VM, as its SYN/ACK).
# A TLS 1.2 upload through the same rule works: its hello says 0x0303.
log "[46] tls-old-reset"
AZ_OLD_TLS=(-p tcp -d $BLOB_P --dport 443 -m u32 --u32 '0>>22&0x3C@12>>26&0x3C@0>>24=0x16&&0>>22&0x3C@12>>26&0x3C@4>>16&0xFF=0x01&&0>>22&0x3C@12>>26&0x3C@8>>8&0xFFFF=0x0300:0x0302' -j REJECT --reject-with tcp-reset)
ip netns exec $NS_AZ iptables -A INPUT "${AZ_OLD_TLS[@]}"
tcpdump_start $NS_VM vm0 tlsoldreset.pcap
fail "Connection reset by peer" vm_curl -4 "${OLD_TLS[@]}" -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000046.log"
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000046.log"
cap_stop
ip netns exec $NS_AZ iptables -D INPUT "${AZ_OLD_TLS[@]}"
publish tlsoldreset.pcap tls-old-reset.pcap
f=$TMP/out/tls-old-reset.pcap
expect "ClientHellos offering at most TLS 1.1" "$f" "$OLD_HELLO" -eq 1
expect "resets from the storage address" "$f" "tcp.flags.reset==1 && ip.src==$BLOB_A" -eq 1
expect "the reset comes with the server's own TTL (63)" "$f" "tcp.flags.reset==1 && ip.src==$BLOB_A && ip.ttl==63" -eq 1
expect "ServerHellos from storage (the TLS 1.2 upload only)" "$f" "tls.handshake.type==2 && ip.src==$BLOB_A" -eq 1
manifest tls-old-reset.pcap "a VM that does not offer TLS 1.2 against a server that resets the connection at its hello, as Windows SChannel does; a TLS 1.2 upload from the same VM works" \
    "VM $VM_IP (curl 7.88/OpenSSL 3 at security level 0, limited to TLS 1.1; then TLS 1.2)" "$BLOB_NAME=$BLOB_A; DNS $DNS_A" "$T_BLOB; $T_DNS" \
    "iptables INPUT in the Azure namespace (standing in for SChannel): -p tcp --dport 443 -m u32 (ClientHello version 0x0300-0x0302) -j REJECT --reject-with tcp-reset" \
    "storage: ClientHello version TLS 1.1, no supported_versions, answered at once by a RST from the storage address (TTL 63, as its SYN/ACK), curl error 35 Connection reset by peer; then a 20 KB PUT over TLS 1.2, 201"

# 47-49. Plain HTTP on port 80 that Site Recovery's VMs depend on besides
# the HTTPS endpoints.  The Mobility agent asks the Instance Metadata Service
# (IMDS, 169.254.169.254, HTTP port 80) for the VM's security type, and "you
# bypass the IP 169.254.169.254 when using any proxies" (tutorial "Set up
# disaster recovery for Azure VMs", 10/30/2025): IMDS answers only the VM
# itself, from its host.  A VM checking a certificate fetches the issuer's
# certificate (AIA), its CRL or an OCSP answer over HTTP port 80 from the
# hosts of "Azure Certificate Authority details" (11/17/2025).  In the lab,
# imds.py beside this script answers on 169.254.169.254:80 in the "Azure"
# namespace (never outside the machine), and dnsmasq gives the CA's hosts a
# lab address that rewrite.py maps to TEST-NET-1.
dns_start normal              # a fresh dnsmasq: its bounded life starts again
nva_fw_flush
IMDS_URL="http://$IMDS_IP/metadata/instance?api-version=2021-02-01"
timeout 90 ip netns exec $NS_AZ $PY "$HERE/imds.py" --listen "$IMDS_IP" --port 80 --lifetime 80 &
IMDS_PID=$!; PIDS+=("$IMDS_PID")
wait_listen $NS_AZ t "$IMDS_IP:80"
# An open squid on the proxy address that lets CONNECT go to any port.
sed -e '/^auth_param/d' -e 's/^acl authed .*//' -e 's/^http_access allow authed/http_access allow all/' \
    -e '/^http_access deny CONNECT/d' -e "s#squid.pid#squid-imds.pid#" "$TMP/squid/squid.conf" > "$TMP/squid/squid-imds.conf"
grep -q '^http_access deny CONNECT' "$TMP/squid/squid-imds.conf" && die "squid-imds.conf: CONNECT is still restricted"

# 47. The VM's proxy settings send its IMDS requests to the proxy: curl with
# the proxy set, as a client that reads the proxy settings without a bypass
# for 169.254.169.254 does.  First the absolute-URI GET an HTTP client sends
# to a proxy: squid forwards it with an X-Forwarded-For header, which IMDS
# refuses (400); then the same request through a CONNECT tunnel (curl -p),
# which squid does not touch (200).  squid reaches the lab's IMDS from the
# appliance; in Azure, a proxy reaches its own host's IMDS or none.
log "[47] imds-through-proxy"
timeout 60 ip netns exec $NS_NVA squid -N -f "$TMP/squid/squid-imds.conf" >"$TMP/squid/stdout-imds.log" 2>&1 &
SQUID_PID=$!; PIDS+=("$SQUID_PID")
wait_listen $NS_NVA t "$PROXY_IP:3128"
tcpdump_start $NS_VM vm0 imdsproxy.pcap
out=$(vm_curl -4 -x "http://$PROXY_IP:3128" -H 'Metadata: true' "$IMDS_URL") || true
[ "$out" = 400 ] || die "imds-through-proxy: absolute-URI GET through squid: $out (want IMDS's 400 for X-Forwarded-For)"
log "    ok   GET $IMDS_URL via squid -> $out"
out=$(vm_curl -4 -p -x "http://$PROXY_IP:3128" -H 'Metadata: true' "http://$IMDS_IP/metadata/instance/compute/securityProfile?api-version=2021-02-01") || true
[ "$out" = 200 ] || die "imds-through-proxy: CONNECT $IMDS_IP:80 through squid: $out (want 200)"
log "    ok   CONNECT $IMDS_IP:80 via squid -> $out"
cap_stop
kill "$SQUID_PID" 2>/dev/null || true; wait "$SQUID_PID" 2>/dev/null || true
publish imdsproxy.pcap imds-through-proxy.pcap
f=$TMP/out/imds-through-proxy.pcap
expect "absolute-URI GET for IMDS to the proxy" "$f" "ip.dst==$PROXY_IP && http.request.method==\"GET\" && http.request.uri contains \"http://$IMDS_IP/metadata/\"" -eq 1
expect "CONNECT $IMDS_IP:80 to the proxy" "$f" "ip.dst==$PROXY_IP && http.request.method==\"CONNECT\" && http.request.uri==\"$IMDS_IP:80\"" -eq 1
expect "packets to IMDS itself" "$f" "ip.dst==$IMDS_IP" -eq 0
expect "IMDS's 400 relayed by the proxy, then 200 twice (CONNECT, the request in the tunnel)" "$f" "ip.src==$PROXY_IP && http.response.code==400" -eq 1
manifest imds-through-proxy.pcap "IMDS requests sent to the proxy: an absolute-URI GET http://$IMDS_IP/metadata/instance and a CONNECT $IMDS_IP:80 to squid, as a VM whose proxy settings do not bypass $IMDS_IP sends them" \
    "$CLIENT via proxy $PROXY_IP:3128" "proxy $PROXY_IP (private); IMDS $IMDS_IP (imds.py in the lab, reached by squid from the appliance, not in the capture)" "none (IMDS is in no service tag's prefixes)" \
    "curl -x http://$PROXY_IP:3128 (and -p) with Metadata: true; squid without authentication, CONNECT allowed to port 80" \
    "GET http://$IMDS_IP/metadata/instance?api-version=2021-02-01 to the proxy -> 400 (squid added X-Forwarded-For, which IMDS refuses); CONNECT $IMDS_IP:80 -> 200 Connection established, then GET /metadata/instance/compute/securityProfile inside the tunnel -> 200 (JSON, securityType TrustedLaunch); no packet to $IMDS_IP"

# 48. IMDS unanswered: the VM asks IMDS directly and gets no answer, as a
# host firewall, an NSG rule on AzurePlatformIMDS or a proxy in the path can
# cause.  First the SYNs are dropped (iptables on the appliance), then the
# handshake passes and the request is dropped (no HTTP answer).
log "[48] imds-unanswered"
tcpdump_start $NS_VM vm0 imdsdrop.pcap
nva_fw -A FORWARD -d $IMDS_IP -p tcp --dport 80 --syn -j DROP
fail 'timed out|[Tt]imeout' vm_curl -4 --connect-timeout 4 -H 'Metadata: true' "$IMDS_URL"
nva_fw_flush
nva_fw -A FORWARD -d $IMDS_IP -p tcp --dport 80 -m string --algo bm --string "GET /metadata" -j DROP
fail 'timed out|[Tt]imeout' vm_curl -4 --max-time 5 -H 'Metadata: true' "$IMDS_URL"
sleep 1
cap_stop; nva_fw_flush
publish imdsdrop.pcap imds-unanswered.pcap
f=$TMP/out/imds-unanswered.pcap
expect "SYNs to IMDS" "$f" "ip.dst==$IMDS_IP && tcp.flags.syn==1 && tcp.flags.ack==0" -ge 4
expect "SYN/ACKs from IMDS (the second connection only)" "$f" "ip.src==$IMDS_IP && $SYNACK" -eq 1
expect "HTTP answers from IMDS" "$f" "ip.src==$IMDS_IP && http.response" -eq 0
expect "the request, sent again" "$f" "ip.dst==$IMDS_IP && http.request.method==\"GET\"" -ge 1
manifest imds-unanswered.pcap "IMDS unanswered: the VM's SYNs to $IMDS_IP:80 dropped, then a connection whose request gets no answer" \
    "$CLIENT" "IMDS $IMDS_IP (imds.py in the lab)" "none (IMDS is in no service tag's prefixes)" \
    "iptables on the appliance: DROP of the SYNs to $IMDS_IP:80, then DROP of the segments holding 'GET /metadata'" \
    "curl -H Metadata:true $IMDS_URL: 3 SYNs unanswered (connect timeout 4 s); then handshake, the GET retransmitted and never answered, curl gives up at 5 s and closes"
kill "$IMDS_PID" 2>/dev/null || true; wait "$IMDS_PID" 2>/dev/null || true

# 49. Certificate revocation and issuer downloads blocked: the VM fetches a
# CRL from crl3.digicert.com directly (the appliance drops the SYNs) and an
# issuer certificate from cacerts.digicert.com through the proxy (squid
# denies the domain: 403 ERR_ACCESS_DENIED), and rejects the cache account's
# certificate (its trust store lacks the root, as in cert-rejected).
log "[49] crl-blocked"
sed -e 's/^http_access allow all/acl pki dstdomain .digicert.com\nhttp_access deny pki\nhttp_access allow all/' \
    -e "s#squid-imds.pid#squid-crl.pid#" "$TMP/squid/squid-imds.conf" > "$TMP/squid/squid-crl.conf"
grep -q '^http_access deny pki' "$TMP/squid/squid-crl.conf" || die "squid-crl.conf: the deny was not added"
timeout 60 ip netns exec $NS_NVA squid -N -f "$TMP/squid/squid-crl.conf" >"$TMP/squid/stdout-crl.log" 2>&1 &
SQUID_PID=$!; PIDS+=("$SQUID_PID")
wait_listen $NS_NVA t "$PROXY_IP:3128"
nva_fw -A FORWARD -d $CRL_P -p tcp --dport 80 --syn -j DROP
tcpdump_start $NS_VM vm0 crl.pcap
fail 'timed out|[Tt]imeout' vm_curl -4 --connect-timeout 4 "http://$CRL_NAME/DigiCertGlobalRootG2.crl"
out=$(vm_curl -4 -x "http://$PROXY_IP:3128" "http://$AIA_NAME/DigiCertGlobalG2TLSRSASHA2562020CA1-1.crt") || true
[ "$out" = 403 ] || die "crl-blocked: GET http://$AIA_NAME/... through squid: $out (want 403)"
log "    ok   GET http://$AIA_NAME/... via squid -> $out"
fail 'certificate|SSL' vm_curl -4 --tlsv1.2 --tls-max 1.2 --cacert "$P/contoso-ca.pem" "$PAGE"
cap_stop; nva_fw_flush
kill "$SQUID_PID" 2>/dev/null || true; wait "$SQUID_PID" 2>/dev/null || true
publish crl.pcap crl-blocked.pcap
f=$TMP/out/crl-blocked.pcap
expect "SYNs to the CRL host" "$f" "ip.dst==$CRL_A && tcp.flags.syn==1 && tcp.flags.ack==0" -ge 3
expect "answers from the CRL host" "$f" "ip.src==$CRL_A" -eq 0
expect "squid's 403 for the AIA host" "$f" "ip.src==$PROXY_IP && http.response.code==403 && http contains \"ERR_ACCESS_DENIED\"" -eq 1
expect "TLS 1.2 client alert unknown_ca (48) to storage" "$f" "ip.dst==$BLOB_A && tls.alert_message.desc==48" -eq 1
manifest crl-blocked.pcap "certificate revocation and issuer downloads blocked beside a rejected certificate: the CRL host's SYNs dropped, the AIA host denied by the proxy, the cache account's certificate rejected" \
    "$CLIENT, CA bundle = Contoso Firewall Inspection CA only for the HTTPS request" "$CRL_NAME=$CRL_A; $AIA_NAME=$CRL_A (through the proxy); $BLOB_NAME=$BLOB_A; proxy $PROXY_IP (private); DNS $DNS_A" \
    "$T_BLOB; $T_DNS" \
    "iptables on the appliance: DROP of the SYNs to $CRL_NAME:80; squid: acl pki dstdomain .digicert.com, http_access deny pki; the client's trust store lacks the root of the server's chain" \
    "DNS for $CRL_NAME, 3 SYNs to $CRL_A:80 unanswered (connect timeout 4 s); GET http://$AIA_NAME/DigiCertGlobalG2TLSRSASHA2562020CA1-1.crt to the proxy -> 403 Forbidden, X-Squid-Error: ERR_ACCESS_DENIED 0; storage: TLS 1.2, Certificate in clear, the client answers with a fatal alert unknown_ca (48) and closes"

# 50. A VM in a private subnet without an explicit outbound method (the
# default for virtual networks created after 31 March 2026, "Default outbound
# access", 12/03/2025): the VM still reaches Azure Storage in its own region,
# while every other public endpoint (Entra ID, Site Recovery, Service Bus)
# gets no answer at all: no SYN/ACK, no reset, no ICMP. The NVA stands in for
# the platform: it forwards DNS and the cache account and silently drops the
# rest of the VM's traffic.
log "[50] private-subnet"
nva_fw -A FORWARD -s $VM_IP -d $DNS_P -j ACCEPT
nva_fw -A FORWARD -s $VM_IP -d $BLOB_P -j ACCEPT
nva_fw -A FORWARD -s $VM_IP -j DROP
tcpdump_start $NS_VM vm0 privsub.pcap
ok vm_curl -4 --tlsv1.2 --tls-max 1.2 -T "$TMP/blob-100k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000050.log"
fail 'timed out|[Tt]imeout' vm_curl -4 --connect-timeout 3.5 --data-binary "$TOKEN_BODY" "https://$AAD_NAME/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
fail 'timed out|[Tt]imeout' vm_curl -4 --connect-timeout 3.5 "https://$ASR_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
fail 'timed out|[Tt]imeout' vm_curl -4 --connect-timeout 3.5 --data-binary '{"vm":"vm01","rpo_seconds":30}' "https://$SB_NAME/asrmonitoring/messages"
cap_stop; nva_fw_flush
publish privsub.pcap private-subnet.pcap
f=$TMP/out/private-subnet.pcap
expect "DNS answers for the four names" "$f" "dns.flags.response==1 && dns.flags.rcode==0 && dns.a" -ge 4
expect "SYN/ACK from storage" "$f" "$SYNACK && ip.src==$BLOB_A" -eq 1
expect "storage upload data" "$f" "ip.dst==$BLOB_A && tcp.len>1000" -ge 50
expect "SYNs to Entra ID, Site Recovery and Service Bus" "$f" "$SYN && (ip.dst==$AAD_A || ip.dst==$ASR_A || ip.dst==$SB_A)" -ge 6
expect "any answer from them" "$f" "ip.src==$AAD_A || ip.src==$ASR_A || ip.src==$SB_A" -eq 0
expect "ICMP" "$f" "icmp" -eq 0
manifest private-subnet.pcap "a VM in a private subnet without explicit outbound access: the cache upload to same-region storage works, Entra ID, Site Recovery and Service Bus get no answer at all" "$CLIENT" \
    "$BLOB_NAME=$BLOB_A; $AAD_NAME=$AAD_A; $ASR_NAME=$ASR_A; $SB_NAME=$SB_A; DNS $DNS_A" "$T_BLOB; $T_AAD; $T_ASR; $T_SB; $T_DNS" \
    "iptables on the NVA: FORWARD -s $VM_IP to DNS and storage ACCEPT, everything else from the VM DROP" \
    "DNS ok for all four names; 100 KB PUT to storage over TLS 1.2 -> 201; SYNs to AAD, ASR and Service Bus (t=0, ~1 s, ~3 s) with no answer, no reset, no ICMP; curl gives up at 3.5 s each"

# 51. The same silence toward every public endpoint, storage included: the
# VM's own DNS works and nothing else does. Not the private-subnet signature
# (storage in the same region would have answered): a filter or a route that
# drops everything.
log "[51] all-public-dropped"
nva_fw -A FORWARD -s $VM_IP -d $DNS_P -j ACCEPT
nva_fw -A FORWARD -s $VM_IP -j DROP
tcpdump_start $NS_VM vm0 alldrop.pcap
fail 'timed out|[Tt]imeout' vm_curl -4 --connect-timeout 3.5 -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000051.log"
fail 'timed out|[Tt]imeout' vm_curl -4 --connect-timeout 3.5 --data-binary "$TOKEN_BODY" "https://$AAD_NAME/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
fail 'timed out|[Tt]imeout' vm_curl -4 --connect-timeout 3.5 "https://$ASR_NAME/Subscriptions/00000000-0000-0000-0000-000000000000/registration"
fail 'timed out|[Tt]imeout' vm_curl -4 --connect-timeout 3.5 --data-binary '{"vm":"vm01","rpo_seconds":30}' "https://$SB_NAME/asrmonitoring/messages"
cap_stop; nva_fw_flush
publish alldrop.pcap all-public-dropped.pcap
f=$TMP/out/all-public-dropped.pcap
expect "DNS answers for the four names" "$f" "dns.flags.response==1 && dns.flags.rcode==0 && dns.a" -ge 4
expect "SYNs to storage" "$f" "$SYN && ip.dst==$BLOB_A" -ge 2
expect "any answer from Azure but DNS" "$f" "ip.src==$BLOB_A || ip.src==$AAD_A || ip.src==$ASR_A || ip.src==$SB_A" -eq 0
manifest all-public-dropped.pcap "every public endpoint silently dropped, the cache account too: only the VM's DNS answers" "$CLIENT" \
    "$BLOB_NAME=$BLOB_A; $AAD_NAME=$AAD_A; $ASR_NAME=$ASR_A; $SB_NAME=$SB_A; DNS $DNS_A" "$T_BLOB; $T_AAD; $T_ASR; $T_SB; $T_DNS" \
    "iptables on the NVA: FORWARD -s $VM_IP to DNS ACCEPT, everything else from the VM DROP" \
    "DNS ok for all four names; SYNs to storage, AAD, ASR and Service Bus (t=0, ~1 s, ~3 s) with no answer, no reset, no ICMP; curl gives up at 3.5 s each"
# 52. Multi-VM consistency: the VMs of one replication group talk to each
# other on TCP 20004 ("Azure to Azure disaster recovery architecture": no
# firewall may block it, and on Linux VMs the port is opened by hand).  The
# VM ($VM_IP) connects to two VMs of its group, both listening on 20004
# (Python): 10.1.3.4 answers; 10.1.2.4's own firewall drops the port
# (iptables INPUT DROP: a Linux VM where nobody opened it), so the VM's SYNs
# get no answer and bash gives up after 4 s.  Captured on the VM.
log "[52] multivm-20004"
MVC_SERVER='import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 20004))
s.listen(4)
while True:
    c, _ = s.accept()
    c.recv(64)
    c.sendall(b"ASR-MVC ok\n")
    c.close()'
for ns in $NS_VM2 $NS_VM3; do
    timeout 60 ip netns exec "$ns" $PY -c "$MVC_SERVER" &
    PIDS+=($!)
    wait_listen "$ns" t "0.0.0.0:20004"
done
in_ns $NS_VM2 iptables -A INPUT -p tcp --dport 20004 -j DROP
mvc() {  # address -- connect to a group member's port 20004, say hello, read its answer
    timeout 8 ip netns exec $NS_VM bash -c "timeout 4 bash -c 'exec 3<>/dev/tcp/$1/20004 && printf \"ASR-MVC hello\\n\" >&3 && head -c 64 <&3' || { echo \"timed out (\$?)\"; exit 1; }"
}
tcpdump_start $NS_VM vm0 multivm.pcap
ok mvc 10.1.3.4
fail 'timed out' mvc 10.1.2.4
cap_stop
in_ns $NS_VM2 iptables -F INPUT
publish multivm.pcap multivm-20004.pcap
f=$TMP/out/multivm-20004.pcap
expect "SYNs to 10.1.2.4:20004, unanswered" "$f" "ip.dst==10.1.2.4 && tcp.dstport==20004 && $SYN" -ge 3
expect "SYN/ACKs from 10.1.2.4" "$f" "ip.src==10.1.2.4 && tcp.flags.syn==1 && tcp.flags.ack==1" -eq 0
expect "SYN/ACK from 10.1.3.4:20004" "$f" "ip.src==10.1.3.4 && tcp.srcport==20004 && tcp.flags.syn==1 && tcp.flags.ack==1" -eq 1
expect "the answer of 10.1.3.4" "$f" "ip.src==10.1.3.4 && frame contains \"ASR-MVC ok\"" -eq 1
manifest multivm-20004.pcap "multi-VM consistency: the VM connects to two VMs of its replication group on TCP 20004; 10.1.3.4 answers, 10.1.2.4's host firewall drops the port" \
    "bash /dev/tcp in VM $VM_IP" "10.1.2.4:20004 and 10.1.3.4:20004 (Python listeners in two more VMs, routed by the NVA)" "-" \
    "iptables in VM 10.1.2.4: INPUT -p tcp --dport 20004 -j DROP" \
    "10.1.3.4: handshake, 'ASR-MVC hello' and 'ASR-MVC ok', FIN; 10.1.2.4: 3 SYNs over 3 s without answer (bash gives up after 4 s)"

# 53. A VM whose TLS 1.1 handshake with the cache storage account completes
# (ServerHello TLS 1.1): the VM still offers at most TLS 1.1 (curl limited as
# in 45) and the server still accepts it.  Site Recovery disabled TLS older
# than 1.2 ("Transport Layer Security in Azure Site Recovery") and Azure Blob
# Storage no longer accepts TLS 1.0 and 1.1; its refusal is inside TLS
# (HTTP 400 "The TLS version of the connection is not permitted on this
# storage account"), which a capture cannot show, so a completed old
# handshake is what the capture can tell.  The lab's storage server
# requires TLS 1.2: a second azsrv.py serves the storage certificate on
# port 4443 with TLS 1.0 to 1.2 at security level 0 ("old"), and the
# "Azure" namespace DNATs the storage address's port 443 to it for this
# scenario only (the VM sees port 443 and the storage server's TTL).
log "[53] tls-old-accepted"
timeout 60 ip netns exec $NS_AZ $PY "$HERE/azsrv.py" --certdir "$P" --lifetime 40 --listen "$BLOB_P,4443,storage,old" >/dev/null 2>&1 &
OLDSRV_PID=$!; PIDS+=("$OLDSRV_PID")
wait_listen $NS_AZ t "$BLOB_P:4443"
AZ_OLD_DNAT=(-p tcp -d $BLOB_P --dport 443 -j DNAT --to-destination $BLOB_P:4443)
ip netns exec $NS_AZ iptables -t nat -A PREROUTING "${AZ_OLD_DNAT[@]}"
tcpdump_start $NS_VM vm0 tlsoldok.pcap
ok vm_curl -4 "${OLD_TLS[@]}" -T "$TMP/blob-20k.bin" "https://$BLOB_NAME/asr-cache/vm01-disk0/00000053.log"
cap_stop
ip netns exec $NS_AZ iptables -t nat -D PREROUTING "${AZ_OLD_DNAT[@]}"
kill "$OLDSRV_PID" 2>/dev/null || true
wait "$OLDSRV_PID" 2>/dev/null || true
publish tlsoldok.pcap tls-old-accepted.pcap
f=$TMP/out/tls-old-accepted.pcap
expect "ClientHellos offering at most TLS 1.1" "$f" "$OLD_HELLO" -eq 1
expect "ServerHello from storage choosing TLS 1.1" "$f" "tls.handshake.type==2 && ip.src==$BLOB_A && tls.handshake.version==0x0302" -eq 1
expect "ServerHellos of any other version" "$f" "tls.handshake.type==2 && tls.handshake.version!=0x0302" -eq 0
expect "plaintext alerts" "$f" "tls.alert_message.desc" -eq 0
expect "upload data to storage" "$f" "ip.dst==$BLOB_A && tcp.len>1000" -ge 10
manifest tls-old-accepted.pcap "a VM that offers at most TLS 1.1 and a storage server that still accepts it: the handshake completes at TLS 1.1 and the upload works" \
    "VM $VM_IP (curl 7.88/OpenSSL 3 at security level 0, limited to TLS 1.1)" "$BLOB_NAME=$BLOB_A; DNS $DNS_A" "$T_BLOB; $T_DNS" \
    "none in the path: the client offers at most TLS 1.1 (curl --tlsv1.0 --tls-max 1.1); the storage server (Python ssl, TLS 1.0-1.2, security level 0, reached by DNAT in the Azure namespace) accepts it" \
    "storage: ClientHello version TLS 1.1, no supported_versions; ServerHello TLS 1.1; 20 KB PUT -> 201"

teardown                      # the lab is no longer needed
log "captures done after ${SECONDS}s; writing ground truth"

# ================================================================ ground truth
# One line per frame, straight from tshark.  All fields use occurrence=a
# with '|' between occurrences (see the manifest's header).
FIELDS=(frame.number frame.time_epoch frame.len frame.cap_len frame.interface_id frame.protocols
    ieee8021ad.id vlan.id vxlan.vni ip.src ip.dst ipv6.src ipv6.dst
    udp.srcport udp.dstport udp.length tcp.stream tcp.srcport tcp.dstport tcp.seq tcp.ack
    tcp.flags.syn tcp.flags.ack tcp.flags.reset tcp.flags.fin tcp.len
    tcp.analysis.retransmission tcp.analysis.fast_retransmission tcp.analysis.duplicate_ack
    tcp.analysis.zero_window tcp.analysis.out_of_order tcp.analysis.lost_segment
    tls.handshake.type tls.handshake.extensions_server_name tls.handshake.version
    tls.handshake.extensions.supported_version tls.alert_message.desc
    x509sat.uTF8String x509sat.printableString x509sat.CountryName x509ce.dNSName
    dns.qry.name dns.qry.type dns.flags.response dns.flags.rcode dns.a dns.aaaa dns.cname
    icmp.type icmp.code icmpv6.type icmpv6.code
    http.request.method http.request.uri http.response.code
    ip.id ip.ttl ipv6.hlim tcp.window_size_value tcp.checksum
    tcp.seq_raw tls.record.content_type tls.record.opaque_type tls.record.length)
TS_ARGS=()
for f in "${FIELDS[@]}"; do TS_ARGS+=(-e "$f"); done

ts() { timeout 120 tshark -n -r "$@" 2>/dev/null; }
wanted() { [ ${#ONLY[@]} -eq 0 ] || [[ " ${ONLY[*]} " == *" $1 "* ]]; }
problems=0
for row in "${MANIFEST[@]}"; do
    file=${row%%$'\t'*}
    wanted "$file" || continue
    f=$TMP/out/$file
    base=${file%.*}
    read -r -a xopt <<<"${TSHARK_EXTRA[$file]:-}"
    ts "$f" "${xopt[@]}" -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator='|' -E quote=n \
        "${TS_ARGS[@]}" > "$TMP/out/truth/$base.tsv" || true
    [ "$(wc -l < "$TMP/out/truth/$base.tsv")" -gt 1 ] || { log "  $file: tshark read no frame"; problems=$((problems+1)); }
    [ "$file" = truncated.pcap ] && continue
    # Out-of-order reassembly for this check: tshark's default in-order TCP
    # reassembly flags a retransmitted or duplicated segment that overlaps a
    # pending reassembly as "Malformed" (retrans, pktmon and VF copies).
    mal=$(ts "$f" "${xopt[@]}" -o tcp.reassemble_out_of_order:TRUE -Y '_ws.malformed' -T fields -e frame.number | wc -l)
    bad=$(ts "$f" "${xopt[@]}" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
        -Y 'ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || icmp.checksum.status == 0 || icmpv6.checksum.status == 0' \
        -T fields -e frame.number | wc -l)
    [ "$mal" = 0 ] || { log "  $file: $mal malformed frames"; problems=$((problems+1)); }
    [ "$bad" = 0 ] || { log "  $file: $bad frames with a bad checksum"; problems=$((problems+1)); }
    timeout 60 $PY "$HERE/rewrite.py" verify "$TMP/out/truth/$base.tsv" "${FORBID_ARGS[@]}" --allow "$PROXY_IP" --allow "$IMDS_IP" >&2 \
        || problems=$((problems+1))
done
[ "$problems" = 0 ] || die "$problems verification problem(s); captures/ left unchanged"

# ================================================================ manifest
{
    echo "# asrscope sample captures, made by make-captures.sh (real traffic in network namespaces, addresses rewritten by rewrite.py)."
    echo "# Address map (lab -> capture): $DNS_P->$DNS_A (Azure DNS); $BLOB_P->$BLOB_A ($T_BLOB); $BLOB6_P->$BLOB6_A ($T_BLOB6);"
    echo "#   $CUS_P->$CUS_A ($T_CUS); $AAD_P->$AAD_A ($T_AAD); $ASR_P->$ASR_A ($T_ASR); $VAULTPUB_P->$VAULTPUB_A ($T_ASR, vault front end); $SB_P->$SB_A ($T_SB);"
    echo "#   $KV_P->$KV_A ($T_KV); $AUTO_P->$AUTO_A ($T_AUTO); $OUT_P->$OUT_A (not Azure, TEST-NET-3); $WEB_P->$WEB_A (not Azure, TEST-NET-2: $WEB_NAME); $CRL_P->$CRL_A (not Azure, TEST-NET-1: $CRL_NAME, $AIA_NAME). Service tags: ServiceTags_Public.json changeNumber 375."
    echo "#   In nva-snat.pcap only: the NVA's outside address $NVA_OUT->$NVA_OUT_A (TEST-NET-2, the appliance's public SNAT address)."
    echo "# Not rewritten: VM $VM_IP / $VM_IP6, NVA $NVA_IP / $NVA_IP6 / $NVA_OUT (except in nva-snat.pcap), proxy $PROXY_IP, IMDS $IMDS_IP (the same in Azure), private endpoints $PE_IP (cache storage) and $PE_ASR_IP (vault), custom DNS $CUSTOM_DNS, VXLAN underlay 172.16.0.0/24."
    echo "# Capture filter everywhere: no ARP, no IPv6 ND/MLD (inner ARP inside VXLAN remains)."
    echo "# truth/<name>.tsv: tshark 4.0 -T fields -E header=y -E occurrence=a -E aggregator='|' for every field, one row per frame."
    echo "#   Multi-valued cells use '|': ip.src/ip.dst list outer then inner header (ICMP error quote, VXLAN inner packet);"
    echo "#   tls.handshake.type lists every handshake message of the frame; dns.a/dns.aaaa/dns.cname list every answer;"
    echo "#   x509sat.uTF8String lists every UTF8String name component (subject and issuer, O/OU/CN/ST/L) of every certificate in the frame;"
    echo "#   x509sat.printableString is empty here (C= is in x509sat.CountryName); x509ce.dNSName lists the SANs. tcp.seq/tcp.ack are relative."
    echo "#   tcp.analysis.* are tshark's own flags ('1', or '1|1' for duplicate_ack; empty = not flagged). tcp.len is the (inner) TCP payload length."
    echo "#   ieee8021ad.id is the 802.1ad (QinQ outer) VID, vlan.id the 802.1Q VID. frame.interface_id only in pcapng."
    echo "#   ip.id, ip.ttl, ipv6.hlim list outer then inner header like ip.src; tcp.window_size_value is the unscaled window, tcp.checksum as captured."
    echo "#   tcp.seq_raw is the absolute sequence number; tls.record.content_type / opaque_type / length list every TLS record of the frame (TLS 1.3 encrypted records have opaque_type 23 and no content_type)."
    for file in "${!TSHARK_EXTRA[@]}"; do
        echo "#   truth/${file%.*}.tsv was written with tshark ${TSHARK_EXTRA[$file]} (tshark decodes VXLAN only on UDP 4789 by itself)."
    done
    printf 'file\tlink_type\tsnaplen\tframes\tbytes\tscenario\tclient\tservers\tazure_tags\tfault\texpected\n'
    for row in "${MANIFEST[@]}"; do
        file=${row%%$'\t'*}
        rest=${row#*$'\t'}
        if ! wanted "$file"; then
            awk -F'\t' -v f="$file" '$1 == f' manifest.tsv
            continue
        fi
        info=$(timeout 30 $PY "$HERE/rewrite.py" info "$TMP/out/$file")
        frames=$(( $(wc -l < "$TMP/out/truth/${file%.*}.tsv") - 1 ))
        printf '%s\t%s\t%s\t%s\t%s\n' "$file" "$info" "$frames" "$(stat -c %s "$TMP/out/$file")" "$rest"
    done
} > "$TMP/out/manifest.tsv"

# ================================================================ publish
if [ ${#ONLY[@]} -gt 0 ]; then
    for file in "${ONLY[@]}"; do
        mv "$TMP/out/$file" .
        mv "$TMP/out/truth/${file%.*}.tsv" truth/
    done
    mv "$TMP/out/manifest.tsv" .
else
    rm -f ./*.pcap ./*.pcapng manifest.tsv
    rm -rf truth
    mv "$TMP"/out/*.pcap "$TMP"/out/*.pcapng "$TMP/out/manifest.tsv" .
    mv "$TMP/out/truth" truth
fi
log "done in ${SECONDS}s: $(ls ./*.pcap ./*.pcapng | wc -l) captures, $(du -ch ./*.pcap ./*.pcapng | tail -1 | cut -f1) total"
