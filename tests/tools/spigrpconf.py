"""spigrpconf.py: the SAs and groups of a spigrpd config file
(spigrpd.conf(5)), read independently of spigrpd's own parser, for the test
tools beside it (esp-verify.py, esp-tshark.py, ah6-hbh.py).

Reads [sa SAID] and [group NAME] sections (and [daemon]'s secrets = path,
whose enckey/authkey lines are merged in); other sections and keys are
ignored.  No validation beyond what the tools need: the daemon's own tests
cover the parser.  Standard library only, so that a tool that needs no
scapy can import it without.

  conf = load(path)
  conf.sas[(proto, spi, dst)] -> Sa      proto "esp"/"ah"/"comp"/"tun",
                                         spi an int, dst an ipaddress object
  conf.groups[name] -> Group             .sas: inside -> outside
  load_or_exit(path, tool)               load(), or the message and exit 2
  scapy_sa(sa)                           scapy's SecurityAssociation for an
                                         ESP/AH SA (imports scapy then)
"""
import ipaddress
import os
import re
import sys

PROTOS = ("esp", "ah", "comp", "tun")

# name: (kind, key bytes, ICV bytes, salt bytes, scapy name, tshark name)
ALGS = {
    "aes128": ("enc", 16, 0, 0, "AES-CBC", "AES-CBC [RFC3602]"),
    "aes192": ("enc", 24, 0, 0, "AES-CBC", "AES-CBC [RFC3602]"),
    "aes256": ("enc", 32, 0, 0, "AES-CBC", "AES-CBC [RFC3602]"),
    "aes128gcm16": ("aead", 20, 16, 4, "AES-GCM", "AES-GCM with 16 octet ICV [RFC4106]"),
    "aes256gcm16": ("aead", 36, 16, 4, "AES-GCM", "AES-GCM with 16 octet ICV [RFC4106]"),
    # tshark 4.0 has no ChaCha20-Poly1305 (added in 4.2)
    "chacha20poly1305": ("aead", 36, 16, 4, "CHACHA20-POLY1305", None),
    "3des": ("enc", 24, 0, 0, "3DES", "TripleDES-CBC [RFC2451]"),
    "des": ("enc", 8, 0, 0, "DES", "DES-CBC [RFC2405]"),
    "null": ("enc", 0, 0, 0, "NULL", "NULL"),
    "sha1": ("auth", 20, 12, 0, "HMAC-SHA1-96", "HMAC-SHA-1-96 [RFC2404]"),
    "sha256": ("auth", 32, 16, 0, "SHA2-256-128", "HMAC-SHA-256-128 [RFC4868]"),
    "sha384": ("auth", 48, 24, 0, "SHA2-384-192", "HMAC-SHA-384-192 [RFC4868]"),
    "sha512": ("auth", 64, 32, 0, "SHA2-512-256", "HMAC-SHA-512-256 [RFC4868]"),
    "md5": ("auth", 16, 12, 0, "HMAC-MD5-96", "HMAC-MD5-96 [RFC2403]"),
}


class ConfError(Exception):
    pass


class Sa:
    """One [sa] section.  Keys are bytes (None when absent)."""

    def __init__(self, said, proto, spi, dst):
        self.said, self.proto, self.spi, self.dst = said, proto, spi, dst
        self.src = None
        self.enc = self.auth = self.comp = None
        self.enckey = self.authkey = None
        self.esn = True
        self.ah_align = 32
        self.mode = "transport"
        self.group = None

    def icv_len(self):
        """ICV bytes of an ESP or AH SA (AEAD tag or truncated HMAC)."""
        if self.enc and ALGS[self.enc][0] == "aead":
            return ALGS[self.enc][2]
        return ALGS[self.auth][2] if self.auth else 0

    def is_aead(self):
        return bool(self.enc) and ALGS[self.enc][0] == "aead"

    def __repr__(self):
        return self.said


class Group:
    def __init__(self, name):
        self.name = name
        self.said_text = []
        self.sas = []           # Sa objects, inside -> outside
        self.src_ts, self.dst_ts = [], []


class Conf:
    def __init__(self):
        self.sas = {}           # (proto, spi, dst) -> Sa
        self.groups = {}        # name -> Group, in file order
        self.secrets = None

    def find(self, proto, spi, dst):
        """The SA for (proto, spi, dst) or None; dst bytes, text or address."""
        if isinstance(dst, (bytes, bytearray)):
            dst = ipaddress.ip_address(bytes(dst))
        elif isinstance(dst, str):
            dst = ipaddress.ip_address(dst)
        return self.sas.get((proto, spi, dst))


_SAID = re.compile(r"^(esp|ah|comp|tun)(?:([.:])([0-9a-fA-F]+)|0[xX]([0-9a-fA-F]+)|(0[0-7]*|[1-9][0-9]*))@(.+)$")


def parse_said(text):
    """(proto, spi, dst address) of a SAID in any numeric form of
    spigrpd.conf(5); ConfError when it is not one."""
    m = _SAID.match(text)
    if not m:
        raise ConfError("bad SAID %r" % text)
    proto = m.group(1)
    if m.group(3) is not None:
        spi = int(m.group(3), 16)
    elif m.group(4) is not None:
        spi = int(m.group(4), 16)
    else:
        s = m.group(5)
        spi = int(s, 8) if s.startswith("0") else int(s)
    try:
        dst = ipaddress.ip_address(m.group(6))
    except ValueError:
        raise ConfError("bad address in SAID %r" % text)
    if m.group(2) and (m.group(2) == ":") != (dst.version == 6):
        raise ConfError("SAID %r: separator does not fit the family" % text)
    return proto, spi, dst


def _hexkey(v):
    if not v.lower().startswith("0x"):
        raise ConfError("key is not 0xhex")
    return bytes.fromhex(v[2:])


def _sections(path):
    """(header, {key: value}) per section of an INI file."""
    out, cur = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if not s or s[0] in "#;":
                continue
            if s.startswith("[") and s.endswith("]"):
                cur = (s[1:-1].strip(), {})
                out.append(cur)
                continue
            if "=" not in s or cur is None:
                continue
            k, v = s.split("=", 1)
            cur[1][k.strip()] = v.strip()
    return out


def _apply_sa(sa, kv):
    for k, v in kv.items():
        if k == "src":
            sa.src = ipaddress.ip_address(v)
        elif k in ("enc", "auth", "comp"):
            if k != "comp" and v not in ALGS:
                raise ConfError("%s: unknown algorithm %r" % (sa.said, v))
            setattr(sa, k, v)
        elif k == "enckey":
            sa.enckey = _hexkey(v)
        elif k == "authkey":
            sa.authkey = _hexkey(v)
        elif k == "esn":
            sa.esn = v == "yes"
        elif k == "ah-align":
            sa.ah_align = int(v)
        elif k == "mode":
            sa.mode = v


def load(path):
    """The SAs and groups of the config at @path (and its secrets file)."""
    conf = Conf()
    secs = _sections(path)
    for head, kv in secs:
        if head == "daemon" and "secrets" in kv:
            conf.secrets = os.path.join(os.path.dirname(os.path.abspath(path)), kv["secrets"])
    if conf.secrets:
        secs += _sections(conf.secrets)
    for head, kv in secs:
        word, _, name = head.partition(" ")
        name = name.strip()
        if word == "sa":
            proto, spi, dst = parse_said(name)
            sa = conf.sas.get((proto, spi, dst))
            if sa is None:
                sa = conf.sas[(proto, spi, dst)] = Sa(name, proto, spi, dst)
            _apply_sa(sa, kv)
        elif word == "group":
            g = conf.groups.setdefault(name, Group(name))
            if "said" in kv:
                g.said_text = kv["said"].split()
            for k, attr in (("src-ts", "src_ts"), ("dst-ts", "dst_ts")):
                if k in kv:
                    setattr(g, attr, [ipaddress.ip_network(p.strip()) for p in kv[k].split(",")])
    for g in conf.groups.values():
        for text in g.said_text:
            if text.startswith("%"):
                continue
            sa = conf.sas.get(parse_said(text))
            if sa is None:
                raise ConfError("group %s: SA %s is not defined" % (g.name, text))
            sa.group = g
            if sa.mode == "tunnel" and sa.proto != "tun":
                # mode = tunnel on the first SA: shorthand for a tun SA
                tun = Sa("tun" + text[len(sa.proto):], "tun", sa.spi, sa.dst)
                tun.src, tun.group = sa.src, g
                g.sas.append(tun)
            g.sas.append(sa)
    return conf


def load_or_exit(path, tool):
    """load(@path), or a message naming @tool and exit status 2."""
    try:
        return load(path)
    except (OSError, ValueError, ConfError) as e:
        print("%s: %s: %s" % (tool, path, e), file=sys.stderr)
        sys.exit(2)


def scapy_sa(sa):
    """A scapy SecurityAssociation for the ESP or AH SA @sa (its algorithms,
    keys, ESN; an AEAD key's last 4 bytes are the salt, as scapy expects)."""
    from scapy.layers.ipsec import AH, ESP, SecurityAssociation
    kw = {}
    if sa.proto == "esp":
        kw["crypt_algo"] = ALGS[sa.enc or "null"][4]
        kw["crypt_key"] = sa.enckey or None
        if sa.is_aead():
            kw["crypt_icv_size"] = sa.icv_len()
    if sa.auth:
        kw["auth_algo"] = ALGS[sa.auth][4]
        kw["auth_key"] = sa.authkey
    return SecurityAssociation(ESP if sa.proto == "esp" else AH, spi=sa.spi,
                               esn_en=sa.esn, **kw)
