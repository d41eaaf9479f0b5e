#!/usr/bin/env python3
"""The conntrack widget's scenarios through the lab's router, one hand-made packet at a time.

    conntrack.py SCENARIO C R S OUT     namespaces of client, router and server; OUT without extension

Each packet is sent from the client's or the server's namespace (craft.py; both ends drop everything
that reaches their own stack, so only these packets cross the router). After each one the router's
state is read: which `ct state` counter and which rule counter of the ruleset went up (the nftables
ruleset of the widget, each rule with a named counter), `conntrack -L` and `conntrack -L expect`.
Writes OUT.json (for lab_check) and OUT.txt (what learners read beside the capture).

The lab's addresses are the documentation ranges: the widget's client 192.168.1.10 is 192.0.2.2 here
and its path router 198.51.100.1 (the router's own address in the lab) is 198.51.100.254; the other
hosts keep the widget's addresses, given to the server's namespace."""
import json
import subprocess
import sys

CLIENT, SERVER, DNS = "192.0.2.2", "198.51.100.7", "203.0.113.53"
PATH_ROUTER, STRANGER, STRAY = "198.51.100.254", "203.0.113.66", "198.51.100.99"
CRAFT = "scripts/lab.d/craft.py"

# (side, craft.py arguments, what, the model's step number or None for a packet only the lab sends)
HTTPS = [
    ("c", ["tcp", CLIENT, "50100", SERVER, "443", "S", "1000", "0"], "SYN", 1),
    ("s", ["tcp", SERVER, "443", CLIENT, "50100", "SA", "5000", "1001"], "SYN,ACK", 2),
    ("c", ["tcp", CLIENT, "50100", SERVER, "443", "PA", "1001", "5001", "CLIENTHELLO"], "ACK + ClientHello", 3),
    ("s", ["tcp", SERVER, "443", CLIENT, "50100", "PA", "5001", "1012", "SERVERHELLO"], "ACK + ServerHello", 4),
]


def ftp(helper):
    steps = [
        ("c", ["tcp", CLIENT, "50123", SERVER, "21", "S", "1000", "0"], "SYN (control)", 1),
        ("s", ["tcp", SERVER, "21", CLIENT, "50123", "SA", "5000", "1001"], "SYN,ACK", 2),
        ("c", ["tcp", CLIENT, "50123", SERVER, "21", "PA", "1001", "5001", "PASV\\r\\n"], "ACK + PASV", 3),
        # The helper reads a line only where it saw the previous one end: a connection's first reply
        # is never read. A real server greets first (220), so the lab sends that line before the 227.
        ("s", ["tcp", SERVER, "21", CLIENT, "50123", "PA", "5001", "1007", "220 infra-dojo lab\\r\\n"], "220 greeting (lab only)", None),
        ("s", ["tcp", SERVER, "21", CLIENT, "50123", "PA", "5021", "1007",
               "227 Entering Passive Mode (198,51,100,7,195,80).\\r\\n"], "227", 4),
        ("c", ["tcp", CLIENT, "50124", SERVER, "50000", "S", "9000", "0"], "SYN (data)", 5),
    ]
    if helper:
        steps.append(("s", ["tcp", SERVER, "50000", CLIENT, "50124", "SA", "9900", "9001"], "SYN,ACK (data)", 6))
    return steps


SCENARIOS = {
    "https": (HTTPS, []),
    "dns": ([
        ("c", ["udp", CLIENT, "53124", DNS, "53", "query"], "DNS query", 1),
        ("s", ["udp", DNS, "53", CLIENT, "53124", "answer"], "DNS answer", 2),
    ], []),
    "ftp-passive": (ftp(False), []),
    "ftp-helper": (ftp(True), []),
    "unsolicited-syn": ([
        ("s", ["tcp", STRANGER, "40000", CLIENT, "22", "S", "7000", "0"], "SYN", 1),
        ("s", ["tcp", STRANGER, "443", CLIENT, "22", "S", "7100", "0"], "SYN from 443", 2),
    ], []),
    # The ICMP error is about the HTTPS connection, which is set up first (the model's initial table).
    "icmp-error": ([
        ("s", ["icmp-frag-needed", PATH_ROUTER, CLIENT, "1400", CLIENT, "50100", SERVER, "443", "1012"],
         "ICMP 3/4", 1),
    ], [(side, args, what, None) for side, args, what, _ in HTTPS]),
    "stray-ack": ([
        ("s", ["tcp", STRAY, "443", CLIENT, "50001", "A", "7000", "8000"], "ACK", 1),
    ], []),
}
SCENARIOS["stray-ack+strict"] = SCENARIOS["stray-ack"]


def run(ns, *args):
    return subprocess.run(["ip", "netns", "exec", ns, *args], check=True, capture_output=True, text=True).stdout


def counters(r):
    data = json.loads(run(r, "nft", "-j", "list", "counters"))
    return {c["counter"]["name"]: c["counter"]["packets"] for c in data["nftables"] if "counter" in c}


def lines(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


def main(scenario, c, r, s, out):
    steps, preload = SCENARIOS[scenario]
    ns = {"c": c, "s": s}
    record = []
    before = counters(r)
    initial = []
    for i, (side, args, what, model_step) in enumerate(preload + steps):
        run(ns[side], "python3", CRAFT, *args)
        after = counters(r)
        went_up = [name for name, n in after.items() if n > before.get(name, 0)]
        before = after
        table = lines(run(r, "conntrack", "-L"))
        expect = lines(run(r, "conntrack", "-L", "expect"))
        state = [n[3:].upper() for n in went_up if n.startswith("ct_")]
        rule = [n[5:] for n in went_up if n.startswith("rule_")]
        record.append({
            "model_step": model_step,
            "what": what,
            "ct_state": state[0] if len(state) == 1 else "?" + ",".join(state),
            "rule": rule[0] if len(rule) == 1 else "?" + ",".join(rule),
            "table": table,
            "expect": expect,
        })
        if i + 1 == len(preload):
            initial = table
    with open(out + ".json", "w") as f:
        json.dump({"scenario": scenario, "initial_table": initial, "steps": record}, f, indent=1)
    with open(out + ".txt", "w") as f:
        f.write(f"# ルータで、各パケットの後に: ct state（nft のカウンタ）、判定したルール、conntrack -L（と -L expect）\n")
        for step in record:
            n = step["model_step"]
            f.write(f"\n## {n if n else '–'}. {step['what']}: ct state {step['ct_state']}, {step['rule']}\n")
            for line in step["table"] + step["expect"]:
                f.write(line + "\n")
            if not step["table"] and not step["expect"]:
                f.write("(空)\n")


if __name__ == "__main__":
    main(*sys.argv[1:6])
