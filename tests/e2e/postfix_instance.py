"""A throwaway Postfix instance in a private directory (Python standard library only).

Everything lives under one root directory: etc/ (main.cf, master.cf, maps),
queue/, data/, mail/ (virtual maildirs) and maillog. The instance listens only
on 127.0.0.1:<smtpd_port>, delivers the domain origin.test to maildirs and
sends every other test domain to a scripted peer named in its transport map.
The system's own Postfix (/etc/postfix) is never touched: every command gets
-c <root>/etc.
"""

import os
import pwd
import grp
import shutil
import socket
import subprocess
import time

MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command + args
{smtpd_listen} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

MAILBOX_UID = "nobody"


def free_port(address="127.0.0.1"):
    """A TCP port nobody listens on right now (bound once, then released)."""
    s = socket.socket()
    s.bind((address, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PostfixError(Exception):
    pass


class PostfixInstance:
    """main_extra: further main.cf lines (dict); transports: domain -> nexthop;
    tls_policy: nexthop -> policy; mailboxes: local parts of origin.test."""

    def __init__(self, root, transports, tls_policy=None, main_extra=None,
                 mailboxes=("alice", "carol", "postmaster", "mailer-daemon"), ca_file=None):
        self.root = os.path.abspath(root)
        self.etc = os.path.join(self.root, "etc")
        self.queue = os.path.join(self.root, "queue")
        self.data = os.path.join(self.root, "data")
        self.mail = os.path.join(self.root, "mail")
        self.maillog = os.path.join(self.root, "maillog")
        self.smtpd_port = free_port()
        self.transports = dict(transports)
        self.tls_policy = dict(tls_policy or {})
        self.main_extra = dict(main_extra or {})
        self.mailboxes = list(mailboxes)
        self.ca_file = ca_file
        self.configured = False
        self.started = False

    # -- configuration -------------------------------------------------------

    def write_config(self):
        if os.path.exists(self.root):
            shutil.rmtree(self.root)
        for d in (self.etc, self.queue, self.data, self.mail):
            os.makedirs(d)
        os.chmod(self.root, 0o755)
        postfix = pwd.getpwnam("postfix")
        os.chown(self.data, postfix.pw_uid, postfix.pw_gid)
        nobody = pwd.getpwnam(MAILBOX_UID)
        os.chown(self.mail, nobody.pw_uid, nobody.pw_gid)

        with open(os.path.join(self.etc, "transport"), "w") as f:
            for domain, nexthop in self.transports.items():
                f.write(f"{domain} {nexthop}\n")
        with open(os.path.join(self.etc, "tls_policy"), "w") as f:
            for nexthop, policy in self.tls_policy.items():
                f.write(f"{nexthop} {policy}\n")
        with open(os.path.join(self.etc, "vmailbox"), "w") as f:
            for box in self.mailboxes:
                f.write(f"{box}@origin.test {box}/\n")

        main = {
            "compatibility_level": "3.6",
            "config_directory": self.etc,
            "queue_directory": self.queue,
            "data_directory": self.data,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "mail.origin.test",
            "mydomain": "origin.test",
            "myorigin": "origin.test",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "smtpd_banner": "$myhostname ESMTP e2e test instance",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "relayhost": "",
            "transport_maps": f"texthash:{self.etc}/transport",
            "default_transport": "error:5.3.0 no route in the e2e test",
            "smtp_dns_support_level": "disabled",
            "virtual_mailbox_domains": "origin.test",
            "virtual_mailbox_base": self.mail,
            "virtual_mailbox_maps": f"texthash:{self.etc}/vmailbox",
            "virtual_uid_maps": f"static:{nobody.pw_uid}",
            "virtual_gid_maps": f"static:{nobody.pw_gid}",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.root,
            "smtp_connect_timeout": "3s",
            "smtp_helo_timeout": "3s",
            "smtp_tls_policy_maps": f"texthash:{self.etc}/tls_policy",
            "smtp_tls_loglevel": "1",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "biff": "no",
            "milter_default_action": "accept",
            "milter_connect_timeout": "3s",
            "milter_command_timeout": "3s",
            "milter_content_timeout": "5s",
        }
        if self.ca_file:
            main["smtp_tls_CAfile"] = self.ca_file
        main.update(self.main_extra)
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for key, value in main.items():
                f.write(f"{key} = {value}\n")
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(smtpd_listen=f"127.0.0.1:{self.smtpd_port}"))
        self.configured = True

    # -- commands ------------------------------------------------------------

    def run(self, *command, check=True):
        """Runs a Postfix command with -c <etc> and returns its output."""
        argv = [command[0], "-c", self.etc, *command[1:]]
        result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=60)
        if check and result.returncode != 0:
            raise PostfixError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}")
        return result.stdout

    def start(self):
        """Starts Postfix, with the configuration written now unless
        write_config() already did (for a milter that reads it first)."""
        if not self.configured:
            self.write_config()
        self.run("postfix", "check")
        self.run("postfix", "start")
        self.started = True
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.smtpd_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise PostfixError(f"Postfix smtpd did not listen on 127.0.0.1:{self.smtpd_port}\n{self.log_tail()}")

    def stop(self):
        if not self.started:
            return
        self.started = False
        out = self.run("postfix", "stop", check=False)
        # master exits a moment after "stop"; wait for its pid file lock.
        pid_file = os.path.join(self.queue, "pid", "master.pid")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pid = read_pid(pid_file)
            if pid is None or not process_alive(pid):
                return
            time.sleep(0.1)
        pid = read_pid(pid_file)
        if pid and process_alive(pid):
            self.run("postfix", "abort", check=False)
        return out

    def flush(self):
        self.run("postqueue", "-f", check=False)

    def queue_listing(self):
        """Lines of postqueue -j (one JSON object per queued message)."""
        out = self.run("postqueue", "-j", check=False)
        return [line for line in out.splitlines() if line.startswith("{")]

    def log(self):
        try:
            with open(self.maillog, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=40):
        return "\n".join(self.log().splitlines()[-lines:])

    def maildir(self, box):
        return os.path.join(self.mail, box, "new")

    def messages(self, box):
        """(file name, bytes) of every message delivered to origin.test's <box>, oldest first."""
        directory = self.maildir(box)
        if not os.path.isdir(directory):
            return []
        names = sorted(os.listdir(directory), key=lambda n: (os.stat(os.path.join(directory, n)).st_mtime, n))
        out = []
        for name in names:
            with open(os.path.join(directory, name), "rb") as f:
                out.append((name, f.read()))
        return out


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def process_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
