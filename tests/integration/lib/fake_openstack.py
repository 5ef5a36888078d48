#!/usr/bin/env python3
"""A Keystone + Neutron impostor for tests/integration/bad_input.sh.

    fake_openstack.py PORTFILE

Listens on 127.0.0.1 (an ephemeral port, written to PORTFILE once it
listens) and answers as Keystone and Neutron would, except for the one
answer the current mode breaks.  The mode is read from PORTFILE.mode on
every request, so that one server serves every case:

  token-truncated   the token answer is cut in the middle of its JSON
  token-html        Keystone answers 500 with an HTML error page
  token-noexpiry    the token has no expires_at
  catalog-nonet     the catalog has no "network" service
  networks-wrongtype  GET networks: 200 with "networks" an object
  networks-truncated  GET networks: 200 with a truncated body
  port-wrongtype    POST ports: 201 with "port" a list; GET ports: "ports" a string
  ok                everything well-formed (a network, a subnet, a group)

Every request is appended to PORTFILE.log (method, path, and the body of
anything but a token request, whose body holds the password).  Nothing here
is real: no port is made anywhere.
"""
import datetime
import http.server
import json
import os
import sys

PORTFILE = sys.argv[1]
NET = {"id": "9b1a3c5e-0000-4000-8000-00000000fa4e", "name": "fake-net", "mtu": 1450,
       "status": "ACTIVE", "subnets": ["9b1a3c5e-0000-4000-8000-00000000fa5b"],
       "project_id": "fakeproject", "router:external": False}
SUBNET = {"id": NET["subnets"][0], "name": "fake-subnet", "network_id": NET["id"],
          "ip_version": 4, "cidr": "198.19.254.0/24", "gateway_ip": "198.19.254.1",
          "host_routes": [], "dns_nameservers": [], "project_id": "fakeproject"}
SG = {"id": "9b1a3c5e-0000-4000-8000-00000000fa56", "name": "fake-sg",
      "project_id": "fakeproject"}


def mode():
    try:
        with open(PORTFILE + ".mode") as f:
            return f.read().strip()
    except OSError:
        return "ok"


def token(port, m):
    now = datetime.datetime.now(datetime.timezone.utc)
    t = {"issued_at": now.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
         "expires_at": (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
         "project": {"id": "fakeproject", "name": "fake"},
         "catalog": [{"type": "identity", "endpoints": [
             {"interface": "public", "region_id": "RegionOne", "region": "RegionOne",
              "url": "http://127.0.0.1:%d/v3" % port}]}]}
    if m == "token-noexpiry":
        del t["expires_at"]
    if m != "catalog-nonet":
        t["catalog"].append({"type": "network", "endpoints": [
            {"interface": "public", "region_id": "RegionOne", "region": "RegionOne",
             "url": "http://127.0.0.1:%d" % port}]})
    return {"token": t}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # no noise on stderr
        pass

    def answer(self, status, body, ctype="application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def record(self, body):
        with open(PORTFILE + ".log", "a") as f:
            shown = "(token request)" if self.path.endswith("/auth/tokens") else \
                body.decode(errors="replace")
            f.write("%s %s %s %s\n" % (mode(), self.command, self.path, shown))

    def do_POST(self):
        m, body = mode(), self.body()
        self.record(body)
        port = self.server.server_address[1]
        if self.path.endswith("/auth/tokens"):
            if m == "token-html":
                return self.answer(500, b"<html><body><h1>Internal Server Error</h1>"
                                   b"</body></html>", "text/html")
            text = json.dumps(token(port, m)).encode()
            if m == "token-truncated":
                text = text[:len(text) // 2]
            return self.answer(201, text, headers=[("X-Subject-Token", "fake-token-0001")])
        if self.path.startswith("/v2.0/ports"):
            if m == "port-wrongtype":
                return self.answer(201, {"port": ["not", "a", "port"]})
            # Never make a believable port: nothing may get wired from here.
            return self.answer(409, {"NeutronError": {"type": "Conflict",
                                                      "message": "fake: no ports here"}})
        self.answer(404, {"NeutronError": {"type": "NotFound", "message": self.path}})

    def do_GET(self):
        m = mode()
        self.record(b"")
        path = self.path.split("?")[0]
        if path == "/v2.0/networks":
            if m == "networks-wrongtype":
                return self.answer(200, {"networks": {"id": NET["id"]}})
            if m == "networks-truncated":
                return self.answer(200, json.dumps({"networks": [NET]}).encode()[:40])
            return self.answer(200, {"networks": [NET]})
        if path == "/v2.0/subnets":
            return self.answer(200, {"subnets": [SUBNET]})
        if path == "/v2.0/security-groups":
            return self.answer(200, {"security_groups": [SG]})
        if path == "/v2.0/ports":
            if m == "port-wrongtype":
                return self.answer(200, {"ports": "not a list"})
            return self.answer(200, {"ports": []})
        if path.startswith("/v2.0/networks/"):
            return self.answer(200, {"network": NET})
        self.answer(404, {"NeutronError": {"type": "NotFound", "message": self.path}})

    def do_PUT(self):
        self.record(self.body())
        self.answer(404, {"NeutronError": {"type": "NotFound", "message": self.path}})

    do_DELETE = do_PUT


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = PORTFILE + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, PORTFILE)
    srv.serve_forever()


if __name__ == "__main__":
    main()
