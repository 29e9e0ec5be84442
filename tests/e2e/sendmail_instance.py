"""A throwaway Sendmail from the Debian packages, unpacked, never installed.

Postfix and Sendmail cannot both be installed as Debian packages (both
conflict on mail-transport-agent), so the e2e test fetches sendmail-bin and
sendmail-cf with `apt-get download` into the build directory (once; the
archive is the one apt already uses), unpacks them with `dpkg-deb -x`, builds
its own sendmail.cf from the unpacked m4 files and runs that sendmail with its
own queue and a loopback port. Runtime needs: m4 and libwrap0 (in
scripts/deps.sh). Sendmail insists on a host name with a dot; the daemon runs
in its own UTS namespace (unshare --uts) named mail.sendmail.test.
"""

import glob
import os
import shutil
import socket
import subprocess
import time

PACKAGES = ("sendmail-bin", "sendmail-cf")
BINARY = "usr/libexec/sendmail/sendmail"
CF_M4 = "usr/share/sendmail/cf/m4/cf.m4"
HOSTNAME = "mail.sendmail.test"


class Unavailable(Exception):
    """Sendmail cannot run here (the reason is for a skip message)."""


def unpacked_tree(cache):
    """The unpacked packages under cache/root, fetched first if missing."""
    root = os.path.join(cache, "root")
    if os.access(os.path.join(root, BINARY), os.X_OK) and os.path.exists(os.path.join(root, CF_M4)):
        return root
    for tool in ("apt-get", "dpkg-deb"):
        if not shutil.which(tool):
            raise Unavailable(f"{tool} is missing: cannot fetch and unpack {', '.join(PACKAGES)}")
    debs = os.path.join(cache, "debs")
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(debs)
    os.chmod(debs, 0o777)  # apt's _apt user writes the download
    result = subprocess.run(["apt-get", "download", *PACKAGES], cwd=debs, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=300)
    files = glob.glob(os.path.join(debs, "*.deb"))
    if result.returncode != 0 or len(files) != len(PACKAGES):
        raise Unavailable(f"apt-get download {' '.join(PACKAGES)} failed:\n{result.stdout[-1500:]}")
    for deb in files:
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    return root


def check_runtime(root):
    if not shutil.which("m4"):
        raise Unavailable("m4 is not installed (./scripts/test.sh installs it)")
    result = subprocess.run(["ldd", os.path.join(root, BINARY)], stdout=subprocess.PIPE, text=True)
    missing = [line.split()[0] for line in result.stdout.splitlines() if "not found" in line]
    if missing:
        raise Unavailable(f"the unpacked sendmail lacks {', '.join(missing)} (libwrap0: ./scripts/test.sh)")
    probe = subprocess.run(["unshare", "--uts", "hostname", HOSTNAME], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    if probe.returncode != 0:
        raise Unavailable(f"unshare --uts is not permitted here: {probe.stdout.strip()}")


MC = """\
divert(-1)
# clearbounce e2e: a private Sendmail. Everything not local goes to the
# scripted peer {smart_host}:{smart_port}; the milter sees mail received over SMTP.
divert(0)dnl
VERSIONID(`clearbounce e2e')dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `{hostname}')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`QUEUE_DIR', `{dir}/mqueue')dnl
define(`STATUS_FILE', `{dir}/statistics')dnl
define(`ALIAS_FILE', `')dnl
define(`confPID_FILE', `{dir}/sendmail.pid')dnl
define(`confHELP_FILE', `')dnl
define(`confSERVICE_SWITCH_FILE', `{dir}/service.switch')dnl
define(`confHOST_STATUS_DIRECTORY', `')dnl
define(`confLOG_LEVEL', `14')dnl
define(`confMILTER_LOG_LEVEL', `14')dnl
define(`confTO_CONNECT', `5s')dnl
define(`confTO_INITIAL', `5s')dnl
define(`confDELIVERY_MODE', `background')dnl
define(`SMART_HOST', `esmtp:[{smart_host}]')dnl
define(`ESMTP_MAILER_ARGS', `TCP $h {smart_port}')dnl
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
FEATURE(`no_default_msa')dnl
DAEMON_OPTIONS(`Port={port}, Addr=127.0.0.1, Name=MTA')dnl
{milter}dnl
MAILER(`smtp')dnl
"""


class SendmailInstance:
    def __init__(self, root, directory, smart_host, smart_port, milter_socket=None):
        self.root = root
        self.dir = os.path.abspath(directory)
        self.port = None
        self.smart_host = smart_host
        self.smart_port = smart_port
        self.milter_socket = milter_socket
        self.process = None
        self.cf = os.path.join(self.dir, "sendmail.cf")
        self.trace = os.path.join(self.dir, "smtp-trace.log")
        self.output = os.path.join(self.dir, "sendmail.out")

    def write_config(self, port):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(os.path.join(self.dir, "mqueue"))
        os.chmod(self.dir, 0o755)
        os.chmod(os.path.join(self.dir, "mqueue"), 0o700)
        with open(os.path.join(self.dir, "service.switch"), "w") as f:
            f.write("hosts files\naliases files\n")
        milter = ""
        if self.milter_socket:
            milter = (f"INPUT_MAIL_FILTER(`clearbounce', `S={self.milter_socket}, F=, "
                      f"T=C:5s;S:10s;R:10s;E:30s')")
        mc = MC.format(hostname=HOSTNAME, dir=self.dir, smart_host=self.smart_host,
                       smart_port=self.smart_port, port=port, milter=milter)
        with open(os.path.join(self.dir, "clearbounce-e2e.mc"), "w") as f:
            f.write(mc)
        cf_dir = os.path.join(self.root, "usr/share/sendmail/cf") + "/"
        with open(self.cf, "w") as out:
            result = subprocess.run(["m4", f"-D_CF_DIR_={cf_dir}", os.path.join(self.root, CF_M4),
                                     os.path.join(self.dir, "clearbounce-e2e.mc")], stdout=out,
                                    stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"m4 could not build sendmail.cf:\n{result.stderr}")
        os.chmod(self.cf, 0o644)

    def start(self, port):
        self.port = port
        self.write_config(port)
        with open(self.output, "wb") as out:
            # -bD: daemon in the foreground; -X: a trace of the SMTP traffic.
            self.process = subprocess.Popen(
                ["unshare", "--uts", "sh", "-c", f'hostname {HOSTNAME} && exec "$0" "$@"',
                 os.path.join(self.root, BINARY), "-C", self.cf, "-bD", "-X", self.trace],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sendmail exited with {self.process.returncode}: {self.output_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"sendmail did not listen on 127.0.0.1:{port}: {self.output_text()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def output_text(self):
        try:
            with open(self.output, encoding="utf-8", errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def trace_tail(self, lines=30):
        try:
            with open(self.trace, encoding="utf-8", errors="replace") as f:
                return "\n".join(f.read().splitlines()[-lines:])
        except OSError:
            return ""
