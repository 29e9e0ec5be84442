#!/usr/bin/env python3
"""The .deb on a clean Debian 12 with systemd running (Python standard library only).

A throwaway Debian 12 root (debootstrap, minbase with systemd and Postfix,
made once and kept as a template in --cache) is copied afresh and booted with
systemd-nspawn (own network namespace: only its loopback). Inside it:

  - dpkg -i starts clearbounce.service (Type=notify, sandboxed), the socket
    is in Postfix's chroot with the group postfix;
  - the package's Postfix example, appended as it is to Debian's main.cf
    (smtpd and cleanup chrooted), sends Postfix's own bounce and a DSN
    arriving over SMTP through the milter;
  - systemctl reload (SIGUSR1) with a good and with a broken configuration;
    a broken configuration at start fails the unit with file:line and no
    restart loop; a crash is restarted;
  - systemctl stop, dpkg -r, dpkg --purge: nothing left.

It needs root, debootstrap, systemd-nspawn (package systemd-container) and
the Debian archive for the first debootstrap, so it runs only when asked:
CLEARBOUNCE_SYSTEMD_TEST=1 (skipped with 77 otherwise). About a minute with
the template made; debootstrap adds two or three.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)

from package_test import Checks, Skip, build_deb, control_fields, run, SKIP  # noqa: E402

TEMPLATE_PACKAGES = ["systemd", "systemd-sysv", "dbus", "adduser", "postfix", "man-db", "procps"]


def library_packages(deb):
    """The .deb's Depends, names only (first of each alternative)."""
    depends = control_fields(run("dpkg-deb", "-f", deb, check=True).stdout).get("Depends", "")
    return [item.split("|")[0].split("(")[0].strip() for item in depends.split(",") if item.strip()]


def make_template(cache, deb):
    stamp = os.path.join(cache, ".complete")
    if os.path.exists(stamp):
        return os.path.join(cache, "root")
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(cache)
    packages = sorted(set(TEMPLATE_PACKAGES + library_packages(deb)))
    print(f"debootstrap bookworm into {cache} (once) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = run("debootstrap", "--variant=minbase", "--include=" + ",".join(packages), "bookworm",
                 os.path.join(cache, "root"), "http://deb.debian.org/debian", env=env, timeout=1200)
    if result.returncode != 0:
        raise RuntimeError(f"debootstrap failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    # Postfix as Debian configures it for an "Internet Site", listening on
    # the container's loopback only.
    root = os.path.join(cache, "root")
    with open(os.path.join(root, "etc/hostname"), "w") as f:
        f.write("cbtest\n")
    open(stamp, "w").close()
    return root


class Container:
    def __init__(self, root, name):
        self.root = root
        self.name = name
        self.nspawn = None
        self.leader = None
        self.log = None

    def boot(self):
        self.log = open(os.path.join(os.path.dirname(self.root), "boot.log"), "wb")
        self.nspawn = subprocess.Popen(
            ["systemd-nspawn", "-D", self.root, "-b", "--console=passive", "--private-network",
             "--register=no", "--keep-unit", "-M", self.name],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.leader is None:
            children = run("pgrep", "-P", str(self.nspawn.pid)).stdout.split()
            if children:
                self.leader = int(children[0])
            elif self.nspawn.poll() is not None:
                raise RuntimeError("systemd-nspawn exited; see boot.log")
            time.sleep(0.2)
        while time.monotonic() < deadline:
            state = self.sh("systemctl is-system-running").stdout.strip()
            if state in ("running", "degraded"):
                return state
            time.sleep(0.5)
        raise RuntimeError(f"the container did not finish booting ({state})")

    def sh(self, command, timeout=120):
        """Runs a shell command inside the container."""
        return run("nsenter", "-t", str(self.leader), "-a", "sh", "-c", command, timeout=timeout,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
                        "LANG": "C.UTF-8"})

    def net_python(self, code, *argv):
        """Runs Python code in the container's network namespace only: this
        machine's files and interpreter, the container's loopback."""
        return run("nsenter", "-t", str(self.leader), "-n", sys.executable, "-c", code, *argv)

    def stop(self):
        if self.nspawn and self.nspawn.poll() is None:
            self.nspawn.send_signal(signal.SIGTERM)  # nspawn shuts the container down cleanly
            try:
                self.nspawn.wait(60)
            except subprocess.TimeoutExpired:
                self.nspawn.kill()
                self.nspawn.wait(10)
        if self.log:
            self.log.close()


def wait_until(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return predicate()


def scenario(args, checks):
    if os.environ.get("CLEARBOUNCE_SYSTEMD_TEST") != "1":
        raise Skip("set CLEARBOUNCE_SYSTEMD_TEST=1 to run it (boots a Debian 12 container; the first run "
                   "downloads it with debootstrap)")
    if os.geteuid() != 0:
        raise Skip("not root")
    for tool in ("debootstrap", "systemd-nspawn", "nsenter", "pgrep"):
        if not shutil.which(tool):
            raise Skip(f"{tool} is missing (apt-get install debootstrap systemd-container)")

    with tempfile.TemporaryDirectory(prefix="clearbounce-systemd-", dir="/var/tmp") as work:
        deb = build_deb(args, os.path.join(work, "out"))
        template = make_template(args.cache, deb)
        root = os.path.join(work, "root")
        run("cp", "-a", template, root, check=True, timeout=600)
        shutil.copy(deb, os.path.join(root, "root", "clearbounce.deb"))
        container = Container(root, f"cbtest{os.getpid()}")
        try:
            state = container.boot()
            print(f"container booted: {state}", flush=True)
            sh = container.sh

            result = sh("dpkg -i /root/clearbounce.deb")
            checks.check(result.returncode == 0, "dpkg -i", result.stdout + result.stderr)
            active = wait_until(lambda: sh("systemctl is-active clearbounce").stdout.strip() == "active")
            checks.check(active, "dpkg -i enabled and started clearbounce.service",
                         sh("systemctl status clearbounce --no-pager; journalctl -u clearbounce -n 20 -o cat").stdout)
            status = sh("systemctl show -p StatusText --value clearbounce").stdout.strip()
            checks.check(status.startswith("listening on unix:/var/spool/postfix/clearbounce/clearbounce.sock"),
                         "Type=notify: the daemon reported its socket to systemd", status)
            listing = sh("stat -c '%U:%G %A' /var/spool/postfix/clearbounce/clearbounce.sock").stdout.strip()
            checks.check(listing.startswith("clearbounce:postfix srw") and listing.endswith("---"),
                         "socket: clearbounce:postfix, nothing for others", listing)
            result = sh("systemd-analyze verify clearbounce.service 2>&1")
            checks.check(result.returncode == 0 and not result.stdout.strip(), "systemd-analyze verify inside",
                         result.stdout)
            exposure = sh("systemd-analyze security clearbounce.service --no-pager | tail -n 1").stdout.strip()
            print(f"note: {exposure}", flush=True)

            # Postfix as Debian sets it up, smtpd and cleanup chrooted, with
            # the example's lines appended unchanged.
            result = sh("postconf -e inet_interfaces=loopback-only inet_protocols=ipv4 myhostname=cbtest.test"
                        " && cat /usr/share/doc/clearbounce/examples/postfix-main.cf >> /etc/postfix/main.cf"
                        " && postfix check && systemctl restart postfix"
                        " && grep -E '^(smtp +inet|cleanup +unix) .* y ' /etc/postfix/master.cf")
            checks.check(result.returncode == 0 and len(result.stdout.splitlines()) == 2,
                         "Postfix: the example appended to main.cf, smtpd and cleanup chrooted",
                         result.stdout + result.stderr)
            result = sh("printf 'From: root@localhost\\nTo: nobody-here@localhost\\nSubject: local bounce\\n\\nhi\\n'"
                        " | sendmail -f root@localhost nobody-here@localhost")
            rewritten = wait_until(lambda: "category=recipient.unknown" in sh("cat /var/mail/root").stdout, 30)
            checks.check(rewritten, "Postfix's own bounce (non_smtpd_milters, chrooted cleanup) is rewritten",
                         sh("journalctl -n 30 -o cat --no-pager").stdout)

            sample = os.path.join(args.source_dir, "packaging", "samples", "postfix-mailbox-full.eml")
            send_dsn = ("import smtplib, sys\n"
                        "with smtplib.SMTP('127.0.0.1', 25, local_hostname='mx.remote.test', timeout=30) as smtp:\n"
                        "    smtp.sendmail('', ['root@localhost'], open(sys.argv[1], 'rb').read())\n")
            sent = wait_until(lambda: container.net_python(send_dsn, sample).returncode == 0, 20)
            rewritten = sent and wait_until(
                lambda: "category=recipient.mailbox_full" in sh("cat /var/mail/root").stdout, 30)
            checks.check(rewritten, "a DSN arriving over SMTP (smtpd_milters, chrooted smtpd) is rewritten",
                         sh("journalctl -n 30 -o cat --no-pager").stdout)

            # Reload: a good configuration, then a broken one (refused).
            sh("cp /etc/clearbounce/clearbounce.toml /root/good.toml")
            result = sh("systemctl reload clearbounce")
            reloaded = wait_until(lambda: "reloaded configuration" in sh("journalctl -u clearbounce -o cat").stdout)
            checks.check(result.returncode == 0 and reloaded, "systemctl reload: SIGUSR1, reloaded",
                         result.stderr)
            sh("printf '\\n[bogus]\\n' >> /etc/clearbounce/clearbounce.toml")
            sh("systemctl reload clearbounce")
            refused = wait_until(lambda: "reload refused" in sh("journalctl -u clearbounce -o cat").stdout)
            checks.check(refused and sh("systemctl is-active clearbounce").stdout.strip() == "active",
                         "systemctl reload with a broken configuration: refused, still active")

            # A broken configuration at start: failed with file:line, no loop.
            sh("systemctl restart clearbounce")
            time.sleep(7)
            state = sh("systemctl show -p ActiveState -p NRestarts clearbounce").stdout.split()
            journal = sh("journalctl -u clearbounce -n 10 -o cat").stdout
            checks.check("ActiveState=failed" in state and "NRestarts=0" in state and "unknown table [bogus]" in journal,
                         "start with a broken configuration: failed, file:line in the journal, not restarted",
                         " ".join(state) + "\n" + journal)
            sh("cp /root/good.toml /etc/clearbounce/clearbounce.toml && systemctl start clearbounce")

            # A crash is restarted.
            sh("kill -SEGV $(systemctl show -p MainPID --value clearbounce)")
            restarted = wait_until(lambda: "NRestarts=1" in sh("systemctl show -p NRestarts clearbounce").stdout
                                   and sh("systemctl is-active clearbounce").stdout.strip() == "active", 20)
            checks.check(restarted, "a crash (SIGSEGV) is restarted",
                         sh("systemctl status clearbounce --no-pager").stdout)

            result = sh("systemctl stop clearbounce")
            checks.check(result.returncode == 0 and "stopped" in sh("journalctl -u clearbounce -n 3 -o cat").stdout,
                         "systemctl stop: SIGTERM, stopped cleanly")
            result = sh("dpkg -r clearbounce && test -f /etc/clearbounce/clearbounce.toml")
            checks.check(result.returncode == 0, "dpkg -r: conffile kept", result.stdout + result.stderr)
            result = sh("dpkg --purge clearbounce")
            left = sh("ls -d /etc/clearbounce /var/spool/postfix/clearbounce /run/clearbounce"
                      " /etc/systemd/system/multi-user.target.wants/clearbounce.service 2>/dev/null;"
                      " getent passwd clearbounce; getent group clearbounce; true").stdout.strip()
            checks.check(result.returncode == 0 and not left, "dpkg --purge: no files, unit links, user or group left",
                         result.stdout + result.stderr + left)
        finally:
            container.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--cpack", default="cpack")
    parser.add_argument("--cache", default="/var/tmp/clearbounce-debian12-template",
                        help="where the debootstrapped template is kept between runs")
    args = parser.parse_args()
    checks = Checks()
    try:
        scenario(args, checks)
    except Skip as skip:
        print(f"SKIPPED systemd: {skip}")
        return SKIP
    except Exception:  # a harness error is a failure too, with its traceback
        import traceback
        print(f"FAILED systemd:\n{traceback.format_exc()}")
        return 1
    if checks.failures:
        print(f"FAILED systemd: {len(checks.failures)} of {len(checks.failures) + checks.passed} checks:\n  "
              + "\n  ".join(checks.failures))
        return 1
    print(f"PASSED systemd: {checks.passed} checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
