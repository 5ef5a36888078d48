#!/usr/bin/env python3
"""vxlan_check.py PCAP SRC_IP DST_IP: of the frames in PCAP (Ethernet,
captured on the underlay), counts those that are IPv4/UDP to or from port
8472 carrying one VXLAN header whose inner frame is ICMP echo between
SRC_IP and DST_IP (request SRC->DST, reply DST->SRC).  Exit 0 when there
is at least one request and one reply and no frame carries these inner
addresses under a second VXLAN header (or any other way); 1 otherwise.
Used by underlay_capture_check (lib/vm.sh).
vxlan_check.py --self-test: checks the checker on frames it builds: one
VXLAN header passes; a second one, a missing reply or other addresses fail."""
import ipaddress
import struct
import sys

VXLAN_PORTS = (8472, 4789)


def frames(path):
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = struct.unpack("<I", head[:4])[0]
        end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        if struct.unpack(end + "I", head[20:24])[0] != 1:
            raise SystemExit("vxlan_check: not an Ethernet capture")
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            incl = struct.unpack(end + "IIII", rec)[2]
            yield f.read(incl)


def ether(b):
    """-> (ethertype, payload) past any 802.1Q tags, or None."""
    if len(b) < 14:
        return None
    t, off = struct.unpack("!H", b[12:14])[0], 14
    while t in (0x8100, 0x88A8) and len(b) >= off + 4:
        t, off = struct.unpack("!H", b[off + 2:off + 4])[0], off + 4
    return t, b[off:]


def ipv4(b):
    """-> (proto, src, dst, payload), or None."""
    if len(b) < 20 or b[0] >> 4 != 4:
        return None
    ihl = (b[0] & 15) * 4
    return b[9], str(ipaddress.ip_address(b[12:16])), str(ipaddress.ip_address(b[16:20])), b[ihl:]


def vxlan_inner(ip):
    """The inner Ethernet frame of a VXLAN packet (proto, payload), or None."""
    proto, _, _, p = ip
    if proto != 17 or len(p) < 16:
        return None
    sport, dport = struct.unpack("!HH", p[:4])
    if dport not in VXLAN_PORTS and sport not in VXLAN_PORTS:
        return None
    vx = p[8:16]
    if not vx[0] & 0x08:
        return None
    return dport, p[16:]


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    pcap, src, dst = sys.argv[1:4]
    return verdict(frames(pcap), src, dst)


def verdict(frame_list, src, dst):
    pair = {src, dst}
    req = rep = bad = 0
    for fr in frame_list:
        e = ether(fr)
        if not e or e[0] != 0x0800:
            continue
        outer = ipv4(e[1])
        if not outer:
            continue
        v = vxlan_inner(outer)
        if not v:
            continue
        dport, inner_eth = v
        e2 = ether(inner_eth)
        if not e2 or e2[0] != 0x0800:
            continue
        inner = ipv4(e2[1])
        if not inner:
            continue
        proto, isrc, idst, payload = inner
        if vxlan_inner(inner):
            # A second VXLAN header: a failure if it carries our addresses.
            e3 = ether(vxlan_inner(inner)[1])
            i3 = ipv4(e3[1]) if e3 and e3[0] == 0x0800 else None
            if i3 and {i3[1], i3[2]} == pair:
                bad += 1
                print(f"vxlan_check: double encapsulation {outer[1]}>{outer[2]} / "
                      f"{isrc}>{idst} / {i3[1]}>{i3[2]}")
            continue
        if {isrc, idst} != pair:
            continue
        if proto != 1 or not payload:
            bad += 1
            print(f"vxlan_check: {isrc}>{idst} proto {proto}, not ICMP")
            continue
        if payload[0] == 8 and isrc == src:
            req += 1
        elif payload[0] == 0 and isrc == dst:
            rep += 1
        print(f"vxlan_check: outer {outer[1]}>{outer[2]} udp/{dport} vxlan: "
              f"inner {isrc}>{idst} icmp type {payload[0]}")
    print(f"vxlan_check: {req} request(s), {rep} reply(s) in one VXLAN header, {bad} bad")
    return 0 if req > 0 and rep > 0 and bad == 0 else 1


def build(src, dst, icmp_type, layers):
    """An Ethernet frame: ICMP src->dst wrapped in `layers` VXLAN headers."""
    def ip(s, d, proto, payload):
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0,
                        ipaddress.ip_address(s).packed, ipaddress.ip_address(d).packed)
        return h + payload
    eth = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00"
    fr = eth + ip(src, dst, 1, bytes([icmp_type, 0, 0, 0, 0, 1, 0, 1]))
    for n in range(layers):
        udp = struct.pack("!HHHH", 40000 + n, 8472, 16 + len(fr), 0)
        fr = eth + ip("198.18.0.11", "198.18.0.12", 17, udp + b"\x08\0\0\0\0\0\x05\0" + fr)
    return fr


def self_test():
    a, b = "10.0.0.1", "10.0.0.2"
    one = [build(a, b, 8, 1), build(b, a, 0, 1)]
    cases = [("one header", one, 0), ("no reply", one[:1], 1),
             ("other addresses", [build("10.9.9.9", b, 8, 1), build(b, "10.9.9.9", 0, 1)], 1),
             ("a second header", one + [build(a, b, 8, 2)], 1),
             ("not encapsulated", [build(a, b, 8, 0), build(b, a, 0, 0)], 1)]
    bad = 0
    for name, frs, want in cases:
        got = verdict(frs, a, b)
        print(f"vxlan_check self-test: {name}: exit {got}, want {want}")
        bad += got != want
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
