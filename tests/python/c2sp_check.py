#!/usr/bin/env python3
"""Independent check of aimsgate's C2SP formats, written from the specs (c2sp.org/signed-note,
tlog-checkpoint, tlog-cosignature, tlog-proof) and RFC 9162 without any of aimsgate's code.
Uses only the standard library and the `cryptography` package for Ed25519.

    c2sp_check.py --log-vkey F --checkpoint F [--witness-vkey F]...
                  [--proof F] [--old-checkpoint F --consistency F]

Checks: the log vkey (type 0x01, key hash), the checkpoint's log signature (key name = origin),
a valid cosignature/v1 by EVERY witness vkey given (type 0x04), the tlog-proof (its embedded
checkpoint signed by the log, leaf hash SHA-256(0x00 || extra), RFC 9162 inclusion), and an RFC
9162 consistency proof (one base64 hash per line) from the old checkpoint to the checkpoint.
Prints one OK line per check and exits 0, or prints FAIL: <why> and exits 1.
"""
import argparse
import base64
import binascii
import hashlib
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Fail(Exception):
    pass


def b64(s, what):
    try:
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        raise Fail(f"{what}: not standard base64")


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Fail(f"{path}: not UTF-8")


def parse_vkey(text, want_type):
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise Fail("vkey: not <name>+<hash>+<key>")
    name, hexhash, material = parts
    raw = b64(material, "vkey key material")
    if len(raw) != 33 or raw[0] != want_type:
        raise Fail(f"vkey {name}: want type {want_type:#04x} and a 32-byte key")
    if not re.fullmatch(r"[0-9a-f]{8}", hexhash):
        raise Fail(f"vkey {name}: key hash is not 8 lowercase hex digits")
    if hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() != hexhash:
        raise Fail(f"vkey {name}: key hash does not match")
    return name, bytes.fromhex(hexhash), Ed25519PublicKey.from_public_bytes(raw[1:])


def parse_note(msg):
    """Returns (text, [(name, key_hash, sig bytes)]): split at the LAST blank line."""
    if any(ord(c) < 0x20 and c != "\n" for c in msg):
        raise Fail("note: control character")
    i = msg.rfind("\n\n")
    if i < 0:
        raise Fail("note: no blank line")
    text, sigs = msg[: i + 1], msg[i + 2 :]
    if not sigs or not sigs.endswith("\n"):
        raise Fail("note: no signature lines")
    out = []
    for line in sigs[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise Fail("note: signature line without em dash")
        name, _, sig = line[2:].partition(" ")
        if not name or "+" in name or any(c.isspace() for c in name):
            raise Fail("note: bad key name")
        raw = b64(sig, "note signature")
        if len(raw) < 5:
            raise Fail("note: short signature")
        out.append((name, raw[:4], raw[4:]))
    return text, out


def parse_checkpoint(text):
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(l == "" for l in lines[:-1]):
        raise Fail("checkpoint: need origin, size and root lines, all non-empty")
    origin, size, root = lines[0], lines[1], lines[2]
    if not re.fullmatch(r"0|[1-9][0-9]*", size):
        raise Fail("checkpoint: bad size")
    root = b64(root, "checkpoint root")
    if len(root) != 32:
        raise Fail("checkpoint: root is not 32 bytes")
    return origin, int(size), root


def verify(key, sig, msg):
    try:
        key.verify(sig, msg)
        return True
    except InvalidSignature:
        return False


def open_checkpoint(msg, log):
    name, khash, key = log
    text, sigs = parse_note(msg)
    origin, size, root = parse_checkpoint(text)
    if origin != name:
        raise Fail(f"checkpoint origin {origin!r} is not the log key name {name!r}")
    mine = [s for (n, h, s) in sigs if n == name and h == khash]
    if not mine:
        raise Fail("checkpoint: no signature by the log key")
    if not all(len(s) == 64 and verify(key, s, text.encode()) for s in mine):
        raise Fail("checkpoint: log signature does not verify")
    return text, sigs, size, root


def check_cosignature(text, sigs, witness):
    name, khash, key = witness
    mine = [s for (n, h, s) in sigs if n == name and h == khash]
    if not mine:
        raise Fail(f"no cosignature by {name}")
    for s in mine:
        if len(s) != 72:
            raise Fail(f"cosignature by {name}: not 8 + 64 bytes")
        t = int.from_bytes(s[:8], "big")
        if t >= 2**63:
            raise Fail(f"cosignature by {name}: timestamp too large")
        msg = f"cosignature/v1\ntime {t}\n".encode() + text.encode()
        if not verify(key, s[8:], msg):
            raise Fail(f"cosignature by {name} does not verify")
    return t


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def inclusion_root(index, size, leaf, path):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        raise Fail("proof: index outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Fail("proof: path too long")
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Fail("proof: path too short")
    return r


def parse_proof(msg):
    lines = msg.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        raise Fail("proof: bad header")
    i, extra = 1, None
    if lines[i].startswith("extra "):
        extra = b64(lines[i][6:], "proof extra")
        i += 1
    m = re.fullmatch(r"index (0|[1-9][0-9]*)", lines[i])
    if not m:
        raise Fail("proof: bad index line")
    index, path = int(m.group(1)), []
    i += 1
    while lines[i] != "":
        h = b64(lines[i], "proof path")
        if len(h) != 32:
            raise Fail("proof: path hash is not 32 bytes")
        path.append(h)
        i += 1
    return extra, index, path, "\n".join(lines[i + 1 :])


def verify_consistency(m, n, old_root, new_root, proof):
    """RFC 9162 section 2.1.4.2, strict."""
    if m > n:
        raise Fail("consistency: old size larger than new size")
    if m == n or m == 0:
        if proof or (m == n and old_root != new_root):
            raise Fail("consistency: bad trivial proof")
        return
    if m & (m - 1) == 0:
        proof = [old_root] + proof
    if not proof:
        raise Fail("consistency: empty proof")
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise Fail("consistency: proof too long")
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise Fail("consistency: proof does not verify")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log-vkey", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--witness-vkey", action="append", default=[])
    ap.add_argument("--proof")
    ap.add_argument("--old-checkpoint")
    ap.add_argument("--consistency")
    a = ap.parse_args()
    log = parse_vkey(read(a.log_vkey), 0x01)
    print(f"OK vkey {log[0]}+{log[1].hex()}")
    text, sigs, size, root = open_checkpoint(read(a.checkpoint), log)
    print(f"OK checkpoint {log[0]} size {size} signed by the log key")
    for path in a.witness_vkey:
        w = parse_vkey(read(path), 0x04)
        t = check_cosignature(text, sigs, w)
        print(f"OK cosignature/v1 by {w[0]} at {t}")
    if a.proof:
        extra, index, path, cp = parse_proof(read(a.proof))
        if extra is None:
            raise Fail("proof: no extra line (aimsgate puts the entry bytes there)")
        _, _, psize, proot = open_checkpoint(cp, log)
        leaf = hashlib.sha256(b"\x00" + extra).digest()
        if inclusion_root(index, psize, leaf, path) != proot:
            raise Fail("proof: inclusion does not lead to the checkpoint root")
        print(f"OK tlog-proof index {index} in size {psize}")
    if a.old_checkpoint or a.consistency:
        if not (a.old_checkpoint and a.consistency):
            raise Fail("--old-checkpoint and --consistency go together")
        _, _, osize, oroot = open_checkpoint(read(a.old_checkpoint), log)
        hashes = [b64(l, "consistency hash") for l in read(a.consistency).split("\n") if l]
        if any(len(h) != 32 for h in hashes):
            raise Fail("consistency: hash is not 32 bytes")
        verify_consistency(osize, size, oroot, root, hashes)
        print(f"OK consistency {osize} -> {size}")


if __name__ == "__main__":
    try:
        main()
    except (Fail, IndexError, ValueError, OSError) as e:
        print(f"FAIL: {e}")
        sys.exit(1)
