#!/usr/bin/env python3
"""vlan_echo.py IFNAME VID SRC_MAC SRC_IP DST_MAC DST_IP [COUNT]: what a
VLAN-mode container would do on a kernel without 802.1Q devices: sends
ICMP echo requests tagged VID out of IFNAME (the VM's NIC) from a packet
socket, answers ARP requests for SRC_IP that arrive tagged VID (tagged), and
counts the echo replies to it that arrive tagged VID (the kernel strips the
tag into the packet's auxdata).  Prints "sent N replies M untagged U", U
being replies that came without the tag; exit 0 when M > 0 and U == 0.
Used by ovn_nested.sh (the VLAN data plane on the OVN bed)."""
import select
import socket
import struct
import sys
import time

ETH_P_ALL, SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 3, 263, 8, 0x10


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def tagged(dst, src, vid, etype, payload):
    return dst + src + struct.pack("!HHH", 0x8100, vid, etype) + payload


def echo(src_ip, dst_ip, ident, seq):
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"superfluid" * 5
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0x4000, 64, 1, 0, src_ip, dst_ip)
    return ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + icmp


def main():
    ifname, vid = sys.argv[1], int(sys.argv[2])
    smac, sip, dmac, dip = mac(sys.argv[3]), socket.inet_aton(sys.argv[4]), mac(sys.argv[5]), socket.inet_aton(sys.argv[6])
    count = int(sys.argv[7]) if len(sys.argv) > 7 else 3
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((ifname, 0))
    ident, sent, replies, untagged = 0x5F00 | (vid & 0xFF), 0, 0, 0
    end = time.monotonic() + count + 1.5
    nxt = time.monotonic()
    while time.monotonic() < end:
        if sent < count and time.monotonic() >= nxt:
            sent += 1
            s.send(tagged(dmac, smac, vid, 0x0800, echo(sip, dip, ident, sent)))
            nxt += 1
        if not select.select([s], [], [], 0.1)[0]:
            continue
        data, anc, _, addr = s.recvmsg(2048, socket.CMSG_SPACE(20))
        if addr[2] == socket.PACKET_OUTGOING or len(data) < 14:
            continue
        tci = None
        for lvl, typ, val in anc:
            if lvl == SOL_PACKET and typ == PACKET_AUXDATA:
                status, _, _, _, _, vtci = struct.unpack("IIIHHH", val[:18])
                if status & TP_STATUS_VLAN_VALID:
                    tci = vtci
        etype, body = struct.unpack("!H", data[12:14])[0], data[14:]
        if etype == 0x8100:  # the tag left in the frame
            tci, etype, body = struct.unpack("!H", body[:2])[0], struct.unpack("!H", body[2:4])[0], body[4:]
        if etype == 0x0806 and len(body) >= 28 and body[24:28] == sip and struct.unpack("!H", body[6:8])[0] == 1:
            if tci is not None and tci & 0xFFF == vid:
                rep = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + smac + sip + body[8:14] + body[14:18]
                s.send(tagged(data[6:12], smac, vid, 0x0806, rep))
        elif etype == 0x0800 and len(body) >= 28 and body[9] == 1 and body[12:16] == dip and body[16:20] == sip:
            ihl = (body[0] & 0xF) * 4
            if body[ihl] == 0 and struct.unpack("!H", body[ihl + 4:ihl + 6])[0] == ident:
                if tci is not None and tci & 0xFFF == vid:
                    replies += 1
                else:
                    untagged += 1
    print("sent %d replies %d untagged %d" % (sent, replies, untagged))
    return 0 if replies > 0 and untagged == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
