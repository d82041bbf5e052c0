#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Facts for ebill-ops' health checks (src/checks), gathered in ONE task per host.

Every measurement the checks of a host need is read here in one go, so an inspection costs one
task whatever the number of checks: resources, mounts, clock, sshd's effective settings, services,
the e-bill service's health answer and log, the signature server as the app hosts see it, and
(unless quick) the package scan and the logs. Each section is measured on its own: a section that
cannot be read says why (its "error") and the others still come back. Nothing is changed on the
host. Python 3.6 compatible (CentOS 7).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ebill_health_facts
short_description: Read-only facts for the ebill-ops health checks
description:
  - Reads load, memory, swap, mounts (space and inodes), clock, sshd's effective settings,
    services, the e-bill service's health endpoint and log, the signature server's certificate,
    and unless quick the pending security updates, whether a reboot is required and failed SSH logins.
options:
  quick:
    description: Skip the slow parts (package scan, reboot check, log scans).
    type: bool
    default: false
  service_manager:
    description: systemd, or script (hosts without systemd, where ebill-appctl runs the e-bill service).
    type: str
    default: systemd
  services:
    description: Services that must be active on this host.
    type: list
    elements: str
    default: []
  app:
    description: The e-bill service when this host runs it (install_dir, url, log_hours).
    type: dict
  signature:
    description: The signature server as this host reaches it (address, port, timeout).
    type: dict
  sshd_expected:
    description: sshd settings (as 'sshd -T' prints them) the baseline role sets.
    type: dict
    default: {}
  security_updates_command:
    description: Shell that prints one pending security update per line (the patch role's, per family).
    type: str
    default: ""
  reboot_required_command:
    description: Shell that exits 1 when a reboot is required (the patch role's, per family).
    type: str
    default: ""
  controller_time:
    description: The controller's clock (epoch seconds) when the task was sent.
    type: float
  log_hours:
    description: How far back the log scans look.
    type: int
    default: 24
author: ebill-ops
"""

import glob
import os
import re
import socket
import ssl
import struct
import time
import traceback

try:
    from urllib.request import Request, urlopen
    from urllib.error import HTTPError
except ImportError:  # pragma: no cover (Python 2 is not supported by the roles either)
    Request = urlopen = HTTPError = None

from ansible.module_utils.basic import AnsibleModule

# File systems that are not disks: their use says nothing about room for data.
PSEUDO_FS = set(
    "proc sysfs devtmpfs devpts tmpfs cgroup cgroup2 pstore bpf debugfs tracefs securityfs configfs "
    "fusectl mqueue hugetlbfs autofs binfmt_misc rpc_pipefs nsfs squashfs iso9660 "
    "efivarfs selinuxfs ramfs fuse.gvfsd-fuse fuse.portal nfsd".split()
)
MAX_SAMPLES = 3
MAX_SAMPLE_CHARS = 200


def section(fn, *args):
    """Runs one measurement; a failure becomes {"error": ...} so the other sections still report.

    "error" is kept for that: a section's own findings (no answer, refused) use other keys.
    """
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 (every failure is reported, none stops the others)
        return {"error": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc().splitlines()[-3:]}


def read(path):
    with open(path) as f:
        return f.read()


def load():
    parts = read("/proc/loadavg").split()
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return {"load1": float(parts[0]), "load5": float(parts[1]), "load15": float(parts[2]), "cores": cores}


def memory():
    info = {}
    for line in read("/proc/meminfo").splitlines():
        key, _, rest = line.partition(":")
        fields = rest.split()
        if fields:
            info[key] = int(fields[0]) * 1024
    available = info.get("MemAvailable")
    if available is None:  # kernels before 3.14
        available = info.get("MemFree", 0) + info.get("Buffers", 0) + info.get("Cached", 0)
    return {
        "totalBytes": info.get("MemTotal", 0),
        "availableBytes": available,
        "swapTotalBytes": info.get("SwapTotal", 0),
        "swapFreeBytes": info.get("SwapFree", 0),
    }


def unescape_mount(path):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)


def mounts():
    seen = set()
    out = []
    for line in read("/proc/self/mounts").splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        device, point, fstype = fields[0], unescape_mount(fields[1]), fields[2]
        if fstype in PSEUDO_FS or fstype.startswith("fuse.") or point in seen:
            continue
        try:
            st = os.statvfs(point)
        except OSError:
            continue
        seen.add(point)
        if st.f_blocks == 0:
            continue
        out.append(
            {
                "mount": point,
                "device": device,
                "fstype": fstype,
                "sizeBytes": st.f_blocks * st.f_frsize,
                "usedBytes": (st.f_blocks - st.f_bfree) * st.f_frsize,
                "availableBytes": st.f_bavail * st.f_frsize,
                # btrfs and some others report no inode table (0 files): not measurable, not full.
                "inodes": st.f_files or None,
                "inodesUsed": (st.f_files - st.f_ffree) if st.f_files else None,
            }
        )
    return out


def clock(module, controller_time):
    host_time = time.time()
    result = {"hostTime": host_time}
    if controller_time is not None:
        # Includes the time the task took to reach the host (tens to hundreds of milliseconds).
        result["offsetFromController"] = host_time - controller_time
    chronyc = module.get_bin_path("chronyc")
    if chronyc:
        rc, out, err = module.run_command([chronyc, "-c", "tracking"])
        fields = out.strip().split(",")
        # -c tracking: refid, name, stratum, ref time, system time (s, negative = fast), ...
        if rc == 0 and len(fields) > 5 and fields[1]:
            result["chrony"] = {"source": fields[1], "stratum": int(fields[2]), "offset": float(fields[4])}
        else:
            result["chronyError"] = (err or out).strip()[:200] or "chronyc tracking gave no source"
    return result


def sshd(module, expected):
    binary = module.get_bin_path("sshd", opt_dirs=["/usr/sbin", "/sbin"])
    if not binary:
        return {"error": "sshd is not installed"}
    rc, out, err = module.run_command([binary, "-T"])
    if rc != 0:
        return {"error": ("sshd -T: " + (err or out).strip())[:300]}
    settings = {}
    for line in out.splitlines():
        key, _, value = line.strip().partition(" ")
        if key and key not in settings:
            settings[key] = value
    wanted = dict((k.lower(), str(v).lower()) for k, v in (expected or {}).items())
    return {
        "expected": wanted,
        "actual": dict((k, settings.get(k)) for k in wanted),
    }


def service_state(module, name, manager, app):
    if name == (app or {}).get("service") and manager == "script":
        ctl = os.path.join(app["install_dir"], "bin", "ebill-appctl")
        if not os.path.exists(ctl):
            return {"name": name, "active": False, "how": ctl, "detail": "%s is not installed" % ctl}
        rc, out, err = module.run_command([ctl, "status"])
        return {"name": name, "active": rc == 0, "how": "ebill-appctl status", "detail": "exit %d" % rc}
    systemctl = module.get_bin_path("systemctl")
    if manager == "systemd" and systemctl:
        rc, out, err = module.run_command([systemctl, "is-active", name])
        return {"name": name, "active": out.strip() == "active", "how": "systemctl is-active", "detail": out.strip() or err.strip()}
    rc, out, err = module.run_command(["pgrep", "-x", name])
    return {"name": name, "active": rc == 0, "how": "pgrep -x", "detail": "running" if rc == 0 else "no process"}


def app_health(app):
    started = time.time()
    request = Request(app["url"], headers={"User-Agent": "ebill-ops health check"})
    try:
        response = urlopen(request, timeout=float(app.get("timeout", 5)))
        status = response.getcode()
        body = response.read(512)
    except HTTPError as e:
        status = e.code
        body = e.read(512) if hasattr(e, "read") else b""
    except Exception as e:  # noqa: BLE001 (no answer at all is the finding)
        return {"url": app["url"], "status": None, "ms": int((time.time() - started) * 1000), "failure": str(e)[:200]}
    return {
        "url": app["url"],
        "status": status,
        "ms": int((time.time() - started) * 1000),
        "body": body.decode("utf-8", "replace")[:200],
    }


TIMESTAMP = re.compile(r"^\[?(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})")
ERROR_LINE = re.compile(r"\bERROR\b|\bFATAL\b|Exception\b")


def app_log(app, hours):
    since = time.time() - hours * 3600
    logs = os.path.join(app["install_dir"], "logs")
    files = sorted(glob.glob(os.path.join(logs, "*.log")) + glob.glob(os.path.join(logs, "*.out")))
    errors = 0
    samples = []
    scanned = []
    for path in files:
        try:
            if os.path.getmtime(path) < since:
                continue
            scanned.append(path)
            with open(path, "rb") as f:
                for raw in f:
                    line = raw.decode("utf-8", "replace").rstrip()
                    if not ERROR_LINE.search(line):
                        continue
                    stamp = TIMESTAMP.match(line)
                    if stamp:
                        try:
                            at = time.mktime(time.strptime(stamp.group(1) + " " + stamp.group(2), "%Y-%m-%d %H:%M:%S"))
                            if at < since:
                                continue
                        except ValueError:
                            pass
                    errors += 1
                    if len(samples) < MAX_SAMPLES:
                        samples.append(line[:MAX_SAMPLE_CHARS])
        except (IOError, OSError):
            continue
    return {"dir": logs, "files": scanned, "errors": errors, "samples": samples, "hours": hours}


def signature(module, target):
    address, port = target["address"], int(target["port"])
    timeout = float(target.get("timeout", 3))
    started = time.time()
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except Exception as e:  # noqa: BLE001
        return {"address": address, "port": port, "reachable": False, "failure": str(e)[:200]}
    connect_ms = int((time.time() - started) * 1000)
    result = {"address": address, "port": port, "reachable": True, "connectMs": connect_ms}
    try:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT if hasattr(ssl, "PROTOCOL_TLS_CLIENT") else ssl.PROTOCOL_SSLv23)
        # The appliance's certificate is its own (often from a private CA): read it, do not judge the chain.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with context.wrap_socket(sock, server_hostname=None) as tls:
            der = tls.getpeercert(binary_form=True)
        result["handshakeMs"] = int((time.time() - started) * 1000)
    except Exception as e:  # noqa: BLE001
        sock.close()
        result["tlsError"] = str(e)[:200]
        return result
    openssl = module.get_bin_path("openssl")
    if not openssl:
        result["tlsError"] = "openssl is not installed, so the certificate's dates cannot be read"
        return result
    rc, out, err = module.run_command(
        [openssl, "x509", "-noout", "-enddate", "-subject"], data=ssl.DER_cert_to_PEM_cert(der), binary_data=True
    )
    for line in out.splitlines():
        if line.startswith("notAfter="):
            result["notAfter"] = line.split("=", 1)[1].strip()
            result["notAfterEpoch"] = ssl.cert_time_to_seconds(result["notAfter"])
        elif line.startswith("subject"):
            result["subject"] = line.split("=", 1)[1].strip()[:200]
    if "notAfter" not in result:
        result["tlsError"] = ("openssl x509: " + (err or out).strip())[:200]
    return result


def shell(module, command):
    return module.run_command(["/bin/bash", "-c", command])


def security_updates(module, command):
    rc, out, err = shell(module, command)
    if rc != 0:
        return {"error": ("exit %d: %s" % (rc, (err or out).strip()[-300:]))}
    packages = [line.strip() for line in out.splitlines() if line.strip()]
    return {"count": len(packages), "packages": packages[:50]}


def reboot_required(module, command):
    rc, out, err = shell(module, command)
    if rc not in (0, 1):
        return {"error": ("exit %d: %s" % (rc, (err or out).strip()[-300:]))}
    return {"required": rc == 1}


FAILED_LOGIN = re.compile(r"sshd\[\d+\]: (Failed (password|publickey|keyboard-interactive)|Invalid user|maximum authentication attempts)")
SYSLOG_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})")
SYSLOG_OLD = re.compile(r"^([A-Z][a-z]{2}\s+\d{1,2} \d{2}:\d{2}:\d{2})")
UTMP_RECORD = 384  # struct utmp on Linux (glibc), 64-bit time


def syslog_time(line, now):
    m = SYSLOG_ISO.match(line)
    if m:
        return time.mktime(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    m = SYSLOG_OLD.match(line)
    if m:
        # The traditional format has no year: this year, or last year for a date still ahead.
        year = time.localtime(now).tm_year
        at = time.mktime(time.strptime("%d %s" % (year, m.group(1)), "%Y %b %d %H:%M:%S"))
        return at if at <= now + 86400 else time.mktime(time.strptime("%d %s" % (year - 1, m.group(1)), "%Y %b %d %H:%M:%S"))
    return None


def failed_logins(module, hours):
    now = time.time()
    since = now - hours * 3600
    journalctl = module.get_bin_path("journalctl")
    if journalctl and os.path.exists("/run/systemd/journal"):
        rc, out, err = module.run_command(
            [journalctl, "--quiet", "--no-pager", "--output=short-iso", "--since", "-%dh" % hours, "SYSLOG_FACILITY=4", "SYSLOG_FACILITY=10"]
        )
        if rc == 0:
            count = sum(1 for line in out.splitlines() if FAILED_LOGIN.search(line))
            return {"count": count, "source": "journal", "hours": hours}
    for path in ("/var/log/auth.log", "/var/log/secure"):
        if not os.path.exists(path):
            continue
        count = 0
        for candidate in (path + ".1", path):
            if not os.path.exists(candidate):
                continue
            with open(candidate, "rb") as f:
                for raw in f:
                    line = raw.decode("utf-8", "replace")
                    if FAILED_LOGIN.search(line):
                        at = syslog_time(line, now)
                        if at is None or at >= since:
                            count += 1
        return {"count": count, "source": path, "hours": hours}
    if os.path.exists("/var/log/btmp"):
        # Failed logins as login(1) and sshd record them (lastb reads the same file).
        count = 0
        with open("/var/log/btmp", "rb") as f:
            data = f.read()
        for offset in range(0, len(data) - UTMP_RECORD + 1, UTMP_RECORD):
            record = data[offset:offset + UTMP_RECORD]
            seconds = struct.unpack_from("<i", record, 340)[0]
            if seconds >= since:
                count += 1
        return {"count": count, "source": "/var/log/btmp", "hours": hours}
    return {"error": "no SSH log found: no systemd journal, no /var/log/auth.log or /var/log/secure, no /var/log/btmp"}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            quick=dict(type="bool", default=False),
            service_manager=dict(type="str", default="systemd", choices=["systemd", "script"]),
            services=dict(type="list", elements="str", default=[]),
            app=dict(type="dict", default=None),
            signature=dict(type="dict", default=None),
            sshd_expected=dict(type="dict", default={}),
            security_updates_command=dict(type="str", default=""),
            reboot_required_command=dict(type="str", default=""),
            controller_time=dict(type="float", default=None),
            log_hours=dict(type="int", default=24),
        ),
        supports_check_mode=True,
    )
    p = module.params
    app = p["app"]
    facts = {
        "quick": p["quick"],
        "load": section(load),
        "memory": section(memory),
        "mounts": section(mounts),
        "clock": section(clock, module, p["controller_time"]),
        "sshd": section(sshd, module, p["sshd_expected"]),
        "services": [section(service_state, module, name, p["service_manager"], app) for name in p["services"]],
    }
    if app:
        facts["appHealth"] = section(app_health, app)
        if not p["quick"]:
            facts["appLog"] = section(app_log, app, p["log_hours"])
    if p["signature"]:
        facts["signature"] = section(signature, module, p["signature"])
    if not p["quick"]:
        if p["security_updates_command"]:
            facts["securityUpdates"] = section(security_updates, module, p["security_updates_command"])
        if p["reboot_required_command"]:
            facts["rebootRequired"] = section(reboot_required, module, p["reboot_required_command"])
        facts["failedLogins"] = section(failed_logins, module, p["log_hours"])
    module.exit_json(changed=False, health=facts)


if __name__ == "__main__":
    main()
