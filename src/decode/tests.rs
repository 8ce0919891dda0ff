//! The decoder on literal frames. Each frame is copied byte for byte from a
//! sample capture in `captures/`, named with its frame number; the addresses,
//! ports and VLAN ids asserted are tshark's reading of it (`captures/truth/`),
//! the other fields are read off the bytes shown. Encapsulations the captures
//! do not hold (GRE, ERSPAN, GENEVE, GTP-U, Teredo, IP-in-IP, MPLS, PPP,
//! PPPoE, SLL v1, BSD loopback) are built here around those real packets,
//! header by header as their specifications lay them out.

use super::*;

// ---------------------------------------------------------------------------
// Frames from the sample captures

/// syn-rst.pcap frame 3: the VM's SYN to Azure AD, 10.1.0.4:49950 ->
/// 4.149.98.200:443.
#[rustfmt::skip]
const SYN: &[u8] = &[
    // Ethernet
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04,
    0x08, 0x00,
    // IPv4, TTL 64, DF
    0x45, 0x00, 0x00, 0x3c, 0xc4, 0x4c, 0x40, 0x00, 0x40, 0x06, 0x05, 0x0e,
    0x0a, 0x01, 0x00, 0x04, 0x04, 0x95, 0x62, 0xc8,
    // TCP SYN, 20 bytes of options (MSS, SACK, timestamps, window scale)
    0xc3, 0x1e, 0x01, 0xbb, 0x89, 0x49, 0x97, 0x0a, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0xfa, 0xf0, 0x24, 0x9f, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    0x04, 0x02, 0x08, 0x0a, 0xfd, 0x9a, 0xd4, 0x42, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x03, 0x0a,
];

/// The IPv4 packet of [`SYN`], without its Ethernet header.
fn syn_ip() -> &'static [u8] {
    &SYN[14..]
}

/// syn-rst.pcap frame 4: the RST/ACK answering [`SYN`], 54 bytes (captured
/// on a veth, so without the padding to 60 bytes a wire would add).
#[rustfmt::skip]
const RST: &[u8] = &[
    // Ethernet
    0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
    0x08, 0x00,
    // IPv4 4.149.98.200 -> 10.1.0.4
    0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0xc9, 0x6e,
    0x04, 0x95, 0x62, 0xc8, 0x0a, 0x01, 0x00, 0x04,
    // TCP RST/ACK, no options
    0x01, 0xbb, 0xc3, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x89, 0x49, 0x97, 0x0b,
    0x50, 0x14, 0x00, 0x00, 0x59, 0x40, 0x00, 0x00,
];

/// icmp-admin-prohibited.pcap frame 1: a DNS query to Azure DNS.
#[rustfmt::skip]
const DNS_QUERY: &[u8] = &[
    // Ethernet
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04,
    0x08, 0x00,
    // IPv4 10.1.0.4 -> 168.63.129.16, protocol 17
    0x45, 0x00, 0x00, 0x63, 0x9d, 0x49, 0x40, 0x00, 0x40, 0x11, 0x69, 0xec,
    0x0a, 0x01, 0x00, 0x04, 0xa8, 0x3f, 0x81, 0x10,
    // UDP 50002 -> 53, length 79, checksum
    0xc3, 0x52, 0x00, 0x35, 0x00, 0x4f, 0x7a, 0x62,
    // DNS: A pod01-srs1.eus.hypervrecoverymanager.windowsazure.com
    0x50, 0x06, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0a, 0x70, 0x6f, 0x64, 0x30, 0x31, 0x2d, 0x73, 0x72, 0x73, 0x31, 0x03,
    0x65, 0x75, 0x73, 0x15, 0x68, 0x79, 0x70, 0x65, 0x72, 0x76, 0x72, 0x65,
    0x63, 0x6f, 0x76, 0x65, 0x72, 0x79, 0x6d, 0x61, 0x6e, 0x61, 0x67, 0x65,
    0x72, 0x0c, 0x77, 0x69, 0x6e, 0x64, 0x6f, 0x77, 0x73, 0x61, 0x7a, 0x75,
    0x72, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
];

/// icmp-admin-prohibited.pcap frame 4: the NVA's ICMP 3/13 (administratively
/// prohibited) quoting the VM's SYN to Site Recovery.
#[rustfmt::skip]
const ICMP_PROHIBITED: &[u8] = &[
    // Ethernet
    0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
    0x08, 0x00,
    // IPv4 10.1.0.1 -> 10.1.0.4, protocol 1
    0x45, 0xc0, 0x00, 0x58, 0xef, 0x10, 0x00, 0x00, 0x40, 0x01, 0x76, 0xce,
    0x0a, 0x01, 0x00, 0x01, 0x0a, 0x01, 0x00, 0x04,
    // ICMP type 3 code 13
    0x03, 0x0d, 0x21, 0x85, 0x00, 0x00, 0x00, 0x00,
    // quoted IPv4 10.1.0.4 -> 4.149.21.202 (TTL 63: after the NVA's hop)
    0x45, 0x00, 0x00, 0x3c, 0x31, 0x3f, 0x40, 0x00, 0x3f, 0x06, 0xe6, 0x19,
    0x0a, 0x01, 0x00, 0x04, 0x04, 0x95, 0x15, 0xca,
    // quoted TCP SYN 58402 -> 443
    0xe4, 0x22, 0x01, 0xbb, 0x99, 0x44, 0xfe, 0x6c, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0xfa, 0xf0, 0xb4, 0x5a, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    0x04, 0x02, 0x08, 0x0a, 0x15, 0x47, 0xe1, 0x77, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x03, 0x0a,
];

/// vlan-tls.pcap frame 3: a SYN to storage with an 802.1Q tag.
#[rustfmt::skip]
const VLAN_SYN: &[u8] = &[
    // Ethernet addresses
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04,
    // 802.1Q tag: TPID 0x8100, VID 100
    0x81, 0x00, 0x00, 0x64,
    // EtherType IPv4
    0x08, 0x00,
    // IPv4 10.1.0.4 -> 13.68.163.36
    0x45, 0x00, 0x00, 0x3c, 0x20, 0x3f, 0x40, 0x00, 0x40, 0x06, 0x60, 0x10,
    0x0a, 0x01, 0x00, 0x04, 0x0d, 0x44, 0xa3, 0x24,
    // TCP SYN 55052 -> 443
    0xd7, 0x0c, 0x01, 0xbb, 0x5c, 0x2b, 0x72, 0xf4, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0xfa, 0xf0, 0x1d, 0x89, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    0x04, 0x02, 0x08, 0x0a, 0x48, 0x3c, 0x84, 0xf2, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x03, 0x0a,
];

/// qinq-tls.pcap frame 3: a SYN to Service Bus with an 802.1ad and an 802.1Q tag.
#[rustfmt::skip]
const QINQ_SYN: &[u8] = &[
    // Ethernet addresses
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04,
    // 802.1ad tag: TPID 0x88a8, VID 200
    0x88, 0xa8, 0x00, 0xc8,
    // 802.1Q tag: TPID 0x8100, VID 100
    0x81, 0x00, 0x00, 0x64,
    // EtherType IPv4
    0x08, 0x00,
    // IPv4 10.1.0.4 -> 13.89.170.130
    0x45, 0x00, 0x00, 0x3c, 0x6f, 0x7b, 0x40, 0x00, 0x40, 0x06, 0x09, 0x61,
    0x0a, 0x01, 0x00, 0x04, 0x0d, 0x59, 0xaa, 0x82,
    // TCP SYN 44700 -> 443
    0xae, 0x9c, 0x01, 0xbb, 0x22, 0x65, 0xe5, 0x6b, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0xfa, 0xf0, 0x53, 0xae, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    0x04, 0x02, 0x08, 0x0a, 0x60, 0xd3, 0x1e, 0x82, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x03, 0x0a,
];

/// any-sll2.pcap frame 3: a SYN to storage as `tcpdump -i any` writes it.
#[rustfmt::skip]
const SLL2_SYN: &[u8] = &[
    // SLL2: protocol 0x0800, reserved, ifindex 2, ARPHRD_ETHER, outgoing,
    // address length 6, address (padded to 8)
    0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x04, 0x06,
    0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04, 0x00, 0x00,
    // IPv4 10.1.0.4 -> 13.68.163.36
    0x45, 0x00, 0x00, 0x3c, 0x61, 0x37, 0x40, 0x00, 0x40, 0x06, 0x1f, 0x18,
    0x0a, 0x01, 0x00, 0x04, 0x0d, 0x44, 0xa3, 0x24,
    // TCP SYN 55064 -> 443
    0xd7, 0x18, 0x01, 0xbb, 0x58, 0x95, 0x34, 0x1b, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0xfa, 0xf0, 0x7b, 0x12, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    0x04, 0x02, 0x08, 0x0a, 0x61, 0xdb, 0x50, 0x2d, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x03, 0x0a,
];

/// ipv6-tls.pcap frame 5: the VM's SYN to storage over IPv6.
#[rustfmt::skip]
const V6_SYN: &[u8] = &[
    // Ethernet
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04,
    0x86, 0xdd,
    // IPv6 fd00:1::4 -> 2603:1030:213::1:10, payload 40, next header 6, hop limit 64
    0x60, 0x0c, 0x70, 0xed, 0x00, 0x28, 0x06, 0x40, 0xfd, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04,
    0x26, 0x03, 0x10, 0x30, 0x02, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x10,
    // TCP SYN 52606 -> 443
    0xcd, 0x7e, 0x01, 0xbb, 0x98, 0xe0, 0xe6, 0x34, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0xfd, 0x20, 0x01, 0x56, 0x00, 0x00, 0x02, 0x04, 0x05, 0xa0,
    0x04, 0x02, 0x08, 0x0a, 0x4f, 0xd2, 0x76, 0x1c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x03, 0x0a,
];

/// nva-vxlan.pcap frame 7: the VM's SYN to storage, tunnelled by the NVA's
/// VTEPs in VXLAN VNI 800.
#[rustfmt::skip]
const VXLAN_SYN: &[u8] = &[
    // Ethernet
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04,
    0x08, 0x00,
    // IPv4 172.16.0.4 -> 172.16.0.1, protocol 17
    0x45, 0x00, 0x00, 0x6e, 0x6b, 0xc2, 0x00, 0x00, 0x40, 0x11, 0xb6, 0x97,
    0xac, 0x10, 0x00, 0x04, 0xac, 0x10, 0x00, 0x01,
    // UDP 47476 -> 4789, length 90
    0xb9, 0x74, 0x12, 0xb5, 0x00, 0x5a, 0xe1, 0x33,
    // VXLAN: flags I, VNI 800
    0x08, 0x00, 0x00, 0x00, 0x00, 0x03, 0x20, 0x00,
    // inner Ethernet
    0x00, 0x0d, 0x3a, 0x20, 0x08, 0x01, 0x00, 0x0d, 0x3a, 0x10, 0x08, 0x04,
    0x08, 0x00,
    // inner IPv4 10.1.0.4 -> 13.68.163.36
    0x45, 0x00, 0x00, 0x3c, 0x55, 0xe5, 0x40, 0x00, 0x40, 0x06, 0x2a, 0x6a,
    0x0a, 0x01, 0x00, 0x04, 0x0d, 0x44, 0xa3, 0x24,
    // inner TCP SYN 55070 -> 443
    0xd7, 0x1e, 0x01, 0xbb, 0xe1, 0xd2, 0xdd, 0x5e, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0xfd, 0x5c, 0xc4, 0x3e, 0x00, 0x00, 0x02, 0x04, 0x05, 0x82,
    0x04, 0x02, 0x08, 0x0a, 0x43, 0x64, 0xf0, 0xb6, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x03, 0x0a,
];

/// nva-vxlan.pcap frame 1: an ARP request inside VXLAN.
#[rustfmt::skip]
const VXLAN_ARP: &[u8] = &[
    // Ethernet
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04,
    0x08, 0x00,
    // IPv4 172.16.0.4 -> 172.16.0.1, protocol 17
    0x45, 0x00, 0x00, 0x4e, 0x6b, 0xbf, 0x00, 0x00, 0x40, 0x11, 0xb6, 0xba,
    0xac, 0x10, 0x00, 0x04, 0xac, 0x10, 0x00, 0x01,
    // UDP 41932 -> 4789, length 58
    0xa3, 0xcc, 0x12, 0xb5, 0x00, 0x3a, 0x2a, 0x7c,
    // VXLAN: flags I, VNI 800
    0x08, 0x00, 0x00, 0x00, 0x00, 0x03, 0x20, 0x00,
    // inner Ethernet, EtherType ARP
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x0d, 0x3a, 0x10, 0x08, 0x04,
    0x08, 0x06,
    // ARP request: who has 169.254.80.1
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x0d, 0x3a, 0x10,
    0x08, 0x04, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xa9, 0xfe, 0x50, 0x01,
];

/// snaplen-96.pcap frame 6: a ClientHello segment of 583 bytes on the wire,
/// captured with `-s 96`.
#[rustfmt::skip]
const CUT_HELLO: &[u8] = &[
    // Ethernet
    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04,
    0x08, 0x00,
    // IPv4 10.1.0.4 -> 13.68.163.36, total length 569
    0x45, 0x00, 0x02, 0x39, 0xac, 0x55, 0x40, 0x00, 0x40, 0x06, 0xd1, 0xfc,
    0x0a, 0x01, 0x00, 0x04, 0x0d, 0x44, 0xa3, 0x24,
    // TCP PSH/ACK 44490 -> 443, timestamps
    0xad, 0xca, 0x01, 0xbb, 0xc3, 0x7b, 0x4a, 0xbc, 0x35, 0xad, 0xf7, 0x0c,
    0x80, 0x18, 0x00, 0x3f, 0x11, 0x55, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a,
    0x61, 0x11, 0x70, 0x12, 0x2b, 0xc9, 0x0a, 0x5e,
    // the first 30 of the ClientHello's 517 bytes
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xd6,
    0x36, 0x20, 0xbb, 0x67, 0xdc, 0x7a, 0x59, 0xd3, 0x6e, 0x75, 0x09, 0x67,
    0xcb, 0x4f, 0x9d, 0xe9, 0xf3, 0x9b,
];

// ---------------------------------------------------------------------------
// Headers built around the real packets

const VM: [u8; 4] = [10, 1, 0, 4];
const AAD: [u8; 4] = [4, 149, 98, 200];
const VTEP_A: [u8; 4] = [172, 16, 0, 4];
const VTEP_B: [u8; 4] = [172, 16, 0, 1];
const VM6: [u8; 16] = [0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4];
const NVA6: [u8; 16] = [0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// An Ethernet header (the sample captures' addresses) before `payload`.
fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    cat(&[&SYN[..12], &ethertype.to_be_bytes(), payload])
}

/// An IPv4 header (no options, TTL 64, DF, checksum set) before `payload`.
fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let len = (20 + payload.len()) as u16;
    let mut h = cat(&[
        &[0x45, 0x00],
        &len.to_be_bytes(),
        &[0x12, 0x34, 0x40, 0x00, 64, proto, 0, 0],
        &src,
        &dst,
    ]);
    let sum = h
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum::<u32>();
    let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    cat(&[&h, payload])
}

/// An IPv6 header (hop limit 64) before `payload`, which starts with the
/// header `next` names.
fn ipv6(next: u8, src: [u8; 16], dst: [u8; 16], payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u16;
    cat(&[
        &[0x60, 0, 0, 0],
        &len.to_be_bytes(),
        &[next, 64],
        &src,
        &dst,
        payload,
    ])
}

/// A UDP header (no checksum) before `payload`.
fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = (8 + payload.len()) as u16;
    cat(&[
        &sport.to_be_bytes(),
        &dport.to_be_bytes(),
        &len.to_be_bytes(),
        &[0, 0],
        payload,
    ])
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn tcp<'a>(p: &Packet<'a>) -> TcpSeg<'a> {
    match p.l4 {
        L4::Tcp(t) => t,
        ref other => panic!("not TCP: {other:?}"),
    }
}

fn udp_of<'a>(p: &Packet<'a>) -> UdpDgram<'a> {
    match p.l4 {
        L4::Udp(u) => u,
        ref other => panic!("not UDP: {other:?}"),
    }
}

/// The fields of syn-rst.pcap's SYN, wherever it was carried.
fn assert_is_the_syn(p: &Packet<'_>) {
    assert_eq!(
        (p.src, p.dst, p.ttl),
        (ip("10.1.0.4"), ip("4.149.98.200"), 64)
    );
    let t = tcp(p);
    assert_eq!((t.sport, t.dport), (49950, 443));
    assert_eq!((t.seq, t.ack, t.flags), (0x8949_970a, 0, tcp_flags::SYN));
    assert_eq!(t.window, 64240);
    assert!(t.payload.is_empty());
    assert_eq!(t.missing, 0);
}

/// The fields of ipv6-tls.pcap's SYN, wherever it was carried.
fn assert_is_the_v6_syn(p: &Packet<'_>) {
    assert_eq!(p.src, ip("fd00:1::4"));
    assert_eq!(p.dst, ip("2603:1030:213::1:10"));
    assert_eq!(p.ttl, 64, "hop limit");
    let t = tcp(p);
    assert_eq!((t.sport, t.dport, t.flags), (52606, 443, tcp_flags::SYN));
    assert_eq!((t.seq, t.window), (0x98e0_e634, 64800));
    assert!(t.payload.is_empty());
}

fn tunnel(kind: TunnelKind, outer: Option<(&str, &str)>) -> Option<Tunnel> {
    Some(Tunnel {
        kind,
        outer_src: outer.map(|o| ip(o.0)),
        outer_dst: outer.map(|o| ip(o.1)),
        port: None,
        vni: None,
    })
}

fn udp_tunnel(kind: TunnelKind, outer: (&str, &str), port: u16, vni: u32) -> Option<Tunnel> {
    let mut t = tunnel(kind, Some(outer));
    if let Some(t) = t.as_mut() {
        t.port = Some(port);
        t.vni = Some(vni);
    }
    t
}

// ---------------------------------------------------------------------------
// Link layers

#[test]
fn ethernet_ipv4_tcp_syn() {
    let p = decode(1, SYN).unwrap();
    assert_is_the_syn(&p);
    assert_eq!((p.vlan, p.tunnel), (None, None));
}

#[test]
fn rst_ack_with_and_without_ethernet_padding() {
    let p = decode(1, RST).unwrap();
    assert_eq!((p.src, p.dst), (ip("4.149.98.200"), ip("10.1.0.4")));
    let t = tcp(&p);
    assert_eq!((t.sport, t.dport), (443, 49950));
    assert_eq!(t.flags, tcp_flags::RST | tcp_flags::ACK);
    assert_eq!((t.seq, t.ack, t.window), (0, 0x8949_970b, 0));
    assert!(t.payload.is_empty());
    // On a wire the frame is padded to 60 bytes: the padding is not payload.
    let padded = cat(&[RST, &[0; 6]]);
    let p = decode(1, &padded).unwrap();
    let t = tcp(&p);
    assert!(t.payload.is_empty(), "{:?}", t.payload);
    assert_eq!(t.missing, 0);
}

#[test]
fn udp_dns_query() {
    let p = decode(1, DNS_QUERY).unwrap();
    assert_eq!(
        (p.src, p.dst, p.ttl),
        (ip("10.1.0.4"), ip("168.63.129.16"), 64)
    );
    let u = udp_of(&p);
    assert_eq!((u.sport, u.dport), (50002, 53));
    // UDP length 79: 71 bytes of DNS, starting with the query id 0x5006.
    assert_eq!(u.payload.len(), 71);
    assert_eq!(&u.payload[..2], &[0x50, 0x06]);
    assert_eq!(u.missing, 0);
}

#[test]
fn vlan_802_1q() {
    let p = decode(1, VLAN_SYN).unwrap();
    assert_eq!(p.vlan, Some(100));
    assert_eq!((p.src, p.dst), (ip("10.1.0.4"), ip("13.68.163.36")));
    let t = tcp(&p);
    assert_eq!((t.sport, t.dport, t.flags), (55052, 443, tcp_flags::SYN));
    assert_eq!(t.seq, 0x5c2b_72f4);
    assert_eq!(p.tunnel, None);
}

#[test]
fn qinq_keeps_the_outer_vlan() {
    let p = decode(1, QINQ_SYN).unwrap();
    assert_eq!(p.vlan, Some(200), "the 802.1ad (outer) VID");
    assert_eq!((p.src, p.dst), (ip("10.1.0.4"), ip("13.89.170.130")));
    let t = tcp(&p);
    assert_eq!((t.sport, t.dport, t.flags), (44700, 443, tcp_flags::SYN));
    // 0x9100 and 0x9200, the older QinQ TPIDs, are read the same way.
    for tpid in [[0x91, 0x00], [0x92, 0x00]] {
        let mut f = QINQ_SYN.to_vec();
        f[12..14].copy_from_slice(&tpid);
        assert_eq!(decode(1, &f).unwrap().vlan, Some(200));
    }
    // A priority and DEI in the tag do not leak into the VID.
    let mut f = VLAN_SYN.to_vec();
    f[14] |= 0xf0;
    assert_eq!(decode(1, &f).unwrap().vlan, Some(100));
}

#[test]
fn cisco_vn_tag() {
    // VN-Tag (0x8926): 4 bytes of tag, then the EtherType.
    let f = eth(
        0x8926,
        &cat(&[&[0x80, 0x01, 0x00, 0x02, 0x08, 0x00], syn_ip()]),
    );
    assert_is_the_syn(&decode(1, &f).unwrap());
}

#[test]
fn linux_cooked_v2() {
    let p = decode(276, SLL2_SYN).unwrap();
    assert_eq!(
        (p.src, p.dst, p.ttl),
        (ip("10.1.0.4"), ip("13.68.163.36"), 64)
    );
    let t = tcp(&p);
    assert_eq!((t.sport, t.dport, t.flags), (55064, 443, tcp_flags::SYN));
    assert_eq!(p.vlan, None);
    // Another protocol in the header: not IP.
    let mut arp = SLL2_SYN.to_vec();
    arp[..2].copy_from_slice(&[0x08, 0x06]);
    assert_eq!(decode(276, &arp).unwrap_err(), DecodeError::NotIp(0x0806));
}

#[test]
fn linux_cooked_v1() {
    // The packet of any-sll2.pcap frame 3 with the 16-byte v1 header that
    // `tcpdump -i any -y LINUX_SLL` writes: packet type 4 (outgoing),
    // ARPHRD_ETHER, address length 6, address padded to 8, protocol.
    let header = cat(&[
        &[0x00, 0x04],     // packet type: outgoing
        &[0x00, 0x01],     // ARPHRD_ETHER
        &[0x00, 0x06],     // address length
        &SLL2_SYN[12..20], // address, padded to 8
        &[0x08, 0x00],     // protocol
    ]);
    let f = cat(&[&header, &SLL2_SYN[20..]]);
    let p = decode(113, &f).unwrap();
    assert_eq!((p.src, p.dst), (ip("10.1.0.4"), ip("13.68.163.36")));
    assert_eq!(tcp(&p).sport, 55064);
    // A VLAN tag kept in the cooked header's protocol field.
    let tagged = cat(&[
        &header[..14],
        &[0x81, 0x00, 0x00, 0x64, 0x08, 0x00],
        &SLL2_SYN[20..],
    ]);
    assert_eq!(decode(113, &tagged).unwrap().vlan, Some(100));
}

#[test]
fn raw_ip_link_types() {
    for lt in [12, 14, 101, 228] {
        assert_is_the_syn(&decode(lt, syn_ip()).unwrap());
    }
    for lt in [12, 101, 229] {
        assert_is_the_v6_syn(&decode(lt, &V6_SYN[14..]).unwrap());
    }
}

#[test]
fn bsd_loopback_in_either_byte_order() {
    // NULL: AF_INET (2) in the capturing host's byte order.
    assert_is_the_syn(&decode(0, &cat(&[&[2, 0, 0, 0], syn_ip()])).unwrap());
    assert_is_the_syn(&decode(0, &cat(&[&[0, 0, 0, 2], syn_ip()])).unwrap());
    // AF_INET6 is 24, 28 or 30 depending on the BSD.
    for fam in [24u8, 28, 30] {
        let f = cat(&[&[fam, 0, 0, 0], &V6_SYN[14..]]);
        assert_is_the_v6_syn(&decode(0, &f).unwrap());
    }
    // LOOP: always big-endian.
    assert_is_the_syn(&decode(108, &cat(&[&[0, 0, 0, 2], syn_ip()])).unwrap());
    // Another family: not IP.
    let f = cat(&[&[7, 0, 0, 0], syn_ip()]);
    assert_eq!(decode(0, &f).unwrap_err(), DecodeError::NotIp(7));
    assert_eq!(
        decode(0, &[2, 0, 0]).unwrap_err(),
        DecodeError::TruncatedLink
    );
}

#[test]
fn ppp_link_types() {
    // Address and control (0xff 0x03), then protocol 0x0021 (IPv4).
    let hdlc = cat(&[&[0xff, 0x03, 0x00, 0x21], syn_ip()]);
    assert_is_the_syn(&decode(9, &hdlc).unwrap());
    assert_is_the_syn(&decode(50, &hdlc).unwrap());
    // PPP_WITH_DIR: a direction byte first.
    assert_is_the_syn(&decode(204, &cat(&[&[1], &hdlc])).unwrap());
    // Address and control left out; protocol-field compression (0x21).
    assert_is_the_syn(&decode(9, &cat(&[&[0x00, 0x21], syn_ip()])).unwrap());
    assert_is_the_syn(&decode(9, &cat(&[&[0x21], syn_ip()])).unwrap());
    // IPv6 (0x0057).
    let v6 = cat(&[&[0xff, 0x03, 0x00, 0x57], &V6_SYN[14..]]);
    assert_is_the_v6_syn(&decode(9, &v6).unwrap());
    // LCP (0xc021) is not IP.
    let lcp = [0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04];
    assert_eq!(decode(9, &lcp).unwrap_err(), DecodeError::NotIp(0xc021));
}

#[test]
fn pppoe_session() {
    // PPPoE: version/type 0x11, code 0 (session data), session id, length,
    // then the PPP protocol (RFC 2516).
    let len = (2 + syn_ip().len()) as u16;
    let f = eth(
        0x8864,
        &cat(&[
            &[0x11, 0x00, 0x12, 0x34],
            &len.to_be_bytes(),
            &[0x00, 0x21],
            syn_ip(),
        ]),
    );
    let p = decode(1, &f).unwrap();
    assert_is_the_syn(&p);
    assert_eq!(p.tunnel, tunnel(TunnelKind::Pppoe, None));
}

#[test]
fn mpls_label_stack_and_pseudowire() {
    // Two labels (100, then 200 with the bottom-of-stack bit), TTL 64.
    let labels = [0x00, 0x06, 0x40, 0x40, 0x00, 0x0c, 0x81, 0x40];
    let f = eth(0x8847, &cat(&[&labels, syn_ip()]));
    let p = decode(1, &f).unwrap();
    assert_is_the_syn(&p);
    assert_eq!(p.tunnel, tunnel(TunnelKind::Mpls, None));
    // Ethernet pseudowire: a zero control word, then the whole frame.
    let pw = eth(
        0x8847,
        &cat(&[&[0x00, 0x06, 0x41, 0x40, 0, 0, 0, 0], VLAN_SYN]),
    );
    let p = decode(1, &pw).unwrap();
    assert_eq!(p.tunnel, tunnel(TunnelKind::Mpls, None));
    assert_eq!(p.vlan, Some(100), "the VLAN of the frame inside");
    assert_eq!(tcp(&p).sport, 55052);
    // Under PPP (0x0281) too.
    let ppp = cat(&[&[0xff, 0x03, 0x02, 0x81], &labels, syn_ip()]);
    assert_eq!(
        decode(9, &ppp).unwrap().tunnel,
        tunnel(TunnelKind::Mpls, None)
    );
    // Neither IP nor a control word after the stack.
    let odd = eth(0x8847, &[0x00, 0x06, 0x41, 0x40, 0x80, 0, 0, 0]);
    assert_eq!(decode(1, &odd).unwrap_err(), DecodeError::NotIp(0x8847));
}

#[test]
fn non_ip_and_unsupported_link_types() {
    // The inner frame of nva-vxlan.pcap frame 1: an ARP request.
    assert_eq!(
        decode(1, &VXLAN_ARP[50..]).unwrap_err(),
        DecodeError::NotIp(0x0806)
    );
    assert_eq!(
        decode(1, &eth(0x88cc, &[0; 32])).unwrap_err(),
        DecodeError::NotIp(0x88cc)
    );
    assert_eq!(
        decode(105, SYN).unwrap_err(),
        DecodeError::UnsupportedLinkType(105)
    );
    assert_eq!(
        decode(281, SYN).unwrap_err(),
        DecodeError::UnsupportedLinkType(281)
    );
    assert!(!linktype_supported(281));
    assert!(linktype_supported(276));
    assert_eq!(LinkType(281).to_string(), "281 (DSA_TAG_BRCM)");
    assert_eq!(LinkType(101).to_string(), "101 (RAW (IP))");
}

// ---------------------------------------------------------------------------
// IP

#[test]
fn ipv6_tcp_syn() {
    let p = decode(1, V6_SYN).unwrap();
    assert_is_the_v6_syn(&p);
    assert_eq!((p.vlan, p.tunnel), (None, None));
}

#[test]
fn ipv6_extension_headers_are_walked() {
    let (src, dst) = (&V6_SYN[22..38], &V6_SYN[38..54]);
    let tcp_seg = &V6_SYN[54..];
    // Hop-by-hop (PadN), then destination options (PadN), then TCP.
    let hop = [60, 0, 0x01, 0x04, 0, 0, 0, 0];
    let dest = [6, 0, 0x01, 0x04, 0, 0, 0, 0];
    let f = eth(
        0x86dd,
        &ipv6(
            0,
            src.try_into().unwrap(),
            dst.try_into().unwrap(),
            &cat(&[&hop, &dest, tcp_seg]),
        ),
    );
    assert_is_the_v6_syn(&decode(1, &f).unwrap());
    // A fragment header (offset 0, more fragments): counted as a fragment.
    let frag = [6, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef];
    let f = eth(
        0x86dd,
        &ipv6(
            44,
            src.try_into().unwrap(),
            dst.try_into().unwrap(),
            &cat(&[&frag, tcp_seg]),
        ),
    );
    let p = decode(1, &f).unwrap();
    assert!(matches!(p.l4, L4::Fragment), "{:?}", p.l4);
    assert_eq!(p.src, ip("fd00:1::4"));
}

#[test]
fn ipv4_fragments_are_not_read_as_tcp() {
    // More fragments set, offset 0: the first fragment.
    let mut first = syn_ip().to_vec();
    first[6] = 0x20;
    assert!(matches!(decode(12, &first).unwrap().l4, L4::Fragment));
    // A later fragment: offset 185 (1480 bytes).
    let mut later = syn_ip().to_vec();
    later[6..8].copy_from_slice(&[0x00, 0xb9]);
    assert!(matches!(decode(12, &later).unwrap().l4, L4::Fragment));
}

#[test]
fn length_fields_left_at_zero_by_segmentation_offload() {
    // A sender's capture of a TSO/GSO packet can hold IPv4 total length 0 or
    // IPv6 payload length 0: the captured bytes are the packet.
    let mut v4 = syn_ip().to_vec();
    v4[2..4].copy_from_slice(&[0, 0]);
    let p = decode(12, &v4).unwrap();
    assert_is_the_syn(&p);
    let mut v6 = V6_SYN[14..].to_vec();
    v6[4..6].copy_from_slice(&[0, 0]);
    let p = decode(12, &v6).unwrap();
    assert_is_the_v6_syn(&p);
    assert_eq!(tcp(&p).missing, 0);
}

#[test]
fn other_ip_protocols() {
    // SCTP (132) is neither decoded nor refused.
    let f = ipv4(132, VM, AAD, &[0; 12]);
    let p = decode(12, &f).unwrap();
    assert!(matches!(p.l4, L4::Other(132)), "{:?}", p.l4);
    assert_eq!((p.src, p.dst), (ip("10.1.0.4"), ip("4.149.98.200")));
}

#[test]
fn snap_length_cut_is_counted_as_missing() {
    // 96 of 583 bytes captured: 30 bytes of TCP payload, 487 missing.
    let p = decode(1, CUT_HELLO).unwrap();
    assert_eq!((p.src, p.dst), (ip("10.1.0.4"), ip("13.68.163.36")));
    let t = tcp(&p);
    assert_eq!((t.sport, t.dport), (44490, 443));
    assert_eq!(t.flags, tcp_flags::PSH | tcp_flags::ACK);
    assert_eq!((t.seq, t.ack, t.window), (0xc37b_4abc, 0x35ad_f70c, 63));
    assert_eq!(t.payload, &CUT_HELLO[66..]);
    assert_eq!(t.payload.len(), 30);
    assert_eq!(t.missing, 487);
    assert_eq!(t.payload.len() as u32 + t.missing, 517, "tshark's tcp.len");
    // Every shorter cut past the TCP header moves bytes from payload to missing.
    for cut in 66..CUT_HELLO.len() {
        let p = decode(1, &CUT_HELLO[..cut]).unwrap();
        let t = tcp(&p);
        assert_eq!(
            (t.payload.len(), t.missing),
            (cut - 66, 517 - (cut as u32 - 66))
        );
    }
}

// ---------------------------------------------------------------------------
// ICMP

#[test]
fn icmp_error_names_the_flow_it_quotes() {
    let p = decode(1, ICMP_PROHIBITED).unwrap();
    assert_eq!((p.src, p.dst, p.ttl), (ip("10.1.0.1"), ip("10.1.0.4"), 64));
    let quoted = QuotedFlow {
        proto: 6,
        src: ip("10.1.0.4"),
        dst: ip("4.149.21.202"),
        sport: 58402,
        dport: 443,
    };
    let L4::IcmpError(e) = p.l4 else {
        panic!("{:?}", p.l4)
    };
    assert_eq!(
        (e.v6, e.icmp_type, e.code, e.quoted),
        (false, 3, 13, quoted)
    );
    // The quoted SYN's TCP header is 40 bytes: 32 are beyond the 8 kept,
    // and they are the frame's last bytes.
    assert_eq!(e.beyond.len(), 32);
    assert_eq!(e.beyond, &ICMP_PROHIBITED[ICMP_PROHIBITED.len() - 32..]);
    assert_eq!(quoted_flow(&ICMP_PROHIBITED[42..]), Some(quoted));
}

#[test]
fn icmp_quotes_of_every_length() {
    // RFC 792 asks only for the IP header and 8 bytes; shorter quotes happen.
    let quote = 42; // where the quoted IP header starts
    for cut in quote + 20..=ICMP_PROHIBITED.len() {
        let p = decode(1, &ICMP_PROHIBITED[..cut]).unwrap();
        let L4::IcmpError(e) = p.l4 else {
            panic!("cut {cut}: {:?}", p.l4)
        };
        let ports = if cut >= quote + 24 {
            (58402, 443)
        } else {
            (0, 0)
        };
        assert_eq!((e.quoted.sport, e.quoted.dport), ports, "cut {cut}");
        assert_eq!(e.quoted.dst, ip("4.149.21.202"));
        assert_eq!(e.beyond.len(), cut.saturating_sub(quote + 28), "cut {cut}");
    }
    // A quote cut inside its IP header names no flow: a plain ICMP message.
    for cut in 34..quote + 20 {
        let p = decode(1, &ICMP_PROHIBITED[..cut]).unwrap();
        assert!(matches!(p.l4, L4::Icmp), "cut {cut}: {:?}", p.l4);
    }
    // An echo request is not an error.
    let echo = ipv4(1, VM, AAD, &[8, 0, 0xf7, 0xff, 0, 1, 0, 0]);
    assert!(matches!(decode(12, &echo).unwrap().l4, L4::Icmp));
}

#[test]
fn icmpv6_error_names_the_flow_it_quotes() {
    // ICMPv6 destination unreachable, code 1 (administratively prohibited),
    // from the NVA, quoting ipv6-tls.pcap's SYN.
    let body = cat(&[&[1, 1, 0, 0, 0, 0, 0, 0], &V6_SYN[14..]]);
    let f = eth(0x86dd, &ipv6(58, NVA6, VM6, &body));
    let p = decode(1, &f).unwrap();
    assert_eq!((p.src, p.dst), (ip("fd00:1::1"), ip("fd00:1::4")));
    let L4::IcmpError(e) = p.l4 else {
        panic!("{:?}", p.l4)
    };
    assert_eq!(
        (e.v6, e.icmp_type, e.code, e.quoted),
        (
            true,
            1,
            1,
            QuotedFlow {
                proto: 6,
                src: ip("fd00:1::4"),
                dst: ip("2603:1030:213::1:10"),
                sport: 52606,
                dport: 443,
            }
        )
    );
    // Packet too big (2) and time exceeded (3) are errors; echo (128) is not.
    for (t, error) in [
        (2u8, true),
        (3, true),
        (4, true),
        (128, false),
        (135, false),
    ] {
        let body = cat(&[&[t, 0, 0, 0, 0, 0, 0, 0], &V6_SYN[14..]]);
        let f = eth(0x86dd, &ipv6(58, NVA6, VM6, &body));
        let p = decode(1, &f).unwrap();
        assert_eq!(matches!(p.l4, L4::IcmpError(_)), error, "type {t}");
    }
}

// ---------------------------------------------------------------------------
// Tunnels

#[test]
fn vxlan_is_followed_to_the_inner_flow() {
    let p = decode(1, VXLAN_SYN).unwrap();
    assert_eq!(
        p.tunnel,
        udp_tunnel(TunnelKind::Vxlan, ("172.16.0.4", "172.16.0.1"), 4789, 800)
    );
    assert_eq!(
        (p.src, p.dst, p.ttl),
        (ip("10.1.0.4"), ip("13.68.163.36"), 64)
    );
    let t = tcp(&p);
    assert_eq!((t.sport, t.dport, t.flags), (55070, 443, tcp_flags::SYN));
    assert_eq!((t.seq, t.window), (0xe1d2_dd5e, 64860));
    // Linux's old VXLAN port, 8472, too.
    let mut f = VXLAN_SYN.to_vec();
    f[36..38].copy_from_slice(&8472u16.to_be_bytes());
    assert_eq!(
        decode(1, &f).unwrap().tunnel.unwrap().kind,
        TunnelKind::Vxlan
    );
    // Azure Gateway Load Balancer's internal and external tunnels.
    for port in [10800u16, 10801] {
        f[36..38].copy_from_slice(&port.to_be_bytes());
        let t = decode(1, &f).unwrap().tunnel.unwrap();
        assert_eq!(
            (t.kind, t.port, t.vni),
            (TunnelKind::Vxlan, Some(port), Some(800))
        );
    }
    // Another port only when given.
    f[36..38].copy_from_slice(&10900u16.to_be_bytes());
    let p = decode(1, &f).unwrap();
    assert_eq!(p.tunnel, None);
    assert_eq!(
        crate::decode::looks_like_vxlan(udp_of(&p).payload),
        crate::decode::VxlanLike::Ip
    );
    let ports = crate::decode::TunnelPorts::with(&[10900], &[]).unwrap();
    let t = crate::decode::decode_with(1, &f, &ports)
        .unwrap()
        .tunnel
        .unwrap();
    assert_eq!((t.port, t.vni), (Some(10900), Some(800)));
    assert!(crate::decode::TunnelPorts::with(&[1; 9], &[]).is_none());
}

#[test]
fn vxlan_that_is_not_ip_inside_stays_the_outer_datagram() {
    // ARP inside: the UDP datagram between the VTEPs is what is left.
    let p = decode(1, VXLAN_ARP).unwrap();
    assert_eq!((p.src, p.dst), (ip("172.16.0.4"), ip("172.16.0.1")));
    assert_eq!(p.tunnel, None);
    let u = udp_of(&p);
    assert_eq!((u.sport, u.dport, u.payload.len()), (41932, 4789, 50));
    // Without the I flag it is not VXLAN.
    let mut f = VXLAN_SYN.to_vec();
    f[42] = 0;
    let p = decode(1, &f).unwrap();
    assert_eq!((p.tunnel, udp_of(&p).dport), (None, 4789));
    // Cut inside the inner packet: the outer datagram, with what is missing.
    let p = decode(1, &VXLAN_SYN[..60]).unwrap();
    assert_eq!(p.tunnel, None);
    let u = udp_of(&p);
    assert_eq!((u.sport, u.payload.len(), u.missing), (47476, 18, 64));
}

/// A frame carrying `gre` (the GRE header and what follows it up to the
/// inner packet) and `inner` between the VTEP addresses.
fn gre_frame(gre: &[u8], inner: &[u8]) -> Vec<u8> {
    eth(0x0800, &ipv4(47, VTEP_A, VTEP_B, &cat(&[gre, inner])))
}

/// Decodes a GRE frame and checks the tunnel.
fn decode_gre(f: &[u8]) -> Packet<'_> {
    let p = decode(1, f).unwrap_or_else(|e| panic!("{f:02x?}: {e:?}"));
    assert_eq!(
        p.tunnel,
        tunnel(TunnelKind::Gre, Some(("172.16.0.4", "172.16.0.1")))
    );
    p
}

#[test]
fn gre_in_every_header_layout() {
    // RFC 2784: no options, IPv4 and IPv6 inside.
    assert_is_the_syn(&decode_gre(&gre_frame(&[0x00, 0x00, 0x08, 0x00], syn_ip())));
    assert_is_the_v6_syn(&decode_gre(&gre_frame(
        &[0x00, 0x00, 0x86, 0xdd],
        &V6_SYN[14..],
    )));
    // RFC 2890: checksum, key and sequence number present.
    let all = [0xb0, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 7];
    assert_is_the_syn(&decode_gre(&gre_frame(&all, syn_ip())));
    // Transparent Ethernet bridging (0x6558) with a key: a whole frame inside.
    let f = gre_frame(&[0x20, 0x00, 0x65, 0x58, 0, 0, 3, 0x20], VLAN_SYN);
    let p = decode_gre(&f);
    assert_eq!((p.vlan, tcp(&p).sport), (Some(100), 55052));
    // ERSPAN type II (0x88be, sequence number, 8-byte header).
    let erspan2 = [
        0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0,
    ];
    assert_is_the_syn(&decode_gre(&gre_frame(&erspan2, SYN)));
    // ERSPAN type III (0x22eb, 12-byte header), with and without the 8-byte
    // platform-specific sub-header (O bit).
    let erspan3 = [
        0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1, 0x20, 0x64, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    assert_is_the_syn(&decode_gre(&gre_frame(&erspan3, SYN)));
    let mut erspan3o = erspan3.to_vec();
    erspan3o[19] = 0x01;
    erspan3o.extend_from_slice(&[0x08, 0, 0, 0, 0, 0, 0, 0]);
    assert_is_the_syn(&decode_gre(&gre_frame(&erspan3o, SYN)));
    // Enhanced GRE (PPTP, version 1): key, sequence and acknowledgment
    // numbers, PPP inside.
    let pptp = [
        0x30, 0x81, 0x88, 0x0b, 0x00, 0x40, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 0,
    ];
    let ppp = cat(&[&[0xff, 0x03, 0x00, 0x21], syn_ip()]);
    assert_is_the_syn(&decode_gre(&gre_frame(&pptp, &ppp)));
    // MPLS over GRE: still GRE, the outermost.
    let mpls = [0x00, 0x00, 0x88, 0x47, 0x00, 0x06, 0x41, 0x40];
    assert_is_the_syn(&decode_gre(&gre_frame(&mpls, syn_ip())));
    // An unknown protocol inside GRE, and a GRE header cut short.
    let f = gre_frame(&[0x00, 0x00, 0x12, 0x34, 0, 0, 0, 0], &[]);
    assert_eq!(decode(1, &f).unwrap_err(), DecodeError::NotIp(0x1234));
    let f = gre_frame(&all[..10], &[]);
    assert_eq!(decode(1, &f).unwrap_err(), DecodeError::TruncatedLink);
}

#[test]
fn geneve_with_and_without_options() {
    let outer = ("172.16.0.4", "172.16.0.1");
    // RFC 8926: version 0, no options, Ethernet inside, VNI 800.
    let hdr = [0x00, 0x00, 0x65, 0x58, 0x00, 0x03, 0x20, 0x00];
    let f = eth(
        0x0800,
        &ipv4(17, VTEP_A, VTEP_B, &udp(50000, 6081, &cat(&[&hdr, SYN]))),
    );
    let p = decode(1, &f).unwrap();
    assert_is_the_syn(&p);
    assert_eq!(p.tunnel, udp_tunnel(TunnelKind::Geneve, outer, 6081, 800));
    // Two 4-byte words of options, then IPv4 directly.
    let opt = [
        0x02, 0x00, 0x08, 0x00, 0x00, 0x03, 0x20, 0x00, 0x01, 0x02, 0x80, 0x01, 0, 0, 0, 0,
    ];
    let f = eth(
        0x0800,
        &ipv4(
            17,
            VTEP_A,
            VTEP_B,
            &udp(50000, 6081, &cat(&[&opt, syn_ip()])),
        ),
    );
    let p = decode(1, &f).unwrap();
    assert_is_the_syn(&p);
    assert_eq!(p.tunnel, udp_tunnel(TunnelKind::Geneve, outer, 6081, 800));
    // Version 1 is not GENEVE as we know it: left as UDP.
    let v1 = [0x40, 0x00, 0x65, 0x58, 0x00, 0x03, 0x20, 0x00];
    let f = eth(
        0x0800,
        &ipv4(17, VTEP_A, VTEP_B, &udp(50000, 6081, &cat(&[&v1, SYN]))),
    );
    assert_eq!(udp_of(&decode(1, &f).unwrap()).dport, 6081);
}

#[test]
fn gtp_u_with_and_without_extension_headers() {
    let outer = Some(("172.16.0.4", "172.16.0.1"));
    // GTPv1-U G-PDU (3GPP TS 29.281): flags 0x30, type 0xff, length, TEID.
    let len = (syn_ip().len() as u16).to_be_bytes();
    let hdr = [0x30, 0xff, len[0], len[1], 0, 0, 0, 1];
    let f = eth(
        0x0800,
        &ipv4(
            17,
            VTEP_A,
            VTEP_B,
            &udp(2152, 2152, &cat(&[&hdr, syn_ip()])),
        ),
    );
    let p = decode(1, &f).unwrap();
    assert_is_the_syn(&p);
    assert_eq!(p.tunnel, tunnel(TunnelKind::GtpU, outer));
    // With the E flag: sequence, N-PDU, next type 0x85 (PDU session
    // container, one 4-byte word), then 0x40 (UDP port, one word), then no more.
    #[rustfmt::skip]
    let ext = [
        0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85,
        0x01, 0x10, 0x09, 0x40,
        0x01, 0x08, 0x68, 0x00,
    ];
    let f = eth(
        0x0800,
        &ipv4(
            17,
            VTEP_A,
            VTEP_B,
            &udp(2152, 2152, &cat(&[&ext, syn_ip()])),
        ),
    );
    assert_is_the_syn(&decode(1, &f).unwrap());
    // A signalling message (echo request, type 1) stays UDP.
    let echo = [0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0];
    let f = eth(0x0800, &ipv4(17, VTEP_A, VTEP_B, &udp(2152, 2152, &echo)));
    assert_eq!(udp_of(&decode(1, &f).unwrap()).dport, 2152);
}

#[test]
fn teredo_with_and_without_origin_indication() {
    let outer = Some(("172.16.0.4", "172.16.0.1"));
    let f = eth(
        0x0800,
        &ipv4(17, VTEP_A, VTEP_B, &udp(3544, 51000, &V6_SYN[14..])),
    );
    let p = decode(1, &f).unwrap();
    assert_is_the_v6_syn(&p);
    assert_eq!(p.tunnel, tunnel(TunnelKind::Teredo, outer));
    // Origin indication (RFC 4380 5.1.1): 0x0000, obfuscated port and address.
    let origin = [0x00, 0x00, 0x3c, 0x0f, 0x53, 0xef, 0xff, 0xfe];
    let f = eth(
        0x0800,
        &ipv4(
            17,
            VTEP_A,
            VTEP_B,
            &udp(3544, 51000, &cat(&[&origin, &V6_SYN[14..]])),
        ),
    );
    assert_is_the_v6_syn(&decode(1, &f).unwrap());
    // Not IPv6 after the indicators: plain UDP.
    let f = eth(
        0x0800,
        &ipv4(17, VTEP_A, VTEP_B, &udp(3544, 51000, &[0x45; 48])),
    );
    assert_eq!(udp_of(&decode(1, &f).unwrap()).sport, 3544);
}

#[test]
fn ip_in_ip_in_all_four_combinations() {
    let outer4 = Some(("172.16.0.4", "172.16.0.1"));
    let outer6 = Some(("fd00:1::1", "fd00:1::4"));
    let f = eth(0x0800, &ipv4(4, VTEP_A, VTEP_B, syn_ip()));
    let p = decode(1, &f).unwrap();
    assert_is_the_syn(&p);
    assert_eq!(p.tunnel, tunnel(TunnelKind::IpInIp, outer4));
    let f = eth(0x0800, &ipv4(41, VTEP_A, VTEP_B, &V6_SYN[14..]));
    let p = decode(1, &f).unwrap();
    assert_is_the_v6_syn(&p);
    assert_eq!(p.tunnel, tunnel(TunnelKind::IpInIp, outer4));
    let f = eth(0x86dd, &ipv6(4, NVA6, VM6, syn_ip()));
    let p = decode(1, &f).unwrap();
    assert_is_the_syn(&p);
    assert_eq!(p.tunnel, tunnel(TunnelKind::IpInIp, outer6));
    let f = eth(0x86dd, &ipv6(41, NVA6, VM6, &V6_SYN[14..]));
    let p = decode(1, &f).unwrap();
    assert_is_the_v6_syn(&p);
    assert_eq!(p.tunnel, tunnel(TunnelKind::IpInIp, outer6));
}

#[test]
fn the_outermost_tunnel_is_kept() {
    // GRE inside VXLAN: the packet names VXLAN and the VTEPs.
    let gre = ipv4(
        47,
        [192, 0, 2, 1],
        [192, 0, 2, 2],
        &cat(&[&[0x00, 0x00, 0x08, 0x00], syn_ip()]),
    );
    let vx = cat(&[&[0x08, 0, 0, 0, 0, 0, 0x07, 0], &eth(0x0800, &gre)]);
    let f = eth(0x0800, &ipv4(17, VTEP_A, VTEP_B, &udp(40000, 4789, &vx)));
    let p = decode(1, &f).unwrap();
    assert_is_the_syn(&p);
    assert_eq!(
        p.tunnel,
        udp_tunnel(TunnelKind::Vxlan, ("172.16.0.4", "172.16.0.1"), 4789, 7)
    );
}

#[test]
fn nesting_is_bounded() {
    // MAX_DEPTH IP headers decode; one more is refused.
    let mut pkt = syn_ip().to_vec();
    for _ in 1..MAX_DEPTH {
        pkt = ipv4(4, VTEP_A, VTEP_B, &pkt);
    }
    assert_is_the_syn(&decode(12, &pkt).unwrap());
    let deeper = ipv4(4, VTEP_A, VTEP_B, &pkt);
    assert_eq!(decode(12, &deeper).unwrap_err(), DecodeError::TooDeep);
    // A stack of VLAN tags with no end.
    let tags: Vec<u8> = [0x00, 0x64, 0x81, 0x00].repeat(40);
    let f = cat(&[&SYN[..12], &[0x81, 0x00], &tags, syn_ip()]);
    assert_eq!(decode(1, &f).unwrap_err(), DecodeError::TooDeep);
    // MPLS labels without a bottom of stack.
    let labels: Vec<u8> = [0x00, 0x06, 0x40, 0x40].repeat(20);
    let f = eth(0x8847, &cat(&[&labels, syn_ip()]));
    assert_eq!(decode(1, &f).unwrap_err(), DecodeError::TooDeep);
}

// ---------------------------------------------------------------------------
// Truncated and garbage input

#[test]
fn truncated_headers_give_the_layer_that_was_cut() {
    use DecodeError::*;
    // (link type, frame, end of link header, end of IP header, end of
    // transport header): a cut before each boundary is an error of that layer.
    let frames: [(u32, &[u8], usize, usize, usize); 6] = [
        (1, SYN, 14, 34, 74),
        (1, RST, 14, 34, 54),
        (1, VLAN_SYN, 18, 38, 78),
        (1, QINQ_SYN, 22, 42, 82),
        (276, SLL2_SYN, 20, 40, 80),
        (1, V6_SYN, 14, 54, 94),
    ];
    for (lt, f, link, iph, l4) in frames {
        for cut in 0..f.len() {
            let want = if cut < link {
                Err(TruncatedLink)
            } else if cut < iph {
                Err(BadIp)
            } else if cut < l4 {
                Err(BadTransport)
            } else {
                Ok(())
            };
            let got = decode(lt, &f[..cut]).map(|_| ());
            assert_eq!(got, want, "link type {lt}, {} bytes, cut at {cut}", f.len());
        }
        assert!(decode(lt, f).is_ok());
    }
    // UDP: the 8-byte header.
    assert_eq!(decode(1, &DNS_QUERY[..41]).unwrap_err(), BadTransport);
    let p = decode(1, &DNS_QUERY[..42]).unwrap();
    assert_eq!(udp_of(&p).missing, 71);
}

/// xorshift64*: a fixed, dependency-free pseudo-random sequence.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn garbage_and_damaged_frames_never_panic() {
    let mut rng = Rng(0x0dec_0de5_eed0_0001);
    let link_types: Vec<u32> = SUPPORTED_LINKTYPES
        .iter()
        .map(|(lt, _)| *lt)
        .chain([2, 105, 281, u32::MAX])
        .collect();
    // Random bytes of every length up to 256 on every link type.
    for len in 0..256 {
        let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        for &lt in &link_types {
            let _ = decode(lt, &junk);
        }
    }
    // The real frames with bytes flipped at random, and every cut of them.
    let frames: [(u32, &[u8]); 10] = [
        (1, SYN),
        (1, RST),
        (1, DNS_QUERY),
        (1, ICMP_PROHIBITED),
        (1, VLAN_SYN),
        (1, QINQ_SYN),
        (276, SLL2_SYN),
        (1, V6_SYN),
        (1, VXLAN_SYN),
        (1, CUT_HELLO),
    ];
    for (lt, f) in frames {
        for cut in 0..=f.len() {
            let _ = decode(lt, &f[..cut]);
        }
        for _ in 0..2000 {
            let mut d = f.to_vec();
            for _ in 0..1 + rng.next() % 4 {
                let i = (rng.next() % d.len() as u64) as usize;
                d[i] = rng.next() as u8;
            }
            if let Ok(p) = decode(lt, &d) {
                // Whatever was decoded lies within the frame.
                match p.l4 {
                    L4::Tcp(t) => assert!(t.payload.len() <= d.len()),
                    L4::Udp(u) => assert!(u.payload.len() <= d.len()),
                    _ => {}
                }
            }
        }
    }
}
